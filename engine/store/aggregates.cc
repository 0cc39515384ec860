#include "engine/store/aggregates.h"

#include <simdjson.h>

#include <memory>

#include "engine/store/store_format.h"
#include "format/alert_line.h"
#include "format/archive_format.h"
#include "format/content_event.h"

namespace triage {

namespace od = simdjson::ondemand;

namespace {

// How many changed records a backfill or rebuild holds before writing them.
constexpr size_t kFlushEvery = 50'000;

// The decision line's "label" and "queue".
bool ReadDecision(std::string_view decision, std::string* label, std::string* queue) {
  simdjson::padded_string padded(decision);
  od::parser parser;
  od::document doc;
  od::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key, v;
    if (field.unescaped_key().get(key)) return false;
    if (key != "label" && key != "queue") continue;
    if (field.value().get_string().get(v)) return false;
    (key == "label" ? *label : *queue) = std::string(v);
  }
  return true;
}

bool LoadConversation(AggregateTxn& txn, const std::string& key, ConversationRecord* r) {
  std::string start, v;
  if (!txn.Get(AggKey(kAggConversationStart, key), &start) || start.size() != 8) return false;
  return txn.Get(AggKey(kAggConversation, GetOrderedBE64(start), key), &v) && DecodeConversation(v, r);
}

void StoreConversation(AggregateTxn& txn, const ConversationRecord* before, const ConversationRecord& after) {
  if (before && before->start_ms != after.start_ms) txn.Delete(AggKey(kAggConversation, before->start_ms, after.key));
  if (!before || before->start_ms != after.start_ms) {
    std::string start;
    PutOrderedBE64(after.start_ms, &start);
    txn.Put(AggKey(kAggConversationStart, after.key), std::move(start));
  }
  txn.Put(AggKey(kAggConversation, after.start_ms, after.key), EncodeConversation(after));
}

Status Flush(rocksdb::DB* db, AggregateCache* cache) {
  rocksdb::WriteBatch b;
  cache->WriteTo(b);
  if (b.Count() == 0) return Status::OK();
  rocksdb::Status s = db->Write(rocksdb::WriteOptions(), &b);
  return s.ok() ? Status::OK() : Status::IOError("aggregates: " + s.ToString());
}

}  // namespace

bool AggregateCache::Get(const std::string& key, std::string* value) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (!it->second) return false;
    *value = *it->second;
    return true;
  }
  if (!db_ || !cf_) return false;
  return db_->Get(rocksdb::ReadOptions(), cf_, key, value).ok();
}

void AggregateCache::WriteTo(rocksdb::WriteBatch& b) {
  for (auto& [k, v] : entries_) {
    if (v)
      b.Put(cf_, k, *v);
    else
      b.Delete(cf_, k);
  }
  entries_.clear();
}

bool AggregateMessage(AggregateTxn& txn, const ConversationAggregator* agg, const std::string& id, std::string_view raw,
                      std::string_view decision, int64_t received_ms) {
  if (IsAlertLine(raw)) return false;
  // One parser for the writer thread: it keeps its buffers between messages.
  thread_local ArchiveParser parser;
  Message m;
  if (!parser.ParseCopy(raw, &m).ok()) return false;
  std::string label, queue;
  if (!ReadDecision(decision, &label, &queue)) return false;
  const int64_t arrival = m.created_at_ms ? m.created_at_ms : received_ms;
  const std::string channel(m.channel);

  std::string first;
  const std::string fkey = AggKey(kAggChannel, channel);
  if (!txn.Get(fkey, &first) || arrival < GetOrderedBE64(first)) {
    first.clear();
    PutOrderedBE64(arrival, &first);
    txn.Put(fkey, std::move(first));
  }

  ConversationRecord before, after;
  const std::string key = m.conversation_id.empty() ? id : std::string(m.conversation_id);
  const bool existed = LoadConversation(txn, key, &before);
  if (existed) {
    for (const auto& msg : before.messages)
      if (msg.id == id) return true;  // already counted
    after = before;
  }
  after.key = key;
  after.messages.push_back({id, arrival, false});
  // The head is the earliest message; on a tie the smallest id (the order a
  // scan of the store meets them in, which ComputeMetrics keeps).
  if (!existed || arrival < after.start_ms || (arrival == after.start_ms && id < after.head_id)) {
    after.head_id = id;
    after.start_ms = arrival;
    after.queue = std::move(queue);
    after.label = std::move(label);
    after.channel = channel;
    after.brand = std::string(m.brand);
    after.is_public = m.kind == Kind::kPublic;
  }
  StoreConversation(txn, existed ? &before : nullptr, after);
  if (agg) agg->Changed(existed ? &before : nullptr, after, txn);
  return true;
}

void AggregateEvent(AggregateTxn& txn, const ConversationAggregator* agg, const std::string& id,
                    const std::string& conversation_id, const Event& event) {
  ConversationRecord before;
  if (!LoadConversation(txn, conversation_id.empty() ? id : conversation_id, &before)) return;
  ConversationRecord after = before;
  ConversationRecord::Msg* msg = nullptr;
  for (auto& m : after.messages)
    if (m.id == id) msg = &m;
  if (!msg) return;  // not a message the reports count (an alert item)
  if (!event.agent.empty()) {
    const std::string hkey = AggKey(kAggHour, AggFloorDiv(event.at_ms, kAggHourMs), event.agent);
    std::string v;
    int64_t lo = event.at_ms, hi = event.at_ms;
    if (txn.Get(hkey, &v) && v.size() == 16) {
      lo = std::min(lo, GetOrderedBE64(v));
      hi = std::max(hi, GetOrderedBE64(std::string_view(v).substr(8)));
    }
    v.clear();
    PutOrderedBE64(lo, &v);
    PutOrderedBE64(hi, &v);
    txn.Put(hkey, std::move(v));
  }
  if (event.type == EventType::kRerouted) msg->rerouted = true;
  after.events.push_back({event.at_ms, static_cast<uint8_t>(event.type)});
  StoreConversation(txn, &before, after);
  if (agg) agg->Changed(&before, after, txn);
}

void AggregateErasure(AggregateTxn& txn, const std::string& id, const std::string& conversation_id,
                      const std::string& author_id) {
  if (author_id.empty() || conversation_id.find(author_id) == std::string::npos) return;
  ConversationRecord r;
  if (!LoadConversation(txn, conversation_id, &r)) return;
  bool member = false;
  for (const auto& m : r.messages) member = member || m.id == id;
  if (!member) return;
  std::string shown = conversation_id;
  for (size_t at = shown.find(author_id); at != std::string::npos; at = shown.find(author_id, at + 6))
    shown.replace(at, author_id.size(), "erased");
  if (r.shown_key == shown) return;
  r.shown_key = std::move(shown);
  // The figures do not change: only the record, not the derived ones.
  txn.Put(AggKey(kAggConversation, r.start_ms, r.key), EncodeConversation(r));
}

Status BackfillAggregates(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state_cf,
                          rocksdb::ColumnFamilyHandle* messages_cf, rocksdb::ColumnFamilyHandle* decisions_cf,
                          rocksdb::ColumnFamilyHandle* events_cf, rocksdb::ColumnFamilyHandle* aggregates_cf,
                          size_t* messages) {
  *messages = 0;
  AggregateCache cache;
  cache.Reset(db, aggregates_cf);
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, state_cf));
  std::unique_ptr<rocksdb::Iterator> ev(db->NewIterator(ro, events_cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string id = it->key().ToString();
    MessageState state;
    if (!DecodeState(it->value().ToString(), &state))
      return Status::Corruption("aggregates backfill: state of message '" + id + "' is unreadable");
    std::string raw, decision;
    if (!db->Get(ro, messages_cf, id, &raw).ok()) continue;  // a tombstone
    db->Get(ro, decisions_cf, id, &decision);
    if (!AggregateMessage(cache, nullptr, id, raw, decision, state.received_ms)) continue;
    ++*messages;
    const std::string prefix = EventKeyPrefix(id);
    for (ev->Seek(prefix); ev->Valid() && ev->key().starts_with(prefix); ev->Next()) {
      std::string_view json(ev->value().data(), ev->value().size());
      Event e;
      if (IsContentEventJson(json) || !ParseEventJson(json, &e).ok()) continue;
      AggregateEvent(cache, nullptr, id, state.conversation_id, e);
    }
    if (cache.size() >= kFlushEvery)
      if (Status s = Flush(db, &cache); !s.ok()) return s;
  }
  if (!it->status().ok()) return Status::IOError("aggregates backfill: " + it->status().ToString());
  return Flush(db, &cache);
}

Status RebuildDerived(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const ConversationAggregator& agg,
                      size_t* conversations) {
  *conversations = 0;
  rocksdb::WriteOptions wo;
  for (char kind : {kAggDeadline, kAggGroup}) {
    const std::string begin(1, kind), end(1, static_cast<char>(kind + 1));
    if (rocksdb::Status s = db->DeleteRange(wo, cf, begin, end); !s.ok())
      return Status::IOError("aggregates rebuild: " + s.ToString());
  }
  AggregateCache cache;
  cache.Reset(db, cf);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  const std::string prefix(1, kAggConversation);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ConversationRecord r;
    if (!DecodeConversation(std::string_view(it->value().data(), it->value().size()), &r))
      return Status::Corruption("aggregates rebuild: an unreadable conversation record");
    agg.Changed(nullptr, r, cache);
    ++*conversations;
    if (cache.size() >= kFlushEvery)
      if (Status s = Flush(db, &cache); !s.ok()) return s;
  }
  if (!it->status().ok()) return Status::IOError("aggregates rebuild: " + it->status().ToString());
  cache.Put(std::string(kAggFingerprintKey), agg.Fingerprint());
  return Flush(db, &cache);
}

std::string StoredFingerprint(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  std::string v;
  if (!db->Get(rocksdb::ReadOptions(), cf, std::string(kAggFingerprintKey), &v).ok()) return "";
  return v;
}

}  // namespace triage
