// QueueIndex: the in-memory view QueueStore serves its queues from. It holds
// every open message (queued, claimed or assigned) with its MessageState, and
// orders them the ways the store asks:
//
//   ready         per queue, the queued messages in claim order: urgent
//                 first, then by arrival (seq); with each one's arrival time
//                 for the age of the oldest;
//   leases        the claimed messages, soonest lease end first, and how
//                 many each queue has;
//   conversation  per conversation, its open messages in arrival order: a
//                 reply that names no message belongs to the newest.
//
// Assigned messages are open here but on neither list: Assignment keeps them
// by agent. Done messages are not here at all (only in the database).
//
// Who uses it: QueueStore rebuilds it from the state column family at open;
// afterwards only the store's writer thread changes it (the store glue and
// Assignment), writing each new MessageState into the same batch, so that the
// index is what the database will hold once the batch is written. It knows
// nothing of RocksDB and writes nothing.
//
// Invariants, kept by the callers (the index does not check them): a message
// is Activate'd before it is put on a list and taken off its list before it
// is Deactivate'd; it is on at most one list, the one its status names; and
// the state a Remove* call is given holds the fields (queue, priority, seq,
// lease_until) the matching Add* call was given, as those are the keys.
// Queues stay listed once seen (Counts() reports them at zero): a queue does
// not vanish from a listing when its last message is claimed.
//
// Thread safety: none of its own. QueueStore's mutex guards it: the writer
// holds it while applying a group, readers while they query.
#ifndef TRIAGE_ENGINE_STORE_QUEUE_INDEX_H_
#define TRIAGE_ENGINE_STORE_QUEUE_INDEX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/store/store_format.h"

namespace triage {

// The conversation a message belongs to: its conversation id, or, without
// one, the message itself (a conversation of one).
inline const std::string& ConversationKey(const std::string& id, const MessageState& s) {
  return s.conversation_id.empty() ? id : s.conversation_id;
}

class QueueIndex {
 public:
  // Open messages. Activate stores `s` as the state of `id` (replacing an
  // earlier one) and files it under its conversation; Deactivate forgets it
  // (nothing if it is not open). At requires `id` to be open (throws
  // std::out_of_range otherwise: a broken invariant, not an input error).
  MessageState& Activate(const std::string& id, MessageState s);
  void Deactivate(const std::string& id);
  bool Contains(const std::string& id) const { return active_.count(id) > 0; }
  const MessageState* Find(const std::string& id) const;
  MessageState& At(const std::string& id) { return active_.at(id); }

  // The ready lists.
  void AddReady(const std::string& id, const MessageState& s);
  void RemoveReady(const MessageState& s);
  // The first `limit` ready ids of `queue`, in claim order.
  std::vector<std::string> ReadyIds(const std::string& queue, size_t limit) const;
  // Calls `fn` with the ready ids of `queue` in claim order until it returns
  // false. `fn` may take the message it is given off the ready list (and
  // nothing else): the walk has already stepped past it.
  void WalkReady(const std::string& queue, const std::function<bool(const std::string& id)>& fn);

  // Leases.
  void AddLease(const std::string& id, const MessageState& s);
  void RemoveLease(const std::string& id, const MessageState& s);
  // The id of the message whose lease ended first, if that is at or before
  // `now`. The caller takes it off (RemoveLease) before asking again.
  std::optional<std::string> NextExpiredLease(int64_t now);

  // For queue listings: every queue seen since open, with its numbers.
  struct QueueCounts {
    uint64_t ready = 0;
    uint64_t claimed = 0;
    std::optional<int64_t> oldest_ready_ms;  // received_ms of the first arrival still ready
  };
  std::map<std::string, QueueCounts> Counts() const;

  // The newest open message of a conversation (by arrival), or null.
  const std::string* NewestOpen(const std::string& conversation) const;

 private:
  using ReadyKey = std::pair<int, uint64_t>;  // (urgency rank: 0 = urgent, seq)
  static ReadyKey Key(const MessageState& s);

  std::unordered_map<std::string, MessageState> active_;
  std::map<std::string, std::map<ReadyKey, std::string>> ready_;           // queue -> claim order -> id
  std::map<std::string, std::map<uint64_t, int64_t>> ready_arrivals_;      // queue -> seq -> received_ms
  std::set<std::pair<int64_t, std::string>> leases_;                       // (lease_until, id)
  std::map<std::string, uint64_t> claimed_count_;                          // queue -> n
  std::unordered_map<std::string, std::set<std::pair<uint64_t, std::string>>> open_by_conv_;  // -> (seq, id)
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_QUEUE_INDEX_H_
