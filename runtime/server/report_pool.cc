#include "runtime/server/report_pool.h"

#include <utility>

namespace triage {

ReportPool::ReportPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

ReportPool::~ReportPool() { Stop(); }

bool ReportPool::Post(Job job) {
  std::lock_guard<std::mutex> l(mu_);
  if (stopping_ || jobs_.size() >= max_queued_) return false;
  jobs_.push_back(std::move(job));
  cv_.notify_one();
  return true;
}

void ReportPool::Stop() {
  std::deque<Job> left;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    left.swap(jobs_);
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  for (Job& j : left) j(/*refused=*/true);
}

void ReportPool::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job(/*refused=*/false);
  }
}

}  // namespace triage
