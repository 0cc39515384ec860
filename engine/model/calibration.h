// Calibration of the learned model on held-out labeled messages (the corpus's
// dev split), and the measures that say whether it worked.
//
// A model's probability is calibrated when, of the messages it gives 0.8,
// about 80 % are right. Logistic regression trained with class weights is
// not: it is sure of itself out of proportion. FitCalibration:
//   - familiar_coverage: the share of known text features below which a text
//     counts as unfamiliar: the 5th percentile of the held-out messages'
//     coverage (so 95 % of in-domain text is untouched, and text that
//     shares less with anything the model learned gets flatter
//     probabilities);
//   - temperature: the one divisor of the logits that minimizes the negative
//     log-likelihood of the held-out labels (temperature scaling);
//   - crisis_threshold: the lowest P(crisis) at which the model alone, with no
//     crisis rule, is right about crisis at least `crisis_precision` of the
//     time on held-out data (at least 5 such labels); 2.0 (never) if none.
// ExpectedCalibrationError: the gap between confidence and accuracy, averaged
// over 15 equal-width confidence bins, weighted by their share of messages.
#ifndef TRIAGE_ENGINE_MODEL_CALIBRATION_H_
#define TRIAGE_ENGINE_MODEL_CALIBRATION_H_

#include <string>
#include <vector>

#include "engine/model/linear_model.h"

namespace triage {

struct CalibrationSample {
  LabelProbs logits{};   // ModelOutput::logits
  double coverage = 0;   // ModelOutput::coverage
  Label truth = Label::kNone;
  bool crisis_rule = false;  // a crisis rule fired on it
};

struct CalibrationReport {
  size_t messages = 0;
  double ece_before = 0, ece_after = 0;  // top-label ECE, raw vs calibrated
  double nll_before = 0, nll_after = 0;  // mean negative log-likelihood
  size_t unfamiliar = 0;                 // messages under familiar_coverage
  size_t crisis_alone = 0;               // model-alone crisis labels at the chosen threshold
  double crisis_alone_precision = 0;
  std::string ToText() const;
  std::string ToJson() const;
};

// Fits temperature, familiar_coverage and crisis_threshold of `model` on the
// samples (review_threshold is kept as given in `base`).
Calibration FitCalibration(const std::vector<CalibrationSample>& samples, const LinearModel& model,
                           const Calibration& base, double crisis_precision, CalibrationReport* report);

// Top-label expected calibration error of probabilities against truths.
double ExpectedCalibrationError(const std::vector<LabelProbs>& probs, const std::vector<Label>& truths,
                                int bins = 15);

}  // namespace triage

#endif  // TRIAGE_ENGINE_MODEL_CALIBRATION_H_
