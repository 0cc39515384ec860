// Label: the five classes a message can be given, and their names.
#ifndef TRIAGE_FORMAT_LABEL_H_
#define TRIAGE_FORMAT_LABEL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace triage {

// The order is the order of the "scores" object in a decision and of the rows
// and columns of an eval confusion matrix.
enum class Label : uint8_t { kLead = 0, kSupport = 1, kFeedback = 2, kCrisis = 3, kNone = 4 };

inline constexpr int kNumLabels = 5;
inline constexpr std::array<Label, kNumLabels> kAllLabels = {Label::kLead, Label::kSupport, Label::kFeedback,
                                                             Label::kCrisis, Label::kNone};

constexpr std::string_view LabelName(Label l) {
  constexpr std::string_view kNames[kNumLabels] = {"lead", "support", "feedback", "crisis", "none"};
  return kNames[static_cast<int>(l)];
}

// The order that breaks ties between labels, most urgent first: missing a
// crisis costs more than a second look at a lead.
inline constexpr std::array<Label, kNumLabels> kUrgencyOrder = {Label::kCrisis, Label::kSupport, Label::kLead,
                                                                Label::kFeedback, Label::kNone};

// A label's place in kUrgencyOrder (0: most urgent).
constexpr int Urgency(Label l) {
  for (int i = 0; i < kNumLabels; ++i)
    if (kUrgencyOrder[i] == l) return i;
  return kNumLabels;
}

constexpr std::optional<Label> ParseLabel(std::string_view s) {
  for (Label l : kAllLabels)
    if (LabelName(l) == s) return l;
  return std::nullopt;
}

// Priority of a routed message, lowest first.
enum class Priority : uint8_t { kLow = 0, kNormal = 1, kHigh = 2, kUrgent = 3 };
inline constexpr int kNumPriorities = 4;

constexpr std::string_view PriorityName(Priority p) {
  constexpr std::string_view kNames[kNumPriorities] = {"low", "normal", "high", "urgent"};
  return kNames[static_cast<int>(p)];
}

constexpr std::optional<Priority> ParsePriority(std::string_view s) {
  for (int i = 0; i < kNumPriorities; ++i)
    if (PriorityName(static_cast<Priority>(i)) == s) return static_cast<Priority>(i);
  return std::nullopt;
}

}  // namespace triage

#endif  // TRIAGE_FORMAT_LABEL_H_
