// triage bench and triage gen: what they report, not how fast (speed is
// measured in bench/, never asserted).
#include <catch2/catch.hpp>

#include "cli/commands.h"
#include "test_util.h"

using namespace triage;

TEST_CASE("bench reports every stage, rule hits that match replay, and the measured costs", "[bench-command]") {
  BenchOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archive = std::string(TRIAGE_SOURCE_DIR) + "/samples/inbox.ndjson";
  o.repeat = 1;
  o.top_rules = 2;
  o.json = true;
  test::CommandRun r = test::RunCommand(o, &RunBench);
  REQUIRE(r.rc == kExitOk);
  CHECK_THAT(r.out, Catch::Contains("\"messages\":48,\"malformed\":0,"));
  CHECK_THAT(r.out, Catch::Contains("\"pack\":{\"rules\":37,\"compile_seconds\":"));
  for (const char* stage : {"parse", "classify", "route", "end to end", "end to end + detector"})
    CHECK_THAT(r.out, Catch::Contains(std::string("{\"stage\":\"") + stage + "\",\"seconds\":"));
  // Five rule files and the two rules with the most patterns.
  int costs = 0;
  for (size_t at = r.out.find("{\"without\":"); at != std::string::npos; at = r.out.find("{\"without\":", at + 1)) ++costs;
  CHECK(costs == 5 + 2);
  CHECK_THAT(r.out, Catch::Contains("{\"without\":\"crisis.yaml\",\"rules\":"));

  // Hit counts agree with the decisions replay writes.
  ReplayOptions rp;
  rp.common.rules = TRIAGE_RULES_DIR;
  rp.common.no_cache = true;
  rp.archives = {o.archive};
  test::CommandRun replay = test::RunCommand(rp, &RunReplay);
  for (const char* rule : {"refund_request", "pricing_question", "praise"}) {
    int in_replay = 0;
    std::string needle = std::string("\"") + rule + "\"";
    for (size_t at = replay.out.find(needle); at != std::string::npos; at = replay.out.find(needle, at + 1)) ++in_replay;
    INFO(rule);
    CHECK_THAT(r.out, Catch::Contains(needle + ":" + std::to_string(in_replay)));
  }

  o.json = false;
  test::CommandRun text = test::RunCommand(o, &RunBench);
  CHECK_THAT(text.out, Catch::Contains("end to end is "));
  CHECK_THAT(text.out, Catch::Contains("% of the parse floor"));
  o.archive = "/no/such/archive.ndjson";
  test::CommandRun missing = test::RunCommand(o, &RunBench);
  CHECK(missing.rc == kExitError);
  CHECK_THAT(missing.err, Catch::Contains("/no/such/archive.ndjson: cannot read"));
}

TEST_CASE("gen is deterministic, honours its options and marks the burst", "[gen]") {
  GenOptions g;
  g.messages = 300;
  g.generator.seed = 9;
  g.generator.brands = 30;
  g.generator.burst_at = 100;
  g.generator.burst_messages = 25;
  g.generator.burst_brand = 20;
  test::CommandRun a = test::RunCommand(g, &RunGen);
  test::CommandRun b = test::RunCommand(g, &RunGen);
  REQUIRE(a.rc == kExitOk);
  CHECK(a.out == b.out);
  CHECK(std::count(a.out.begin(), a.out.end(), '\n') == 300);
  int burst = 0;
  for (size_t at = a.out.find("\"incident\":\"gen-burst\""); at != std::string::npos; at = a.out.find("\"incident\":\"gen-burst\"", at + 1)) ++burst;
  CHECK(burst == 25);
  CHECK_THAT(a.out, Catch::Contains("\"brand\":\"Brand 21\""));  // index 20
  CHECK_THAT(a.out, Catch::Contains("{\"id\":\"gen:101\","));
  g.generator.seed = 10;
  CHECK(test::RunCommand(g, &RunGen).out != a.out);
  g.generator.burst_brand = 30;  // out of range
  CHECK(test::RunCommand(g, &RunGen).rc == kExitUsage);
}
