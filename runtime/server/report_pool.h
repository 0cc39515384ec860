// ReportPool: where GET /v1/metrics/summary and /v1/maturity are computed,
// off the I/O threads. A report reads thousands of aggregate records (and,
// when the aggregates cannot answer, every stored message): on an I/O thread
// it would hold up every other request of that thread, /healthz included.
// The I/O thread hands the work here and goes on; the work answers the
// request from the pool's thread (a Respond may be called from any thread,
// api.h).
//
// A fixed number of threads takes jobs in order from a bounded queue; a job
// beyond `max_queued` waiting is refused (Post returns false: the API
// answers 503 with Retry-After) instead of growing the wait for everyone.
// Stop (and the destructor) lets the threads finish the jobs already taken
// and refuses the rest, which run with `refused` set so they still answer.
#ifndef TRIAGE_RUNTIME_SERVER_REPORT_POOL_H_
#define TRIAGE_RUNTIME_SERVER_REPORT_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace triage {

class ReportPool {
 public:
  // `refused`: the pool stopped before running it (answer 503).
  using Job = std::function<void(bool refused)>;
  ReportPool(size_t threads, size_t max_queued);
  ~ReportPool();  // Stop()
  ReportPool(const ReportPool&) = delete;
  ReportPool& operator=(const ReportPool&) = delete;

  // False, without running `job`, when `max_queued` jobs are waiting or the
  // pool has stopped.
  bool Post(Job job);
  void Stop();

 private:
  void Run();
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_REPORT_POOL_H_
