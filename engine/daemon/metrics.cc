#include "engine/daemon/metrics.h"

#include <cstdio>

namespace triage {

std::string_view EndpointName(Endpoint e) {
  constexpr std::string_view kNames[kNumEndpoints] = {"ingest", "queues",  "peek",   "claim",   "event", "get",
                                                      "agents", "webhook", "health", "metrics", "alerts",  "other"};
  return kNames[static_cast<int>(e)];
}

void LatencyHistogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void LatencyHistogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  char line[256];
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (i < kBounds.size())
      std::snprintf(line, sizeof line, "%s_bucket{%s,le=\"%g\"} %llu\n", name.c_str(), labels.c_str(), kBounds[i],
                    static_cast<unsigned long long>(cumulative));
    else
      std::snprintf(line, sizeof line, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name.c_str(), labels.c_str(),
                    static_cast<unsigned long long>(cumulative));
    *out += line;
  }
  std::snprintf(line, sizeof line, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name.c_str(), labels.c_str(),
                static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6, name.c_str(), labels.c_str(),
                static_cast<unsigned long long>(count_.load(std::memory_order_relaxed)));
  *out += line;
}

void ServerMetrics::RecordResponse(Endpoint e, unsigned status, double seconds) {
  requests[static_cast<int>(e)].fetch_add(1, std::memory_order_relaxed);
  unsigned cls = status / 100;
  if (cls < responses_by_class.size()) responses_by_class[cls].fetch_add(1, std::memory_order_relaxed);
  latency[static_cast<int>(e)].Observe(seconds);
}

}  // namespace triage
