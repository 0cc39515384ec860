// triage diff: the review tool for a rule change.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli/commands.h"
#include "test_util.h"

using namespace triage;

namespace {

// A copy of the bundled pack with the threshold raised from 2 to 3: weak
// single signals stop labeling messages.
std::string StricterPack(test::TempDir& dir) {
  std::string to = dir.path() + "/stricter";
  std::filesystem::copy(TRIAGE_RULES_DIR, to, std::filesystem::copy_options::recursive);
  std::string pack = test::ReadFile(to + "/pack.yaml");
  size_t at = pack.find("  threshold: 2");
  REQUIRE(at != std::string::npos);
  pack.replace(at, 14, "  threshold: 3");
  dir.Write("stricter/pack.yaml", pack);
  return to;
}

DiffOptions Options(const std::string& new_rules) {
  DiffOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.common.model = "none";  // a rule change's effect on the rules (with the model at weight 12 it hides)
  o.rules_new = new_rules;
  o.archives = {std::string(TRIAGE_SOURCE_DIR) + "/samples/inbox.ndjson"};
  return o;
}

}  // namespace

TEST_CASE("diff of a pack against itself changes nothing", "[diff]") {
  DiffOptions o = Options(TRIAGE_RULES_DIR);
  o.json = true;
  test::CommandRun r = test::RunCommand(o, &RunDiff);
  REQUIRE(r.rc == kExitOk);
  CHECK_THAT(r.out, Catch::StartsWith("{\"messages\":48,\"changed\":0,\"label_changes\":[],\"queue_changes\":[],\"eval\":{"));
  CHECK_THAT(r.out, Catch::Contains("\"per_label_f1_delta\":{\"lead\":0,\"support\":0,\"feedback\":0,\"crisis\":0,\"none\":0}"));
}

TEST_CASE("diff counts label and queue moves per pair, with examples and the eval delta", "[diff]") {
  test::TempDir dir;
  DiffOptions o = Options(StricterPack(dir));
  o.json = true;
  o.examples = 1;
  test::CommandRun r = test::RunCommand(o, &RunDiff);
  REQUIRE(r.rc == kExitOk);
  // A stricter threshold only ever moves messages to none (and to unrouted).
  size_t changed_at = r.out.find("\"changed\":");
  int changed = std::stoi(r.out.substr(changed_at + 10));
  CHECK(changed > 0);
  CHECK(r.out.find("\"to\":\"lead\"") == std::string::npos);
  CHECK(r.out.find("\"to\":\"support\"") == std::string::npos);
  CHECK_THAT(r.out, Catch::Contains("\"to\":\"none\""));
  CHECK_THAT(r.out, Catch::Contains("\"to\":\"unrouted\""));
  // Label moves add up to the messages that changed (a label move here
  // always moves the queue too).
  int sum = 0;
  size_t labels_end = r.out.find("\"queue_changes\"");
  for (size_t at = r.out.find("\"messages\":", 20); at < labels_end; at = r.out.find("\"messages\":", at + 1))
    sum += std::stoi(r.out.substr(at + 11));
  CHECK(sum == changed);
  CHECK_THAT(r.out, Catch::Contains("\"examples\":[{\"id\":\""));
  CHECK_THAT(r.out, Catch::Contains("\"old_macro_f1\":"));
  CHECK_THAT(r.out, Catch::Contains("\"throughput\":{\"old_msgs_per_s\":"));

  o.json = false;
  test::CommandRun text = test::RunCommand(o, &RunDiff);
  CHECK_THAT(text.out, Catch::StartsWith("48 messages, " + std::to_string(changed) + " change label or queue"));
  CHECK_THAT(text.out, Catch::Contains("eval on 48 labeled messages: macro-F1 "));
}

TEST_CASE("diff with a broken new pack is an error naming it", "[diff]") {
  test::TempDir dir;
  DiffOptions o = Options(dir.Write("broken.yaml", "rules:\n  - {id: x, label: maybe, any: [a1]}\n"));
  test::CommandRun r = test::RunCommand(o, &RunDiff);
  CHECK(r.rc == kExitError);
  CHECK_THAT(r.err, Catch::Contains("broken.yaml:2: rule 'x': unknown label 'maybe'"));
}
