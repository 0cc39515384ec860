#include "runtime/server/retention_job.h"

#include <chrono>

#include "base/json_writer.h"

namespace triage {

RetentionJob::RetentionJob(QueueStore* store, RetentionPolicy policy, int64_t interval_ms, Log log)
    : store_(store), policy_(std::move(policy)), interval_ms_(interval_ms), log_(std::move(log)) {
  for (const auto& [queue, ms] : policy_) dropped_[queue] = 0;
  if (policy_.empty()) return;
  thread_ = std::thread([this] {
    // The first sweep a little after start, so that it does not compete
    // with the detector warm-up and the first requests.
    auto wait = std::chrono::milliseconds(std::min<int64_t>(interval_ms_, 10'000));
    for (;;) {
      {
        std::unique_lock<std::mutex> l(mu_);
        if (cv_.wait_for(l, wait, [&] { return stopping_; })) return;
      }
      SweepOnce();
      wait = std::chrono::milliseconds(interval_ms_);
    }
  });
}

RetentionJob::~RetentionJob() { Stop(); }

void RetentionJob::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status RetentionJob::SweepOnce() {
  RetentionSweep sweep;
  Status s = store_->SweepRetention(policy_, &sweep);
  uint64_t total = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [queue, n] : sweep.dropped) {
      dropped_[queue] += n;
      total += n;
    }
  }
  if (!s.ok()) {
    log_("retention: sweep stopped after " + std::to_string(sweep.visited) + " messages: " + s.message());
    return s;
  }
  last_sweep_s_ = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  log_("retention: swept " + std::to_string(sweep.visited) + " messages, dropped " + std::to_string(total));
  return s;
}

void RetentionJob::AppendMetrics(std::string* out) const {
  *out += "# HELP triage_retention_dropped_total Closed messages dropped by the retention sweep, by queue.\n"
          "# TYPE triage_retention_dropped_total counter\n";
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [queue, n] : dropped_) {
      *out += "triage_retention_dropped_total{queue=";
      AppendJsonString(queue, out);
      *out += "} " + std::to_string(n) + "\n";
    }
  }
  *out += "# HELP triage_retention_last_sweep_timestamp_seconds When the last retention sweep ended (0: none yet).\n"
          "# TYPE triage_retention_last_sweep_timestamp_seconds gauge\n"
          "triage_retention_last_sweep_timestamp_seconds " +
          std::to_string(last_sweep_s_.load()) + "\n";
}

}  // namespace triage
