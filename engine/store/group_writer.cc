#include "engine/store/group_writer.h"

#include <chrono>
#include <utility>
#include <vector>

namespace triage {

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(what + ": not found");
  if (s.IsNoSpace()) return Status::NoSpace(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

GroupWriter::GroupWriter(Write write, Options options, std::mutex* mu, Apply before, Apply after, Recover recover)
    : write_(std::move(write)),
      opts_(std::move(options)),
      mu_(mu),
      before_(std::move(before)),
      after_(std::move(after)),
      recover_(std::move(recover)) {
  if (!opts_.initial_failure.ok()) {
    failed_ = true;
    failure_ = opts_.initial_failure;
    next_recovery_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.recovery_interval_ms);
  }
  if (!opts_.read_only) thread_ = std::thread([this] { Run(); });
}

GroupWriter::~GroupWriter() {
  {
    std::lock_guard<std::mutex> l(qmu_);
    stopping_ = true;
  }
  qcv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GroupWriter::Submit(Op op) {
  Status refusal;
  {
    std::lock_guard<std::mutex> l(qmu_);
    if (!opts_.read_only && !stopping_ && !failed_ && pending_.size() < opts_.max_pending_ops) {
      pending_.push_back(std::move(op));
      qcv_.notify_one();
      return;
    }
    if (opts_.read_only) refusal = Status::IOError("store opened read-only");
    else if (failed_) refusal = failure_;
    else if (stopping_) refusal = Status::Busy("busy: shutting down");
    else refusal = Status::Busy("busy: too many pending writes");
  }
  op.complete(refusal);
}

size_t GroupWriter::pending() const {
  std::lock_guard<std::mutex> l(qmu_);
  return pending_.size();
}

void GroupWriter::RequestRecovery() {
  std::lock_guard<std::mutex> l(qmu_);
  if (!failed_) return;
  recovery_requested_ = true;
  qcv_.notify_one();
}

bool GroupWriter::RecoverStep() {
  Status failure;
  {
    std::unique_lock<std::mutex> l(qmu_);
    qcv_.wait_until(l, next_recovery_, [&] { return stopping_ || recovery_requested_; });
    if (stopping_) return false;
    recovery_requested_ = false;
    failure = failure_;
  }
  Status s = recover_(failure, /*fresh=*/false);
  std::lock_guard<std::mutex> l(qmu_);
  if (s.ok()) {
    failure_ = Status::OK();
    failed_ = false;
  } else {
    failure_ = s;
    next_recovery_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.recovery_interval_ms);
  }
  return true;
}

void GroupWriter::Run() {
  for (;;) {
    if (failed_) {
      // No call reaches the database until the store has recovered (a
      // RocksDB whose write failed must not be written again as it is).
      if (!RecoverStep()) return;
      continue;
    }
    std::vector<Op> group;
    {
      std::unique_lock<std::mutex> l(qmu_);
      qcv_.wait_for(l, std::chrono::milliseconds(opts_.idle_wakeup_ms), [&] { return stopping_ || !pending_.empty(); });
      while (!pending_.empty() && group.size() < opts_.max_group_ops) {
        group.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      if (group.empty() && stopping_) return;
    }
    rocksdb::WriteBatch batch;
    {
      std::lock_guard<std::mutex> l(*mu_);
      before_(batch);
      for (Op& op : group) op.apply(batch);
      after_(batch);
    }
    Status st;
    if (batch.Count() > 0) st = FromRocks(write_(&batch), "write");
    std::deque<Op> unwritten;
    if (!st.ok()) {
      {
        std::lock_guard<std::mutex> l(qmu_);
        failed_ = true;
        failure_ = st;
        unwritten.swap(pending_);  // applied to nothing; refused like later ones
      }
      // Recover at once, before anyone hears of the failure: the store
      // rebuilds its state from what is durable (and turns writable again
      // if the disk allows it), so a caller told of the error reads a store
      // without the failed group's effects.
      Status r = recover_(st, /*fresh=*/true);
      {
        std::lock_guard<std::mutex> l(qmu_);
        if (r.ok()) {
          failed_ = false;
          failure_ = Status::OK();
        } else {
          failure_ = r;
          next_recovery_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.recovery_interval_ms);
        }
      }
      for (Op& op : unwritten) op.complete(r.ok() ? st : r);
    }
    for (Op& op : group) op.complete(st);
  }
}

}  // namespace triage
