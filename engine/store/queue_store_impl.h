// QueueStore's private state, shared by the files that implement it
// (queue_store.cc: open, recovery and the writes; queue_store_reads.cc: the
// queries). Not part of the store's interface: include queue_store.h.
#ifndef TRIAGE_ENGINE_STORE_QUEUE_STORE_IMPL_H_
#define TRIAGE_ENGINE_STORE_QUEUE_STORE_IMPL_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/store/aggregates.h"
#include "engine/store/assignment.h"
#include "engine/store/group_writer.h"
#include "engine/store/queue_index.h"
#include "engine/store/queue_store.h"
#include "engine/store/store_format.h"
#include "engine/store/store_health.h"

namespace triage {

// Whether a process (this one included) holds RocksDB's lock on
// `lock_file` (DIR/LOCK): whether a writer has the database open.
bool DatabaseLockHeld(const std::string& lock_file);

// Carried from an operation's apply to its completion: tells the router
// that entries it routed are durable.
struct OutboxNote {
  std::shared_ptr<const OutboxRouter> router;
  size_t written = 0;
  void Notify(const Status& st) const {
    if (st.ok() && written > 0 && router) router->Written();
  }
};

struct QueueStore::Impl {
  explicit Impl(QueueStoreOptions o) : opts(std::move(o)), assignment(opts.assignment, opts.agent_ttl_ms, &index) {}

  using OutboxCounts = QueueStore::OutboxCounts;
  QueueStoreOptions opts;
  std::string dir;         // the data directory, as opened
  bool read_only = false;  // OpenReadOnly: no writes, no flush

  // The database handle. Replaced only by the writer thread (recovery), with
  // db_mu held exclusively and mu held; every other thread uses the handle
  // (and `handles`, `db_writable`) only while holding db_mu shared, which
  // ReadLock() takes. Null only if a recovery could open the database in no
  // way; reads then fail with IOError.
  mutable std::shared_mutex db_mu;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by ColumnFamily
  bool db_writable = false;  // opened for writing (not OpenForReadOnly)
  rocksdb::ColumnFamilyHandle* cf(ColumnFamily c) const { return handles[c]; }
  // A message's archive and decision lines (the decision "" if none); the
  // caller holds ReadLock() or is the writer thread.
  Status ReadLines(const std::string& id, std::string* raw, std::string* decision) const;
  std::shared_lock<std::shared_mutex> ReadLock() const { return std::shared_lock<std::shared_mutex>(db_mu); }
  static Status Unavailable() { return Status::IOError("the store's database is not open (recovery failed)"); }

  // Open parameters, kept for reopening (store_recovery.cc).
  rocksdb::DBOptions dbo;
  std::vector<rocksdb::ColumnFamilyDescriptor> cf_descs;
  StoreHealth health;
  // Opens the database into db/handles, for writing or with OpenForReadOnly.
  rocksdb::Status OpenDb(bool for_write);
  // Closes it (handles destroyed first).
  void CloseDb();
  // GroupWriter's recover hook: closes the database, opens it for writing
  // (else read-only), rebuilds the index from it. On the writer thread.
  Status TryRecover(const Status& failure, bool fresh);
  void Log(const std::string& line) const;

  // Guards the index, the assignment, the counters and group_bodies. The
  // writer holds it while it applies a group; reads while they look.
  mutable std::mutex mu;
  QueueIndex index;
  Assignment assignment;
  uint64_t next_seq = 1;
  uint64_t next_event_seq = 1;
  // Bodies of messages ingested in the group being applied (not yet readable
  // from RocksDB), for claims and duplicates in the same group.
  std::unordered_map<std::string, std::pair<std::string, std::string>> group_bodies;
  // Dedupe keys of events recorded in the group being applied.
  std::unordered_set<std::string> group_dedupe;
  // Messages an event or a content change wrote in the group being applied:
  // a retention sweep (retention.h), which reads the database, leaves them.
  std::unordered_set<std::string> group_touched;

  // The outbox (queue_store_outbox.cc): who wants what, the next sequence
  // number, the entries per sink, and the alerts written in this group (not
  // yet readable from RocksDB), all under mu.
  std::shared_ptr<const OutboxRouter> outbox_router;
  uint64_t next_outbox_seq = 1;
  std::map<std::string, OutboxCounts> outbox_counts;
  std::unordered_map<std::string, std::string> group_alerts;
  // Writes the outbox entries `s` is routed to; returns how many.
  size_t EnqueueOutbox(rocksdb::WriteBatch& b, const OutboxSubject& s, std::string_view conversation,
                       std::string payload);
  // The outbox entries of a newly stored message.
  size_t EnqueueMessage(rocksdb::WriteBatch& b, const IngestItem& item);
  // The outbox entries of an alert record's change, if it changed.
  size_t EnqueueAlert(rocksdb::WriteBatch& b, const AlertRecord& a);
  Status RecoverOutbox();

  std::unique_ptr<GroupWriter> writer;  // made once recovery is done

  // The aggregates changed by the group being applied (aggregates.h),
  // written into its batch by AfterGroup.
  AggregateCache agg_cache;
  const ConversationAggregator* aggregator() const { return opts.aggregator.get(); }

  void PutState(rocksdb::WriteBatch& b, const std::string& id, const MessageState& s) {
    b.Put(cf(kStateCf), id, EncodeState(s));
  }
  Assignment::StateSink Sink(rocksdb::WriteBatch& b) {
    return [this, &b](const std::string& id, const MessageState& s) { PutState(b, id, s); };
  }

  // Returns expired leases to their queue (or straight to an agent).
  void ExpireLeases(rocksdb::WriteBatch& b, int64_t now) {
    while (std::optional<std::string> id = index.NextExpiredLease(now)) {
      MessageState& s = index.At(*id);
      index.RemoveLease(*id, s);
      s.status = MessageStatus::kQueued;
      s.agent.clear();
      s.lease_until = 0;
      index.AddReady(*id, s);
      PutState(b, *id, s);
      assignment.TryAssign(*id, s, now, Sink(b));
    }
  }

  // The writer's hooks, around each group's operations.
  void BeforeGroup(rocksdb::WriteBatch& b) {
    int64_t now = opts.now_ms();
    ExpireLeases(b, now);
    assignment.ExpireAgents(now, Sink(b));
    group_bodies.clear();
    group_dedupe.clear();
    group_alerts.clear();
    group_touched.clear();
    agg_cache.Reset(db.get(), cf(kAggregatesCf));
  }
  void AfterGroup(rocksdb::WriteBatch& b) {
    group_bodies.clear();
    group_dedupe.clear();
    group_touched.clear();
    agg_cache.WriteTo(b);
    if (b.Count() == 0) return;  // the counters move only with a write
    std::string v;
    PutBE64(next_seq, &v);
    b.Put(cf(kDefaultCf), kNextSeqKey, v);
    v.clear();
    PutBE64(next_event_seq, &v);
    b.Put(cf(kDefaultCf), kNextEventSeqKey, v);
  }

  Status Recover() {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf(kStateCf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      MessageState s;
      std::string id = it->key().ToString();
      if (!DecodeState(it->value().ToString(), &s)) return Status::Corruption("state of message '" + id + "' is unreadable");
      next_seq = std::max(next_seq, s.seq + 1);
      if (s.status == MessageStatus::kDone || s.status == MessageStatus::kDeleted) continue;
      if (s.status == MessageStatus::kQueued) index.AddReady(id, s);
      else if (s.status == MessageStatus::kAssigned) assignment.Restore(id, s, opts.now_ms());
      else index.AddLease(id, s);
      index.Activate(id, std::move(s));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "recovery scan");
    std::string v;
    if (db->Get(rocksdb::ReadOptions(), cf(kDefaultCf), kNextSeqKey, &v).ok()) next_seq = std::max(next_seq, GetBE64(v));
    if (db->Get(rocksdb::ReadOptions(), cf(kDefaultCf), kNextEventSeqKey, &v).ok()) next_event_seq = GetBE64(v);
    return RecoverOutbox();
  }

  // Pairs each id with its stored decision line. Takes the db lock.
  std::vector<std::pair<std::string, std::string>> WithDecisions(std::vector<std::string> ids) const {
    std::vector<std::pair<std::string, std::string>> out;
    auto dl = ReadLock();
    for (auto& id : ids) {
      std::string d;
      if (db) db->Get(rocksdb::ReadOptions(), cf(kDecisionsCf), id, &d);
      out.emplace_back(std::move(id), std::move(d));
    }
    return out;
  }
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_QUEUE_STORE_IMPL_H_
