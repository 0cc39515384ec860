// QueueStore: open and recovery, and each public operation as the glue
// between the rooms: what an operation does to a message's state is here;
// the bytes are in store_format, the queues in queue_index, the choice of an
// agent in assignment, the writer thread in group_writer.
#include "engine/store/queue_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "engine/store/queue_store_impl.h"
#include "engine/store/store_info_log.h"
#include "engine/store/redaction.h"

namespace triage {

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Declines RocksDB's automatic recovery from a background error: the store
// recovers by reopening the database on its writer thread, and a RocksDB
// resuming by itself meanwhile (its no-space recovery polls in a thread of
// its own) would race with that.
class NoAutoRecovery : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

}  // namespace

// RocksDB's lock is an fcntl write lock, taken by DB::Open. Asks with an
// open-file-description lock query: it sees classic POSIX locks of every
// process, this one included, and neither takes nor changes a lock. Closing
// the descriptor drops this process's own POSIX locks on the file, so when
// this process is the holder the descriptor is left open (a store opened
// twice by one process: never in the commands).
bool DatabaseLockHeld(const std::string& lock_file) {
  int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no LOCK: no writer has ever opened it
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  bool held = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  if (!(held && fl.l_pid == ::getpid())) ::close(fd);
  return held;
}

QueueStore::QueueStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

QueueStore::~QueueStore() {
  if (!impl_) return;
  impl_->writer.reset();  // drains: every operation submitted completes first
  impl_->CloseDb();
}

Status QueueStore::Open(const std::string& dir, QueueStoreOptions options, std::unique_ptr<QueueStore>* out) {
  return OpenImpl(dir, std::move(options), false, out);
}

Status QueueStore::OpenReadOnly(const std::string& dir, std::unique_ptr<QueueStore>* out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return Status::NotFound(dir + ": no such data directory");
  if (DatabaseLockHeld(dir + "/LOCK"))
    return Status::IOError(dir + ": the database is locked by another process");
  return OpenImpl(dir, QueueStoreOptions(), true, out);
}

Status QueueStore::OpenImpl(const std::string& dir, QueueStoreOptions options, bool read_only,
                            std::unique_ptr<QueueStore>* out) {
  if (!options.now_ms) options.now_ms = SystemNowMs;
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->dir = dir;
  impl->read_only = read_only;
  rocksdb::DBOptions& dbo = impl->dbo;
  dbo.create_if_missing = !read_only;
  dbo.create_missing_column_families = !read_only;
  dbo.max_background_jobs = 2;
  if (impl->opts.test_env) dbo.env = impl->opts.test_env;
  // RocksDB's LOG through a writer a full disk cannot abort (see
  // store_info_log.h). Not for OpenReadOnly, which must change nothing in
  // the directory (RocksDB's read-only open leaves LOG alone).
  if (!read_only) dbo.info_log = std::make_shared<StoreInfoLog>(dir);
  // The store recovers by reopening (store_recovery.cc): RocksDB's own
  // background recovery from a full disk would race with it.
  dbo.listeners.push_back(std::make_shared<NoAutoRecovery>());
  rocksdb::ColumnFamilyOptions cfo;
  // Every ingest looks its ids up in `state` to detect duplicates, and almost
  // all of them are new: a bloom filter answers most of those misses without
  // reading a block.
  rocksdb::ColumnFamilyOptions state_cfo;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  state_cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  for (int c = 0; c < kNumColumnFamilies; ++c)
    impl->cf_descs.emplace_back(std::string(kColumnFamilyNames[c]), c == kStateCf ? state_cfo : cfo);
  // A database made before the authors column family (erasure.h) gets its
  // index built from the messages once, at the first read-write open.
  bool backfill_authors = false;
  if (std::vector<std::string> existing; !read_only && rocksdb::DB::ListColumnFamilies(dbo, dir, &existing).ok())
    backfill_authors = std::find(existing.begin(), existing.end(), kColumnFamilyNames[kAuthorsCf]) == existing.end();
  // Likewise the aggregates (aggregates.h), from the messages and events.
  bool backfill_aggregates = false;
  if (std::vector<std::string> existing; !read_only && rocksdb::DB::ListColumnFamilies(dbo, dir, &existing).ok())
    backfill_aggregates =
        std::find(existing.begin(), existing.end(), kColumnFamilyNames[kAggregatesCf]) == existing.end();
  rocksdb::Status s = impl->OpenDb(/*for_write=*/!read_only);
  // A database that exists but cannot be opened for writing (a full disk,
  // an I/O error) is served read-only, and the store recovers by itself once
  // the disk allows it: a daemon that exits instead would only be restarted
  // into the same failure. Not when another process holds it (its lock).
  Status start_failure;
  if (!s.ok() && !read_only && s.IsIOError() && !DatabaseLockHeld(dir + "/LOCK")) {
    start_failure = FromRocks(s, "open");
    if (!impl->OpenDb(/*for_write=*/false).ok()) start_failure = Status::OK();  // nothing to serve: fail below
    else s = rocksdb::Status::OK();
  }
  if (!s.ok()) return Status::IOError(dir + ": cannot open the database: " + s.ToString());
  std::unique_ptr<QueueStore> store(new QueueStore(std::move(impl)));
  Impl* p = store->impl_.get();
  Status rs = p->Recover();
  if (!rs.ok()) return Status::Corruption(dir + ": " + rs.message());
  if (!start_failure.ok()) {
    p->health.SetReadOnly(start_failure, /*count_failure=*/false);
    p->Log(StoreHealth::FailureLine(start_failure, /*at_open=*/true));
  }
  if (backfill_authors && start_failure.ok())
    if (Status bs = store->BackfillAuthorIndex(); !bs.ok()) return Status::IOError(dir + ": " + bs.message());
  if (!read_only && start_failure.ok())
    if (Status as = store->PrepareAggregates(backfill_aggregates); !as.ok())
      return Status::IOError(dir + ": " + as.message());
  GroupWriter::Options wo;
  wo.sync = p->opts.sync_writes;
  wo.max_pending_ops = p->opts.max_pending_ops;
  wo.max_group_ops = p->opts.max_group_ops;
  wo.idle_wakeup_ms = p->opts.lease_check_interval_ms;  // how soon an expired lease is noticed
  wo.read_only = read_only;
  wo.recovery_interval_ms = p->opts.recovery_interval_ms;
  if (!start_failure.ok()) wo.initial_failure = p->health.Refusal();
  const bool sync = p->opts.sync_writes;
  p->writer = std::make_unique<GroupWriter>(
      [p, sync](rocksdb::WriteBatch* b) {
        rocksdb::WriteOptions o;
        o.sync = sync;
        return p->db->Write(o, b);
      },
      wo, &p->mu, [p](rocksdb::WriteBatch& b) { p->BeforeGroup(b); }, [p](rocksdb::WriteBatch& b) { p->AfterGroup(b); },
      [p](const Status& failure, bool fresh) { return p->TryRecover(failure, fresh); });
  *out = std::move(store);
  return Status::OK();
}

void QueueStore::Ingest(std::vector<IngestItem> items, std::vector<AlertRecord> alerts, IngestDone done) {
  auto outcomes = std::make_shared<std::vector<IngestResult>>();
  auto shared_items = std::make_shared<std::vector<IngestItem>>(std::move(items));
  auto shared_alerts = std::make_shared<std::vector<AlertRecord>>(std::move(alerts));
  auto note = std::make_shared<OutboxNote>();
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, outcomes, shared_items, shared_alerts, note](rocksdb::WriteBatch& b) {
        int64_t now = p->opts.now_ms();
        Assignment::StateSink put = p->Sink(b);
        note->router = p->outbox_router;
        for (const AlertRecord& a : *shared_alerts) {
          note->written += p->EnqueueAlert(b, a);
          b.Put(p->cf(kAlertsCf), a.id, a.json);
        }
        // Ids not known in memory are looked up in one MultiGet.
        std::vector<rocksdb::Slice> lookup;
        std::vector<size_t> lookup_index;
        for (size_t i = 0; i < shared_items->size(); ++i) {
          const std::string& id = (*shared_items)[i].id;
          if (!p->index.Contains(id) && !p->group_bodies.count(id)) {
            lookup.emplace_back(id);
            lookup_index.push_back(i);
          }
        }
        std::vector<bool> in_db(shared_items->size(), false);
        if (!lookup.empty()) {
          std::vector<rocksdb::PinnableSlice> values(lookup.size());
          std::vector<rocksdb::Status> statuses(lookup.size());
          p->db->MultiGet(rocksdb::ReadOptions(), p->cf(kStateCf), lookup.size(), lookup.data(), values.data(),
                          statuses.data());
          for (size_t k = 0; k < lookup.size(); ++k) in_db[lookup_index[k]] = statuses[k].ok();
        }
        for (size_t i = 0; i < shared_items->size(); ++i) {
          IngestItem& it = (*shared_items)[i];
          bool dup = in_db[i] || p->index.Contains(it.id) || p->group_bodies.count(it.id) > 0;
          if (dup) {
            IngestResult r{IngestOutcome::kDuplicate, {}};
            auto body = p->group_bodies.find(it.id);
            if (body != p->group_bodies.end()) r.stored_decision = body->second.second;
            else p->db->Get(rocksdb::ReadOptions(), p->cf(kDecisionsCf), it.id, &r.stored_decision);
            outcomes->push_back(std::move(r));
            continue;
          }
          MessageState s;
          s.queue = it.queue;
          s.priority = it.priority;
          s.seq = p->next_seq++;
          s.received_ms = now;
          s.conversation_id = it.conversation_id;
          b.Put(p->cf(kMessagesCf), it.id, it.raw);
          b.Put(p->cf(kDecisionsCf), it.id, it.decision);
          if (it.channel.empty()) ReadAuthor(it.raw, &it.channel, &it.author_id);
          if (!it.author_id.empty()) b.Put(p->cf(kAuthorsCf), AuthorKey(it.channel, it.author_id, it.id), "");
          p->PutState(b, it.id, s);
          p->index.AddReady(it.id, s);
          p->group_bodies[it.id] = {it.raw, it.decision};
          MessageState& placed = p->index.Activate(it.id, std::move(s));
          p->assignment.TryAssign(it.id, placed, now, put);
          AggregateMessage(p->agg_cache, p->aggregator(), it.id, it.raw, it.decision, now);
          outcomes->push_back(IngestResult{IngestOutcome::kStored, {}});
          note->written += p->EnqueueMessage(b, it);
        }
      },
      [outcomes, note, done = std::move(done)](Status st) {
        note->Notify(st);
        done(st, st.ok() ? std::move(*outcomes) : std::vector<IngestResult>{});
      }});
}

void QueueStore::Claim(std::string queue, std::string agent, size_t max_messages, int64_t lease_ms, ClaimDone done) {
  ClaimImpl(std::move(queue), "", std::move(agent), max_messages, lease_ms, std::move(done));
}

void QueueStore::ClaimMessage(std::string queue, std::string id, std::string agent, int64_t lease_ms, ClaimDone done) {
  ClaimImpl(std::move(queue), std::move(id), std::move(agent), 1, lease_ms, std::move(done));
}

void QueueStore::ClaimImpl(std::string queue, std::string only_id, std::string agent, size_t max_messages,
                           int64_t lease_ms, ClaimDone done) {
  auto claimed = std::make_shared<std::vector<ClaimedMessage>>();
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, claimed, queue = std::move(queue), only_id = std::move(only_id), agent = std::move(agent), max_messages,
       lease_ms](rocksdb::WriteBatch& b) {
        std::vector<std::string> ids;
        if (only_id.empty()) {
          ids = p->index.ReadyIds(queue, max_messages);
        } else if (const MessageState* s = p->index.Find(only_id);
                   s && s->status == MessageStatus::kQueued && s->queue == queue) {
          ids.push_back(only_id);  // ready on this queue (queued and open: on its ready list)
        }
        if (ids.empty()) return;
        int64_t until = p->opts.now_ms() + lease_ms;
        for (const std::string& id : ids) {
          MessageState& s = p->index.At(id);
          p->index.RemoveReady(s);
          s.status = MessageStatus::kClaimed;
          s.agent = agent;
          s.lease_until = until;
          p->index.AddLease(id, s);
          p->PutState(b, id, s);
          ClaimedMessage m{id, "", "", until};
          auto body = p->group_bodies.find(id);
          if (body != p->group_bodies.end()) {
            m.raw = body->second.first;
            m.decision = body->second.second;
          } else {
            p->db->Get(rocksdb::ReadOptions(), p->cf(kMessagesCf), id, &m.raw);
            p->db->Get(rocksdb::ReadOptions(), p->cf(kDecisionsCf), id, &m.decision);
          }
          claimed->push_back(std::move(m));
        }
      },
      [claimed, done = std::move(done)](Status st) { done(st, st.ok() ? *claimed : std::vector<ClaimedMessage>{}); }});
}

void QueueStore::AddEvent(std::string id, Event event, EventDone done) {
  AddEventImpl(std::move(id), "", std::move(event), "", std::move(done));
}

void QueueStore::AddEventToConversation(std::string conversation_id, Event event, EventDone done) {
  AddEventImpl("", std::move(conversation_id), std::move(event), "", std::move(done));
}

void QueueStore::AddEvent(std::string id, Event event, std::string dedupe_key, EventDone done) {
  AddEventImpl(std::move(id), "", std::move(event), std::move(dedupe_key), std::move(done));
}

void QueueStore::AddEventToConversation(std::string conversation_id, Event event, std::string dedupe_key,
                                        EventDone done) {
  AddEventImpl("", std::move(conversation_id), std::move(event), std::move(dedupe_key), std::move(done));
}

void QueueStore::AddEventImpl(std::string id_arg, std::string conversation, Event event, std::string dedupe_key,
                              EventDone done) {
  auto result = std::make_shared<Status>();
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, result, id_arg = std::move(id_arg), conversation = std::move(conversation), event = std::move(event),
       dedupe_key = std::move(dedupe_key)](rocksdb::WriteBatch& b) {
        // Recorded before (a platform's retry): done, nothing to write.
        if (!dedupe_key.empty()) {
          std::string seen;
          if (p->group_dedupe.count(dedupe_key) ||
              p->db->Get(rocksdb::ReadOptions(), p->cf(kDefaultCf), EventDedupeKey(dedupe_key), &seen).ok())
            return;
        }
        std::string id = id_arg;
        if (!conversation.empty()) {
          // The newest open message of the conversation, resolved here on the
          // writer so that it sees every earlier operation.
          const std::string* newest = p->index.NewestOpen(conversation);
          if (!newest) {
            *result = Status::NotFound("conversation '" + conversation + "' has no open message");
            return;
          }
          id = *newest;
        }
        p->group_touched.insert(id);
        MessageState state;
        const MessageState* open = p->index.Find(id);
        const bool was_open = open != nullptr;
        if (was_open) {
          state = *open;
        } else {
          std::string v;
          if (!p->db->Get(rocksdb::ReadOptions(), p->cf(kStateCf), id, &v).ok() || !DecodeState(v, &state)) {
            *result = Status::NotFound("message '" + id + "' not found");
            return;
          }
        }
        std::string json;
        AppendEventJson(event, p->opts.now_ms(), state.queue, &json);
        b.Put(p->cf(kEventsCf), EventKey(id, p->next_event_seq++), json);
        AggregateEvent(p->agg_cache, p->aggregator(), id, state.conversation_id, event);
        if (!dedupe_key.empty()) {
          b.Put(p->cf(kDefaultCf), EventDedupeKey(dedupe_key), id);
          p->group_dedupe.insert(dedupe_key);
        }
        // A deleted message (erasure.h) is recorded, never queued again.
        if (state.status == MessageStatus::kDeleted) return;

        // Effects on the queues.
        if (was_open) {
          if (state.status == MessageStatus::kQueued) p->index.RemoveReady(state);
          else if (state.status == MessageStatus::kAssigned) p->assignment.Release(id, state);
          else p->index.RemoveLease(id, state);
          p->index.Deactivate(id);
        }
        if (event.type == EventType::kRerouted) {
          state.queue = event.to_queue;
          state.status = MessageStatus::kQueued;
          state.agent.clear();
          state.lease_until = 0;
          p->index.AddReady(id, state);
          MessageState& placed = p->index.Activate(id, state);
          p->assignment.TryAssign(id, placed, p->opts.now_ms(), p->Sink(b));
        } else {
          // replied, resolved, moved_private, escalated_offchannel: a person
          // has handled it, so it leaves the queue (the lease is acknowledged).
          bool was_assigned = state.status == MessageStatus::kAssigned;
          state.status = MessageStatus::kDone;
          state.agent = event.agent;
          state.lease_until = 0;
          // A closed conversation frees room: hand out what is waiting.
          if (was_assigned) {
            p->PutState(b, id, state);
            p->assignment.AssignBacklog(state.queue, p->opts.now_ms(), p->Sink(b));
            return;
          }
        }
        p->PutState(b, id, state);
      },
      [result, done = std::move(done)](Status st) { done(st.ok() ? *result : st); }});
}

void QueueStore::Heartbeat(std::string agent, std::vector<std::string> queues, HeartbeatDone done) {
  auto status = std::make_shared<AgentStatus>();
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, status, agent = std::move(agent), queues = std::move(queues)](rocksdb::WriteBatch& b) {
        *status = p->assignment.Heartbeat(agent, queues, p->opts.now_ms(), p->Sink(b));
      },
      [status, done = std::move(done)](Status st) { done(st, *status); }});
}

Status QueueStore::HeartbeatSync(const std::string& agent, const std::vector<std::string>& queues, AgentStatus* out) {
  std::promise<Status> pr;
  Heartbeat(agent, queues, [&](Status s, AgentStatus a) {
    if (out) *out = a;
    pr.set_value(s);
  });
  return pr.get_future().get();
}

Status QueueStore::IngestSyncResults(std::vector<IngestItem> items, std::vector<IngestResult>* out) {
  std::promise<Status> pr;
  Ingest(std::move(items), [&](Status s, std::vector<IngestResult> o) {
    if (out) *out = std::move(o);
    pr.set_value(s);
  });
  return pr.get_future().get();
}

Status QueueStore::IngestSync(std::vector<IngestItem> items, std::vector<IngestOutcome>* out) {
  std::vector<IngestResult> results;
  Status s = IngestSyncResults(std::move(items), &results);
  if (out) {
    out->clear();
    for (const auto& r : results) out->push_back(r.outcome);
  }
  return s;
}

Status QueueStore::ClaimSync(const std::string& queue, const std::string& agent, size_t n, int64_t lease_ms,
                             std::vector<ClaimedMessage>* out) {
  std::promise<Status> pr;
  Claim(queue, agent, n, lease_ms, [&](Status s, std::vector<ClaimedMessage> m) {
    if (out) *out = std::move(m);
    pr.set_value(s);
  });
  return pr.get_future().get();
}

Status QueueStore::AddEventSync(const std::string& id, Event event) {
  std::promise<Status> pr;
  AddEvent(id, std::move(event), [&](Status s) { pr.set_value(s); });
  return pr.get_future().get();
}

Status QueueStore::PrepareAggregates(bool backfill) {
  Impl* p = impl_.get();
  rocksdb::ColumnFamilyHandle* cf = p->cf(kAggregatesCf);
  if (backfill) {
    size_t n = 0;
    if (Status s = BackfillAggregates(p->db.get(), p->cf(kStateCf), p->cf(kMessagesCf), p->cf(kDecisionsCf),
                                      p->cf(kEventsCf), cf, &n);
        !s.ok())
      return s;
    p->Log("store: aggregates built from " + std::to_string(n) + " stored messages");
  }
  const ConversationAggregator* agg = p->aggregator();
  const std::string stored = StoredFingerprint(p->db.get(), cf);
  if (!agg) {
    // This session will not keep the derived records: the next open with an
    // aggregator must rebuild them.
    if (!stored.empty() && !p->db->Delete(rocksdb::WriteOptions(), cf, std::string(kAggFingerprintKey)).ok())
      return Status::IOError("aggregates: cannot clear the fingerprint");
    return Status::OK();
  }
  if (stored == agg->Fingerprint()) return Status::OK();
  size_t n = 0;
  if (Status s = RebuildDerived(p->db.get(), cf, *agg, &n); !s.ok()) return s;
  if (n > 0) p->Log("store: report aggregates rebuilt for the queues' targets from " + std::to_string(n) + " conversations");
  return Status::OK();
}

uint64_t QueueStore::pending_ops() const { return impl_->writer->pending(); }

bool QueueStore::healthy() const { return !impl_->writer->failed(); }

StoreHealthInfo QueueStore::health() const { return impl_->health.Get(); }

void QueueStore::RequestRecovery() { impl_->writer->RequestRecovery(); }

}  // namespace triage
