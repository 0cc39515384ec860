#include "engine/label_choice.h"

namespace triage {

Label LabelFromScores(const LabelScores& scores, double threshold) {
  // A label needs a positive score that reaches the threshold; the first in
  // urgency order keeps a tie.
  Label best = Label::kNone;
  double best_score = 0;
  for (Label l : kUrgencyOrder) {
    double s = scores[static_cast<int>(l)];
    if (s >= threshold && s > best_score) {
      best = l;
      best_score = s;
    }
  }
  return best;
}

LabelChoice ChooseLabel(const LabelEvidence& e, const ChoiceSettings& s) {
  LabelChoice c;
  c.scores = e.rule_scores;
  if (e.model)
    for (int l = 0; l < kNumLabels; ++l) c.scores[l] += s.model_weight * (*e.model)[l];
  if (e.forced) {
    c.label = *e.forced;
    c.forced = true;
    return c;
  }
  c.label = LabelFromScores(c.scores, s.threshold);
  if (c.label == Label::kCrisis && e.model && !e.crisis_rule &&
      (*e.model)[static_cast<int>(Label::kCrisis)] < s.crisis_threshold) {
    LabelScores without = c.scores;
    without[static_cast<int>(Label::kCrisis)] = -1;
    c.label = LabelFromScores(without, s.threshold);
    c.crisis_held_back = true;
  }
  return c;
}

}  // namespace triage
