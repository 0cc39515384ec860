// Evaluation of predicted labels against ground truth: a confusion matrix and
// per-label precision, recall and F1, and macro-F1.
//
// Conventions (the same as scikit-learn's with zero_division=0):
//   precision = tp / (tp + fp), 0 when nothing was predicted as the label;
//   recall    = tp / (tp + fn), 0 when the label never occurs in the truth;
//   F1        = 2PR / (P + R), 0 when P + R = 0.
// Macro-F1 is the unweighted mean of F1 over the five labels. A label that
// neither occurs in the truth nor is ever predicted has no defined F1 and is
// left out of the mean (so a data set without crisis messages is not scored
// as if the engine had failed on crisis).
#ifndef TRIAGE_ENGINE_EVAL_H_
#define TRIAGE_ENGINE_EVAL_H_

#include <array>
#include <cstdint>
#include <string>

#include "format/label.h"

namespace triage {

struct LabelMetrics {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;    // messages whose truth is the label
  int64_t predicted = 0;  // messages predicted as the label
  bool defined = false;   // support + predicted > 0
};

class ConfusionMatrix {
 public:
  void Add(Label truth, Label predicted) { ++m_[Index(truth)][Index(predicted)]; }
  int64_t Count(Label truth, Label predicted) const { return m_[Index(truth)][Index(predicted)]; }
  int64_t Total() const;
  double Accuracy() const;
  LabelMetrics Metrics(Label l) const;
  double MacroF1() const;

  // A fixed-width table: per-label metrics, macro-F1 and the matrix.
  std::string ToText() const;
  // {"messages":..,"accuracy":..,"macro_f1":..,"per_label":{..},"confusion":{"labels":[..],"matrix":[[..]]}}
  std::string ToJson() const;

 private:
  static int Index(Label l) { return static_cast<int>(l); }
  std::array<std::array<int64_t, kNumLabels>, kNumLabels> m_{};  // [truth][predicted]
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_EVAL_H_
