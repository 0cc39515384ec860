// ThreadTracker: the recent past of conversations, so that a message can be
// classified with what came before it (Message::thread).
//
// It remembers, for the most recent messages, the label decided for each and
// a hash of its author, by message id and by conversation. Lookup() finds
// the message a new one replies to (in_reply_to), else the latest message of
// its conversation. Bounded: the oldest entries are forgotten first, so
// memory stays flat on an endless stream. Not thread-safe (the daemon wraps
// it in a lock); deterministic (replay gives the same context every run).
#ifndef TRIAGE_ENGINE_THREAD_TRACKER_H_
#define TRIAGE_ENGINE_THREAD_TRACKER_H_

#include <cstdint>
#include <deque>
#include <string_view>
#include <utility>

#include "base/hash_table.h"
#include "engine/processor.h"
#include "format/message.h"

namespace triage {

class ThreadTracker : public ThreadContextSource {
 public:
  explicit ThreadTracker(size_t capacity = 1 << 20) : capacity_(capacity ? capacity : 1) {}

  // The context of `m`: known when the message it replies to, or an earlier
  // message of its conversation, was recorded (and not yet forgotten).
  ThreadContext Lookup(const Message& m) override { return Find(m); }
  ThreadContext Find(const Message& m) const;
  // Remembers `m` with the label decided for it.
  void Record(const Message& m, Label decided) override;
  // Remembers a message known by id only (e.g. read back from the store).
  void Record(std::string_view id, std::string_view conversation_id, std::string_view author_id, Label decided);

  size_t size() const { return order_.size(); }
  // Slots in the two tables (memory: 24 and 32 bytes a slot).
  size_t table_slots() const { return by_id_.slot_count() + by_conversation_.slot_count(); }

 private:
  struct Entry {
    Label label = Label::kNone;
    uint64_t author = 0;
  };
  static uint64_t AuthorHash(std::string_view author_id);
  // Forgets the oldest messages until at most `keep` remain.
  void EvictTo(size_t keep);

  size_t capacity_;
  U64HashTable<Entry> by_id_;  // by id hash
  struct Latest {
    Entry entry;
    uint64_t id = 0;  // hash of the message that set it
  };
  U64HashTable<Latest> by_conversation_;  // by conversation hash
  // Insertion order, for eviction: (id hash, conversation hash or 0 for none).
  std::deque<std::pair<uint64_t, uint64_t>> order_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_THREAD_TRACKER_H_
