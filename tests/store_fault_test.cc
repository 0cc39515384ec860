// QueueStore on a disk that fills up: read-only on the first failed write,
// reads served, nothing acknowledged lost, writable again by itself once the
// disk has room; and a store that starts on a full disk. The failure is
// injected with a RocksDB FileSystem (fault_fs.h); one test also fills a real
// tmpfs where this process may mount one.
#include <catch2/catch.hpp>

#include <sys/mount.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "engine/store/queue_store.h"
#include "fault_fs.h"
#include "test_util.h"

using namespace triage;

namespace {

IngestItem Item(const std::string& id) {
  return IngestItem{id, "{\"id\":\"" + id + "\"}", "{\"decision\":\"" + id + "\"}", "support", Priority::kNormal,
                    "conv-" + id};
}

// The store's log lines, kept for the test to read.
struct Lines {
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::function<void(const std::string&)> sink() const {
    auto m = mu;
    auto l = lines;
    return [m, l](const std::string& s) {
      std::lock_guard<std::mutex> g(*m);
      l->push_back(s);
    };
  }
  bool Has(const std::string& needle) const {
    std::lock_guard<std::mutex> g(*mu);
    for (const auto& s : *lines)
      if (s.find(needle) != std::string::npos) return true;
    return false;
  }
};

std::unique_ptr<QueueStore> OpenOn(const std::string& dir, rocksdb::Env* env, const Lines& log) {
  QueueStoreOptions o;
  o.test_env = env;
  o.log = log.sink();
  o.recovery_interval_ms = 3'600'000;  // only when asked: the tests decide when the disk has room
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::Open(dir, o, &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

// Asks for a recovery until the store is writable; false if it never is
// (bounded: the test fails rather than hangs).
bool RecoverWithin(QueueStore* store, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    store->RequestRecovery();
    if (store->healthy()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return store->healthy();
}

}  // namespace

TEST_CASE("Store: a full disk turns it read-only, reads go on, freeing space makes it writable", "[store][fault]") {
  test::TempDir dir;
  test::FaultEnv fe;
  Lines log;
  auto store = OpenOn(dir.path() + "/data", fe.env.get(), log);

  std::vector<std::string> acknowledged;
  for (int b = 0; b < 5; ++b) {
    std::vector<IngestItem> items;
    for (int i = 0; i < 10; ++i) items.push_back(Item("m" + std::to_string(b * 10 + i)));
    std::vector<IngestOutcome> out;
    REQUIRE(store->IngestSync(items, &out).ok());
    for (const auto& it : items) acknowledged.push_back(it.id);
  }
  REQUIRE(store->AddEventSync("m0", Event{EventType::kResolved, "alice", 1, "", ""}).ok());
  std::vector<ClaimedMessage> claimed;
  REQUIRE(store->ClaimSync("support", "bob", 3, 60'000, &claimed).ok());
  REQUIRE(claimed.size() == 3);
  CHECK(store->healthy());

  fe.fs->set_full(true);
  // Operations in flight when the disk fills: each one fails, none hangs,
  // and each says why.
  std::vector<std::future<Status>> inflight;
  for (int i = 0; i < 20; ++i) {
    auto pr = std::make_shared<std::promise<Status>>();
    inflight.push_back(pr->get_future());
    store->Ingest({Item("late" + std::to_string(i))}, [pr](Status s, std::vector<IngestResult>) { pr->set_value(s); });
  }
  for (auto& f : inflight) {
    Status s = f.get();
    INFO(s.message());
    CHECK(s.IsNoSpace());
  }
  CHECK(fe.fs->refused() > 0);
  CHECK_FALSE(store->healthy());
  StoreHealthInfo h = store->health();
  CHECK_FALSE(h.writable);
  CHECK(h.no_space);
  CHECK(h.write_failures == 1);
  CHECK(h.recoveries == 0);
  CHECK(log.Has("store: write failed (No space left on device): read-only until space is freed"));

  // Every later mutation is refused with the cause, without reaching RocksDB.
  const uint64_t refused_before = fe.fs->refused();
  std::vector<IngestOutcome> out;
  Status s = store->IngestSync({Item("refused")}, &out);
  CHECK(s.IsNoSpace());
  CHECK_THAT(s.message(), Catch::Contains("no space left on device"));
  CHECK(store->AddEventSync("m1", Event{EventType::kResolved, "alice", 2, "", ""}).IsNoSpace());
  CHECK(store->ClaimSync("support", "bob", 1, 60'000, &claimed).IsNoSpace());
  CHECK(fe.fs->refused() == refused_before);

  // Reads: every acknowledged message, its state and its events; the queues
  // as they were durably (none of the failed operations' effects).
  for (const auto& id : acknowledged) {
    StoredMessage m;
    Status g = store->Get(id, &m);
    INFO(id << ": " << g.message());
    REQUIRE(g.ok());
    CHECK(m.raw == "{\"id\":\"" + id + "\"}");
  }
  StoredMessage m0;
  REQUIRE(store->Get("m0", &m0).ok());
  CHECK(m0.state.status == MessageStatus::kDone);
  REQUIRE(m0.events.size() == 1);
  StoredMessage late;
  CHECK(store->Get("late0", &late).code() == Status::Code::kNotFound);
  auto queues = store->Queues({"support"});
  REQUIRE(queues.size() == 1);
  CHECK(queues[0].depth == 50 - 1 - 3);
  CHECK(queues[0].claimed == 3);

  // Still full: asking to recover leaves it read-only.
  store->RequestRecovery();
  CHECK(store->IngestSync({Item("still-full")}, &out).IsNoSpace());

  fe.fs->set_full(false);
  REQUIRE(RecoverWithin(store.get(), std::chrono::seconds(30)));
  h = store->health();
  CHECK(h.writable);
  CHECK(h.recoveries == 1);
  CHECK(log.Has("store: writable again"));
  // The refused messages can be sent again now, and are stored.
  REQUIRE(store->IngestSync({Item("late0"), Item("refused"), Item("m1")}, &out).ok());
  CHECK(out == std::vector<IngestOutcome>{IngestOutcome::kStored, IngestOutcome::kStored, IngestOutcome::kDuplicate});
  REQUIRE(store->AddEventSync("m1", Event{EventType::kResolved, "alice", 3, "", ""}).ok());
  REQUIRE(store->ClaimSync("support", "carol", 2, 60'000, &claimed).ok());
  CHECK(claimed.size() == 2);

  // A restart on the real file system finds everything acknowledged.
  store.reset();
  std::unique_ptr<QueueStore> reopened;
  REQUIRE(QueueStore::Open(dir.path() + "/data", QueueStoreOptions(), &reopened).ok());
  size_t n = 0;
  REQUIRE(reopened->ForEach([&](const std::string&, const StoredMessage&) { ++n; }).ok());
  CHECK(n == acknowledged.size() + 2);
  StoredMessage m1;
  REQUIRE(reopened->Get("m1", &m1).ok());
  CHECK(m1.state.status == MessageStatus::kDone);
}

TEST_CASE("Store: opened on a full disk it starts read-only, then recovers", "[store][fault]") {
  test::TempDir dir;
  const std::string data = dir.path() + "/data";
  {
    std::unique_ptr<QueueStore> s;
    REQUIRE(QueueStore::Open(data, QueueStoreOptions(), &s).ok());
    std::vector<IngestOutcome> out;
    REQUIRE(s->IngestSync({Item("a"), Item("b")}, &out).ok());
  }
  test::FaultEnv fe;
  fe.fs->set_full(true);
  Lines log;
  auto store = OpenOn(data, fe.env.get(), log);
  CHECK_FALSE(store->healthy());
  CHECK(store->health().no_space);
  CHECK(store->health().write_failures == 0);
  CHECK(log.Has("store: cannot open the database for writing (No space left on device): read-only until space is freed"));
  StoredMessage m;
  REQUIRE(store->Get("a", &m).ok());
  CHECK(store->Queues({"support"})[0].depth == 2);
  std::vector<IngestOutcome> out;
  CHECK(store->IngestSync({Item("c")}, &out).IsNoSpace());

  fe.fs->set_full(false);
  REQUIRE(RecoverWithin(store.get(), std::chrono::seconds(30)));
  REQUIRE(store->IngestSync({Item("c"), Item("a")}, &out).ok());
  CHECK(out == std::vector<IngestOutcome>{IngestOutcome::kStored, IngestOutcome::kDuplicate});
  CHECK(store->Queues({"support"})[0].depth == 3);
}

TEST_CASE("Store: event dedupe keys record a reply once", "[store]") {
  test::TempDir dir;
  std::unique_ptr<QueueStore> store;
  REQUIRE(QueueStore::Open(dir.path(), QueueStoreOptions(), &store).ok());
  std::vector<IngestOutcome> out;
  REQUIRE(store->IngestSync({Item("q1"), Item("q2")}, &out).ok());
  auto add = [&](const std::string& id, const std::string& key) {
    std::promise<Status> pr;
    store->AddEvent(id, Event{EventType::kReplied, "brand", 1, "", ""}, key, [&](Status s) { pr.set_value(s); });
    return pr.get_future().get();
  };
  // Twice in one group and once more later: one event.
  std::promise<Status> p1, p2;
  store->AddEvent("q1", Event{EventType::kReplied, "brand", 1, "", ""}, "slack:C:1", [&](Status s) { p1.set_value(s); });
  store->AddEvent("q1", Event{EventType::kReplied, "brand", 1, "", ""}, "slack:C:1", [&](Status s) { p2.set_value(s); });
  CHECK(p1.get_future().get().ok());
  CHECK(p2.get_future().get().ok());
  CHECK(add("q1", "slack:C:1").ok());
  // Another key, or no key: recorded.
  CHECK(add("q1", "slack:C:2").ok());
  CHECK(add("q1", "").ok());
  // A reply to nothing stored records no key: a later delivery, once the
  // message exists, is recorded.
  CHECK(add("nope", "slack:C:3").code() == Status::Code::kNotFound);
  REQUIRE(store->IngestSync({Item("nope")}, &out).ok());
  CHECK(add("nope", "slack:C:3").ok());
  StoredMessage m;
  REQUIRE(store->Get("q1", &m).ok());
  CHECK(m.events.size() == 3);
  REQUIRE(store->Get("nope", &m).ok());
  CHECK(m.events.size() == 1);
}

// The real thing, where this process may mount a tmpfs (root, outside a
// restricted container): fill a small one, see the store turn read-only
// instead of aborting, grow it, see the store recover.
TEST_CASE("Store: a real full tmpfs (skipped where mount is not permitted)", "[store][fault]") {
  test::TempDir dir;
  const std::string mnt = dir.path() + "/mnt";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=4m") != 0) {
    WARN("skipped: cannot mount a tmpfs here (" << std::strerror(errno) << ")");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  Lines log;
  std::vector<std::string> acknowledged;
  {
    auto store = OpenOn(mnt + "/data", nullptr, log);
    const std::string filler(2000, 'x');
    Status failed;
    for (int b = 0; b < 10000 && failed.ok(); ++b) {
      std::vector<IngestItem> items;
      for (int i = 0; i < 20; ++i) {
        IngestItem it = Item("t" + std::to_string(b) + "-" + std::to_string(i));
        it.raw = "{\"id\":\"" + it.id + "\",\"text\":\"" + filler + "\"}";
        items.push_back(std::move(it));
      }
      std::vector<IngestOutcome> out;
      failed = store->IngestSync(items, &out);
      if (failed.ok())
        for (const auto& it : items) acknowledged.push_back(it.id);
    }
    INFO(failed.message());
    REQUIRE(failed.IsNoSpace());
    CHECK_FALSE(store->healthy());
    CHECK(log.Has("read-only until space is freed"));
    StoredMessage m;
    REQUIRE(store->Get(acknowledged.front(), &m).ok());
    REQUIRE(store->Get(acknowledged.back(), &m).ok());

    REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=64m") == 0);
    REQUIRE(RecoverWithin(store.get(), std::chrono::seconds(30)));
    std::vector<IngestOutcome> out;
    REQUIRE(store->IngestSync({Item("after")}, &out).ok());
  }
  std::unique_ptr<QueueStore> reopened;
  REQUIRE(QueueStore::Open(mnt + "/data", QueueStoreOptions(), &reopened).ok());
  for (const auto& id : acknowledged) {
    StoredMessage m;
    INFO(id);
    REQUIRE(reopened->Get(id, &m).ok());
  }
}
