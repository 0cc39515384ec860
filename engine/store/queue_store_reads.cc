// QueueStore's queries: what is on each queue, who holds what, one message
// with its events, and the scans behind reports and the detector's warm-up.
// They read under the store's mutex (the in-memory index) or from RocksDB,
// never through the writer thread. Whatever uses the database handle holds
// the db lock shared (Impl::ReadLock: a recovery may replace the handle).
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "engine/store/queue_store.h"
#include "engine/store/queue_store_impl.h"

namespace triage {

namespace {

// Appends the events of message `id` (JSON, in order), read through `ev`, an
// iterator over the events column family.
void ReadEvents(rocksdb::Iterator* ev, const std::string& id, std::vector<std::string>* out) {
  std::string prefix = EventKeyPrefix(id);
  for (ev->Seek(prefix); ev->Valid() && ev->key().starts_with(prefix); ev->Next())
    out->push_back(ev->value().ToString());
}

}  // namespace

std::vector<QueueInfo> QueueStore::Queues(const std::vector<std::string>& known) const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::map<std::string, QueueInfo> out;
  for (const auto& q : known) out[q].name = q;
  int64_t now = impl_->opts.now_ms();
  for (const auto& [q, counts] : impl_->index.Counts()) {
    QueueInfo& info = out[q];
    info.name = q;
    info.depth = counts.ready;
    info.claimed = counts.claimed;
    if (counts.oldest_ready_ms) info.oldest_age_ms = std::max<int64_t>(0, now - *counts.oldest_ready_ms);
  }
  for (const auto& [q, n] : impl_->assignment.assigned_counts()) {
    out[q].name = q;
    out[q].assigned = n;
  }
  std::vector<QueueInfo> v;
  for (auto& [q, info] : out) v.push_back(std::move(info));
  return v;
}

std::vector<std::pair<std::string, std::string>> QueueStore::Peek(const std::string& queue, size_t limit) const {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    ids = impl_->index.ReadyIds(queue, limit);
  }
  return impl_->WithDecisions(std::move(ids));
}

std::vector<std::pair<std::string, std::string>> QueueStore::AssignedTo(const std::string& agent) const {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    ids = impl_->assignment.AssignedTo(agent);
  }
  return impl_->WithDecisions(std::move(ids));
}

std::vector<QueueStore::AgentInfo> QueueStore::Agents() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<AgentInfo> out;
  for (const auto& [name, a] : impl_->assignment.agents())
    out.push_back(AgentInfo{name, a.online_until, {a.queues.begin(), a.queues.end()},
                            impl_->assignment.OpenConversations(name)});
  return out;
}

Status QueueStore::Get(const std::string& id, StoredMessage* out) const {
  auto dl = impl_->ReadLock();
  if (!impl_->db) return Impl::Unavailable();
  rocksdb::ReadOptions ro;
  Status s = FromRocks(impl_->db->Get(ro, impl_->cf(kMessagesCf), id, &out->raw), "message '" + id + "'");
  if (!s.ok()) return s;
  impl_->db->Get(ro, impl_->cf(kDecisionsCf), id, &out->decision);
  bool from_memory = false;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    if (const MessageState* open = impl_->index.Find(id)) {
      out->state = *open;
      from_memory = true;
    }
  }
  if (!from_memory) {
    std::string v;
    if (!impl_->db->Get(ro, impl_->cf(kStateCf), id, &v).ok() || !DecodeState(v, &out->state))
      return Status::Corruption("state of message '" + id + "' is unreadable");
  }
  out->events.clear();
  std::unique_ptr<rocksdb::Iterator> ev(impl_->db->NewIterator(ro, impl_->cf(kEventsCf)));
  ReadEvents(ev.get(), id, &out->events);
  return Status::OK();
}

Status QueueStore::ForEach(const std::function<void(const std::string& id, const StoredMessage& m)>& fn) const {
  auto dl = impl_->ReadLock();
  if (!impl_->db) return Impl::Unavailable();
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(kStateCf)));
  std::unique_ptr<rocksdb::Iterator> ev(impl_->db->NewIterator(ro, impl_->cf(kEventsCf)));
  StoredMessage m;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string id = it->key().ToString();
    if (!DecodeState(it->value().ToString(), &m.state))
      return Status::Corruption("state of message '" + id + "' is unreadable");
    m.raw.clear();
    m.decision.clear();
    // A tombstone (erasure.h) has a state and no message: nothing to report.
    if (!impl_->db->Get(ro, impl_->cf(kMessagesCf), id, &m.raw).ok() && m.state.status == MessageStatus::kDeleted)
      continue;
    impl_->db->Get(ro, impl_->cf(kDecisionsCf), id, &m.decision);
    m.events.clear();
    ReadEvents(ev.get(), id, &m.events);
    fn(id, m);
  }
  return FromRocks(it->status(), "scan of stored messages");
}

Status QueueStore::Impl::ReadLines(const std::string& id, std::string* raw, std::string* decision) const {
  rocksdb::ReadOptions ro;
  Status s = FromRocks(db->Get(ro, cf(kMessagesCf), id, raw), "message '" + id + "'");
  if (!s.ok()) return s;
  decision->clear();
  db->Get(ro, cf(kDecisionsCf), id, decision);
  return Status::OK();
}

Status QueueStore::GetLines(const std::string& id, std::string* raw, std::string* decision) const {
  auto dl = impl_->ReadLock();
  if (!impl_->db) return Impl::Unavailable();
  return impl_->ReadLines(id, raw, decision);
}

Status QueueStore::Scan(const std::string& after, size_t max_visit,
                        const std::function<bool(const std::string& id, const MessageState& state,
                                                 const ScanLines& lines)>& fn,
                        std::string* last, bool* at_end) const {
  last->clear();
  *at_end = false;
  auto dl = impl_->ReadLock();
  if (!impl_->db) return Impl::Unavailable();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kStateCf)));
  if (after.empty()) it->SeekToFirst();
  else it->Seek(after);
  if (it->Valid() && !after.empty() && it->key() == rocksdb::Slice(after)) it->Next();
  size_t visited = 0;
  MessageState state;
  const ScanLines lines = [this, last](std::string* raw, std::string* decision) {
    return impl_->ReadLines(*last, raw, decision);
  };
  for (; it->Valid() && visited < max_visit; it->Next()) {
    ++visited;
    *last = it->key().ToString();
    if (!DecodeState(it->value().ToString(), &state))
      return Status::Corruption("state of message '" + *last + "' is unreadable");
    if (!fn(*last, state, lines)) return FromRocks(it->status(), "scan of stored messages");
  }
  if (!it->Valid()) *at_end = true;
  return FromRocks(it->status(), "scan of stored messages");
}

std::vector<std::string> QueueStore::Alerts() const {
  std::vector<std::string> out;
  auto dl = impl_->ReadLock();
  if (!impl_->db) return out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kAlertsCf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.push_back(it->value().ToString());
  return out;
}

Status QueueStore::RecentMessages(int64_t since_ms, size_t max, std::vector<std::string>* raw) const {
  return RecentLines(since_ms, 0, max, raw);
}

Status QueueStore::MessagesFrom(uint64_t first_seq, size_t max, std::vector<std::string>* raw) const {
  return RecentLines(INT64_MIN, first_seq, max, raw);
}

uint64_t QueueStore::next_seq() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->next_seq;
}

Status QueueStore::RecentLines(int64_t since_ms, uint64_t first_seq, size_t max, std::vector<std::string>* raw) const {
  raw->clear();
  std::vector<std::pair<uint64_t, std::string>> recent;  // (seq, id)
  auto dl = impl_->ReadLock();
  if (!impl_->db) return Impl::Unavailable();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kStateCf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    MessageState s;
    if (!DecodeState(it->value().ToString(), &s)) continue;  // Recover() already vetted them
    if (s.status == MessageStatus::kDeleted) continue;  // no text left
    if (s.received_ms >= since_ms && s.seq >= first_seq) recent.emplace_back(s.seq, it->key().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan of recent messages");
  std::sort(recent.begin(), recent.end());
  if (recent.size() > max) recent.erase(recent.begin(), recent.end() - static_cast<std::ptrdiff_t>(max));
  for (const auto& [seq, id] : recent) {
    std::string line;
    if (impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(kMessagesCf), id, &line).ok()) raw->push_back(std::move(line));
  }
  return Status::OK();
}

Status QueueStore::ReadAggregates(const std::function<Status(const AggregateScan& scan)>& fn) const {
  auto dl = impl_->ReadLock();
  if (!impl_->db) return Impl::Unavailable();
  rocksdb::ColumnFamilyHandle* cf = impl_->cf(kAggregatesCf);
  if (!cf) return Status::NotFound("this store has no report aggregates (open it for writing once to build them)");
  const rocksdb::Snapshot* snap = impl_->db->GetSnapshot();
  AggregateScan scan = [&](std::string_view begin, std::string_view end, bool backward, const AggregateVisit& visit) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, cf));
    auto key = [&] { return std::string_view(it->key().data(), it->key().size()); };
    if (backward) {
      it->SeekForPrev(rocksdb::Slice(end.data(), end.size()));
      if (it->Valid() && key() >= end) it->Prev();  // the range excludes `end`
    } else {
      it->Seek(rocksdb::Slice(begin.data(), begin.size()));
    }
    for (; it->Valid(); backward ? it->Prev() : it->Next()) {
      std::string_view k = key();
      if (backward ? k < begin : k >= end) break;
      if (!visit(k, std::string_view(it->value().data(), it->value().size()))) break;
    }
    return FromRocks(it->status(), "scan of the report aggregates");
  };
  Status s = fn(scan);
  impl_->db->ReleaseSnapshot(snap);
  return s;
}

}  // namespace triage
