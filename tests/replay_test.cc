#include <catch2/catch.hpp>

#include <fstream>

#include "cli/commands.h"
#include "test_util.h"

using namespace triage;

namespace {

using Run = test::CommandRun;

Run Replay(std::vector<std::string> archives, const std::string& rules = TRIAGE_RULES_DIR) {
  ReplayOptions o;
  o.common.rules = rules;
  o.common.no_cache = true;
  o.archives = std::move(archives);
  return test::RunCommand(o, &RunReplay);
}

Run Eval(const std::string& archive, bool json, double gate = -1, int show = 0) {
  EvalOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {archive};
  o.json = json;
  o.min_macro_f1 = gate;
  o.show_errors = show;
  return test::RunCommand(o, &RunEval);
}

size_t CountLines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

const char* kGood1 = R"({"id":"x:1","channel":"x","text":"I want a refund for order 123456","lang":"en"})";
const char* kGood2 = R"({"id":"x:2","channel":"x","text":"how much is the family plan? want to buy","lang":"en"})";

}  // namespace

TEST_CASE("Replay writes one decision per message, in input order", "[replay]") {
  test::TempDir dir;
  std::string a = dir.Write("a.ndjson", std::string(kGood1) + "\n" + kGood2 + "\n");
  Run r = Replay({a});
  CHECK(r.rc == kExitOk);
  REQUIRE(CountLines(r.out) == 2);
  CHECK_THAT(r.out, Catch::StartsWith("{\"id\":\"x:1\",\"label\":\"support\",\"queue\":\"support\","));
  CHECK(r.out.find("\"id\":\"x:2\",\"label\":\"lead\",\"queue\":\"sales\"") != std::string::npos);
  CHECK_THAT(r.out, Catch::Contains("\"rules\":[\"refund_request\""));
  CHECK_THAT(r.err, Catch::Contains("replay: 2 messages, 0 malformed lines skipped"));
  CHECK_THAT(r.err, Catch::Contains("labels: lead 1 support 1 feedback 0 crisis 0 none 0"));
  CHECK_THAT(r.err, Catch::Contains("queues: sales 1 support 1"));
}

TEST_CASE("Malformed lines are reported by line number and skipped - the run goes on", "[replay]") {
  test::TempDir dir;
  std::string a = dir.Write("mixed.ndjson", std::string(kGood1) + "\n" +
                                                "{not json\n" +                               // line 2
                                                "\n" +                                        // blank: ignored
                                                R"({"id":"x:9","channel":"x"})" + "\n" +      // line 4
                                                "{\"id\":\"x:8\",\"channel\":\"x\",\"text\":\"\xff\"}\n" +  // line 5
                                                kGood2 + "\n");
  Run r = Replay({a});
  CHECK(r.rc == kExitSkipped);
  CHECK(CountLines(r.out) == 2);
  CHECK_THAT(r.err, Catch::Contains(a + ":2: malformed line skipped: invalid JSON"));
  CHECK_THAT(r.err, Catch::Contains(a + ":4: malformed line skipped: missing required field 'text'"));
  CHECK_THAT(r.err, Catch::Contains(a + ":5: malformed line skipped: invalid UTF-8"));
  CHECK_THAT(r.err, Catch::Contains("2 messages, 3 malformed lines skipped"));
}

TEST_CASE("Several archives replay in order - a missing one is an error but others still run", "[replay]") {
  test::TempDir dir;
  std::string a = dir.Write("a.ndjson", std::string(kGood1) + "\n");
  std::string b = dir.Write("b.ndjson", std::string(kGood2) + "\n");
  Run r = Replay({b, dir.path() + "/missing.ndjson", a});
  CHECK(r.rc == kExitError);
  REQUIRE(CountLines(r.out) == 2);
  CHECK(r.out.find("x:2") < r.out.find("x:1"));
  CHECK_THAT(r.err, Catch::Contains("missing.ndjson: No such file or directory"));
}

TEST_CASE("A broken rule pack stops replay with the rule error", "[replay]") {
  test::TempDir dir;
  std::string rules = dir.Write("bad.yaml", "rules:\n  - id: r\n    label: lead\n    any: [\"/(/\"]\n");
  std::string a = dir.Write("a.ndjson", std::string(kGood1) + "\n");
  Run r = Replay({a}, rules);
  CHECK(r.rc == kExitError);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("bad.yaml:4: rule 'r': pattern '/(/': Hyperscan:"));
}

TEST_CASE("Replaying the same archive twice gives the same bytes", "[replay][determinism]") {
  Run r1 = Replay({std::string(TRIAGE_SAMPLES_DIR) + "/inbox.ndjson"});
  Run r2 = Replay({std::string(TRIAGE_SAMPLES_DIR) + "/inbox.ndjson"});
  REQUIRE(r1.rc == kExitOk);
  CHECK(CountLines(r1.out) >= 40);
  CHECK(r1.out == r2.out);
}

// Everything but the summary's timing line.
std::string WithoutTiming(const std::string& err) {
  std::string out;
  size_t pos = 0;
  while (pos < err.size()) {
    size_t nl = err.find('\n', pos);
    if (nl == std::string::npos) nl = err.size() - 1;
    std::string line = err.substr(pos, nl + 1 - pos);
    if (line.rfind("replay: ", 0) != 0) out += line;
    else out += line.substr(0, line.find(" skipped, ") + 9) + "\n";
    pos = nl + 1;
  }
  return out;
}

TEST_CASE("Replay writes the same bytes, errors, alerts and store on any number of threads",
          "[replay][determinism]") {
  test::TempDir dir;
  // The real dev set with bad lines, event lines and an over-long line
  // mixed in, followed by the sample desk history (events for its messages).
  std::string dev = test::ReadFile(std::string(TRIAGE_SHARED_DIR) + "/data/dev/dev.ndjson");
  std::string history = test::ReadFile(std::string(TRIAGE_SAMPLES_DIR) + "/history.ndjson");
  REQUIRE(!dev.empty());
  std::string mixed;
  size_t pos = 0, n = 0;
  while (pos < dev.size()) {
    size_t nl = dev.find('\n', pos);
    mixed.append(dev, pos, nl - pos + 1);
    if (++n % 41 == 0) mixed += "{\"id\":\"bad\",\"channel\":\"x\"}\n";
    if (n % 67 == 0) mixed += R"({"type":"event","message":"nope","event":"replied","agent":"a","at":"yesterday"})" "\n";
    pos = nl + 1;
  }
  std::string a = dir.Write("mixed.ndjson", mixed);
  std::string b = dir.Write("history.ndjson", history);

  auto run = [&](int threads, size_t batch, const std::string& tag) {
    ReplayOptions o;
    o.common.rules = TRIAGE_RULES_DIR;
    o.common.no_cache = true;
    o.archives = {a, dir.path() + "/missing.ndjson", b};
    o.threads = threads;
    o.batch_bytes = batch;
    o.alerts = dir.path() + "/alerts-" + tag + ".ndjson";
    o.data = dir.path() + "/data-" + tag;
    Run r = test::RunCommand(o, &RunReplay);
    MaturityOptions m;
    m.data = o.data;
    m.format = "json";
    Run report = test::RunCommand(m, &RunMaturity);
    REQUIRE(report.rc == kExitOk);
    // No summary (which names the data directory): the missing archive makes
    // the run an error, and the error is the last thing printed.
    std::string err = WithoutTiming(r.err);
    return std::vector<std::string>{std::to_string(r.rc), r.out, err, test::ReadFile(o.alerts), report.out};
  };
  auto one = run(1, 1 << 20, "one");
  CHECK(one[0] == std::to_string(kExitError));  // the missing file
  size_t history_events = 0;
  for (size_t p = history.find("\"type\":\"event\""); p != std::string::npos;
       p = history.find("\"type\":\"event\"", p + 1))
    ++history_events;
  CHECK(CountLines(one[1]) == CountLines(dev) + CountLines(history) - history_events);
  CHECK_THAT(one[2], Catch::Contains("mixed.ndjson:42: malformed line skipped: missing required field 'text'"));
  CHECK_THAT(one[2], Catch::Contains("missing.ndjson: No such file or directory"));
  CHECK_THAT(one[2], !Catch::Contains("replay: "));
  CHECK_THAT(one[2], Catch::Contains("field 'at': expected an RFC 3339 time"));
  CHECK_THAT(one[3], Catch::Contains("brand:Orchid Stream"));
  CHECK_THAT(one[4], Catch::Contains("\"quadrant\""));
  for (auto [threads, batch] : {std::pair{2, size_t{700}}, std::pair{3, size_t{1}}, std::pair{2, size_t{1 << 16}}}) {
    INFO("threads " << threads << " batch " << batch);
    auto other = run(threads, batch, std::to_string(threads) + "-" + std::to_string(batch));
    for (size_t i = 0; i < one.size(); ++i) CHECK(other[i] == one[i]);
  }
}

TEST_CASE("Eval reports metrics, --json, error examples and the macro-F1 gate", "[eval][replay]") {
  test::TempDir dir;
  std::string a = dir.Write(
      "labeled.ndjson",
      R"({"id":"1","channel":"x","text":"I want a refund for my order","label":"support"})" "\n"
      R"({"id":"2","channel":"x","text":"how much is the family plan","label":"lead"})" "\n"
      R"({"id":"3","channel":"x","text":"nice weather today","label":"feedback"})" "\n"
      R"({"id":"4","channel":"x","text":"no label here"})" "\n");
  Run text = Eval(a, false, -1, 5);
  CHECK(text.rc == kExitSkipped);  // line 4 had no label
  CHECK_THAT(text.err, Catch::Contains(":4: malformed line skipped: no ground-truth 'label'"));
  CHECK_THAT(text.out, Catch::Contains("messages 3  accuracy 0.667"));
  CHECK_THAT(text.out, Catch::Contains("3  feedback -> none"));

  Run json = Eval(a, true);
  CHECK_THAT(json.out, Catch::StartsWith("{\"messages\":3,"));
  CHECK_THAT(json.out, Catch::Contains("\"macro_f1\":"));
  CHECK_THAT(json.out, Catch::Contains("\"confusion\":{"));
  CHECK_THAT(json.out, Catch::Contains("\"skipped\":1"));

  std::string clean = dir.Write("clean.ndjson",
                                R"({"id":"1","channel":"x","text":"I want a refund","label":"support"})" "\n"
                                R"({"id":"2","channel":"x","text":"hello there","label":"lead"})" "\n");
  CHECK(Eval(clean, false, 0.2).rc == kExitOk);
  Run gated = Eval(clean, false, 0.9);
  CHECK(gated.rc == kExitBelowGate);
  CHECK_THAT(gated.err, Catch::Contains("is below the gate 0.9000"));
}

TEST_CASE("Rules check reports success and the pack's size", "[rules][replay]") {
  RulesCheckOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  test::CommandRun r = test::RunCommand(o, &RunRulesCheck);
  CHECK(r.rc == kExitOk);
  CHECK_THAT(r.out, Catch::StartsWith("rules: OK: pack 'default', "));
}

TEST_CASE("Replay and eval classify a reply with its conversation's earlier message, on any number of threads",
          "[replay][thread]") {
  test::TempDir dir;
  const std::string first =
      R"({"id":"t:1","channel":"whatsapp","kind":"private","conversation_id":"c1","author":{"id":"u1"},"text":"my parcel 4471 never arrived, it was due monday","lang":"en","label":"support"})";
  const std::string reply =
      R"({"id":"t:2","channel":"whatsapp","kind":"private","conversation_id":"c1","in_reply_to":"t:1","author":{"id":"u1"},"text":"still nothing","lang":"en","label":"support"})";
  // Filler so that the two messages fall in different batches with tiny ones.
  std::string filler;
  for (int i = 0; i < 40; ++i)
    filler += R"({"id":"f:)" + std::to_string(i) + R"(","channel":"x","text":"good morning everyone","lang":"en"})" "\n";
  std::string with = dir.Write("with.ndjson", first + "\n" + filler + reply + "\n");
  std::string alone = dir.Write("alone.ndjson", reply + "\n");
  auto decision_of = [](const std::string& out, const std::string& id) {
    size_t at = out.find("{\"id\":\"" + id + "\"");
    REQUIRE(at != std::string::npos);
    return out.substr(at, out.find('\n', at) - at);
  };
  auto run = [&](const std::string& archive, int threads) {
    ReplayOptions o;
    o.common.rules = TRIAGE_RULES_DIR;
    o.common.no_cache = true;
    o.archives = {archive};
    o.threads = threads;
    o.batch_bytes = 256;
    o.no_detector = true;
    return test::RunCommand(o, &RunReplay);
  };
  Run one = run(with, 1), two = run(with, 2), solo = run(alone, 1);
  REQUIRE(one.rc == 0);
  CHECK(one.out == two.out);  // the same bytes for any thread count
  std::string in_thread = decision_of(one.out, "t:2"), by_itself = decision_of(solo.out, "t:2");
  CHECK_THAT(in_thread, Catch::Contains("\"label\":\"support\""));
  CHECK(in_thread != by_itself);  // the earlier message changed the evidence
  // eval scores it with the same context, and counts it as a thread message.
  EvalOptions e;
  e.common.rules = TRIAGE_RULES_DIR;
  e.common.no_cache = true;
  e.archives = {with};
  e.json = true;
  e.no_detector = true;
  Run ev = test::RunCommand(e, &RunEval);
  CHECK_THAT(ev.out, Catch::Contains("\"in_threads\":{\"messages\":1,"));
}

TEST_CASE("Eval warns when the archive overlaps the model's training data", "[eval][model]") {
  test::TempDir dir;
  // The first lines of the corpus's train split: the bundled model saw them.
  std::ifstream train(std::string(TRIAGE_SOURCE_DIR) + "/data/corpus/train.ndjson");
  REQUIRE(train);
  std::string line, seen;
  for (int i = 0; i < 50 && std::getline(train, line); ++i) seen += line + "\n";
  Run r = Eval(dir.Write("seen.ndjson", seen), false);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.err, Catch::Contains("warning: 50 of 50 labeled messages (100.0 %) are in the model's training data"));
  // New text: no warning.
  Run fresh = Eval(dir.Write("new.ndjson",
                             R"({"id":"n:1","channel":"x","text":"zebra-striped umbrellas for the quokka parade?","lang":"en","label":"lead"})"
                             "\n"),
                   true);
  CHECK_THAT(fresh.err, !Catch::Contains("training data"));
  CHECK_THAT(fresh.out, Catch::Contains("\"trained_on\":0"));
}
