#include "runtime/server/arrivals.h"

#include <algorithm>
#include <vector>

#include "base/json_writer.h"
#include "base/rfc3339.h"

namespace triage {

namespace {

int64_t MinuteOf(int64_t ms) { return ms >= 0 ? ms / 60000 : (ms - 59999) / 60000; }

void AppendCounts(const std::vector<std::pair<std::pair<Label, std::string>, uint64_t>>& counts, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < counts.size(); ++i) {
    out->append(i ? ",{\"label\":" : "{\"label\":");
    AppendJsonString(LabelName(counts[i].first.first), out);
    out->append(",\"channel\":");
    AppendJsonString(counts[i].first.second, out);
    out->append(",\"count\":");
    AppendJsonInt(static_cast<int64_t>(counts[i].second), out);
    out->push_back('}');
  }
  out->push_back(']');
}

}  // namespace

void ArrivalCounter::Record(int64_t now_ms, Label label, std::string_view channel) {
  int64_t minute = MinuteOf(now_ms);
  std::lock_guard<std::mutex> l(mu_);
  Bucket& b = ring_[static_cast<size_t>(((minute % kMinutes) + kMinutes) % kMinutes)];
  if (b.minute != minute) {
    if (b.minute > minute) return;  // a clock step back into a minute already reused: dropped
    b.minute = minute;
    b.counts.clear();
  }
  std::pair<Label, std::string> key{label, std::string(channel)};
  auto it = b.counts.find(key);
  if (it == b.counts.end() && b.counts.size() >= kMaxKeysPerMinute) key.second = "other";
  ++b.counts[key];
}

std::string ArrivalCounter::ToJson(int64_t now_ms, int minutes) const {
  minutes = std::clamp(minutes, 1, kMinutes);
  int64_t current = MinuteOf(now_ms);
  std::map<std::pair<Label, std::string>, uint64_t> totals;
  std::string out = "{\"minutes\":[";
  std::lock_guard<std::mutex> l(mu_);
  for (int64_t m = current - minutes + 1; m <= current; ++m) {
    const Bucket& b = ring_[static_cast<size_t>(((m % kMinutes) + kMinutes) % kMinutes)];
    std::vector<std::pair<std::pair<Label, std::string>, uint64_t>> counts;
    uint64_t total = 0;
    if (b.minute == m)
      for (const auto& [k, n] : b.counts) {
        counts.emplace_back(k, n);
        totals[k] += n;
        total += n;
      }
    if (m != current - minutes + 1) out += ",";
    out += "{\"start\":";
    AppendJsonString(FormatRfc3339(m * 60000), &out);
    out += ",\"total\":";
    AppendJsonInt(static_cast<int64_t>(total), &out);
    out += ",\"counts\":";
    AppendCounts(counts, &out);
    out += "}";
  }
  std::vector<std::pair<std::pair<Label, std::string>, uint64_t>> sorted(totals.begin(), totals.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  out += "],\"totals\":";
  AppendCounts(sorted, &out);
  out += "}";
  return out;
}

}  // namespace triage
