// Platform edits and deletes applied to the store, and erasure of an author:
// the redaction rewrites, the store operations, `triage erase` and the
// erasure ledger's re-application by `triage restore`.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>

#include "cli/commands.h"
#include "engine/metrics/history.h"
#include "engine/store/erasure.h"
#include "engine/store/queue_store.h"
#include "engine/store/redaction.h"
#include "test_util.h"

using namespace triage;

namespace {

using Clock = test::ManualClock;

std::string Line(const std::string& id, const std::string& channel, const std::string& author, const std::string& text,
                 const std::string& conversation = "") {
  return R"({"id":")" + id + R"(","channel":")" + channel + R"(","kind":"private")" +
         (conversation.empty() ? "" : R"(,"conversation_id":")" + conversation + "\"") + R"(,"author":{"id":")" +
         author + R"(","handle":"@)" + author + R"(","followers":12,"verified":false},"text":")" + text +
         R"(","lang":"en","created_at":"2026-10-01T10:00:00Z"})";
}

IngestItem Item(const std::string& id, const std::string& channel, const std::string& author, const std::string& text,
                const std::string& conversation = "") {
  IngestItem it;
  it.id = id;
  it.raw = Line(id, channel, author, text, conversation);
  it.decision = R"({"id":")" + id + R"(","label":"support","queue":"support","priority":"normal"})";
  it.queue = "support";
  it.conversation_id = conversation;
  return it;
}

std::unique_ptr<QueueStore> OpenStore(const std::string& dir, const Clock& clock, bool keep_history = false) {
  QueueStoreOptions o;
  o.now_ms = clock.fn();
  o.keep_edit_history = keep_history;
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::Open(dir, o, &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

StoredMessage Get(QueueStore& s, const std::string& id) {
  StoredMessage m;
  Status st = s.Get(id, &m);
  INFO(id << ": " << st.message());
  REQUIRE(st.ok());
  return m;
}

std::string Events(const StoredMessage& m) {
  std::string all;
  for (const auto& e : m.events) all += e + "\n";
  return all;
}

ContentChange Edit(const std::string& id, const std::string& text) {
  return ContentChange{ContentChange::Type::kEdit, id, text, "u1", 1'700'000'100'000};
}
ContentChange Delete(const std::string& id) {
  return ContentChange{ContentChange::Type::kDelete, id, "", "u1", 1'700'000'200'000};
}

}  // namespace

TEST_CASE("Redaction rewrites keep every other field", "[store][erasure]") {
  const std::string raw = Line("wa:1", "whatsapp", "15551234567", "my card number is 4111", "wa-conv-15551234567");
  std::string out;
  REQUIRE(ReplaceMessageText(raw, "new \"text\"", &out).ok());
  CHECK_THAT(out, Catch::Contains(R"("text":"new \"text\"")"));
  CHECK_THAT(out, Catch::Contains(R"("author":{"id":"15551234567")"));
  CHECK_THAT(out, Catch::Contains(R"("created_at":"2026-10-01T10:00:00Z")"));

  REQUIRE(RedactMessageLine(raw, "15551234567", &out).ok());
  CHECK(out.find("4111") == std::string::npos);
  CHECK(out.find("15551234567") == std::string::npos);  // not even inside the conversation id
  CHECK_THAT(out, Catch::Contains(R"("text":"")"));
  CHECK_THAT(out, Catch::Contains(R"("author":{"id":"","handle":""})"));
  CHECK_THAT(out, Catch::Contains(R"("conversation_id":"wa-conv-erased")"));
  CHECK_THAT(out, Catch::Contains(R"("channel":"whatsapp")"));
  CHECK_THAT(out, Catch::Contains(R"("created_at":"2026-10-01T10:00:00Z")"));
  CHECK(out.find("\"lang\"") == std::string::npos);

  bool changed = false;
  REQUIRE(ScrubEventJson(R"({"type":"replied","agent":"a","at_ms":1,"note":"told them 4111"})", &out, &changed).ok());
  CHECK(changed);
  CHECK(out == R"({"type":"replied","agent":"a","at_ms":1})");
  REQUIRE(ScrubEventJson(R"({"type":"resolved","agent":"a"})", &out, &changed).ok());
  CHECK_FALSE(changed);
  CHECK_FALSE(RedactMessageLine("not json", "", &out).ok());
}

TEST_CASE("An edit replaces the stored text and records an edited event, the old text only when kept",
          "[store][erasure]") {
  for (bool keep : {false, true}) {
    INFO("keep_edit_history " << keep);
    test::TempDir dir;
    Clock clock;
    auto store = OpenStore(dir.path(), clock, keep);
    REQUIRE(store->IngestSync({Item("tg:1:5", "telegram", "u1", "first version")}, nullptr).ok());
    std::vector<ContentOutcome> out;
    REQUIRE(store->ApplyContentChangesSync({Edit("tg:1:5", "second version"), Edit("tg:1:404", "x")}, &out).ok());
    CHECK(out == std::vector<ContentOutcome>{ContentOutcome::kApplied, ContentOutcome::kUnknown});
    StoredMessage m = Get(*store, "tg:1:5");
    CHECK_THAT(m.raw, Catch::Contains(R"("text":"second version")"));
    REQUIRE(m.events.size() == 1);
    CHECK_THAT(m.events[0], Catch::Contains(R"("type":"edited")"));
    CHECK_THAT(m.events[0], Catch::Contains(R"("at_ms":1700000100000)"));
    CHECK((m.events[0].find("first version") != std::string::npos) == keep);
    // The decision stays; the message stays on its queue.
    CHECK(m.state.status == MessageStatus::kQueued);
    CHECK(store->Peek("support", 10).size() == 1);
    // The edit is not a response: reports read the message as unanswered.
    std::vector<HistoryMessage> history;
    size_t skipped = 0;
    REQUIRE(LoadHistory(*store, &history, &skipped).ok());
    CHECK(skipped == 0);
    REQUIRE(history.size() == 1);
    CHECK(history[0].events.empty());
  }
}

TEST_CASE("A delete removes text and author, takes the message off its queue, and its redelivery is a duplicate",
          "[store][erasure]") {
  test::TempDir dir;
  Clock clock;
  {
    auto store = OpenStore(dir.path(), clock, /*keep_history=*/true);
    REQUIRE(store->IngestSync({Item("ig:m1", "instagram", "u1", "please delete my address 1 Main St"),
                               Item("ig:m2", "instagram", "u2", "another one")},
                              nullptr)
                .ok());
    REQUIRE(store->ApplyContentChangesSync({Edit("ig:m1", "edited: 1 Main St")}, nullptr).ok());
    REQUIRE(store->AddEventSync("ig:m2", Event{EventType::kRerouted, "alice", 1'700'000'000'001, "sales", "note"}).ok());
    std::vector<ContentOutcome> out;
    REQUIRE(store->ApplyContentChangesSync({Delete("ig:m1"), Delete("ig:m1")}, &out).ok());
    CHECK(out == std::vector<ContentOutcome>{ContentOutcome::kApplied, ContentOutcome::kDeleted});
    StoredMessage m = Get(*store, "ig:m1");
    CHECK(m.raw.find("Main St") == std::string::npos);
    CHECK(m.raw.find("u1") == std::string::npos);
    CHECK(Events(m).find("Main St") == std::string::npos);  // the edit's kept text went too
    CHECK_THAT(Events(m), Catch::Contains(R"("type":"deleted")"));
    CHECK(m.state.status == MessageStatus::kDeleted);
    auto ready = store->Peek("support", 10);
    REQUIRE(ready.empty());
    // Redelivered: a duplicate, not stored again.
    std::vector<IngestOutcome> again;
    REQUIRE(store->IngestSync({Item("ig:m1", "instagram", "u1", "please delete my address 1 Main St")}, &again).ok());
    CHECK(again == std::vector<IngestOutcome>{IngestOutcome::kDuplicate});
    CHECK(Get(*store, "ig:m1").raw.find("Main St") == std::string::npos);
    // An agent's event on it is recorded, but does not queue it again.
    REQUIRE(store->AddEventSync("ig:m1", Event{EventType::kRerouted, "alice", 1'700'000'000'002, "sales", ""}).ok());
    CHECK(Get(*store, "ig:m1").state.status == MessageStatus::kDeleted);
    CHECK(store->Peek("sales", 10).size() == 1);  // ig:m2 only
  }
  // After a restart the deleted message is still off every queue.
  auto store = OpenStore(dir.path(), clock);
  CHECK(store->Peek("support", 10).empty());
  CHECK(store->Peek("sales", 10).size() == 1);
  CHECK(Get(*store, "ig:m1").state.status == MessageStatus::kDeleted);
}

TEST_CASE("A delete of an unknown id leaves a tombstone: the late message is dropped as a duplicate",
          "[store][erasure]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenStore(dir.path(), clock);
  std::vector<ContentOutcome> out;
  REQUIRE(store->ApplyContentChangesSync({Delete("x:99")}, &out).ok());
  CHECK(out == std::vector<ContentOutcome>{ContentOutcome::kTombstoned});
  StoredMessage m;
  CHECK(store->Get("x:99", &m).code() == Status::Code::kNotFound);  // no message: nothing to show
  std::vector<IngestOutcome> late;
  REQUIRE(store->IngestSync({Item("x:99", "x", "u9", "the original, arriving late")}, &late).ok());
  CHECK(late == std::vector<IngestOutcome>{IngestOutcome::kDuplicate});
  CHECK(store->Get("x:99", &m).code() == Status::Code::kNotFound);
  CHECK(store->Peek("support", 10).empty());
  // Reports do not trip over the tombstone.
  std::vector<HistoryMessage> history;
  size_t skipped = 0;
  REQUIRE(LoadHistory(*store, &history, &skipped).ok());
  CHECK(history.empty());
  CHECK(skipped == 0);
}

TEST_CASE("Erasure removes one author's texts and details, keeps what the metrics need, and is recorded",
          "[store][erasure]") {
  test::TempDir dir;
  Clock clock;
  auto store = OpenStore(dir.path(), clock);
  REQUIRE(store->IngestSync({Item("wa:1", "whatsapp", "15551234567", "first secret", "wa-conv-15551234567"),
                             Item("wa:2", "whatsapp", "15551234567", "second secret", "wa-conv-15551234567"),
                             Item("wa:3", "whatsapp", "15550000000", "someone else"),
                             Item("x:1", "x", "15551234567", "same id, other channel")},
                            nullptr)
              .ok());
  REQUIRE(store->AddEventSync("wa:1", Event{EventType::kReplied, "alice", 1'700'000'000'500, "", "quoted: first secret"})
              .ok());
  ErasureRecord r;
  REQUIRE(store->EraseAuthorSync("whatsapp", "15551234567", &r).ok());
  CHECK(r.messages == 2);
  CHECK(r.events == 1);
  CHECK(r.erased_ms == clock.t->load());
  for (const std::string id : {"wa:1", "wa:2"}) {
    StoredMessage m = Get(*store, id);
    INFO(m.raw);
    CHECK(m.raw.find("secret") == std::string::npos);
    CHECK(m.raw.find("15551234567") == std::string::npos);
    CHECK(Events(m).find("secret") == std::string::npos);
    CHECK(m.state.queue == "support");
    CHECK_THAT(m.decision, Catch::Contains(R"("label":"support")"));
  }
  CHECK_THAT(Get(*store, "wa:3").raw, Catch::Contains("someone else"));
  CHECK_THAT(Get(*store, "x:1").raw, Catch::Contains("same id, other channel"));
  // Counts and timings stay: the reply is still a response to a message.
  std::vector<HistoryMessage> history;
  REQUIRE(LoadHistory(*store, &history).ok());
  CHECK(history.size() == 4);
  std::vector<ErasureRecord> ledger;
  REQUIRE(store->Erasures(&ledger).ok());
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].channel == "whatsapp");
  CHECK(ledger[0].author_id == "15551234567");
  CHECK(ledger[0].messages == 2);
  // Erasing again finds nothing left.
  REQUIRE(store->EraseAuthorSync("whatsapp", "15551234567", &r).ok());
  CHECK(r.messages == 0);
}

TEST_CASE("triage erase: offline erasure as JSON, a clear refusal while the store is held", "[store][erasure]") {
  test::TempDir dir;
  Clock clock;
  const std::string data = dir.path() + "/data";
  EraseOptions opts;
  opts.data = data;
  opts.author = "telegram:42";
  {
    auto store = OpenStore(data, clock);
    REQUIRE(store->IngestSync({Item("tg:1:1", "telegram", "42", "erase me"), Item("tg:1:2", "telegram", "7", "keep me")},
                              nullptr)
                .ok());
    test::CommandRun run = test::RunCommand(opts, RunErase);
    CHECK(run.rc == kExitError);
    CHECK_THAT(run.err, Catch::Contains("locked"));
    CHECK_THAT(run.err, Catch::Contains("DELETE"));
  }
  opts.backups = dir.path() + "/backups";
  test::CommandRun run = test::RunCommand(opts, RunErase);
  INFO(run.err);
  REQUIRE(run.rc == kExitOk);
  CHECK_THAT(run.out, Catch::Contains(R"("channel":"telegram","author_id":"42")"));
  CHECK_THAT(run.out, Catch::Contains(R"("messages":1,"events":0)"));
  std::vector<ErasureRecord> file;
  REQUIRE(ReadErasureLedgerFile(ErasureLedgerPath(opts.backups), &file).ok());
  REQUIRE(file.size() == 1);
  CHECK(file[0].author_id == "42");
  auto store = OpenStore(data, clock);
  CHECK(Get(*store, "tg:1:1").raw.find("erase me") == std::string::npos);
  CHECK_THAT(Get(*store, "tg:1:2").raw, Catch::Contains("keep me"));

  EraseOptions wrong = opts;
  wrong.author = "no-colon";
  test::CommandRun bad = test::RunCommand(wrong, RunErase);
  CHECK(bad.rc == kExitUsage);
  CHECK_THAT(bad.err, Catch::Contains("CHANNEL:AUTHOR_ID"));
  wrong.author = "x:1";
  wrong.data = dir.path() + "/nowhere";
  CHECK(test::RunCommand(wrong, RunErase).rc == kExitError);
  CHECK_FALSE(std::filesystem::exists(wrong.data));
}

TEST_CASE("Restoring a backup made before an erasure erases again and warns", "[store][erasure][backup]") {
  test::TempDir dir;
  Clock clock;
  const std::string data = dir.path() + "/data", backups = dir.path() + "/backups";
  {
    auto store = OpenStore(data, clock);
    REQUIRE(store->IngestSync({Item("fb:1", "messenger", "psid-1", "old secret"), Item("fb:2", "messenger", "psid-2", "other")},
                              nullptr)
                .ok());
    BackupSummary b;
    REQUIRE(store->Backup(backups, &b).ok());
  }
  // Erased offline, not recorded beside the backups (no --backups): only the
  // current data directory's ledger knows.
  {
    EraseOptions opts;
    opts.data = data;
    opts.author = "messenger:psid-1";
    REQUIRE(test::RunCommand(opts, RunErase).rc == kExitOk);
  }
  // In place of the current store: its ledger is re-applied.
  RestoreOptions in_place;
  in_place.from = backups;
  in_place.to = data;
  in_place.force = true;
  test::CommandRun replaced = test::RunCommand(in_place, RunRestore);
  const std::string& err = replaced.err;
  INFO(err);
  REQUIRE(replaced.rc == kExitOk);
  CHECK_THAT(err, Catch::Contains("warning"));
  CHECK_THAT(err, Catch::Contains("re-applied"));
  CHECK_THAT(err, Catch::Contains("1 erasure"));
  {
    auto store = OpenStore(data, clock);
    CHECK(Get(*store, "fb:1").raw.find("old secret") == std::string::npos);
    CHECK_THAT(Get(*store, "fb:2").raw, Catch::Contains("other"));
    // The next backup carries the ledger beside it too.
    BackupSummary b;
    REQUIRE(store->Backup(backups, &b).ok());
  }
  std::vector<ErasureRecord> file;
  REQUIRE(ReadErasureLedgerFile(ErasureLedgerPath(backups), &file).ok());
  REQUIRE(file.size() == 1);
  // Into a new directory, from the first (older) backup: the ledger beside
  // the backups is re-applied.
  const std::string fresh = dir.path() + "/fresh";
  RestoreOptions r;
  r.from = backups;
  r.to = fresh;
  r.backup = 1;
  test::CommandRun run = test::RunCommand(r, RunRestore);
  INFO(run.err);
  REQUIRE(run.rc == kExitOk);
  CHECK_THAT(run.err, Catch::Contains("warning: the backup predates 1 erasure"));
  auto store = OpenStore(fresh, clock);
  CHECK(Get(*store, "fb:1").raw.find("old secret") == std::string::npos);
  std::vector<ErasureRecord> ledger;
  REQUIRE(store->Erasures(&ledger).ok());
  CHECK(ledger.size() == 1);
}
