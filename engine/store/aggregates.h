// Aggregates: the report facts the store keeps up to date as messages and
// events are written (the `aggregates` column family; its bytes:
// aggregates_format.h), so that a report reads O(days x groups) records.
//
// Who does what:
//  - The store's writer calls AggregateMessage for every stored message and
//    AggregateEvent for every team event, inside the operation that stores
//    it. They update the conversation's record ('a', 'c'), the channel's
//    first arrival ('f') and the agent's activity hour ('h') through an
//    AggregateTxn: a read-modify-write cache over the column family that the
//    writer empties into the group's WriteBatch (AggregateCache). One writer
//    thread applies every operation of a group in order, so the cache sees the
//    group's earlier changes and the read-modify-write is exact; the batch
//    makes the aggregates durable with the message or event, or not at all.
//  - A ConversationAggregator (engine/metrics/metrics_aggregator.h: it knows
//    the SLA targets and business hours, which this layer does not) is told
//    of each changed conversation, before and after, and keeps the derived
//    records ('g' per day and group, 'd' deadlines) by taking the old
//    contribution out and putting the new one in. A store opened without one
//    keeps the facts only and clears the fingerprint, so the next open with
//    an aggregator rebuilds the derived records (RebuildDerived).
//
// Which messages count: customer messages only (crisis-alert items are not),
// whose archive line and decision line can be read; the conversation, channel,
// brand, kind and created_at come from the archive line, the queue and label
// from the decision (the same fields engine/metrics/history.h reads). Events
// count on messages with a record; platform edits and deletes are not team
// events and do not come here.
#ifndef TRIAGE_ENGINE_STORE_AGGREGATES_H_
#define TRIAGE_ENGINE_STORE_AGGREGATES_H_

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/store/aggregates_format.h"
#include "format/event.h"

namespace triage {

// Reads and writes of the aggregates column family within one write.
class AggregateTxn {
 public:
  virtual ~AggregateTxn() = default;
  virtual bool Get(const std::string& key, std::string* value) = 0;
  virtual void Put(const std::string& key, std::string value) = 0;
  virtual void Delete(const std::string& key) = 0;
};

// Keeps the derived records (see the top of this file). Called on the
// store's writer thread; must be thread-safe for const use.
class ConversationAggregator {
 public:
  virtual ~ConversationAggregator() = default;
  // Names everything the derived records depend on (targets, hours): a store
  // whose derived records were made under another fingerprint rebuilds them.
  virtual std::string Fingerprint() const = 0;
  // `before` (null: a new conversation) became `after`.
  virtual void Changed(const ConversationRecord* before, const ConversationRecord& after, AggregateTxn& txn) const = 0;
};

// An AggregateTxn over a database: reads fall through to it, writes stay in
// memory until WriteTo. Not thread-safe (the writer thread's).
class AggregateCache : public AggregateTxn {
 public:
  void Reset(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    db_ = db;
    cf_ = cf;
    entries_.clear();
  }
  bool Get(const std::string& key, std::string* value) override;
  void Put(const std::string& key, std::string value) override { entries_[key] = std::move(value); }
  void Delete(const std::string& key) override { entries_[key] = std::nullopt; }
  // Moves every change into `b` and empties the cache.
  void WriteTo(rocksdb::WriteBatch& b);
  size_t size() const { return entries_.size(); }

 private:
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* cf_ = nullptr;
  std::map<std::string, std::optional<std::string>> entries_;  // nullopt: deleted
};

// A stored message (see the top for which count). `received_ms` is its
// arrival when the line has no created_at. Returns false, changing nothing,
// for a message that does not count.
bool AggregateMessage(AggregateTxn& txn, const ConversationAggregator* agg, const std::string& id,
                      std::string_view raw, std::string_view decision, int64_t received_ms);
// A team event on message `id` of conversation `conversation_id` ("": its own).
void AggregateEvent(AggregateTxn& txn, const ConversationAggregator* agg, const std::string& id,
                    const std::string& conversation_id, const Event& event);

// Erasure of `author_id` reached message `id` of conversation
// `conversation_id`: a conversation id holding the author id (WhatsApp's is
// the customer's phone number) is shown with it replaced by "erased" from
// now on, as the redacted message line has it. The counts stay.
void AggregateErasure(AggregateTxn& txn, const std::string& id, const std::string& conversation_id,
                      const std::string& author_id);

// Builds the facts of a database from before the aggregates column family,
// from its stored messages and events, writing in batches as it goes.
// Derived records are left to RebuildDerived.
Status BackfillAggregates(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state_cf, rocksdb::ColumnFamilyHandle* messages_cf,
                          rocksdb::ColumnFamilyHandle* decisions_cf, rocksdb::ColumnFamilyHandle* events_cf,
                          rocksdb::ColumnFamilyHandle* aggregates_cf, size_t* messages);
// Deletes the derived records and makes them again from every conversation
// record with `agg`, then stores its fingerprint. *conversations: how many.
Status RebuildDerived(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* aggregates_cf, const ConversationAggregator& agg,
                      size_t* conversations);
// The fingerprint the derived records were made under ("" if none).
std::string StoredFingerprint(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* aggregates_cf);

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_AGGREGATES_H_
