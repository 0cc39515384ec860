// Decision: what the engine decided about one message: the classifier's
// Verdict (label, scores, the rules that fired, the model's view, confidence)
// and the RouteTable's Routing (queue, priority), plus what the crisis
// detector added. Plain data, shared by every stage after classification.
#ifndef TRIAGE_ENGINE_DECISION_H_
#define TRIAGE_ENGINE_DECISION_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/label.h"

namespace triage {

struct Route;  // engine/rule_pack.h

// A probability (or score) per label, in kAllLabels order.
using LabelProbs = std::array<double, kNumLabels>;

struct Verdict {
  Label label = Label::kNone;
  std::array<double, kNumLabels> scores{};       // rule scores, plus the model's share when there is a model
  std::array<double, kNumLabels> rule_scores{};  // the rules' alone
  Label rules_label = Label::kNone;              // the label the rules alone give
  bool forced = false;                           // a force: rule decided the label
  // Set only when the pack has a model.
  bool has_model = false;
  LabelProbs model{};                  // P(label), calibrated
  Label model_label = Label::kNone;    // the most probable label
  double coverage = 0;                 // share of the text the model knows
  bool crisis_held_back = false;       // the model alone wanted crisis below its threshold
  double confidence = 0;               // see above
  bool review = false;                 // a person should look
  Priority priority = Priority::kNormal;  // highest priority among fired rules of the label
  std::vector<uint32_t> fired;            // indices into RulePack::rules(), in pack order
  // Rules with a model: condition whose patterns and `when` matched: the
  // model's probability decides whether they fire (kept so that a verdict
  // can be rescored with more context without scanning the text again).
  std::vector<uint32_t> model_pending;
  std::string_view lang;                  // language in effect: given, or detected
  bool lang_detected = false;
};

struct Routing {
  std::string_view queue;
  Priority priority = Priority::kNormal;
  const Route* route = nullptr;  // the pack route that matched; null for a default
};

struct Decision {
  Verdict verdict;
  Routing routing;
  std::string alert;       // id of an open crisis alert on one of the message's topics (CrisisDetector)
  std::string escalation;  // "reach": a big or verified account's clearly negative public post
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DECISION_H_
