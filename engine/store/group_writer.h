// GroupWriter: the one thread that writes a store's database, in group
// commits. Callers Submit operations; the writer takes up to max_group_ops
// pending ones at a time and, holding the store's mutex, builds one
// rocksdb::WriteBatch from
//
//   before(batch)     the store's periodic work (expiry of leases and agents),
//   op.apply(batch)   each operation, in submission order,
//   after(batch)      the store's bookkeeping (its counters),
//
// then, without the mutex, writes the batch if it holds anything (one WAL
// sync for the whole group when `sync`), and only then calls each operation's
// complete(status): a completion reports a durable result, and one sync is
// paid for many operations. With nothing pending the writer still wakes every
// idle_wakeup_ms and runs before/after, so that time-driven work (a lease
// running out) happens without traffic.
//
// Admission is decided at once, in Submit: beyond max_pending_ops waiting, an
// operation completes with Busy ("busy: too many pending writes", HTTP 503)
// rather than letting the queue and its latency grow; after shutdown began,
// Busy ("busy: shutting down"). A writer made read-only refuses everything
// with IOError and starts no thread.
//
// If a write fails, the writer stops writing: no further call reaches the
// database until the store has recovered. The store's in-memory state holds
// the group's effects and no longer matches the database, so the writer asks
// the store to recover (`recover`, on the writer thread, which is therefore
// the only thread that can touch the database handle while it does): at once
// (then the operations of the failed group, and those still waiting, complete
// with the error), then every recovery_interval_ms, and at once again on
// RequestRecovery().
// While failed, Submit refuses with the status the last `recover` returned
// (the store's "read-only: no space left on device" and the like); once
// `recover` returns OK the writer takes operations again.
//
// It knows nothing of messages: what an operation does is its apply.
//
// Thread safety: Submit, pending() and failed() may be called from any
// thread. apply, before and after run on the writer thread with the store's
// mutex held; complete runs on the writer thread without it (or, for a
// refused operation, on the thread that called Submit). The destructor lets
// the writer finish every operation submitted before it, then joins it.
#ifndef TRIAGE_ENGINE_STORE_GROUP_WRITER_H_
#define TRIAGE_ENGINE_STORE_GROUP_WRITER_H_

#include <rocksdb/db.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"

namespace triage {

// A RocksDB result as a Status: NotFound ("<what>: not found") or IOError
// ("<what>: <RocksDB's message>"). Shared by the writer and the store's reads.
Status FromRocks(const rocksdb::Status& s, const std::string& what);

class GroupWriter {
 public:
  using Apply = std::function<void(rocksdb::WriteBatch&)>;
  // Writes one group's batch (with the WAL sync, when the store syncs).
  using Write = std::function<rocksdb::Status(rocksdb::WriteBatch*)>;
  // Makes the store writable again after `failure` (`fresh`: the write that
  // just failed; else a retry): OK, or why it is still read-only (what
  // refused operations are answered with).
  using Recover = std::function<Status(const Status& failure, bool fresh)>;
  struct Op {
    Apply apply;                           // on the writer, under the store's mutex
    std::function<void(Status)> complete;  // after the group's write (or at once if refused)
  };

  struct Options {
    bool sync = true;              // fsync the WAL once per group
    size_t max_pending_ops = 10000;
    size_t max_group_ops = 4096;
    int64_t idle_wakeup_ms = 1000;
    bool read_only = false;        // refuse every operation; no thread
    int64_t recovery_interval_ms = 5000;  // between recovery attempts while failed
    // Not OK: start failed (the store could not be opened for writing), as
    // after a write failure, with the first retry one interval later.
    Status initial_failure;
  };

  // `mu` must outlive the writer. `before` and `after` run once per group
  // (also for a group of no operations).
  GroupWriter(Write write, Options options, std::mutex* mu, Apply before, Apply after, Recover recover);
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  void Submit(Op op);
  size_t pending() const;
  // A write failed and the store has not recovered yet: operations are refused.
  bool failed() const { return failed_; }
  // Try to recover now rather than at the next interval (SIGHUP). No effect
  // when not failed.
  void RequestRecovery();

 private:
  void Run();
  // Failed: waits for the next attempt, then makes it. False when stopping.
  bool RecoverStep();

  const Write write_;
  const Options opts_;
  std::mutex* const mu_;  // the store's: guards what apply/before/after touch
  const Apply before_;
  const Apply after_;
  const Recover recover_;

  mutable std::mutex qmu_;  // guards pending_, stopping_, failure_ and the recovery schedule
  std::condition_variable qcv_;
  std::deque<Op> pending_;
  bool stopping_ = false;
  std::atomic<bool> failed_{false};  // written under qmu_; read anywhere
  Status failure_;                   // while failed: what Submit answers
  bool recovery_requested_ = false;
  std::chrono::steady_clock::time_point next_recovery_;
  std::thread thread_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_GROUP_WRITER_H_
