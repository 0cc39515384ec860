#include <catch2/catch.hpp>

#include <atomic>

#include "engine/store/queue_store.h"
#include "test_util.h"

using namespace triage;

namespace {

using Clock = test::ManualClock;

IngestItem Item(const std::string& id, const std::string& queue, Priority p = Priority::kNormal) {
  return IngestItem{id, "{\"id\":\"" + id + "\"}", "{\"decision\":\"" + id + "\"}", queue, p, "conv-" + id};
}

std::unique_ptr<QueueStore> OpenStore(const std::string& dir, const Clock& clock) {
  QueueStoreOptions o;
  o.now_ms = clock.fn();
  o.lease_check_interval_ms = 20;
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::Open(dir, o, &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

std::vector<std::string> Ids(const std::vector<ClaimedMessage>& v) {
  std::vector<std::string> out;
  for (const auto& m : v) out.push_back(m.id);
  return out;
}

}  // namespace

TEST_CASE("Ingest stores each id once - a retry is answered as a duplicate", "[store]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenStore(dir.path(), clock);
  std::vector<IngestOutcome> out;
  REQUIRE(store->IngestSync({Item("a", "support"), Item("b", "sales"), Item("a", "support")}, &out).ok());
  CHECK(out == std::vector<IngestOutcome>{IngestOutcome::kStored, IngestOutcome::kStored, IngestOutcome::kDuplicate});
  REQUIRE(store->IngestSync({Item("b", "sales"), Item("c", "sales")}, &out).ok());
  CHECK(out == std::vector<IngestOutcome>{IngestOutcome::kDuplicate, IngestOutcome::kStored});
  auto queues = store->Queues({"comms"});
  REQUIRE(queues.size() == 3);
  CHECK(queues[0].name == "comms");
  CHECK(queues[0].depth == 0);
  CHECK(queues[1].name == "sales");
  CHECK(queues[1].depth == 2);
  CHECK(queues[2].depth == 1);
}

TEST_CASE("Queues hand out messages by priority, then arrival", "[store]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenStore(dir.path(), clock);
  REQUIRE(store->IngestSync({Item("n1", "q"), Item("h1", "q", Priority::kHigh), Item("n2", "q"),
                             Item("u1", "q", Priority::kUrgent), Item("l1", "q", Priority::kLow),
                             Item("h2", "q", Priority::kHigh)},
                            nullptr)
              .ok());
  auto peek = store->Peek("q", 10);
  std::vector<std::string> order;
  for (auto& [id, decision] : peek) order.push_back(id);
  CHECK(order == std::vector<std::string>{"u1", "h1", "h2", "n1", "n2", "l1"});
  CHECK(peek[0].second == "{\"decision\":\"u1\"}");
  std::vector<ClaimedMessage> got;
  REQUIRE(store->ClaimSync("q", "agent-1", 2, 60000, &got).ok());
  CHECK(Ids(got) == std::vector<std::string>{"u1", "h1"});
  CHECK(got[0].raw == "{\"id\":\"u1\"}");
  REQUIRE(store->ClaimSync("q", "agent-2", 10, 60000, &got).ok());
  CHECK(Ids(got) == std::vector<std::string>{"h2", "n1", "n2", "l1"});
  REQUIRE(store->ClaimSync("q", "agent-2", 10, 60000, &got).ok());
  CHECK(got.empty());
}

TEST_CASE("An expired lease makes the message claimable again", "[store]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenStore(dir.path(), clock);
  REQUIRE(store->IngestSync({Item("m1", "support"), Item("m2", "support")}, nullptr).ok());
  std::vector<ClaimedMessage> got;
  REQUIRE(store->ClaimSync("support", "alice", 1, 30000, &got).ok());
  REQUIRE(Ids(got) == std::vector<std::string>{"m1"});
  // m1 is acknowledged by an event before its lease ends; m2 is claimed and abandoned.
  REQUIRE(store->AddEventSync("m1", Event{EventType::kReplied, "alice", clock.t->load(), "", ""}).ok());
  REQUIRE(store->ClaimSync("support", "bob", 1, 30000, &got).ok());
  REQUIRE(Ids(got) == std::vector<std::string>{"m2"});
  REQUIRE(store->ClaimSync("support", "carol", 1, 30000, &got).ok());
  CHECK(got.empty());
  clock.Advance(30001);
  REQUIRE(store->ClaimSync("support", "carol", 5, 30000, &got).ok());
  CHECK(Ids(got) == std::vector<std::string>{"m2"});  // m1 was acknowledged and does not come back
  StoredMessage m;
  REQUIRE(store->Get("m2", &m).ok());
  CHECK(m.state.agent == "carol");
  CHECK(m.state.status == MessageStatus::kClaimed);
}

TEST_CASE("Events are stored - reroute moves the message - resolved closes it", "[store]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenStore(dir.path(), clock);
  REQUIRE(store->IngestSync({Item("x", "support"), Item("y", "support")}, nullptr).ok());
  REQUIRE(store->AddEventSync("x", Event{EventType::kRerouted, "dana", 5, "sales", "asks for a quote"}).ok());
  auto q = store->Queues({});
  CHECK(q[0].name == "sales");
  CHECK(q[0].depth == 1);
  CHECK(q[1].name == "support");
  CHECK(q[1].depth == 1);
  REQUIRE(store->AddEventSync("y", Event{EventType::kResolved, "erin", 6, "", ""}).ok());
  CHECK(store->Peek("support", 10).empty());

  StoredMessage m;
  REQUIRE(store->Get("x", &m).ok());
  CHECK(m.state.queue == "sales");
  REQUIRE(m.events.size() == 1);
  CHECK_THAT(m.events[0], Catch::Contains("\"type\":\"rerouted\""));
  CHECK_THAT(m.events[0], Catch::Contains("\"from_queue\":\"support\",\"to_queue\":\"sales\""));
  REQUIRE(store->Get("y", &m).ok());
  CHECK(m.state.status == MessageStatus::kDone);
  CHECK(m.state.agent == "erin");

  Status s = store->AddEventSync("nope", Event{EventType::kReplied, "a", 1, "", ""});
  CHECK(s.code() == Status::Code::kNotFound);
}

TEST_CASE("Everything survives a reopen: messages, queues, leases, events, dedupe", "[store]") {
  test::TempDir dir;
  Clock clock;
  {
    auto store = OpenStore(dir.path(), clock);
    REQUIRE(store->IngestSync({Item("a", "q"), Item("b", "q", Priority::kHigh), Item("c", "q")}, nullptr).ok());
    std::vector<ClaimedMessage> got;
    REQUIRE(store->ClaimSync("q", "alice", 1, 10000, &got).ok());
    REQUIRE(Ids(got) == std::vector<std::string>{"b"});
    REQUIRE(store->AddEventSync("c", Event{EventType::kResolved, "alice", 1, "", ""}).ok());
  }
  auto store = OpenStore(dir.path(), clock);
  auto q = store->Queues({});
  REQUIRE(q.size() == 1);
  CHECK(q[0].depth == 1);    // a
  CHECK(q[0].claimed == 1);  // b, still leased
  std::vector<IngestOutcome> out;
  REQUIRE(store->IngestSync({Item("a", "q"), Item("c", "q"), Item("d", "q")}, &out).ok());
  CHECK(out == std::vector<IngestOutcome>{IngestOutcome::kDuplicate, IngestOutcome::kDuplicate, IngestOutcome::kStored});
  clock.Advance(10001);
  std::vector<ClaimedMessage> got;
  REQUIRE(store->ClaimSync("q", "bob", 10, 1000, &got).ok());
  CHECK(Ids(got) == std::vector<std::string>{"b", "a", "d"});  // b's lease expired; arrival order kept
  StoredMessage m;
  REQUIRE(store->Get("c", &m).ok());
  CHECK(m.events.size() == 1);
}

TEST_CASE("A full write queue fails fast as busy instead of growing", "[store]") {
  test::TempDir dir;
  QueueStoreOptions o;
  o.max_pending_ops = 0;
  std::unique_ptr<QueueStore> store;
  REQUIRE(QueueStore::Open(dir.path(), o, &store).ok());
  Status s = store->IngestSync({Item("a", "q")}, nullptr);
  CHECK(QueueStore::IsBusy(s));
}

TEST_CASE("Opening a data directory that is not a database is a clear error", "[store]") {
  test::TempDir dir;
  dir.Write("CURRENT", "not a manifest name\n");
  std::unique_ptr<QueueStore> store;
  Status s = QueueStore::Open(dir.path(), QueueStoreOptions{}, &store);
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::StartsWith(dir.path() + ": cannot open the database"));
}

namespace {

std::unique_ptr<QueueStore> OpenPushStore(const std::string& dir, const Clock& clock, AssignmentMode mode,
                                          size_t max_open) {
  QueueStoreOptions o;
  o.now_ms = clock.fn();
  o.lease_check_interval_ms = 20;
  o.agent_ttl_ms = 30000;
  o.assignment["support"] = QueueAssignment{mode, max_open};
  std::unique_ptr<QueueStore> s;
  REQUIRE(QueueStore::Open(dir, o, &s).ok());
  return s;
}

IngestItem ConvItem(const std::string& id, const std::string& conv) {
  IngestItem it = Item(id, "support");
  it.conversation_id = conv;
  return it;
}

std::string AgentOf(QueueStore& store, const std::string& id) {
  StoredMessage m;
  REQUIRE(store.Get(id, &m).ok());
  return m.state.status == MessageStatus::kAssigned ? m.state.agent : "(" + std::string(MessageStatusName(m.state.status)) + ")";
}

}  // namespace

TEST_CASE("Round-robin push alternates online agents and keeps conversations together", "[store][push]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenPushStore(dir.path(), clock, AssignmentMode::kRoundRobin, 0);
  // Nobody online yet: messages wait in the queue.
  REQUIRE(store->IngestSync({ConvItem("w1", "c-w")}, nullptr).ok());
  CHECK(AgentOf(*store, "w1") == "(queued)");
  QueueStore::AgentStatus st;
  REQUIRE(store->HeartbeatSync("alice", {"support"}, &st).ok());
  CHECK(st.newly_assigned == 1);  // the backlog goes to the first agent online
  CHECK(AgentOf(*store, "w1") == "alice");
  REQUIRE(store->HeartbeatSync("bob", {"support"}, nullptr).ok());
  // The turn continues where it was: alice had the last one.
  REQUIRE(store->IngestSync({ConvItem("m1", "c1"), ConvItem("m2", "c2"), ConvItem("m3", "c3")}, nullptr).ok());
  CHECK(AgentOf(*store, "m1") == "bob");
  CHECK(AgentOf(*store, "m2") == "alice");
  CHECK(AgentOf(*store, "m3") == "bob");
  // A follow-up in conversation c2 goes to alice, whose turn it is not.
  REQUIRE(store->IngestSync({ConvItem("m4", "c2")}, nullptr).ok());
  CHECK(AgentOf(*store, "m4") == "alice");
  auto queues = store->Queues({});
  REQUIRE(queues.size() == 1);
  CHECK(queues[0].assigned == 5);
  CHECK(queues[0].depth == 0);
  auto bobs = store->AssignedTo("bob");
  REQUIRE(bobs.size() == 2);
  CHECK(bobs[0].first == "m1");
  CHECK(bobs[1].first == "m3");
}

TEST_CASE("A backlog is spread over the agents as they come online, not handed whole to the first",
          "[store][push]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenPushStore(dir.path(), clock, AssignmentMode::kRoundRobin, 0);  // no cap (the example default)
  std::vector<IngestItem> backlog;
  for (int i = 0; i < 29; ++i) backlog.push_back(ConvItem("b" + std::to_string(i), "cb" + std::to_string(i)));
  REQUIRE(store->IngestSync(backlog, nullptr).ok());
  QueueStore::AgentStatus a, b;
  REQUIRE(store->HeartbeatSync("alice", {"support"}, &a).ok());
  CHECK(a.newly_assigned == 5);  // a share, not all 29
  REQUIRE(store->HeartbeatSync("bob", {"support"}, &b).ok());
  CHECK(b.newly_assigned == 5);  // bob is served first: he had none
  CHECK(store->Queues({})[0].depth < 24);
  // Each further heartbeat hands out more, evenly.
  for (int round = 0; round < 4; ++round) {
    REQUIRE(store->HeartbeatSync("alice", {"support"}, nullptr).ok());
    REQUIRE(store->HeartbeatSync("bob", {"support"}, nullptr).ok());
  }
  CHECK(store->Queues({})[0].depth == 0);
  size_t na = store->AssignedTo("alice").size(), nb = store->AssignedTo("bob").size();
  CHECK(na + nb == 29);
  CHECK((na > nb ? na - nb : nb - na) <= 1);
  // New arrivals alternate as before.
  REQUIRE(store->IngestSync({ConvItem("n1", "cn1"), ConvItem("n2", "cn2")}, nullptr).ok());
  CHECK(AgentOf(*store, "n1") != AgentOf(*store, "n2"));
}

TEST_CASE("Capacity-aware push fills the least loaded agent up to its limit", "[store][push]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenPushStore(dir.path(), clock, AssignmentMode::kCapacity, 2);
  REQUIRE(store->HeartbeatSync("alice", {"support"}, nullptr).ok());
  REQUIRE(store->HeartbeatSync("bob", {"support"}, nullptr).ok());
  REQUIRE(store->IngestSync({ConvItem("a", "c1"), ConvItem("b", "c2"), ConvItem("c", "c3"), ConvItem("d", "c4"),
                             ConvItem("e", "c5")},
                            nullptr)
              .ok());
  CHECK(AgentOf(*store, "a") == "alice");
  CHECK(AgentOf(*store, "b") == "bob");
  CHECK(AgentOf(*store, "c") == "alice");
  CHECK(AgentOf(*store, "d") == "bob");
  CHECK(AgentOf(*store, "e") == "(queued)");  // both have 2 open conversations
  // Closing one frees room, and the waiting message is handed out at once.
  REQUIRE(store->AddEventSync("b", Event{EventType::kResolved, "bob", 1, "", ""}).ok());
  CHECK(AgentOf(*store, "e") == "bob");
  // A conversation an agent already has still goes to it, at capacity.
  REQUIRE(store->IngestSync({ConvItem("f", "c1")}, nullptr).ok());
  CHECK(AgentOf(*store, "f") == "alice");
}

TEST_CASE("An agent whose heartbeat lapses gives its messages back", "[store][push]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenPushStore(dir.path(), clock, AssignmentMode::kCapacity, 0);
  REQUIRE(store->HeartbeatSync("alice", {"support"}, nullptr).ok());
  REQUIRE(store->IngestSync({ConvItem("x1", "c1"), ConvItem("x2", "c2")}, nullptr).ok());
  CHECK(AgentOf(*store, "x1") == "alice");
  clock.Advance(20000);
  REQUIRE(store->HeartbeatSync("bob", {"support"}, nullptr).ok());
  clock.Advance(15000);  // alice's TTL (30 s) is over, bob's is not
  REQUIRE(store->HeartbeatSync("bob", {"support"}, nullptr).ok());
  CHECK(AgentOf(*store, "x1") == "bob");
  CHECK(AgentOf(*store, "x2") == "bob");
  auto agents = store->Agents();
  REQUIRE(agents.size() == 1);
  CHECK(agents[0].name == "bob");
  CHECK(agents[0].open_conversations == 2);
}

TEST_CASE("Assignments survive a restart - the agent gets a grace period", "[store][push]") {
  test::TempDir dir;
  Clock clock;
  {
    auto store = OpenPushStore(dir.path(), clock, AssignmentMode::kRoundRobin, 0);
    REQUIRE(store->HeartbeatSync("alice", {"support"}, nullptr).ok());
    REQUIRE(store->IngestSync({ConvItem("r1", "c1")}, nullptr).ok());
  }
  auto store = OpenPushStore(dir.path(), clock, AssignmentMode::kRoundRobin, 0);
  CHECK(AgentOf(*store, "r1") == "alice");
  CHECK(store->AssignedTo("alice").size() == 1);
  REQUIRE(store->IngestSync({ConvItem("r2", "c1")}, nullptr).ok());  // alice still has c1
  CHECK(AgentOf(*store, "r2") == "alice");
}
