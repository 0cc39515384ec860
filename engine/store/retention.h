// Retention: closed messages of a queue older than the queue's limit are
// dropped from the store, with everything kept for them (archive line,
// decision, state, events, author-index entry). The report aggregates
// (aggregates.h) are not touched: a report over an old period answers the
// same after a sweep as before it.
//
// Closed: done (a person replied, resolved, moved or escalated it) or
// deleted on the platform. Its age is measured in event time, as the
// reports are: from the latest of its arrival (created_at, else when it was
// stored) and the times of its events, to the store's clock. Its queue is the
// one it is on now (after any reroute). A message the current group of
// writes touched is left for the next sweep.
//
// Why a sweep on the writer and not a RocksDB compaction filter: a filter
// sees one column family's keys one at a time, with no way to read the
// state and events of the same message, and would drop the five column
// families' entries at different times (a state without its message line
// in between), while the in-memory index and the author index must change
// with them. A sweep is an ordinary write: each step reads a bounded run of
// the state column family and deletes in one batch, atomically, between
// other writes, so ingest waits for at most one step.
#ifndef TRIAGE_ENGINE_STORE_RETENTION_H_
#define TRIAGE_ENGINE_STORE_RETENTION_H_

#include <cstdint>
#include <map>
#include <string>

namespace triage {

// Per queue, how long closed messages are kept (ms); queues not listed keep
// them for ever.
using RetentionPolicy = std::map<std::string, int64_t>;

struct RetentionSweep {
  std::map<std::string, uint64_t> dropped;  // by queue
  uint64_t visited = 0;
  uint64_t steps = 0;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_RETENTION_H_
