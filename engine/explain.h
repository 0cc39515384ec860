// Explain: how the pipeline classifies and routes one message, step by step:
// the normalized text, every pattern that matched and its rules, the rules
// that fired, the model's calibrated view and its strongest features, the
// scores, the label, the route and the confidence. For rules authors: `triage
// rules explain` prints it as text, POST /v1/explain answers it as JSON (the
// console's rules playground).
#ifndef TRIAGE_ENGINE_EXPLAIN_H_
#define TRIAGE_ENGINE_EXPLAIN_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/decision.h"
#include "engine/pipeline.h"

namespace triage {

struct Explanation {
  std::string normalized;
  std::string lang;
  bool lang_detected = false;

  struct MatchedPattern {
    std::string source;              // the pattern as written in the pack
    std::vector<std::string> rules;  // ids of the rules it belongs to
  };
  std::vector<MatchedPattern> matched;

  struct FiredRule {
    std::string id;
    Label label = Label::kNone;
    double weight = 0;
    bool force = false;
    std::string file;
    int line = 0;
  };
  std::vector<FiredRule> fired;
  Label rules_label = Label::kNone;

  // Set only when the pack has a model.
  bool has_model = false;
  std::string model_description;
  LabelProbs model_probs{};
  double temperature = 0, coverage = 0, familiar_coverage = 0;
  Label model_label = Label::kNone;
  std::vector<std::pair<std::string, double>> features;  // the strongest, by |contribution|, at most 12
  size_t known_features = 0;

  double model_weight = 0, threshold = 0, crisis_threshold = 0;
  std::array<double, kNumLabels> scores{};
  bool forced = false, crisis_held_back = false;
  Label label = Label::kNone;
  std::string queue;
  Priority priority = Priority::kNormal;
  std::string route;  // the pack route's id; "" for a default route
  double confidence = 0;
  bool review = false;

  // {"normalized":..,"lang":..,"lang_detected":..,"matched":[{"pattern":..,"rules":[..]}],
  //  "fired":[{"id","label","weight","force","file","line"}],"rules_label":..,
  //  "model":null|{"description","probabilities":{..},"temperature","coverage",
  //  "familiar_coverage","label","features":[{"name","contribution"}],"known_features"},
  //  "scores":{..},"model_weight","threshold","forced","crisis_held_back",
  //  "label","queue","priority","route","confidence","review"}
  std::string ToJson() const;
};

// Classifies and routes `msg` with `p`, recording every step.
Status Explain(const Pipeline& p, const Message& msg, Explanation* out);

}  // namespace triage

#endif  // TRIAGE_ENGINE_EXPLAIN_H_
