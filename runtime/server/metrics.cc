#include "runtime/server/metrics.h"

#include <cstdio>

namespace triage {

std::string_view EndpointName(Endpoint e) {
  constexpr std::string_view kNames[kNumEndpoints] = {"ingest", "queues",  "peek",   "claim",   "event", "get",
                                                      "agents", "webhook", "health", "metrics", "alerts",  "reports", "admin",
                                                      "search", "explain", "console", "other"};
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

void ResponseHistograms::Observe(const std::string& kind, const std::string& queue, double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  Counts& c = counts_[{kind, queue}];
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  ++c.buckets[i];
  ++c.count;
  c.sum += seconds;
}

void ResponseHistograms::Render(std::string* out) const {
  std::lock_guard<std::mutex> l(mu_);
  std::string last_kind;
  char line[256];
  for (const auto& [key, c] : counts_) {
    const auto& [kind, queue] = key;
    std::string name = "triage_" + kind + "_seconds";
    if (kind != last_kind) {
      *out += "# HELP " + name + " Per message, arrival to its first " +
              (kind == "first_response" ? std::string("reply") : std::string("resolution")) +
              " (calendar time), by queue\n# TYPE " + name + " histogram\n";
      last_kind = kind;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= kBounds.size(); ++i) {
      cumulative += c.buckets[i];
      if (i < kBounds.size())
        std::snprintf(line, sizeof line, "%s_bucket{queue=\"%s\",le=\"%g\"} %llu\n", name.c_str(), queue.c_str(),
                      kBounds[i], static_cast<unsigned long long>(cumulative));
      else
        std::snprintf(line, sizeof line, "%s_bucket{queue=\"%s\",le=\"+Inf\"} %llu\n", name.c_str(), queue.c_str(),
                      static_cast<unsigned long long>(cumulative));
      *out += line;
    }
    std::snprintf(line, sizeof line, "%s_sum{queue=\"%s\"} %.3f\n%s_count{queue=\"%s\"} %llu\n", name.c_str(),
                  queue.c_str(), c.sum, name.c_str(), queue.c_str(), static_cast<unsigned long long>(c.count));
    *out += line;
  }
}

void ServerMetrics::RecordResponse(Endpoint e, unsigned status, double seconds) {
  requests[static_cast<int>(e)].fetch_add(1, std::memory_order_relaxed);
  unsigned cls = status / 100;
  if (cls < responses_by_class.size()) responses_by_class[cls].fetch_add(1, std::memory_order_relaxed);
  latency[static_cast<int>(e)].Observe(seconds);
}

}  // namespace triage
