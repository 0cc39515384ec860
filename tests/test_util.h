// Helpers shared by the tests: temporary files and directories, and a
// pipeline built from YAML text.
#ifndef TRIAGE_TESTS_TEST_UTIL_H_
#define TRIAGE_TESTS_TEST_UTIL_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "engine/pipeline.h"

namespace triage::test {

// Wall time the test sets: fn() is the clock a store or daemon reads (its
// copies share the time), Advance() moves it on.
struct ManualClock {
  std::shared_ptr<std::atomic<int64_t>> t = std::make_shared<std::atomic<int64_t>>(1'700'000'000'000);
  std::function<int64_t()> fn() const {
    auto p = t;
    return [p] { return p->load(); };
  }
  void Advance(int64_t ms) { *t += ms; }
};

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("triage-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string Write(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Reads everything written to a tmpfile().
inline std::string Slurp(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

// Runs a subcommand (RunReplay, RunEval, ...) with its output captured.
struct CommandRun {
  int rc = 0;
  std::string out, err;
};
template <typename Options>
CommandRun RunCommand(Options options, int (*command)(const Options&)) {
  FILE* out = std::tmpfile();
  FILE* err = std::tmpfile();
  options.common.out = out;
  options.common.err = err;
  CommandRun r;
  r.rc = command(options);
  r.out = Slurp(out);
  r.err = Slurp(err);
  std::fclose(out);
  std::fclose(err);
  return r;
}

// Builds a pipeline from a YAML pack given as text; fails the test on error.
inline std::unique_ptr<Pipeline> PipelineFromYaml(const std::string& yaml) {
  RulePack pack;
  Status s = RulePack::LoadFromString(yaml, "test.yaml", &pack);
  if (!s.ok()) throw std::runtime_error(s.message());
  std::unique_ptr<Pipeline> p;
  s = Pipeline::FromPack(std::move(pack), PatternDatabaseOptions{}, &p);
  if (!s.ok()) throw std::runtime_error(s.message());
  return p;
}

}  // namespace triage::test

#endif  // TRIAGE_TESTS_TEST_UTIL_H_
