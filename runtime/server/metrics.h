// ServerMetrics: the daemon's counters and latency histograms, rendered in
// the Prometheus text exposition format for GET /metrics. Lock-free on the
// request path (relaxed atomics).
#ifndef TRIAGE_RUNTIME_SERVER_METRICS_H_
#define TRIAGE_RUNTIME_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "format/label.h"
#include "runtime/server/arrivals.h"
#include "runtime/server/auth.h"

namespace triage {

// The API endpoints, for per-endpoint request metrics.
enum class Endpoint : uint8_t {
  kIngest, kQueues, kPeek, kClaim, kEvent, kGet, kAgents, kWebhook, kHealth, kMetrics, kAlerts, kReports, kAdmin,
  kSearch, kExplain, kConsole, kOther
};
inline constexpr int kNumEndpoints = 17;
std::string_view EndpointName(Endpoint e);

// Why accept() failed: the process's descriptor limit (EMFILE), the
// system's (ENFILE), or anything else (ENOBUFS, ENOMEM, ...).
enum class AcceptError : uint8_t { kEmfile, kEnfile, kOther };
inline constexpr int kNumAcceptErrors = 3;
constexpr std::string_view AcceptErrorName(AcceptError e) {
  return e == AcceptError::kEmfile ? "emfile" : e == AcceptError::kEnfile ? "enfile" : "other";
}

class LatencyHistogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void Observe(double seconds);
  // Appends the _bucket, _sum and _count lines with `labels` (e.g. endpoint="ingest").
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

// Team response times as agents record them (POST .../events): for each
// message, arrival to its first `replied` and to its first `resolved`, in
// calendar time, by queue. GET /v1/metrics/summary has the exact
// conversation-level, business-hours figures; these are for dashboards.
class ResponseHistograms {
 public:
  static constexpr std::array<double, 11> kBounds = {60,    300,   900,    1800,   3600,  7200,
                                                     14400, 28800, 86400, 259200, 604800};
  // kind: "first_response" or "resolution".
  void Observe(const std::string& kind, const std::string& queue, double seconds);
  void Render(std::string* out) const;

 private:
  struct Counts {
    std::array<uint64_t, kBounds.size() + 1> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Counts> counts_;  // (kind, queue)
};

struct ServerMetrics {
  std::atomic<uint64_t> ingest_stored{0};
  std::atomic<uint64_t> ingest_duplicate{0};
  std::atomic<uint64_t> ingest_rejected_lines{0};
  std::array<std::atomic<uint64_t>, kNumLabels> labeled{};
  std::array<std::atomic<uint64_t>, kNumEndpoints> requests{};
  std::array<std::atomic<uint64_t>, 6> responses_by_class{};  // index: status / 100
  std::atomic<uint64_t> rejected_busy{0};
  std::atomic<uint64_t> rejected_connections{0};
  // accept() failures, by AcceptError, and the connections answered 503 and
  // closed because the process was out of file descriptors (HttpServer).
  std::array<std::atomic<uint64_t>, kNumAcceptErrors> accept_errors{};
  std::atomic<uint64_t> accept_shed{0};
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  std::atomic<uint64_t> connections_open{0};
  // Webhooks: requests refused by signature or token, by platform; events
  // that were recognised but are not new messages.
  std::array<std::atomic<uint64_t>, 9> webhook_rejected{};  // index: platform slot (see api.cc)
  std::atomic<uint64_t> webhook_edits{0}, webhook_deletes{0}, webhook_echoes{0}, webhook_ignored{0};
  std::atomic<uint64_t> webhook_unattributed{0};
  // Requests refused by authentication, by reason (AuthFailure).
  std::array<std::atomic<uint64_t>, kNumAuthFailures> auth_failures{};
  // TLS handshakes that failed (plain HTTP on the TLS port among them).
  std::atomic<uint64_t> tls_handshake_failures{0};  // brand replies with no open message to attach to
  std::array<LatencyHistogram, kNumEndpoints> latency;
  ResponseHistograms responses;
  // Messages stored in the last hour, per minute (GET /v1/arrivals).
  ArrivalCounter arrivals;
  // Components beside the daemon (the Kafka bridge of `serve --kafka`) append
  // their own metrics to GET /metrics. Registered before the server runs;
  // each must be safe to call from the server's threads.
  std::vector<std::function<void(std::string*)>> sources;

  void RecordResponse(Endpoint e, unsigned status, double seconds);
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_METRICS_H_
