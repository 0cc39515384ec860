// QueueStore's outbox (outbox.h): the entries written with the messages and
// alerts they announce, and the writes that deliver, dead-letter and retry
// them. Every write goes through the group writer, like every other write.
#include <rocksdb/iterator.h>

#include "base/json_writer.h"
#include "engine/store/queue_store.h"
#include "engine/store/queue_store_impl.h"

namespace triage {

namespace {

// `old_json` is the stored record ("" when none): which change `json` is.
std::string_view AlertChange(const std::string& old_json, const std::string& json) {
  if (old_json.empty()) return "opened";
  return json.find("\"closed_at\":null") == std::string::npos ? "closed" : "updated";
}

}  // namespace

size_t QueueStore::Impl::EnqueueOutbox(rocksdb::WriteBatch& b, const OutboxSubject& s, std::string_view conversation,
                                       std::string payload) {
  std::vector<std::string> sinks;
  outbox_router->Route(s, &sinks);
  for (const std::string& sink : sinks) {
    OutboxEntry e;
    e.kind = std::string(s.kind);
    e.subject = std::string(s.id);
    e.conversation = std::string(conversation);
    e.event = std::string(s.event);
    e.queue = std::string(s.queue);
    e.priority = s.priority;
    e.enqueued_ms = opts.now_ms();
    uint64_t seq = next_outbox_seq++;
    e.delivery_id = sink + ":" + std::to_string(seq);
    e.payload = payload;
    b.Put(cf(kOutboxCf), OutboxKey(sink, seq), EncodeOutboxEntry(e));
    ++outbox_counts[sink].pending;
  }
  if (!sinks.empty()) {
    std::string v;
    PutBE64(next_outbox_seq, &v);
    b.Put(cf(kDefaultCf), kNextOutboxSeqKey, v);
  }
  return sinks.size();
}

size_t QueueStore::Impl::EnqueueMessage(rocksdb::WriteBatch& b, const IngestItem& it) {
  if (!outbox_router) return 0;
  OutboxSubject s{"message", it.id, "routed", it.queue, it.priority, {}};
  std::string payload = "{\"message\":" + it.raw + ",\"decision\":" + it.decision + "}";
  return EnqueueOutbox(b, s, it.conversation_id.empty() ? it.id : it.conversation_id, std::move(payload));
}

size_t QueueStore::Impl::EnqueueAlert(rocksdb::WriteBatch& b, const AlertRecord& a) {
  std::string old_json;
  if (auto g = group_alerts.find(a.id); g != group_alerts.end()) old_json = g->second;
  else db->Get(rocksdb::ReadOptions(), cf(kAlertsCf), a.id, &old_json);
  group_alerts[a.id] = a.json;
  if (!outbox_router || old_json == a.json) return 0;
  OutboxSubject s{"alert", a.id, AlertChange(old_json, a.json), "", Priority::kUrgent, a.json};
  return EnqueueOutbox(b, s, a.id, a.json);
}

Status QueueStore::Impl::RecoverOutbox() {
  // Counted afresh: a recovery after a failed write (store_recovery.cc)
  // runs this again, and the failed group's entries are not durable.
  outbox_counts.clear();
  if (!cf(kOutboxCf) || !cf(kDeadLettersCf)) return Status::OK();  // read-only, older database
  std::string v;
  if (db->Get(rocksdb::ReadOptions(), cf(kDefaultCf), kNextOutboxSeqKey, &v).ok()) next_outbox_seq = GetBE64(v);
  for (ColumnFamily c : {kOutboxCf, kDeadLettersCf}) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf(c)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string sink;
      uint64_t seq = 0;
      if (!DecodeOutboxKey(it->key().ToString(), &sink, &seq))
        return Status::Corruption(std::string(kColumnFamilyNames[c]) + ": an unreadable key");
      next_outbox_seq = std::max(next_outbox_seq, seq + 1);
      OutboxCounts& n = outbox_counts[sink];
      ++(c == kOutboxCf ? n.pending : n.dead);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "outbox recovery scan");
  }
  return Status::OK();
}

void QueueStore::SetOutboxRouter(std::shared_ptr<const OutboxRouter> router) {
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->outbox_router = std::move(router);
}

Status QueueStore::ReadOutbox(const std::string& sink, uint64_t after_seq, size_t max,
                              std::vector<OutboxEntry>* out) const {
  out->clear();
  auto dl = impl_->ReadLock();  // a recovery may replace the handle
  if (!impl_->db) return Impl::Unavailable();
  if (!impl_->cf(kOutboxCf)) return Status::OK();
  const std::string prefix = OutboxKeyPrefix(sink);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kOutboxCf)));
  for (it->Seek(OutboxKey(sink, after_seq + 1)); it->Valid() && out->size() < max; it->Next()) {
    if (!it->key().starts_with(prefix)) break;
    OutboxEntry e;
    if (!DecodeOutboxKey(it->key().ToString(), &e.sink, &e.seq) || !DecodeOutboxEntry(it->value().ToString(), &e))
      return Status::Corruption("outbox of sink '" + sink + "': an unreadable entry");
    out->push_back(std::move(e));
  }
  return FromRocks(it->status(), "outbox of sink '" + sink + "'");
}

void QueueStore::OutboxDelivered(std::string sink, uint64_t seq, EventDone done) {
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, sink = std::move(sink), seq](rocksdb::WriteBatch& b) {
        std::string key = OutboxKey(sink, seq), v;
        // Only an entry that is there counts down (an answer repeated after a
        // failed write finds it gone).
        if (!p->db->Get(rocksdb::ReadOptions(), p->cf(kOutboxCf), key, &v).ok()) return;
        b.Delete(p->cf(kOutboxCf), key);
        --p->outbox_counts[sink].pending;
      },
      std::move(done)});
}

void QueueStore::OutboxDeadLetter(DeadLetter letter, EventDone done) {
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, letter = std::move(letter)](rocksdb::WriteBatch& b) {
        const std::string& sink = letter.entry.sink;
        std::string key = OutboxKey(sink, letter.entry.seq), v;
        if (!p->db->Get(rocksdb::ReadOptions(), p->cf(kOutboxCf), key, &v).ok()) return;
        b.Delete(p->cf(kOutboxCf), key);
        b.Put(p->cf(kDeadLettersCf), key, EncodeDeadLetter(letter));
        OutboxCounts& n = p->outbox_counts[sink];
        --n.pending;
        ++n.dead;
      },
      std::move(done)});
}

Status QueueStore::DeadLetters(const std::string& sink, size_t max, std::vector<DeadLetter>* out) const {
  out->clear();
  auto dl = impl_->ReadLock();  // a recovery may replace the handle
  if (!impl_->db) return Impl::Unavailable();
  if (!impl_->cf(kDeadLettersCf)) return Status::OK();
  const std::string prefix = OutboxKeyPrefix(sink);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kDeadLettersCf)));
  for (it->Seek(prefix); it->Valid() && out->size() < max; it->Next()) {
    if (!it->key().starts_with(prefix)) break;
    DeadLetter d;
    if (!DecodeOutboxKey(it->key().ToString(), &d.entry.sink, &d.entry.seq) ||
        !DecodeDeadLetter(it->value().ToString(), &d))
      return Status::Corruption("dead letters of sink '" + sink + "': an unreadable entry");
    out->push_back(std::move(d));
  }
  return FromRocks(it->status(), "dead letters of sink '" + sink + "'");
}

void QueueStore::RetryDeadLetter(std::string sink, uint64_t seq, EventDone done) {
  auto result = std::make_shared<Status>();
  auto note = std::make_shared<OutboxNote>();
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, result, note, sink = std::move(sink), seq](rocksdb::WriteBatch& b) {
        std::string key = OutboxKey(sink, seq), v;
        DeadLetter d;
        d.entry.sink = sink;
        d.entry.seq = seq;
        if (!p->db->Get(rocksdb::ReadOptions(), p->cf(kDeadLettersCf), key, &v).ok() || !DecodeDeadLetter(v, &d)) {
          *result = Status::NotFound("sink '" + sink + "' has no dead letter " + std::to_string(seq));
          return;
        }
        // A new place at the end of the outbox; the same delivery id, so a
        // receiver that did get it once can still drop the repeat.
        uint64_t new_seq = p->next_outbox_seq++;
        std::string nv;
        PutBE64(p->next_outbox_seq, &nv);
        b.Put(p->cf(kDefaultCf), kNextOutboxSeqKey, nv);
        b.Delete(p->cf(kDeadLettersCf), key);
        b.Put(p->cf(kOutboxCf), OutboxKey(sink, new_seq), EncodeOutboxEntry(d.entry));
        OutboxCounts& n = p->outbox_counts[sink];
        --n.dead;
        ++n.pending;
        note->router = p->outbox_router;
        note->written = 1;
      },
      [result, note, done = std::move(done)](Status st) {
        note->Notify(st);
        done(st.ok() ? *result : st);
      }});
}

std::map<std::string, QueueStore::OutboxCounts> QueueStore::OutboxDepths() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->outbox_counts;
}

}  // namespace triage
