// Backups of the store (engine/store/store_backup.h) and `triage backup` /
// `triage restore`: a restored store reads back exactly what was backed up;
// backups are incremental; a restore never overwrites what it should not; a
// damaged backup file is found and named; a backup taken while messages keep
// arriving holds every message acknowledged before it began.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "engine/store/queue_store.h"
#include "engine/store/store_backup.h"
#include "test_util.h"

using namespace triage;
namespace fs = std::filesystem;

namespace {

IngestItem Item(const std::string& id, const std::string& queue = "support") {
  return IngestItem{id, R"({"id":")" + id + R"(","channel":"x","text":"hello"})",
                    R"({"id":")" + id + R"(","queue":")" + queue + "\"}", queue, Priority::kNormal, "conv-" + id};
}

std::unique_ptr<QueueStore> OpenStore(const std::string& dir) {
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::Open(dir, QueueStoreOptions{}, &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

void Ingest(QueueStore& s, int from, int to, std::vector<AlertRecord> alerts = {}) {
  std::vector<IngestItem> items;
  for (int i = from; i < to; ++i) items.push_back(Item("m:" + std::to_string(i), i % 3 ? "support" : "sales"));
  std::promise<Status> done;
  s.Ingest(std::move(items), std::move(alerts), [&](Status st, std::vector<IngestResult>) { done.set_value(st); });
  REQUIRE(done.get_future().get().ok());
}

// Every message with its decision, state and events, by id.
std::map<std::string, std::string> Dump(const QueueStore& s) {
  std::map<std::string, std::string> out;
  Status st = s.ForEach([&](const std::string& id, const StoredMessage& m) {
    std::string v = m.raw + "\n" + m.decision + "\n" + EncodeState(m.state);
    for (const auto& e : m.events) v += "\n" + e;
    out[id] = v;
  });
  REQUIRE(st.ok());
  return out;
}

std::unique_ptr<QueueStore> OpenRestored(const std::string& dir) {
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::OpenReadOnly(dir, &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

// A file of the backup directory, by where it lives and what it is named.
std::string FindFile(const std::string& dir, const std::string& sub, const std::string& suffix) {
  for (const auto& e : fs::directory_iterator(fs::path(dir) / sub)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return e.path().string();
  }
  FAIL("no *" << suffix << " in " << dir << "/" << sub);
  return "";
}

}  // namespace

TEST_CASE("A backup of a store with messages, events and alerts restores to the same content", "[backup][store]") {
  test::TempDir dir;
  auto store = OpenStore(dir.path() + "/data");
  Ingest(*store, 0, 300, {AlertRecord{"2026-11-23T10:00:00Z-a", R"({"state":"open"})"}});
  Ingest(*store, 300, 400, {AlertRecord{"2026-11-23T10:00:00Z-a", R"({"state":"closed"})"},
                            AlertRecord{"2026-11-23T11:00:00Z-b", R"({"state":"open"})"}});
  std::vector<ClaimedMessage> claimed;
  REQUIRE(store->ClaimSync("support", "alice", 5, 60000, &claimed).ok());
  REQUIRE(claimed.size() == 5);
  REQUIRE(store->AddEventSync(claimed[0].id, Event{EventType::kReplied, "alice", 1, "", ""}).ok());
  REQUIRE(store->AddEventSync("m:3", Event{EventType::kRerouted, "bob", 2, "sales", "a quote"}).ok());
  REQUIRE(store->AddEventSync("m:3", Event{EventType::kResolved, "carol", 3, "", ""}).ok());

  BackupSummary b;
  Status s = store->Backup(dir.path() + "/backups", &b);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(b.id == 1);
  CHECK(b.messages == 400);
  CHECK(b.files > 0);
  CHECK(b.bytes > 0);
  CHECK(b.time_s > 1700000000);

  BackupSummary r;
  s = RestoreStoreBackup(dir.path() + "/backups", dir.path() + "/restored", RestoreRequest(), &r);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(r.id == 1);
  CHECK_FALSE(fs::exists(dir.path() + "/restored.restoring"));
  auto restored = OpenRestored(dir.path() + "/restored");
  const auto want = Dump(*store), got = Dump(*restored);
  CHECK(got.size() == 400);
  CHECK(got == want);
  CHECK(restored->Alerts() == store->Alerts());
  CHECK(restored->Alerts().size() == 2);
  // The queues come back as they were: the claims, the reroute, the closed ones.
  std::vector<std::string> names = {"support", "sales"};
  auto qa = store->Queues(names), qb = restored->Queues(names);
  REQUIRE(qa.size() == qb.size());
  for (size_t i = 0; i < qa.size(); ++i) {
    CHECK(qa[i].name == qb[i].name);
    CHECK(qa[i].depth == qb[i].depth);
    CHECK(qa[i].claimed == qb[i].claimed);
  }
}

TEST_CASE("Backups are incremental, numbered, and any of them restores", "[backup][store]") {
  test::TempDir dir;
  const std::string backups = dir.path() + "/backups";
  auto store = OpenStore(dir.path() + "/data");
  Ingest(*store, 0, 2000);
  BackupSummary first, second;
  REQUIRE(store->Backup(backups, &first).ok());
  std::set<std::string> shared_after_first;
  for (const auto& e : fs::directory_iterator(backups + "/shared_checksum")) shared_after_first.insert(e.path().string());
  REQUIRE_FALSE(shared_after_first.empty());
  Ingest(*store, 2000, 2100);
  REQUIRE(store->Backup(backups, &second).ok());
  CHECK(second.id == 2);
  CHECK(second.messages == 2100);

  // The second backup reuses the first one's table files: what is on disk is
  // less than the two backups' sizes added up.
  uintmax_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(backups))
    if (e.is_regular_file()) on_disk += e.file_size();
  CHECK(on_disk < first.bytes + second.bytes);
  for (const auto& f : shared_after_first) CHECK(fs::exists(f));

  BackupListing listing;
  REQUIRE(ListBackups(backups, &listing).ok());
  REQUIRE(listing.backups.size() == 2);
  CHECK(listing.backups[0].id == 1);
  CHECK(listing.backups[0].messages == 2000);
  CHECK(listing.backups[1].messages == 2100);
  CHECK(listing.damaged.empty());
  CHECK(listing.unfinished.empty());
  CHECK_FALSE(listing.writer_active);

  RestoreRequest one;
  one.backup_id = 1;
  REQUIRE(RestoreStoreBackup(backups, dir.path() + "/new/parents/one", one, nullptr).ok());
  CHECK(Dump(*OpenRestored(dir.path() + "/new/parents/one")).size() == 2000);
  REQUIRE(RestoreStoreBackup(backups, dir.path() + "/latest", RestoreRequest(), nullptr).ok());
  CHECK(Dump(*OpenRestored(dir.path() + "/latest")) == Dump(*store));
  RestoreRequest missing;
  missing.backup_id = 7;
  Status s = RestoreStoreBackup(backups, dir.path() + "/seven", missing, nullptr);
  CHECK_THAT(s.message(), Catch::Contains(backups + ": no backup 7 (it holds 1, 2)"));
  CHECK_FALSE(fs::exists(dir.path() + "/seven"));
}

TEST_CASE("Restore refuses a non-empty target unless --force, and never replaces a held store or a non-store",
          "[backup][store]") {
  test::TempDir dir;
  const std::string backups = dir.path() + "/backups";
  {
    auto store = OpenStore(dir.path() + "/data");
    Ingest(*store, 0, 10);
    REQUIRE(store->Backup(backups, nullptr).ok());
  }
  const std::string target = dir.path() + "/target";
  dir.Write("target/notes.txt", "keep me");
  Status s = RestoreStoreBackup(backups, target, RestoreRequest(), nullptr);
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::StartsWith(target + ": not empty"));
  RestoreRequest force;
  force.replace = true;
  s = RestoreStoreBackup(backups, target, force, nullptr);
  CHECK_THAT(s.message(), Catch::StartsWith(target + ": not empty and holds no store"));
  CHECK(test::ReadFile(target + "/notes.txt") == "keep me");

  // The command says the same, exit 1.
  RestoreOptions cli;
  cli.from = backups;
  cli.to = target;
  test::CommandRun run = test::RunCommand(cli, &RunRestore);
  CHECK(run.rc == kExitError);
  CHECK_THAT(run.err, Catch::Contains("triage restore: " + target + ": not empty"));

  // A store someone has open is never replaced, even with --force.
  {
    auto other = OpenStore(dir.path() + "/live");
    Ingest(*other, 100, 120);
    s = RestoreStoreBackup(backups, dir.path() + "/live", force, nullptr);
    CHECK_THAT(s.message(), Catch::Contains(dir.path() + "/live: the database is locked by another process"));
    CHECK(Dump(*other).size() == 20);
  }
  // Closed, it is replaced by the backup's content (10 messages, not 20).
  s = RestoreStoreBackup(backups, dir.path() + "/live/", force, nullptr);
  INFO(s.message());
  REQUIRE(s.ok());
  auto restored = OpenRestored(dir.path() + "/live");
  CHECK(Dump(*restored).size() == 10);
  CHECK(Dump(*restored).count("m:0") == 1);

  // An empty directory is as good as none.
  fs::create_directories(dir.path() + "/empty");
  cli.to = dir.path() + "/empty";
  run = test::RunCommand(cli, &RunRestore);
  INFO(run.err);
  CHECK(run.rc == kExitOk);
  CHECK_FALSE(fs::exists(dir.path() + "/empty.restoring"));
  CHECK(Dump(*OpenRestored(dir.path() + "/empty")).size() == 10);
  CHECK_THAT(run.out, Catch::StartsWith("backup 1 of " + backups));
  CHECK_THAT(run.out, Catch::Contains("10 messages) restored into " + dir.path() + "/empty"));
}

TEST_CASE("A damaged backup file is found by the check and by restore, which names it", "[backup][store]") {
  test::TempDir dir;
  const std::string backups = dir.path() + "/backups";
  {
    auto store = OpenStore(dir.path() + "/data");
    Ingest(*store, 0, 500);
    REQUIRE(store->Backup(backups, nullptr).ok());
    REQUIRE(VerifyStoreBackup(backups, 1).ok());
  }
  SECTION("a truncated table file") {
    const std::string sst = FindFile(backups, "shared_checksum", ".sst");
    fs::resize_file(sst, fs::file_size(sst) / 2);
    Status v = VerifyStoreBackup(backups, 1);
    CHECK(v.code() == Status::Code::kCorruption);
    CHECK_THAT(v.message(), Catch::Contains(backups + ": backup 1 is damaged"));
    CHECK_THAT(v.message(), Catch::Contains(sst));
    Status r = RestoreStoreBackup(backups, dir.path() + "/restored", RestoreRequest(), nullptr);
    CHECK_THAT(r.message(), Catch::Contains(sst));
    CHECK_FALSE(fs::exists(dir.path() + "/restored"));
    CHECK_FALSE(fs::exists(dir.path() + "/restored.restoring"));
    BackupOptions list;
    list.to = backups;
    list.verify = true;
    test::CommandRun run = test::RunCommand(list, &RunBackup);
    CHECK(run.rc == kExitError);
    CHECK_THAT(run.out, Catch::Contains("DAMAGED: "));
    CHECK_THAT(run.out, Catch::Contains(sst));
  }
  SECTION("one flipped byte in the backup's own MANIFEST") {
    const std::string manifest = FindFile(backups, "private/1", "");  // any of its files
    std::string bytes = test::ReadFile(manifest);
    REQUIRE(!bytes.empty());
    bytes[bytes.size() / 2] ^= 0x01;
    dir.Write(fs::relative(manifest, dir.path()).string(), bytes);
    Status r = RestoreStoreBackup(backups, dir.path() + "/restored", RestoreRequest(), nullptr);
    CHECK(r.code() == Status::Code::kCorruption);
    CHECK_THAT(r.message(), Catch::Contains(manifest));
    CHECK_FALSE(fs::exists(dir.path() + "/restored"));
  }
}

TEST_CASE("An unfinished backup is listed as such, never restored, and removed by the next backup",
          "[backup][store]") {
  test::TempDir dir;
  const std::string backups = dir.path() + "/backups";
  auto store = OpenStore(dir.path() + "/data");
  Ingest(*store, 0, 50);
  REQUIRE(store->Backup(backups, nullptr).ok());
  // What a backup killed mid-copy leaves: its private files, no meta file.
  dir.Write("backups/private/2.tmp/000009.log", "half a copy");
  BackupListing listing;
  REQUIRE(ListBackups(backups, &listing).ok());
  CHECK(listing.backups.size() == 1);
  CHECK(listing.unfinished == std::vector<uint32_t>{2});
  BackupOptions list;
  list.to = backups;
  list.list = true;
  test::CommandRun run = test::RunCommand(list, &RunBackup);
  CHECK(run.rc == kExitOk);
  CHECK_THAT(run.out, Catch::Contains("backup 2: unfinished (interrupted; the next backup removes what it left)"));
  BackupSummary r;
  REQUIRE(RestoreStoreBackup(backups, dir.path() + "/restored", RestoreRequest(), &r).ok());
  CHECK(r.id == 1);
  Ingest(*store, 50, 60);
  BackupSummary next;
  REQUIRE(store->Backup(backups, &next).ok());
  REQUIRE(ListBackups(backups, &listing).ok());
  CHECK(listing.unfinished.empty());
  CHECK(listing.backups.size() == 2);
}

TEST_CASE("One backup into a directory at a time, and never into the data directory", "[backup][store]") {
  test::TempDir dir;
  auto store = OpenStore(dir.path() + "/data");
  Ingest(*store, 0, 5);
  fs::create_directories(dir.path() + "/backups");
  int fd = ::open((dir.path() + "/backups/LOCK").c_str(), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);  // another backup, running
  Status s = store->Backup(dir.path() + "/backups", nullptr);
  CHECK(s.IsBusy());
  CHECK_THAT(s.message(), Catch::Contains(dir.path() + "/backups: another backup into this directory is running"));
  BackupListing listing;
  Status l = ListBackups(dir.path() + "/backups", &listing);
  INFO(l.message());
  REQUIRE(l.ok());
  CHECK(listing.writer_active);
  ::close(fd);
  CHECK(store->Backup(dir.path() + "/backups", nullptr).ok());

  s = store->Backup(dir.path() + "/data/backups", nullptr);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("inside the data directory"));
  CHECK_FALSE(fs::exists(dir.path() + "/data/backups"));
}

TEST_CASE("triage backup: a closed store is backed up read-only, a held one points to the daemon's endpoint",
          "[backup]") {
  test::TempDir dir;
  const std::string data = dir.path() + "/data", backups = dir.path() + "/backups";
  BackupOptions b;
  b.data = data;
  b.to = backups;
  {
    auto store = OpenStore(data);
    Ingest(*store, 0, 30);
    test::CommandRun held = test::RunCommand(b, &RunBackup);
    CHECK(held.rc == kExitError);
    CHECK_THAT(held.err, Catch::Contains("--data " + data + ": the database is locked by another process"));
    CHECK_THAT(held.err, Catch::Contains("curl -XPOST -H \"Authorization: Bearer $ADMIN_TOKEN\" "
                                         "http://HOST:PORT/v1/admin/backup"));
    CHECK_FALSE(fs::exists(backups));
  }
  test::CommandRun run = test::RunCommand(b, &RunBackup);
  INFO(run.err);
  CHECK(run.rc == kExitOk);
  CHECK_THAT(run.out, Catch::StartsWith("backup 1 of " + data + " written to " + backups + " and checked: "));
  CHECK_THAT(run.out, Catch::EndsWith(" 30 messages\n"));

  BackupOptions list;
  list.to = backups;
  list.list = true;
  run = test::RunCommand(list, &RunBackup);
  CHECK(run.rc == kExitOk);
  CHECK_THAT(run.out, Catch::StartsWith("id     time"));
  CHECK_THAT(run.out, Catch::Contains("\n1      20"));  // id 1, made this century
  CHECK_THAT(run.out, Catch::EndsWith("30\n"));

  b.data = dir.path() + "/typo";
  run = test::RunCommand(b, &RunBackup);
  CHECK(run.rc == kExitError);
  CHECK_THAT(run.err, Catch::Contains("--data " + dir.path() + "/typo: no such data directory"));
  CHECK_FALSE(fs::exists(dir.path() + "/typo"));
  list.to = dir.path() + "/nothing-here";
  run = test::RunCommand(list, &RunBackup);
  CHECK(run.rc == kExitError);
  CHECK_THAT(run.err, Catch::Contains(dir.path() + "/nothing-here: no such backup directory"));
}

TEST_CASE("A backup taken while messages are ingested holds every message acknowledged before it began",
          "[backup][store]") {
  test::TempDir dir;
  auto store = OpenStore(dir.path() + "/data");
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> submitted{0};
  std::thread writer([&] {
    for (int batch = 0; !stop; ++batch) {
      std::vector<IngestItem> items;
      std::vector<std::string> ids;
      for (int i = 0; i < 20; ++i) {
        ids.push_back("w:" + std::to_string(batch) + ":" + std::to_string(i));
        items.push_back(Item(ids.back()));
      }
      submitted += 20;
      std::vector<IngestOutcome> out;
      if (!store->IngestSync(std::move(items), &out).ok()) continue;
      std::lock_guard<std::mutex> l(mu);
      acked.insert(ids.begin(), ids.end());
    }
  });
  // Wait (without a clock) until some batches are durable.
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (acked.size() >= 400) break;
    }
    std::this_thread::yield();
  }
  std::set<std::string> before;
  {
    std::lock_guard<std::mutex> l(mu);
    before = acked;
  }
  BackupSummary b;
  Status s = store->Backup(dir.path() + "/backups", &b);
  const int during = submitted.load();
  stop = true;
  writer.join();
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(b.messages >= static_cast<int64_t>(before.size()));
  REQUIRE(RestoreStoreBackup(dir.path() + "/backups", dir.path() + "/restored", RestoreRequest(), nullptr).ok());
  auto got = Dump(*OpenRestored(dir.path() + "/restored"));
  size_t missing = 0;
  for (const auto& id : before) missing += got.count(id) == 0;
  CHECK(missing == 0);
  CHECK(got.size() <= static_cast<size_t>(during));  // nothing invented
  // Each restored message is whole: its decision and state came with it.
  auto live = Dump(*store);
  for (const auto& [id, v] : got) CHECK(live.at(id) == v);
  INFO("acknowledged before: " << before.size() << ", restored: " << got.size());
  CHECK(got.size() >= before.size());
}
