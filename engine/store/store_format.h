// Store format: every byte QueueStore puts on disk, and nothing else. A
// stored database outlives the binary that wrote it, so whatever is here
// changes only together with a migration; the rest of engine/store/ may move
// freely.
//
// One embedded RocksDB database per data directory, with these column
// families, opened in this order (ColumnFamily below):
//
//   column family  key                                value
//   default        "next_seq"                         next arrival sequence number (BE64)
//                  "next_event_seq"                   next event sequence number (BE64)
//                  "event_dedupe:" key                 the message id of an event recorded under
//                                                     a platform's id (EventDedupeKey)
//   messages       message id                         the archive line as received
//   decisions      message id                         the decision line (DecisionWriter)
//   state          message id                         MessageState (EncodeState; small, mutable)
//   events         len(id) (BE32) | id | seq (BE64)   one event as JSON (EventKey)
//   alerts         alert id                           the crisis alert as JSON (latest state)
//   authors        len(ch:author) (BE32) | ch:author | message id   "" (AuthorKey: the author index)
//   erasures       channel \x1f author id             the erasure as JSON (erasure.h: the ledger)
//   outbox         len(sink) (BE32) | sink | seq (BE64)  one delivery owed to a sink (outbox.h)
//   dead_letters   len(sink) (BE32) | sink | seq (BE64)  one delivery a sink gave up on (outbox.h)
//   aggregates     see aggregates_format.h            what the reports read instead of the
//                                                     messages (conversations, per day and group)
//
// Big-endian integers make RocksDB's bytewise key order the numeric order:
// the events of one message sort together and in the order they were
// recorded. The length in front of the id keeps the events of "ab" from
// sorting among those of "a" (a prefix scan for "a" would otherwise see them).
//
// Users: QueueStore (engine/store/queue_store.cc) writes and reads all of it;
// runtime/server shows MessageStatusName; tests check the encodings. Nothing
// here depends on RocksDB. Every function is pure and thread-safe.
#ifndef TRIAGE_ENGINE_STORE_STORE_FORMAT_H_
#define TRIAGE_ENGINE_STORE_STORE_FORMAT_H_

#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>
#include <string_view>

#include "format/label.h"

namespace triage {

// The column families, by their index in the open order. RocksDB requires
// the open order to name every column family of the database; the index is
// only how the store finds each handle, not part of the stored bytes.
enum ColumnFamily : int {
  kDefaultCf = 0, kMessagesCf, kDecisionsCf, kStateCf, kEventsCf, kAlertsCf, kAuthorsCf, kErasuresCf, kOutboxCf,
  kDeadLettersCf, kAggregatesCf
};
inline constexpr int kNumColumnFamilies = 11;
// Indexed by ColumnFamily. "default" is RocksDB's own default column family.
// authors, erasures, outbox, dead_letters and aggregates came later: a
// database without them gets them at its next read-write open (the author
// index and the aggregates then built from the messages).
inline constexpr std::string_view kColumnFamilyNames[kNumColumnFamilies] = {
    "default", "messages", "decisions", "state", "events", "alerts", "authors", "erasures", "outbox", "dead_letters",
    "aggregates"};

// Keys of the counters in the default column family. Both are rewritten in
// every group commit that writes anything, so a restart never reuses a number.
inline constexpr std::string_view kNextSeqKey = "next_seq";
inline constexpr std::string_view kNextEventSeqKey = "next_event_seq";

// The key (default column family) recording that the event with dedupe key
// `key` (a platform's id of a reply, such as "slack:C1:1712.0001") was
// stored: "event_dedupe:" + key. Never deleted: a few dozen bytes per reply.
std::string EventDedupeKey(std::string_view key);

// The numbers are stored: never renumber, only add.
// kDeleted: the platform deleted it (its text and author are gone, erasure.h),
// or a tombstone: a delete that came before its message, so that the message
// is taken for a duplicate when it arrives. A tombstone has a state and no
// message line.
enum class MessageStatus : uint8_t { kQueued = 0, kClaimed = 1, kDone = 2, kAssigned = 3, kDeleted = 4 };
std::string_view MessageStatusName(MessageStatus s);

struct MessageState {
  std::string queue;
  Priority priority = Priority::kNormal;
  uint64_t seq = 0;
  MessageStatus status = MessageStatus::kQueued;
  std::string agent;         // holder of the lease, or who closed it
  int64_t lease_until = 0;   // ms since epoch, when claimed
  int64_t received_ms = 0;
  std::string conversation_id;
};

// The value of a message in the state column family: format version "1",
// then queue, priority, seq, status, agent, lease_until, received_ms and
// conversation id, each followed by \x1f (unit separator), numbers in
// decimal. Ids, queues and agents never contain \x1f (the HTTP layer rejects
// control characters in them), so no escaping is needed.
std::string EncodeState(const MessageState& s);
// Parses what EncodeState wrote. False, with *s untouched, for anything
// else: another version or field count, bytes after the last separator, a
// number that is empty, signed where it cannot be, out of range for its type
// or followed by other characters, a priority or status with no meaning.
// Never throws.
bool DecodeState(std::string_view in, MessageState* s);

// 8 bytes, most significant first.
void PutBE64(uint64_t v, std::string* out);
// The inverse of PutBE64. Reads the first 8 bytes of `s`; a shorter `s`
// gives the number of the bytes it has (PutBE64 never writes one).
uint64_t GetBE64(std::string_view s);

// The key prefix shared by every event of message `id`: len(id) (BE32) | id.
std::string EventKeyPrefix(const std::string& id);
// The key of event number `seq` of message `id`: EventKeyPrefix(id) | seq (BE64).
std::string EventKey(const std::string& id, uint64_t seq);

// The author index: which messages one author wrote, for erasure. The key
// prefix of author `author_id` on `channel`: len (BE32) | channel ":" author_id
// (the length keeps author "1" from sorting among those of "12").
std::string AuthorKeyPrefix(std::string_view channel, std::string_view author_id);
// AuthorKeyPrefix(channel, author_id) | message id.
std::string AuthorKey(std::string_view channel, std::string_view author_id, std::string_view id);

// Stored records made of fields (MessageState, outbox entries) end each
// field with this unit separator.
inline constexpr char kFieldEnd = '\x1f';

// A whole field as a decimal number of type T: no sign where T has none, no
// spaces, nothing after the digits, in range. std::from_chars neither throws
// nor consults the locale, so a damaged value is a false return, never an
// exception escaping a writer thread.
template <typename T>
bool ParseNumber(std::string_view field, T* out) {
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_STORE_FORMAT_H_
