// The store's outbox (engine/store/outbox.h): entries are written in the
// batch that stores what they announce, survive a restart, and leave only
// through the writer (delivered, dead-lettered, retried).
#include <catch2/catch.hpp>

#include <future>

#include "engine/store/queue_store.h"
#include "test_util.h"

using namespace triage;

namespace {

// Messages of queue "support" go to sink "desk"; alert openings and
// closings to sink "chat"; counts how often it was told of new entries.
class TestRouter : public OutboxRouter {
 public:
  void Route(const OutboxSubject& s, std::vector<std::string>* out) const override {
    if (s.kind == "message" && s.queue == "support") out->push_back("desk");
    if (s.kind == "alert" && (s.event == "opened" || s.event == "closed")) out->push_back("chat");
    if (s.kind == "alert") events.push_back(std::string(s.event));
  }
  void Written() const override { ++written; }
  mutable std::atomic<int> written{0};
  mutable std::vector<std::string> events;  // only touched on the writer thread, read after sync calls
};

IngestItem Item(const std::string& id, const std::string& queue, const std::string& conversation) {
  return IngestItem{id, "{\"id\":\"" + id + "\"}", "{\"label\":\"support\"}", queue, Priority::kHigh, conversation};
}

std::unique_ptr<QueueStore> Open(const std::string& dir) {
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::Open(dir, QueueStoreOptions(), &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

Status Sync(const std::function<void(QueueStore::EventDone)>& call) {
  std::promise<Status> p;
  call([&p](Status s) { p.set_value(s); });
  return p.get_future().get();
}

Status IngestAlerts(QueueStore* store, std::vector<AlertRecord> alerts) {
  std::promise<Status> p;
  store->Ingest({}, std::move(alerts), [&p](Status s, std::vector<IngestResult>) { p.set_value(s); });
  return p.get_future().get();
}

std::vector<OutboxEntry> Read(QueueStore* store, const std::string& sink) {
  std::vector<OutboxEntry> out;
  REQUIRE(store->ReadOutbox(sink, 0, 1000, &out).ok());
  return out;
}

}  // namespace

TEST_CASE("Outbox entries are written with the messages they announce and survive a reopen", "[store][outbox]") {
  test::TempDir dir;
  auto router = std::make_shared<TestRouter>();
  {
    auto store = Open(dir.path());
    store->SetOutboxRouter(router);
    std::vector<IngestOutcome> out;
    REQUIRE(store->IngestSync({Item("m1", "support", "c1"), Item("m2", "sales", "c2"), Item("m3", "support", "")}, &out).ok());
    // A duplicate is not announced twice.
    REQUIRE(store->IngestSync({Item("m1", "support", "c1")}, &out).ok());
    CHECK(router->written == 1);
    auto desk = Read(store.get(), "desk");
    REQUIRE(desk.size() == 2);
    CHECK(desk[0].subject == "m1");
    CHECK(desk[0].conversation == "c1");
    CHECK(desk[0].event == "routed");
    CHECK(desk[0].queue == "support");
    CHECK(desk[0].priority == Priority::kHigh);
    CHECK(desk[0].payload == "{\"message\":{\"id\":\"m1\"},\"decision\":{\"label\":\"support\"}}");
    CHECK(desk[0].delivery_id == "desk:" + std::to_string(desk[0].seq));
    CHECK(desk[1].subject == "m3");
    CHECK(desk[1].conversation == "m3");  // no conversation: its own
    CHECK(desk[0].seq < desk[1].seq);
    CHECK(store->OutboxDepths()["desk"].pending == 2);
    CHECK(Read(store.get(), "chat").empty());
  }
  auto store = Open(dir.path());
  auto desk = Read(store.get(), "desk");
  REQUIRE(desk.size() == 2);
  CHECK(store->OutboxDepths()["desk"].pending == 2);
  const uint64_t last = desk[1].seq;
  REQUIRE(Sync([&](auto done) { store->OutboxDelivered("desk", desk[0].seq, done); }).ok());
  REQUIRE(Sync([&](auto done) { store->OutboxDelivered("desk", desk[1].seq, done); }).ok());
  CHECK(Read(store.get(), "desk").empty());
  CHECK(store->OutboxDepths()["desk"].pending == 0);
  // An emptied outbox does not hand out its numbers again after a restart:
  // the delivery ids stay unique for receivers that remember them.
  store.reset();
  store = Open(dir.path());
  store->SetOutboxRouter(router);
  std::vector<IngestOutcome> out;
  REQUIRE(store->IngestSync({Item("m4", "support", "c4")}, &out).ok());
  desk = Read(store.get(), "desk");
  REQUIRE(desk.size() == 1);
  CHECK(desk[0].seq > last);
}

TEST_CASE("Alert records owe an outbox entry for each change, none for a rewrite of the same state", "[store][outbox]") {
  test::TempDir dir;
  auto router = std::make_shared<TestRouter>();
  auto store = Open(dir.path());
  store->SetOutboxRouter(router);
  const std::string open1 = "{\"type\":\"crisis_alert\",\"alert\":\"a1\",\"closed_at\":null,\"messages\":3}";
  const std::string open2 = "{\"type\":\"crisis_alert\",\"alert\":\"a1\",\"closed_at\":null,\"messages\":5}";
  const std::string closed = "{\"type\":\"crisis_alert\",\"alert\":\"a1\",\"closed_at\":\"2026-01-01T00:00:00Z\",\"messages\":5}";
  REQUIRE(IngestAlerts(store.get(), {{"a1", open1}}).ok());
  REQUIRE(IngestAlerts(store.get(), {{"a1", open2}}).ok());
  REQUIRE(IngestAlerts(store.get(), {{"a1", open2}}).ok());  // the same state again (a warm-up)
  REQUIRE(IngestAlerts(store.get(), {{"a1", closed}}).ok());
  CHECK(router->events == std::vector<std::string>{"opened", "updated", "closed"});
  auto chat = Read(store.get(), "chat");  // updated is not subscribed
  REQUIRE(chat.size() == 2);
  CHECK(chat[0].event == "opened");
  CHECK(chat[0].payload == open1);
  CHECK(chat[0].conversation == "a1");
  CHECK(chat[1].event == "closed");
  CHECK(chat[1].payload == closed);
}

TEST_CASE("A dead letter keeps its delivery id, is listed, and a retry puts it back at the end", "[store][outbox]") {
  test::TempDir dir;
  auto router = std::make_shared<TestRouter>();
  auto store = Open(dir.path());
  store->SetOutboxRouter(router);
  std::vector<IngestOutcome> out;
  REQUIRE(store->IngestSync({Item("m1", "support", "c1"), Item("m2", "support", "c2")}, &out).ok());
  auto desk = Read(store.get(), "desk");
  REQUIRE(desk.size() == 2);
  REQUIRE(Sync([&](auto done) { store->OutboxDeadLetter(DeadLetter{desk[0], 7, 1234, "HTTP 500"}, done); }).ok());
  CHECK(Read(store.get(), "desk").size() == 1);
  std::vector<DeadLetter> dead;
  REQUIRE(store->DeadLetters("desk", 100, &dead).ok());
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].entry.seq == desk[0].seq);
  CHECK(dead[0].entry.subject == "m1");
  CHECK(dead[0].attempts == 7);
  CHECK(dead[0].error == "HTTP 500");
  CHECK(store->OutboxDepths()["desk"].dead == 1);
  // Unknown ids are NotFound.
  CHECK(Sync([&](auto done) { store->RetryDeadLetter("desk", 999999, done); }).code() == Status::Code::kNotFound);
  const int before = router->written;
  REQUIRE(Sync([&](auto done) { store->RetryDeadLetter("desk", desk[0].seq, done); }).ok());
  CHECK(router->written == before + 1);
  REQUIRE(store->DeadLetters("desk", 100, &dead).ok());
  CHECK(dead.empty());
  auto again = Read(store.get(), "desk");
  REQUIRE(again.size() == 2);
  CHECK(again[1].subject == "m1");
  CHECK(again[1].seq > desk[1].seq);
  CHECK(again[1].delivery_id == desk[0].delivery_id);
  CHECK(store->OutboxDepths()["desk"].pending == 2);
  CHECK(store->OutboxDepths()["desk"].dead == 0);
}

TEST_CASE("Outbox entries and dead letters round-trip through their encodings", "[store][outbox]") {
  OutboxEntry e;
  e.kind = "message";
  e.subject = "id1";
  e.conversation = "conv";
  e.event = "routed";
  e.queue = "support";
  e.priority = Priority::kUrgent;
  e.enqueued_ms = 42;
  e.delivery_id = "s:9";
  e.payload = "{\"a\":\"x\\u001fy\"}";
  OutboxEntry back;
  REQUIRE(DecodeOutboxEntry(EncodeOutboxEntry(e), &back));
  CHECK(back.payload == e.payload);
  CHECK(back.priority == Priority::kUrgent);
  CHECK(back.delivery_id == "s:9");
  DeadLetter d{e, 3, 99, "bad\x1f" "error"};
  DeadLetter dback;
  REQUIRE(DecodeDeadLetter(EncodeDeadLetter(d), &dback));
  CHECK(dback.attempts == 3);
  CHECK(dback.error == "bad error");
  CHECK(dback.entry.subject == "id1");
  CHECK_FALSE(DecodeOutboxEntry("2\x1f", &back));
  CHECK_FALSE(DecodeOutboxEntry("1\x1fmessage\x1fid\x1f", &back));
  std::string sink;
  uint64_t seq = 0;
  REQUIRE(DecodeOutboxKey(OutboxKey("desk", 77), &sink, &seq));
  CHECK(sink == "desk");
  CHECK(seq == 77);
  CHECK_FALSE(DecodeOutboxKey("short", &sink, &seq));
}
