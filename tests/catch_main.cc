// The test runner's main: Catch2's own, with two warnings always on, so that
// no test can pass without testing anything:
//   NoAssertions: a test case that asserts nothing fails;
//   NoTests:      a test name (from CTest) that matches no test case fails.
// (Catch2 v2 takes only one --warn on its command line, hence here.)
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  Catch::Session session;
  int rc = session.applyCommandLine(argc, argv);
  if (rc != 0) return rc;
  auto& config = session.configData();
  config.warnings = static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoAssertions |
                                                        Catch::WarnAbout::NoTests);
  return session.run();
}
