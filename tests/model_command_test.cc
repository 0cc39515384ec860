// `triage train` and `rules explain` end to end: the figures train prints,
// learning from a team's history, and the model shown beside the rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "cli/commands.h"
#include "engine/model/calibration.h"
#include "engine/model/feature_hasher.h"
#include "engine/model/linear_model.h"
#include "engine/model/trainer.h"
#include "engine/pipeline.h"
#include "engine/text_normalizer.h"
#include "test_util.h"

using namespace triage;

TEST_CASE("triage train on the dev archive: figures for rules, model and combined, and a model eval can use", "[model][cli]") {
  test::TempDir dir;
  TrainOptionsCli o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {std::string(TRIAGE_SHARED_DIR) + "/data/dev/dev.ndjson"};
  o.out_path = dir.path() + "/dev.model";
  o.folds = 3;
  o.json = true;
  test::CommandRun r = test::RunCommand(o, &RunTrain);
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("\"cross_validation\":{\"rules\":{\"accuracy\":"));
  CHECK_THAT(r.out, Catch::Contains("\"holdout\":{\"rules\""));
  CHECK_THAT(r.out, Catch::Contains("\"per_lang\":{\"ar\":"));
  // What the model adds, cross-validated: combined beats the rules alone
  // (measured 0.798 against 0.758 with 3 folds; README.md).
  auto macro = [&](const std::string& scorer) {
    size_t cv = r.out.find("\"cross_validation\":");
    size_t at = r.out.find("\"" + scorer + "\":{\"accuracy\":", cv);
    size_t m = r.out.find("\"macro_f1\":", at);
    return std::stod(r.out.substr(m + 11));
  };
  CHECK(macro("combined") > macro("rules") + 0.02);
  CHECK(macro("rules") > 0.72);
  LinearModel m;
  REQUIRE(LinearModel::Load(o.out_path, &m).ok());
  CHECK_THAT(m.description(), Catch::StartsWith("triage train: 520 messages (dev.ndjson 520)"));
  // Deterministic: the same command writes the same bytes.
  std::string first = test::ReadFile(o.out_path);
  REQUIRE(test::RunCommand(o, &RunTrain).rc == 0);
  CHECK(test::ReadFile(o.out_path) == first);

  EvalOptions e;
  e.common.rules = TRIAGE_RULES_DIR;
  e.common.no_cache = true;
  e.common.model = o.out_path;
  e.archives = o.archives;
  e.json = true;
  e.no_detector = true;
  test::CommandRun er = test::RunCommand(e, &RunEval);
  REQUIRE(er.rc == 0);
  CHECK_THAT(er.out, Catch::Contains("\"compare\":{\"rules\":{"));
  CHECK_THAT(er.out, Catch::Contains("\"combined\":{\"accuracy\":"));

  // Bad input names the file and the line.
  std::string bad = dir.Write("bad.ndjson", "{\"id\":\"a\",\"channel\":\"x\",\"text\":\"hi\",\"label\":\"sales\"}\nnot json\n");
  o.archives = {bad};
  o.json = false;
  test::CommandRun br = test::RunCommand(o, &RunTrain);
  CHECK(br.rc != 0);
  CHECK_THAT(br.err, Catch::Contains("bad.ndjson:1"));
  CHECK_THAT(br.err, Catch::Contains("bad.ndjson:2"));
}

TEST_CASE("triage train --data learns from the team's history: reroutes are corrections", "[model][cli]") {
  test::TempDir dir;
  // Four messages: one rerouted support -> sales (a correction: lead), one
  // resolved as it was (confirmed: support), one rerouted to a queue no
  // label goes to (left out), one nobody touched (left out).
  std::string archive = dir.Write(
      "h.ndjson",
      "{\"id\":\"h:1\",\"channel\":\"x\",\"text\":\"I want a refund\",\"lang\":\"en\",\"created_at\":\"2026-10-01T10:00:00Z\"}\n"
      "{\"id\":\"h:2\",\"channel\":\"x\",\"text\":\"my order never arrived, refund\",\"lang\":\"en\",\"created_at\":\"2026-10-01T10:01:00Z\"}\n"
      "{\"id\":\"h:3\",\"channel\":\"x\",\"text\":\"refund please\",\"lang\":\"en\",\"created_at\":\"2026-10-01T10:02:00Z\"}\n"
      "{\"id\":\"h:4\",\"channel\":\"x\",\"text\":\"refund now\",\"lang\":\"en\",\"created_at\":\"2026-10-01T10:03:00Z\"}\n"
      "{\"type\":\"event\",\"message\":\"h:1\",\"event\":\"rerouted\",\"agent\":\"a\",\"to_queue\":\"sales\",\"at\":\"2026-10-01T10:05:00Z\"}\n"
      "{\"type\":\"event\",\"message\":\"h:2\",\"event\":\"resolved\",\"agent\":\"a\",\"at\":\"2026-10-01T10:06:00Z\"}\n"
      "{\"type\":\"event\",\"message\":\"h:3\",\"event\":\"rerouted\",\"agent\":\"a\",\"to_queue\":\"nowhere\",\"at\":\"2026-10-01T10:07:00Z\"}\n");
  ReplayOptions rp;
  rp.common.rules = TRIAGE_RULES_DIR;
  rp.common.no_cache = true;
  rp.archives = {archive};
  rp.data = dir.path() + "/data";
  rp.no_detector = true;
  test::CommandRun replay = test::RunCommand(rp, &RunReplay);
  INFO(replay.err);
  REQUIRE(replay.rc == 0);

  TrainOptionsCli o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {std::string(TRIAGE_SHARED_DIR) + "/data/dev/dev.ndjson"};
  o.data_dirs = {rp.data};
  o.out_path = dir.path() + "/m.model";
  o.folds = 0;
  o.holdout = 0;
  test::CommandRun r = test::RunCommand(o, &RunTrain);
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains(rp.data + " (history): 2 (lead 1, support 1, feedback 0, crisis 0, none 0)"));
  CHECK_THAT(r.out, Catch::Contains("1 corrected by a reroute, 1 confirmed by closing, 1 still open, 1 unreadable or rerouted to a queue no label goes to"));
  LinearModel m;
  REQUIRE(LinearModel::Load(o.out_path, &m).ok());
  CHECK_THAT(m.description(), Catch::Contains("(history) 2"));
}

TEST_CASE("rules explain shows the model's probabilities beside the rules", "[model][cli]") {
  RulesExplainOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.text = "my parcel never arrived";
  o.lang = "en";
  test::CommandRun r = test::RunCommand(o, &RunRulesExplain);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("\n2. model (triage train: "));
  CHECK_THAT(r.out, Catch::Contains("probabilities (calibrated): lead 0."));
  CHECK_THAT(r.out, Catch::Contains("rules alone: "));
  CHECK_THAT(r.out, Catch::Contains("strongest features for support"));
  CHECK_THAT(r.out, Catch::Contains("\"w:parcel\""));
  CHECK_THAT(r.out, Catch::Contains("confidence: 0."));
  // Thread context: "still nothing" after a support message.
  o.text = "still nothing";
  o.after = "support";
  test::CommandRun th = test::RunCommand(o, &RunRulesExplain);
  CHECK_THAT(th.out, Catch::Contains("thread: after a support message by the same author"));
  CHECK_THAT(th.out, Catch::Contains("label: support"));
  o.after = "";
  o.text = "my parcel never arrived";
  o.common.model = "none";
  test::CommandRun none = test::RunCommand(o, &RunRulesExplain);
  CHECK_THAT(none.out, !Catch::Contains("2. model"));
}

