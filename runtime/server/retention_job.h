// RetentionJob: runs the store's retention sweep (engine/store/retention.h)
// for the queues with `retention_days`, once soon after start and then every
// `retention_sweep_seconds`, on a thread of its own (a sweep visits every
// stored message; the writer takes it in steps between other writes).
//
// Metrics: triage_retention_dropped_total{queue} (messages dropped since
// start) and triage_retention_last_sweep_timestamp_seconds (when the last sweep ended,
// 0 before the first).
#ifndef TRIAGE_RUNTIME_SERVER_RETENTION_JOB_H_
#define TRIAGE_RUNTIME_SERVER_RETENTION_JOB_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "engine/store/queue_store.h"

namespace triage {

class RetentionJob {
 public:
  using Log = std::function<void(const std::string&)>;
  // `store` must outlive the job (or its Stop()). No thread when `policy`
  // is empty.
  RetentionJob(QueueStore* store, RetentionPolicy policy, int64_t interval_ms, Log log);
  ~RetentionJob();  // Stop()
  RetentionJob(const RetentionJob&) = delete;
  RetentionJob& operator=(const RetentionJob&) = delete;

  // Waits for a sweep in progress to finish its current step run, then
  // ends the thread. Idempotent.
  void Stop();
  // Runs one sweep now, on the calling thread (tests, and the job's thread).
  Status SweepOnce();
  void AppendMetrics(std::string* out) const;

 private:
  QueueStore* store_;
  const RetentionPolicy policy_;
  const int64_t interval_ms_;
  Log log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, uint64_t> dropped_;  // under mu_
  std::atomic<int64_t> last_sweep_s_{0};
  std::thread thread_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_RETENTION_JOB_H_
