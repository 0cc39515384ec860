#include <catch2/catch.hpp>

#include "engine/eval.h"

using namespace triage;

// A confusion matrix worked by hand:
//               predicted
//   truth     lead support feedback crisis none
//   lead        3     1       0       0     1
//   support     0     4       1       0     0
//   feedback    0     0       2       0     1
//   crisis      0     1       0       1     0
//   none        0     0       0       0     0
TEST_CASE("Precision, recall, F1 and macro-F1 match a hand-checked matrix", "[eval]") {
  ConfusionMatrix cm;
  auto add = [&](Label t, Label p, int n) {
    for (int i = 0; i < n; ++i) cm.Add(t, p);
  };
  add(Label::kLead, Label::kLead, 3);
  add(Label::kLead, Label::kSupport, 1);
  add(Label::kLead, Label::kNone, 1);
  add(Label::kSupport, Label::kSupport, 4);
  add(Label::kSupport, Label::kFeedback, 1);
  add(Label::kFeedback, Label::kFeedback, 2);
  add(Label::kFeedback, Label::kNone, 1);
  add(Label::kCrisis, Label::kSupport, 1);
  add(Label::kCrisis, Label::kCrisis, 1);

  CHECK(cm.Total() == 15);
  CHECK(cm.Accuracy() == Approx(10.0 / 15));
  // lead: tp 3, predicted 3, support 5 -> P 1, R 0.6, F1 0.75
  auto lead = cm.Metrics(Label::kLead);
  CHECK(lead.precision == Approx(1.0));
  CHECK(lead.recall == Approx(0.6));
  CHECK(lead.f1 == Approx(0.75));
  // support: tp 4, predicted 6, support 5 -> P 2/3, R 0.8, F1 8/11
  auto sup = cm.Metrics(Label::kSupport);
  CHECK(sup.precision == Approx(2.0 / 3));
  CHECK(sup.recall == Approx(0.8));
  CHECK(sup.f1 == Approx(8.0 / 11));
  // feedback: tp 2, predicted 3, support 3 -> 2/3 each
  CHECK(cm.Metrics(Label::kFeedback).f1 == Approx(2.0 / 3));
  // crisis: tp 1, predicted 1, support 2 -> P 1, R 0.5, F1 2/3
  CHECK(cm.Metrics(Label::kCrisis).f1 == Approx(2.0 / 3));
  // none: never true, predicted twice -> P 0, R 0, F1 0, but defined
  auto none = cm.Metrics(Label::kNone);
  CHECK(none.defined);
  CHECK(none.f1 == 0);
  CHECK(none.predicted == 2);
  CHECK(cm.MacroF1() == Approx((0.75 + 8.0 / 11 + 2.0 / 3 + 2.0 / 3 + 0) / 5));
}

TEST_CASE("A label absent from truth and predictions is left out of macro-F1", "[eval]") {
  ConfusionMatrix cm;
  cm.Add(Label::kSupport, Label::kSupport);
  cm.Add(Label::kSupport, Label::kLead);
  cm.Add(Label::kLead, Label::kLead);
  CHECK_FALSE(cm.Metrics(Label::kCrisis).defined);
  // lead: P 0.5 R 1 F1 2/3; support: P 1 R 0.5 F1 2/3
  CHECK(cm.MacroF1() == Approx(2.0 / 3));
}

TEST_CASE("The JSON report carries macro_f1, per_label and confusion", "[eval]") {
  ConfusionMatrix cm;
  cm.Add(Label::kLead, Label::kLead);
  cm.Add(Label::kNone, Label::kLead);
  std::string j = cm.ToJson();
  CHECK_THAT(j, Catch::Contains("\"macro_f1\":"));
  CHECK_THAT(j, Catch::Contains("\"per_label\":{\"lead\":{\"precision\":0.5,\"recall\":1,"));
  CHECK_THAT(j, Catch::Contains("\"matrix\":[[1,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[1,0,0,0,0]]"));
}
