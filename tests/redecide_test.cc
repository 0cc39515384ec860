// Pipeline::Redecide: rescoring a decision once the conversation's earlier
// message is known gives what deciding with it from the start gives.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/pipeline.h"
#include "format/archive_format.h"
#include "test_util.h"

using namespace triage;

// Replay decides messages in parallel before their conversation's earlier
// message is known, then scores them again with it (Pipeline::Redecide): that
// must give exactly what deciding with the context from the start gives, for
// every context, including the rules conditioned on the model.
TEST_CASE("Redecide with thread context equals Decide with it", "[model][thread]") {
  // The bundled model under a pack of rules that condition on it.
  test::TempDir dir;
  std::filesystem::copy_file(std::string(TRIAGE_RULES_DIR) + "/default.model", dir.path() + "/bundled.model");
  std::string conditioned = dir.Write("pack.yaml",
                              "pack: {threshold: 2, model: bundled.model, model_weight: 4}\n"
                              "rules:\n"
                              "  - id: weak_lead\n    label: lead\n    weight: 1\n    any: [seats]\n"
                              "  - id: model_sure_crisis\n    label: crisis\n    weight: 3\n    model: \"crisis >= 0.6\"\n"
                              "  - id: refund_if_support\n    label: support\n    weight: 1\n    any: [refund]\n"
                              "    model: \"support >= 0.3\"\n"
                              "  - id: model_lead\n    label: lead\n    weight: 1\n    model: \"lead >= 0.5\"\n");
  for (const std::string& pack : {conditioned, std::string(TRIAGE_RULES_DIR)}) {
    INFO(pack);
    std::unique_ptr<Pipeline> p;
    REQUIRE(Pipeline::Load(pack, PatternDatabaseOptions{}, &p).ok());
    REQUIRE(p->classifier().model());
    std::unique_ptr<ClassifierScratch> first, again, direct;
    REQUIRE(p->NewScratch(&first).ok());
    REQUIRE(p->NewScratch(&again).ok());
    REQUIRE(p->NewScratch(&direct).ok());
    // The corpus's test split (every label, eleven languages).
    std::vector<std::string> lines;
    const std::string corpus_path = std::string(TRIAGE_SOURCE_DIR) + "/data/corpus/test.ndjson";
    std::ifstream corpus(corpus_path);
    INFO("the corpus's test split is missing: " << corpus_path << " (data/corpus/ in the repository)");
    REQUIRE(corpus);
    for (std::string l; std::getline(corpus, l) && lines.size() < 700;) lines.push_back(l);
    ArchiveParser parser;
    size_t compared = 0, changed = 0, model_rule_fired = 0;
    for (const std::string& line : lines) {
      Message msg;
      if (!parser.ParseCopy(line, &msg).ok()) continue;
      for (int prev = 0; prev < kNumLabels; ++prev) {
        for (bool same : {false, true}) {
          Message plain = msg;
          plain.thread = ThreadContext{};
          Decision redecided;
          REQUIRE(p->Decide(plain, first.get(), &redecided).ok());
          const Verdict before = redecided.verdict;
          Message with = msg;
          with.thread = ThreadContext{true, static_cast<Label>(prev), same};
          p->Redecide(with, first->normalized(), again.get(), &redecided);
          Decision expected;
          REQUIRE(p->Decide(with, direct.get(), &expected).ok());
          const Verdict& a = redecided.verdict;
          const Verdict& b = expected.verdict;
          INFO(line << " previous " << prev << " same author " << same);
          REQUIRE(a.label == b.label);
          REQUIRE(a.fired == b.fired);
          REQUIRE(a.scores == b.scores);
          REQUIRE(a.rule_scores == b.rule_scores);
          REQUIRE(a.model == b.model);
          REQUIRE(a.coverage == b.coverage);
          REQUIRE(a.confidence == b.confidence);
          REQUIRE(a.review == b.review);
          REQUIRE(a.priority == b.priority);
          REQUIRE(a.forced == b.forced);
          REQUIRE(a.crisis_held_back == b.crisis_held_back);
          REQUIRE(redecided.routing.queue == expected.routing.queue);
          REQUIRE(redecided.routing.priority == expected.routing.priority);
          ++compared;
          changed += before.model != a.model;
          for (uint32_t r : a.fired) model_rule_fired += p->pack().rules()[r].model.has_value();
        }
      }
    }
    CHECK(compared > 500);
    CHECK(changed > 0);  // the context does move the model
    if (pack == conditioned) CHECK(model_rule_fired > 0);
  }
}
