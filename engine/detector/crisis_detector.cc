#include "engine/detector/crisis_detector.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "engine/json_writer.h"

namespace triage {

namespace {

std::string Rfc3339(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool IsTagByte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

}  // namespace

void CrisisDetector::Topics(const Message& msg, const RulePack& pack, const Verdict& v, std::vector<std::string>* out) {
  // Strings are reused from call to call: no allocation once they have grown.
  size_t n = 0;
  auto next = [&]() -> std::string& {
    if (n == out->size()) out->emplace_back();
    std::string& s = (*out)[n++];
    s.clear();
    return s;
  };
  if (!msg.brand.empty()) next().append("brand:").append(msg.brand);
  for (uint32_t r : v.fired) next().append("rule:").append(pack.rules()[r].id);
  std::string_view t = msg.text;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '#') continue;
    size_t j = i + 1;
    while (j < t.size() && IsTagByte(static_cast<unsigned char>(t[j]))) ++j;
    if (j - i > 2) {
      std::string& tag = next();
      tag.append("tag:");
      for (size_t k = i + 1; k < j; ++k) tag.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(t[k]))));
      if (std::find(out->begin(), out->begin() + static_cast<std::ptrdiff_t>(n) - 1, tag) !=
          out->begin() + static_cast<std::ptrdiff_t>(n) - 1)
        --n;  // a repeated hashtag
    }
    i = j - 1;
  }
  out->resize(n);
}

int CrisisDetector::Unified(int scale, int index) {
  if (index < 0) return -1;
  std::vector<int>& map = scale == 0 ? fast_to_unified_ : slow_to_unified_;
  if (static_cast<size_t>(index) >= map.size()) map.resize(static_cast<size_t>(index) + 1, -1);
  if (map[static_cast<size_t>(index)] < 0) {
    map[static_cast<size_t>(index)] = static_cast<int>(alerts_.size());
    alerts_.emplace_back(scale, index);
  }
  return map[static_cast<size_t>(index)];
}

const BurstAlert& CrisisDetector::alert(int index) const {
  auto [scale, i] = alerts_[static_cast<size_t>(index)];
  return scale == 0 ? fast_.alert(i) : slow_.alert(i);
}

void CrisisDetector::CloseQuiet(int64_t t_ms) {
  fast_.CloseQuiet(t_ms);
  slow_.CloseQuiet(t_ms);
}

std::vector<int> CrisisDetector::Observe(const Message& msg, const RulePack& pack, std::string_view normalized,
                                         Decision* d) {
  std::vector<int> opened;
  d->alert.clear();
  d->escalation.clear();
  if (lexicon_ && msg.kind == Kind::kPublic &&
      (msg.author.followers >= reach_.min_followers || (reach_.verified_counts && msg.author.verified)) &&
      lexicon_->Compound(normalized) <= reach_.max_compound) {
    d->escalation = "reach";
    d->routing.priority = Priority::kUrgent;
  }
  if (msg.created_at_ms == 0) return opened;
  // Close alerts whose topics went quiet, once per minute of event time.
  int64_t minute = msg.created_at_ms / 60'000;
  if (minute > last_minute_) {
    CloseQuiet(msg.created_at_ms);
    last_minute_ = minute;
  }
  Topics(msg, pack, d->verdict, &topics_);
  // One incident, one alert: when one of the message's topics already has an
  // open alert on either scale (or this message opens one), bursts on its
  // other topics and scales are folded into it instead of opening their own.
  int current = -1;
  for (const std::string& topic : topics_) {
    current = Unified(0, fast_.OpenAlertOf(topic));
    if (current < 0) current = Unified(1, slow_.OpenAlertOf(topic));
    if (current >= 0) break;
  }
  for (const std::string& topic : topics_) {
    bool now_open = false;
    int a = Unified(0, fast_.Observe(topic, msg.created_at_ms, msg.id, &now_open, current < 0));
    if (now_open) opened.push_back(a);
    if (a >= 0 && current < 0) current = a;
    now_open = false;
    int b = Unified(1, slow_.Observe(topic, msg.created_at_ms, msg.id, &now_open, current < 0));
    if (now_open) opened.push_back(b);
    if (b >= 0 && current < 0) current = b;
  }
  if (current >= 0) {
    d->alert = alert(current).id;
    if (d->routing.priority < Priority::kHigh) d->routing.priority = Priority::kHigh;
  }
  return opened;
}

std::string CrisisDetector::AlertJson(const BurstAlert& a) {
  std::string o = "{\"type\":\"crisis_alert\",\"alert\":";
  AppendJsonString(a.id, &o);
  o += ",\"topic\":";
  AppendJsonString(a.topic, &o);
  o += ",\"opened_at\":\"" + Rfc3339(a.opened_at_ms) + "\",\"closed_at\":";
  o += a.closed_at_ms ? "\"" + Rfc3339(a.closed_at_ms) + "\"" : "null";
  o += ",\"first_message\":";
  AppendJsonString(a.first_message, &o);
  o += ",\"messages\":";
  AppendJsonInt(a.messages, &o);
  o += ",\"window_count\":";
  AppendJsonInt(a.window_count, &o);
  o += ",\"expected\":";
  AppendJsonNumber(a.expected, &o);
  o += ",\"p_value\":";
  AppendJsonNumber(a.p_value, &o);
  o += "}";
  return o;
}

}  // namespace triage
