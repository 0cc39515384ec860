// QueueStore's recovery from a failed write: close the database, open it
// again, rebuild the in-memory state from what is durable. Runs on the writer
// thread (GroupWriter's recover hook), the only thread that replaces the
// database handle; see queue_store.h for the locking.
//
// Why close and reopen rather than RocksDB's DB::Resume(): a reopen is the
// same path as a restart (WAL replay, point-in-time recovery of a torn tail),
// it also serves the store that started read-only, and the rebuilt index is
// the one a restart would build. Resume() was tried with this RocksDB (7.8):
// it works once RocksDB's own no-space recovery is out of the way, but it
// leaves the in-memory index to be rebuilt anyway and adds a second path.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "engine/store/queue_store.h"
#include "engine/store/queue_store_impl.h"

namespace triage {

void QueueStore::Impl::Log(const std::string& line) const {
  if (opts.log) opts.log(line);
  else std::fprintf(stderr, "%s\n", line.c_str());
}

rocksdb::Status QueueStore::Impl::OpenDb(bool for_write) {
  // Column families added since a database was made (store_format.h) are
  // created by a read-write open, and left out of a read-only one (their
  // handles stay null).
  std::vector<std::string> existing;
  const bool is_new = !rocksdb::DB::ListColumnFamilies(dbo, dir, &existing).ok();
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  std::vector<size_t> opened;  // index in cf_descs of each descriptor
  for (size_t c = 0; c < cf_descs.size(); ++c) {
    const bool exists = is_new || std::find(existing.begin(), existing.end(), cf_descs[c].name) != existing.end();
    if (!for_write && !exists) continue;
    descs.push_back(cf_descs[c]);
    opened.push_back(c);
  }
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::Status s = for_write ? rocksdb::DB::Open(dbo, dir, descs, &h, &raw)
                                : rocksdb::DB::OpenForReadOnly(dbo, dir, descs, &h, &raw);
  if (!s.ok()) return s;
  db.reset(raw);
  handles.assign(cf_descs.size(), nullptr);
  for (size_t i = 0; i < opened.size(); ++i) handles[opened[i]] = h[i];
  db_writable = for_write;
  return s;
}

void QueueStore::Impl::CloseDb() {
  if (!db) return;
  for (auto* h : handles)
    if (h) db->DestroyColumnFamilyHandle(h);
  handles.clear();
  // A database whose write failed reports that error again here; closing
  // it is still complete.
  (void)db->Close();
  db.reset();
  db_writable = false;
}

Status QueueStore::Impl::TryRecover(const Status& failure, bool fresh) {
  if (fresh) {
    health.SetReadOnly(failure, /*count_failure=*/true);
    Log(StoreHealth::FailureLine(failure, /*at_open=*/false));
  }
  std::unique_lock<std::shared_mutex> dl(db_mu);  // waits for the reads in progress
  std::lock_guard<std::mutex> l(mu);
  CloseDb();
  rocksdb::Status w = OpenDb(/*for_write=*/true);
  Status cause;
  if (!w.ok()) {
    cause = FromRocks(w, "reopen");
    rocksdb::Status r = OpenDb(/*for_write=*/false);
    if (!r.ok()) {
      health.StillReadOnly(cause);
      Log("store: cannot open the database even read-only (" + r.ToString() + "); reads fail until recovery works");
    }
  }
  // The index is rebuilt from the database whether or not it is writable:
  // it held the failed group's effects, which are not durable.
  index = QueueIndex();
  std::destroy_at(&assignment);
  std::construct_at(&assignment, opts.assignment, opts.agent_ttl_ms, &index);
  group_bodies.clear();
  group_dedupe.clear();
  group_alerts.clear();
  if (db) {
    if (Status rs = Recover(); !rs.ok()) {
      // Unreadable state: never take writes over it. Stay read-only; the
      // next attempt reads again.
      if (cause.ok()) cause = rs;
      Log("store: recovery scan failed: " + rs.message());
    }
  }
  if (cause.ok()) {
    health.SetWritable();
    Log("store: writable again: the database was reopened and the queues rebuilt from it");
    return Status::OK();
  }
  health.StillReadOnly(cause);
  return health.Refusal();
}

}  // namespace triage
