#include "engine/store/group_writer.h"

#include <chrono>
#include <utility>
#include <vector>

namespace triage {

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(what + ": not found");
  return Status::IOError(what + ": " + s.ToString());
}

GroupWriter::GroupWriter(rocksdb::DB* db, Options options, std::mutex* mu, Apply before, Apply after)
    : db_(db), opts_(options), mu_(mu), before_(std::move(before)), after_(std::move(after)) {
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
  {
    std::lock_guard<std::mutex> l(qmu_);
    if (!opts_.read_only && !stopping_ && !failed_ && pending_.size() < opts_.max_pending_ops) {
      pending_.push_back(std::move(op));
      qcv_.notify_one();
      return;
    }
  }
  if (opts_.read_only) op.complete(Status::IOError("store opened read-only"));
  else if (failed_) op.complete(Status::IOError("store is read-only after a write failure; restart to recover"));
  else if (stopping_) op.complete(Status::Busy("busy: shutting down"));
  else op.complete(Status::Busy("busy: too many pending writes"));
}

size_t GroupWriter::pending() const {
  std::lock_guard<std::mutex> l(qmu_);
  return pending_.size();
}

void GroupWriter::Run() {
  for (;;) {
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
    if (batch.Count() > 0) {
      rocksdb::WriteOptions wo;
      wo.sync = opts_.sync;
      st = FromRocks(db_->Write(wo, &batch), "write");
      if (!st.ok()) failed_ = true;
    }
    for (Op& op : group) op.complete(st);
  }
}

}  // namespace triage
