// U64HashTable against std::unordered_map under random inserts, overwrites
// and erases (backward-shift deletion is where open addressing goes wrong),
// and the ThreadTracker built on it: lookups by reply and by conversation,
// eviction order.
#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

#include "base/hash_table.h"
#include "engine/thread_tracker.h"

namespace triage {
namespace {

TEST_CASE("U64HashTable matches unordered_map under random puts and erases", "[hash_table]") {
  std::mt19937_64 rng(42);
  U64HashTable<uint32_t> table(16);
  std::unordered_map<uint64_t, uint32_t> model;
  // Few distinct keys whose low bits collide often: long probe runs that
  // wrap around the end of the array, then shrink on erase.
  std::uniform_int_distribution<uint64_t> key_of(1, 5000);
  for (int step = 0; step < 200000; ++step) {
    const uint64_t key = key_of(rng) * 1024 + (key_of(rng) % 3);  // low 10 bits: only 0, 1, 2
    const uint32_t value = static_cast<uint32_t>(rng());
    if (rng() % 3 == 0) {
      CHECK(table.Erase(key) == (model.erase(key) == 1));
    } else {
      CHECK(table.Put(key, value) == model.insert_or_assign(key, value).second);
    }
    if (step % 997 == 0) {
      REQUIRE(table.size() == model.size());
      for (const auto& [k, v] : model) {
        const uint32_t* found = table.Find(k);
        REQUIRE(found != nullptr);
        REQUIRE(*found == v);
      }
    }
  }
  REQUIRE(table.size() == model.size());
  for (uint64_t k = 1; k < 6000 * 1024; k += 1021) CHECK((table.Find(k) != nullptr) == (model.count(k) == 1));
}

TEST_CASE("StringHash64 is fixed and never used as the empty key", "[hash_table]") {
  // Fixed across runs and builds: replay's output depends on it.
  CHECK(StringHash64("") == StringHash64(""));
  CHECK(StringHash64("a") != StringHash64("b"));
  CHECK(StringHash64("msg-1") != StringHash64("msg-2"));
  CHECK(NonZeroKey(0) == 1);
  CHECK(NonZeroKey(7) == 7);
}

Message Msg(std::string_view id, std::string_view conversation, std::string_view author,
            std::string_view reply_to = {}) {
  Message m;
  m.id = id;
  m.conversation_id = conversation;
  m.author.id = author;
  m.in_reply_to = reply_to;
  return m;
}

TEST_CASE("ThreadTracker finds the replied-to message, else the conversation's latest", "[hash_table][thread]") {
  ThreadTracker t;
  t.Record(Msg("m1", "c1", "alice"), Label::kSupport);
  t.Record(Msg("m2", "c1", "bob"), Label::kFeedback);

  ThreadContext by_reply = t.Find(Msg("m3", "c1", "alice", "m1"));
  CHECK(by_reply.known);
  CHECK(by_reply.previous == Label::kSupport);
  CHECK(by_reply.same_author);

  ThreadContext by_conversation = t.Find(Msg("m3", "c1", "alice"));
  CHECK(by_conversation.known);
  CHECK(by_conversation.previous == Label::kFeedback);  // the latest, m2, by bob
  CHECK_FALSE(by_conversation.same_author);

  CHECK_FALSE(t.Find(Msg("m4", "c9", "alice")).known);
  CHECK_FALSE(t.Find(Msg("m4", "c1", "alice", "unknown")).known);  // a reply to an unknown message stays unknown
  CHECK(t.size() == 2);
}

TEST_CASE("ThreadTracker forgets the oldest first, a conversation with its latest message", "[hash_table][thread]") {
  ThreadTracker t(/*capacity=*/3);
  t.Record(Msg("a1", "A", "u"), Label::kLead);
  t.Record(Msg("b1", "B", "u"), Label::kSupport);
  t.Record(Msg("a2", "A", "u"), Label::kCrisis);  // A's latest is now a2
  t.Record(Msg("c1", "C", "u"), Label::kNone);    // a1 forgotten; A stays (its latest is a2)
  CHECK(t.size() == 3);
  CHECK_FALSE(t.Find(Msg("x", "", "u", "a1")).known);
  REQUIRE(t.Find(Msg("x", "A", "u")).known);
  CHECK(t.Find(Msg("x", "A", "u")).previous == Label::kCrisis);
  t.Record(Msg("d1", "D", "u"), Label::kNone);  // b1 forgotten, and B with it
  CHECK_FALSE(t.Find(Msg("x", "B", "u")).known);
  // Recording an id again updates it without taking a second place.
  t.Record(Msg("d1", "D", "u"), Label::kLead);
  CHECK(t.size() == 3);
  CHECK(t.Find(Msg("x", "", "u", "d1")).previous == Label::kLead);
  // Many more messages: memory stays at the capacity.
  for (int i = 0; i < 1000; ++i) t.Record(Msg("n" + std::to_string(i), "N", "u"), Label::kNone);
  CHECK(t.size() == 3);
  CHECK(t.Find(Msg("x", "N", "u")).known);
  CHECK_FALSE(t.Find(Msg("x", "", "u", "n996")).known);
  CHECK(t.Find(Msg("x", "", "u", "n997")).known);
}

TEST_CASE("ThreadTracker's tables stop growing at its capacity", "[hash_table][thread]") {
  // A power-of-two capacity fills each table to its load limit exactly; one
  // entry more (adding before forgetting) would double both for good.
  ThreadTracker t(/*capacity=*/1024);
  for (int i = 0; i < 1024; ++i) t.Record(Msg("m" + std::to_string(i), "c" + std::to_string(i), "u"), Label::kNone);
  const size_t full = t.table_slots();
  CHECK(full == 2048 + 2048);
  for (int i = 1024; i < 10000; ++i) t.Record(Msg("m" + std::to_string(i), "c" + std::to_string(i), "u"), Label::kNone);
  CHECK(t.size() == 1024);
  CHECK(t.table_slots() == full);
  CHECK(t.Find(Msg("x", "c9999", "u")).known);
  CHECK_FALSE(t.Find(Msg("x", "c8975", "u")).known);
  CHECK(t.Find(Msg("x", "c8976", "u")).known);
}

}  // namespace
}  // namespace triage
