// StoreHealth: whether a QueueStore can write, and if not, why.
//
// A store is writable, or read-only because a write to its database failed
// (or opening it for writing failed at start-up). Read-only, it refuses every
// mutation with the cause (Status::NoSpace when the disk is full, IOError for
// any other I/O error) and keeps answering reads from what is durable. It
// tries to become writable again by itself (queue_store.h: recovery); each
// success is counted, as is each failed write.
//
// Nothing here touches RocksDB: it is the state the store, /readyz and
// /metrics share. Thread-safe.
#ifndef TRIAGE_ENGINE_STORE_STORE_HEALTH_H_
#define TRIAGE_ENGINE_STORE_STORE_HEALTH_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "base/status.h"

namespace triage {

// A snapshot, for readiness and metrics.
struct StoreHealthInfo {
  bool writable = true;
  bool no_space = false;        // read-only because the disk is full
  std::string cause;            // read-only: why, for a person ("" when writable)
  uint64_t write_failures = 0;  // writes (group commits) the database refused since start
  uint64_t recoveries = 0;      // times the store became writable again since start
};

class StoreHealth {
 public:
  // A write failed with `cause` (or the database could not be opened for
  // writing): read-only from now on. Counts a write failure unless
  // `count_failure` is false (start-up).
  void SetReadOnly(const Status& cause, bool count_failure);
  // A recovery attempt failed again, with `cause` (which may differ).
  void StillReadOnly(const Status& cause);
  // Writable again.
  void SetWritable();

  StoreHealthInfo Get() const;
  // What a refused mutation is answered with while read-only: NoSpace or
  // IOError, naming the cause and what to do.
  Status Refusal() const;

  // The one log line for a failure, e.g. "store: write failed (No space left
  // on device): read-only until space is freed".
  static std::string FailureLine(const Status& cause, bool at_open);
  // A short cause: "No space left on device" or RocksDB's message.
  static std::string ShortCause(const Status& cause);

 private:
  mutable std::mutex mu_;
  StoreHealthInfo info_;
  Status cause_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_STORE_HEALTH_H_
