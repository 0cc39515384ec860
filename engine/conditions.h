// Conditions: the "when" block shared by rules and routes. A message meets
// the conditions when every field that is set matches (an empty list means
// "any").
#ifndef TRIAGE_ENGINE_CONDITIONS_H_
#define TRIAGE_ENGINE_CONDITIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format/label.h"
#include "format/message.h"

namespace triage {

struct Conditions {
  std::vector<std::string> langs;
  std::vector<std::string> channels;
  std::vector<std::string> brands;
  Kind kind = Kind::kUnknown;  // kUnknown: either
  int64_t min_followers = 0;
  std::optional<bool> verified;
  // Only in routes: the label and the priority the message got so far.
  uint32_t labels = 0;      // bit per Label; 0: any
  uint32_t priorities = 0;  // bit per Priority; 0: any

  bool Empty() const {
    return langs.empty() && channels.empty() && brands.empty() && kind == Kind::kUnknown && min_followers == 0 &&
           !verified && labels == 0 && priorities == 0;
  }

  // `lang` is the language in effect (given or detected).
  bool Matches(const Message& m, std::string_view lang, Label label, Priority priority) const {
    if (labels && !(labels & (1u << static_cast<int>(label)))) return false;
    if (priorities && !(priorities & (1u << static_cast<int>(priority)))) return false;
    if (kind != Kind::kUnknown && m.kind != kind) return false;
    if (m.author.followers < min_followers) return false;
    if (verified && m.author.verified != *verified) return false;
    if (!In(langs, lang) || !In(channels, m.channel) || !In(brands, m.brand)) return false;
    return true;
  }

 private:
  static bool In(const std::vector<std::string>& set, std::string_view v) {
    if (set.empty()) return true;
    for (const auto& s : set)
      if (s == v) return true;
    return false;
  }
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_CONDITIONS_H_
