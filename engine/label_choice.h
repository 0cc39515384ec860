// ChooseLabel: how a label is chosen from the evidence, one definition for
// the classifier and for training's evaluation of "combined".
//
//   1. A fired rule with `force: true` decides outright (the heaviest; ties
//      by urgency).
//   2. Otherwise each label scores its fired rules' weights plus
//      model_weight x the model's calibrated probability; the highest score
//      that reaches the threshold wins (ties by urgency: crisis, support,
//      lead, feedback, none), else "none". The model's probabilities are
//      shrunk toward uniform on unfamiliar text (LinearModel), so there the
//      rules decide and the model cannot outvote them.
//   3. The model alone never labels crisis: without a fired crisis rule,
//      crisis needs P(crisis) >= crisis_threshold (chosen on held-out data so
//      that such labels are right at least nine times in ten); below it the
//      best other label wins.
#ifndef TRIAGE_ENGINE_LABEL_CHOICE_H_
#define TRIAGE_ENGINE_LABEL_CHOICE_H_

#include <array>
#include <optional>

#include "format/label.h"

namespace triage {

using LabelScores = std::array<double, kNumLabels>;

struct LabelEvidence {
  LabelScores rule_scores{};       // summed weights of the fired rules
  std::optional<Label> forced;     // the label of the deciding force: rule, if one fired
  bool crisis_rule = false;        // a rule labelling crisis fired
  const LabelScores* model = nullptr;  // calibrated probabilities; null: no model
};

struct ChoiceSettings {
  double threshold = 1.0;
  double model_weight = 0.0;
  double crisis_threshold = 2.0;  // above 1: the model alone never labels crisis
};

struct LabelChoice {
  Label label = Label::kNone;
  LabelScores scores{};         // rule scores plus the model's share
  bool forced = false;          // a force: rule decided
  bool crisis_held_back = false;  // crisis scored highest but had neither a rule nor P >= crisis_threshold
};

LabelChoice ChooseLabel(const LabelEvidence& e, const ChoiceSettings& s);

// The label `scores` give: the highest that reaches `threshold`, ties by
// urgency; "none" when none reaches it.
Label LabelFromScores(const LabelScores& scores, double threshold);

}  // namespace triage

#endif  // TRIAGE_ENGINE_LABEL_CHOICE_H_
