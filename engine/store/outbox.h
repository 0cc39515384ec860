// Outbox: what the store owes to the outside world. Every routed message and
// every crisis alert change that a configured sink subscribes to becomes one
// entry per sink, written in the SAME WriteBatch as the message or alert
// itself, so a crash can never store one without the other. A delivery
// worker (runtime/outbound/) reads the entries of its sink in order, sends
// them, and removes each delivered one with a write through the store's
// writer; an entry that keeps failing is moved to the sink's dead letters,
// from where an operator can retry it.
//
// On disk (store_format.h):
//
//   column family  key                               value
//   outbox         len(sink) BE32 | sink | seq BE64  EncodeOutboxEntry
//   dead_letters   len(sink) BE32 | sink | seq BE64  EncodeDeadLetter
//   default        "next_outbox_seq"                 next outbox sequence (BE64)
//
// The sequence is global and never reused (its counter is written with
// every entry), so "<sink>:<seq>" names one delivery for good: it is the
// idempotency key receivers use to drop repeats, and it survives retries,
// restarts and a trip through the dead letters.
//
// Which sinks want what is not the store's business: an OutboxRouter
// (implemented by runtime/outbound) answers that, on the writer thread.
#ifndef TRIAGE_ENGINE_STORE_OUTBOX_H_
#define TRIAGE_ENGINE_STORE_OUTBOX_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/label.h"

namespace triage {

inline constexpr std::string_view kNextOutboxSeqKey = "next_outbox_seq";

struct OutboxEntry {
  std::string sink;          // from the key
  uint64_t seq = 0;          // from the key
  std::string kind;          // "message" or "alert"
  std::string subject;       // the message id or the alert id
  std::string conversation;  // deliveries of one conversation keep their order
  std::string event;         // "routed" (messages); "opened", "updated" or "closed" (alerts)
  std::string queue;         // messages: the queue routed to
  Priority priority = Priority::kNormal;
  int64_t enqueued_ms = 0;   // store clock when written
  std::string delivery_id;   // the idempotency key: "<sink>:<first seq>"
  // messages: {"message": <archive line>, "decision": <decision line>};
  // alerts: the alert's JSON.
  std::string payload;
};

struct DeadLetter {
  OutboxEntry entry;
  uint32_t attempts = 0;
  int64_t failed_ms = 0;
  std::string error;  // the last failure
};

// What the store is about to write, for the router to match against.
struct OutboxSubject {
  std::string_view kind;  // "message" or "alert"
  std::string_view id;
  std::string_view event;
  std::string_view queue;
  Priority priority = Priority::kNormal;
  std::string_view payload;  // the alert's JSON for alerts
};

class OutboxRouter {
 public:
  virtual ~OutboxRouter() = default;
  // Appends the names of the sinks that want `s`. Runs on the store's writer
  // thread with the store's mutex held: fast, no I/O, no store calls.
  virtual void Route(const OutboxSubject& s, std::vector<std::string>* sinks) const = 0;
  // New entries are durable (called on the writer thread after the write).
  virtual void Written() const = 0;
};

// Keys: the same shape as event keys (len-prefixed name, then BE64).
std::string OutboxKeyPrefix(const std::string& sink);
std::string OutboxKey(const std::string& sink, uint64_t seq);
// Splits a key; false for anything OutboxKey did not write.
bool DecodeOutboxKey(std::string_view key, std::string* sink, uint64_t* seq);

// Format version "1", then kind, subject, conversation, event, queue,
// priority, enqueued_ms and delivery_id, each followed by \x1f, then the
// payload to the end (it is JSON: control characters in it are escaped, so
// no separator can occur in it; it is last anyway). Ids, queues and sink
// names never contain \x1f. sink and seq come from the key.
std::string EncodeOutboxEntry(const OutboxEntry& e);
bool DecodeOutboxEntry(std::string_view in, OutboxEntry* e);

// "1", attempts, failed_ms, error (\x1f replaced), each followed by \x1f,
// then EncodeOutboxEntry of the entry.
std::string EncodeDeadLetter(const DeadLetter& d);
bool DecodeDeadLetter(std::string_view in, DeadLetter* d);

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_OUTBOX_H_
