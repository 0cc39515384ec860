// ModelEvaluation: how the rules alone, the model alone and the two combined
// do on the same labeled messages, overall and per language. `triage train`
// fills it by cross-validation and on a held-out split; `triage eval` on an
// archive with the pack's model.
#ifndef TRIAGE_ENGINE_MODEL_EVALUATION_H_
#define TRIAGE_ENGINE_MODEL_EVALUATION_H_

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/eval.h"
#include "engine/label_choice.h"
#include "engine/model/linear_model.h"
#include "engine/model/trainer.h"

namespace triage {

enum class Scorer { kRules = 0, kModel = 1, kCombined = 2 };
inline constexpr int kNumScorers = 3;
inline constexpr const char* kScorerNames[kNumScorers] = {"rules", "model", "combined"};

struct ModelEvaluation {
  std::array<ConfusionMatrix, kNumScorers> all;
  std::map<std::string, std::array<ConfusionMatrix, kNumScorers>> by_lang;

  void Add(const std::string& lang, Label truth, Label rules, Label model, Label combined) {
    Label got[kNumScorers] = {rules, model, combined};
    auto& lang_cms = by_lang[lang];
    for (int i = 0; i < kNumScorers; ++i) {
      all[i].Add(truth, got[i]);
      lang_cms[i].Add(truth, got[i]);
    }
  }
  // "scorer  messages  accuracy  macro-F1" lines, then macro-F1 per language.
  std::string ToText() const;
  // {"rules":{"accuracy":..,"macro_f1":..},"model":..,"combined":..,"per_lang":{"en":{"rules":..,..}}}
  std::string ToJson() const;
};

// A labeled message as training sees it: the model's features, and what the
// rules said about it (to score "rules" and "combined" without the pack).
struct LabeledExample {
  TrainingExample example;
  LabelEvidence evidence;  // the fired rules (no model)
  Label rules_label = Label::kNone;
  std::string lang;
};

// The combined label of one example given the model's probabilities
// (ChooseLabel, minus rules that condition on the model).
Label CombinedLabel(const LabeledExample& e, const LabelProbs& p, const ChoiceSettings& c);

// Trains a fresh model (`features`, `train_options`) on data[train] and adds
// its verdicts on data[test] to *eval. The fold's model is not calibrated:
// its raw probabilities are combined.
void TrainAndEvaluate(const std::vector<LabeledExample>& data, const std::vector<size_t>& train,
                      const std::vector<size_t>& test, const FeatureOptions& features,
                      const TrainOptions& train_options, const ChoiceSettings& combine, ModelEvaluation* eval);

}  // namespace triage

#endif  // TRIAGE_ENGINE_MODEL_EVALUATION_H_
