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
  out->clear();
  if (!msg.brand.empty()) out->push_back("brand:" + std::string(msg.brand));
  for (uint32_t r : v.fired) out->push_back("rule:" + pack.rules()[r].id);
  std::string_view t = msg.text;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '#') continue;
    size_t j = i + 1;
    while (j < t.size() && IsTagByte(static_cast<unsigned char>(t[j]))) ++j;
    if (j - i > 2) {
      std::string tag = "tag:";
      for (size_t k = i + 1; k < j; ++k) tag.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(t[k]))));
      if (std::find(out->begin(), out->end(), tag) == out->end()) out->push_back(std::move(tag));
    }
    i = j - 1;
  }
}

std::vector<int> CrisisDetector::Observe(const Message& msg, const RulePack& pack, Decision* d) {
  std::vector<int> opened;
  d->alert.clear();
  if (msg.created_at_ms == 0) return opened;
  // Close alerts whose topics went quiet, once per bucket of event time.
  int64_t bucket = msg.created_at_ms / bursts_.options().bucket_ms;
  if (bucket > last_bucket_) {
    bursts_.CloseQuiet(msg.created_at_ms);
    last_bucket_ = bucket;
  }
  Topics(msg, pack, d->verdict, &topics_);
  // One incident, one alert: when one of the message's topics already has an
  // open alert (or this message opens one), bursts on its other topics are
  // folded into it instead of opening alerts of their own.
  int first_open = -1;
  for (const std::string& topic : topics_) {
    first_open = bursts_.OpenAlertOf(topic);
    if (first_open >= 0) break;
  }
  for (const std::string& topic : topics_) {
    bool now_open = false;
    int a = bursts_.Observe(topic, msg.created_at_ms, msg.id, &now_open, /*allow_open=*/first_open < 0);
    if (now_open) opened.push_back(a);
    if (a >= 0 && first_open < 0) first_open = a;
  }
  if (first_open >= 0) {
    d->alert = bursts_.alert(first_open).id;
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
