// The store's rooms tested on their own, without RocksDB: the state
// encoding and key order (store_format), the in-memory queues (queue_index)
// and the choice of agent (assignment).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/store/assignment.h"
#include "engine/store/queue_index.h"
#include "engine/store/store_format.h"

using namespace triage;

TEST_CASE("State encoding round-trips and rejects garbage", "[store]") {
  MessageState s{"support", Priority::kHigh, 42, MessageStatus::kClaimed, "agent-7", 123456, 99, "conv-1"};
  MessageState back;
  REQUIRE(DecodeState(EncodeState(s), &back));
  CHECK(back.queue == "support");
  CHECK(back.priority == Priority::kHigh);
  CHECK(back.seq == 42);
  CHECK(back.status == MessageStatus::kClaimed);
  CHECK(back.agent == "agent-7");
  CHECK(back.lease_until == 123456);
  CHECK(back.conversation_id == "conv-1");
  CHECK_FALSE(DecodeState("garbage", &back));
  CHECK_FALSE(DecodeState("1\x1fq\x1f" "9\x1f" "1\x1f" "0\x1f\x1f" "0\x1f" "0\x1f\x1f", &back));  // priority 9
}

namespace {

// The state fields of a valid record, to be damaged one at a time.
std::vector<std::string> StateFields() {
  return {"1", "support", "2", "42", "1", "agent-7", "123456", "99", "conv-1"};
}

std::string JoinState(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) out += f + '\x1f';
  return out;
}

}  // namespace

TEST_CASE("State encoding is byte for byte what stores hold", "[store]") {
  MessageState s{"support", Priority::kHigh, 42, MessageStatus::kClaimed, "agent-7", 123456, 99, "conv-1"};
  CHECK(EncodeState(s) == JoinState(StateFields()));
  MessageState negative{"q", Priority::kLow, 0, MessageStatus::kAssigned, "", -5, -1, ""};
  CHECK(EncodeState(negative) == std::string("1\x1fq\x1f" "0\x1f" "0\x1f" "3\x1f\x1f" "-5\x1f" "-1\x1f\x1f"));
  MessageState back;
  REQUIRE(DecodeState(EncodeState(negative), &back));
  CHECK(back.lease_until == -5);
  CHECK(back.received_ms == -1);
  CHECK(back.status == MessageStatus::kAssigned);
  CHECK(back.seq == 0);
}

TEST_CASE("State decoding rejects damaged numbers without throwing, leaving the state untouched", "[store]") {
  REQUIRE(JoinState(StateFields()) == EncodeState(MessageState{"support", Priority::kHigh, 42, MessageStatus::kClaimed,
                                                               "agent-7", 123456, 99, "conv-1"}));
  struct Damage {
    size_t field;
    std::string value;
  };
  const std::vector<Damage> damages = {
      {2, "1x"}, {2, ""}, {2, "-1"}, {2, "4"}, {2, " 1"}, {2, "+1"}, {2, "99999999999999999999"},
      {3, "1x"}, {3, ""}, {3, "-1"}, {3, "99999999999999999999"}, {3, "0x10"},
      {4, "1x"}, {4, ""}, {4, "-1"}, {4, "5"}, {4, "99999999999999999999"},  // 4: deleted
      {6, "1x"}, {6, ""}, {6, "99999999999999999999"}, {6, "1.5"},
      {7, "1x"}, {7, ""}, {7, "-99999999999999999999"},
      {0, "2"}};
  for (const Damage& d : damages) {
    std::vector<std::string> fields = StateFields();
    fields[d.field] = d.value;
    MessageState s{"before", Priority::kLow, 7, MessageStatus::kDone, "x", 1, 2, "c"};
    bool ok = true;
    INFO("field " << d.field << " = '" << d.value << "'");
    CHECK_NOTHROW(ok = DecodeState(JoinState(fields), &s));
    CHECK_FALSE(ok);
    CHECK(s.queue == "before");
    CHECK(s.seq == 7);
  }
  MessageState s;
  const std::string good = JoinState(StateFields());
  CHECK(DecodeState(good, &s));
  CHECK_FALSE(DecodeState("", &s));
  CHECK_FALSE(DecodeState(good + "tail", &s));             // bytes after the last separator
  CHECK_FALSE(DecodeState(good + "x\x1f", &s));            // a tenth field
  CHECK_FALSE(DecodeState(good.substr(0, good.size() - 1), &s));  // the last separator missing
  // The widest values of each type are accepted.
  std::vector<std::string> wide = StateFields();
  wide[3] = "18446744073709551615";
  wide[6] = "-9223372036854775808";
  wide[7] = "9223372036854775807";
  REQUIRE(DecodeState(JoinState(wide), &s));
  CHECK(s.seq == UINT64_MAX);
  CHECK(s.lease_until == INT64_MIN);
  CHECK(s.received_ms == INT64_MAX);
  wide[3] = "18446744073709551616";
  CHECK_FALSE(DecodeState(JoinState(wide), &s));
}

TEST_CASE("Sequence numbers are big-endian, so key order is numeric order", "[store]") {
  std::string b;
  PutBE64(0x0102030405060708ull, &b);
  CHECK(b == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  CHECK(GetBE64(b) == 0x0102030405060708ull);
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256}, uint64_t{1} << 40, UINT64_MAX}) {
    std::string e;
    PutBE64(v, &e);
    CHECK(e.size() == 8);
    CHECK(GetBE64(e) == v);
  }
  std::string small, large;
  PutBE64(255, &small);
  PutBE64(256, &large);
  CHECK(small < large);
  // Event keys: len(id) | id | seq, so "a"'s events do not share a prefix with "ab"'s.
  CHECK(EventKeyPrefix("ab") == std::string("\0\0\0\x02" "ab", 6));
  CHECK(EventKey("ab", 3) == EventKeyPrefix("ab") + std::string("\0\0\0\0\0\0\0\x03", 8));
  CHECK(EventKey("ab", 1).rfind(EventKeyPrefix("a"), 0) == std::string::npos);
  CHECK(EventKey("a", 2) < EventKey("a", 10));
}

namespace {

MessageState Ready(const std::string& queue, Priority p, uint64_t seq, const std::string& conv, int64_t received = 0) {
  MessageState s;
  s.queue = queue;
  s.priority = p;
  s.seq = seq;
  s.received_ms = received;
  s.conversation_id = conv;
  return s;
}

void AddOpen(QueueIndex& index, const std::string& id, const MessageState& s) {
  index.AddReady(id, s);
  index.Activate(id, s);
}

}  // namespace

TEST_CASE("QueueIndex orders a queue urgent first, then by arrival", "[store]") {
  QueueIndex index;
  AddOpen(index, "n1", Ready("q", Priority::kNormal, 1, "", 1000));
  AddOpen(index, "l1", Ready("q", Priority::kLow, 2, "", 2000));
  AddOpen(index, "u1", Ready("q", Priority::kUrgent, 3, "", 3000));
  AddOpen(index, "n2", Ready("q", Priority::kNormal, 4, "", 4000));
  AddOpen(index, "u2", Ready("q", Priority::kUrgent, 5, "", 5000));
  AddOpen(index, "h1", Ready("q", Priority::kHigh, 6, "", 6000));
  AddOpen(index, "o1", Ready("other", Priority::kUrgent, 7, "", 7000));
  CHECK(index.ReadyIds("q", 10) == std::vector<std::string>{"u1", "u2", "h1", "n1", "n2", "l1"});
  CHECK(index.ReadyIds("q", 2) == std::vector<std::string>{"u1", "u2"});
  CHECK(index.ReadyIds("none", 10).empty());

  auto counts = index.Counts();
  REQUIRE(counts.count("q"));
  CHECK(counts["q"].ready == 6);
  CHECK(counts["q"].oldest_ready_ms == 1000);  // the first arrival, not the first in claim order

  // Claiming n1 (the oldest) moves it to the leases; the oldest ready is now l1.
  MessageState& n1 = index.At("n1");
  index.RemoveReady(n1);
  n1.status = MessageStatus::kClaimed;
  n1.lease_until = 50;
  index.AddLease("n1", n1);
  counts = index.Counts();
  CHECK(counts["q"].ready == 5);
  CHECK(counts["q"].claimed == 1);
  CHECK(counts["q"].oldest_ready_ms == 2000);
  CHECK_FALSE(index.NextExpiredLease(49).has_value());
  CHECK(index.NextExpiredLease(50) == "n1");
  index.RemoveLease("n1", n1);
  CHECK_FALSE(index.NextExpiredLease(1000).has_value());

  // A walk may take the message it is on off the list.
  std::vector<std::string> walked;
  index.WalkReady("q", [&](const std::string& id) {
    walked.push_back(id);
    index.RemoveReady(index.At(id));
    return walked.size() < 3;
  });
  CHECK(walked == std::vector<std::string>{"u1", "u2", "h1"});
  CHECK(index.ReadyIds("q", 10) == std::vector<std::string>{"n2", "l1"});
  counts = index.Counts();
  CHECK(counts["q"].claimed == 0);  // still listed at zero
}

TEST_CASE("QueueIndex finds the newest open message of a conversation", "[store]") {
  QueueIndex index;
  AddOpen(index, "a1", Ready("q", Priority::kNormal, 1, "conv-a"));
  AddOpen(index, "b1", Ready("q", Priority::kNormal, 2, "conv-b"));
  AddOpen(index, "a2", Ready("q", Priority::kUrgent, 3, "conv-a"));
  AddOpen(index, "solo", Ready("q", Priority::kNormal, 4, ""));  // no conversation: its own
  REQUIRE(index.NewestOpen("conv-a") != nullptr);
  CHECK(*index.NewestOpen("conv-a") == "a2");
  CHECK(*index.NewestOpen("conv-b") == "b1");
  CHECK(*index.NewestOpen("solo") == "solo");
  CHECK(index.NewestOpen("conv-c") == nullptr);
  // Closing the newest leaves the one before it; closing both leaves none.
  index.RemoveReady(index.At("a2"));
  index.Deactivate("a2");
  CHECK(*index.NewestOpen("conv-a") == "a1");
  CHECK_FALSE(index.Contains("a2"));
  index.RemoveReady(index.At("a1"));
  index.Deactivate("a1");
  CHECK(index.NewestOpen("conv-a") == nullptr);
  CHECK(index.Find("a1") == nullptr);
  CHECK(index.Find("b1") != nullptr);
}

TEST_CASE("Assignment hands a backlog out in passes and reports every state it changes", "[store][push]") {
  QueueIndex index;
  Assignment assignment({{"support", QueueAssignment{AssignmentMode::kRoundRobin, 0}}}, 30000, &index);
  for (uint64_t i = 1; i <= 7; ++i) {
    std::string n = std::to_string(i);  // (not "m" + n: a GCC 12 -Wrestrict false positive)
    AddOpen(index, std::string("m").append(n), Ready("support", Priority::kNormal, i, std::string("c").append(n)));
  }
  AddOpen(index, "p1", Ready("pull", Priority::kNormal, 8, "cp"));
  std::vector<std::pair<std::string, std::string>> written;  // (id, agent)
  Assignment::StateSink put = [&](const std::string& id, const MessageState& s) {
    CHECK(s.status == MessageStatus::kAssigned);
    written.emplace_back(id, s.agent);
  };
  QueueStore::AgentStatus alice = assignment.Heartbeat("alice", {"support", "pull"}, 1000, put);
  CHECK(alice.newly_assigned == 5);  // kBacklogPerPass
  CHECK(alice.open_conversations == 5);
  CHECK(alice.online_until == 31000);
  REQUIRE(written.size() == 5);
  CHECK(written[0] == std::pair<std::string, std::string>{"m1", "alice"});
  CHECK(index.ReadyIds("support", 10) == std::vector<std::string>{"m6", "m7"});
  CHECK(index.ReadyIds("pull", 10) == std::vector<std::string>{"p1"});  // a pull queue is never pushed
  QueueStore::AgentStatus bob = assignment.Heartbeat("bob", {"support"}, 2000, put);
  CHECK(bob.newly_assigned == 2);  // the least loaded takes the rest
  CHECK(assignment.AssignedTo("bob") == std::vector<std::string>{"m6", "m7"});
  CHECK(index.At("m7").agent == "bob");
  CHECK(assignment.assigned_counts().at("support") == 7);
  // Releasing one frees a conversation.
  assignment.Release("m6", index.At("m6"));
  CHECK(assignment.OpenConversations("bob") == 1);
  CHECK(assignment.AssignedTo("bob") == std::vector<std::string>{"m7"});
  // Alice's TTL runs out (bob's not yet): her five go back and, in one pass, to bob.
  written.clear();
  std::vector<std::string> requeued;
  assignment.ExpireAgents(31000, [&](const std::string& id, const MessageState& s) {
    if (s.status == MessageStatus::kQueued) requeued.push_back(id);
    else written.emplace_back(id, s.agent);
  });
  CHECK(requeued == std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"});
  CHECK(written.size() == 5);
  CHECK(assignment.AssignedTo("bob").size() == 6);
  REQUIRE(assignment.agents().size() == 1);
  CHECK(assignment.agents().begin()->first == "bob");
}
