// Commands given a wrong path or period: read-only commands never create a
// store (`maturity`, `train --data` open it with QueueStore::OpenReadOnly),
// an archive that cannot be read is an error with nothing printed after it,
// and a period outside the history is explained in words.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "cli/commands.h"
#include "engine/store/queue_store.h"
#include "test_util.h"

using namespace triage;

namespace {

const char* kMessage =
    R"({"id":"x:1","channel":"x","text":"I want a refund for order 123456","lang":"en","created_at":"2026-11-16T09:00:00Z"})";

// Every file under `dir` with its size and modification time: what a reader
// must leave as it found it.
std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> Snapshot(const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[e.path().string()] = {e.file_size(), e.last_write_time()};
  return files;
}

// A data directory holding one replayed message (closed: no lock held).
std::string ReplayedHistory(const test::TempDir& dir) {
  ReplayOptions r;
  r.common.rules = TRIAGE_RULES_DIR;
  r.common.no_cache = true;
  r.archives = {dir.Write("one.ndjson", std::string(kMessage) + "\n")};
  r.data = dir.path() + "/data";
  r.no_detector = true;
  test::CommandRun run = test::RunCommand(r, &RunReplay);
  INFO(run.err);
  REQUIRE(run.rc == kExitOk);
  return r.data;
}

}  // namespace

TEST_CASE("maturity and train --data on a missing directory: exit 1, the path named, nothing created",
          "[maturity][train][store]") {
  test::TempDir dir;
  const std::string missing = dir.path() + "/no-such-dir";

  MaturityOptions m;
  m.common.no_cache = true;
  m.data = missing;
  test::CommandRun mr = test::RunCommand(m, &RunMaturity);
  CHECK(mr.rc == kExitError);
  CHECK_THAT(mr.err, Catch::Contains("--data " + missing + ": no such data directory"));
  CHECK_FALSE(std::filesystem::exists(missing));

  TrainOptionsCli t;
  t.common.rules = TRIAGE_RULES_DIR;
  t.common.no_cache = true;
  t.data_dirs = {dir.path() + "/typo"};
  t.out_path = dir.path() + "/m.model";
  test::CommandRun tr = test::RunCommand(t, &RunTrain);
  CHECK(tr.rc == kExitError);
  CHECK_THAT(tr.err, Catch::Contains("--data " + dir.path() + "/typo: no such data directory"));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/typo"));
  CHECK_FALSE(std::filesystem::exists(t.out_path));
}

TEST_CASE("QueueStore::OpenReadOnly reads a history and changes nothing", "[store]") {
  test::TempDir dir;
  const std::string data = ReplayedHistory(dir);
  const auto before = Snapshot(data);
  {
    std::unique_ptr<QueueStore> store;
    Status s = QueueStore::OpenReadOnly(data, &store);
    INFO(s.message());
    REQUIRE(s.ok());
    StoredMessage m;
    REQUIRE(store->Get("x:1", &m).ok());
    CHECK_THAT(m.raw, Catch::Contains("refund for order 123456"));
    // Mutations fail (there is no writer), naming why.
    std::vector<IngestOutcome> outcomes;
    Status w = store->IngestSync({IngestItem{"x:2", "{}", "{}", "support", Priority::kNormal, ""}}, &outcomes);
    CHECK_FALSE(w.ok());
    CHECK_THAT(w.message(), Catch::Contains("read-only"));
  }
  CHECK(Snapshot(data) == before);

  // A directory that is not a database is an error, and stays empty.
  std::filesystem::create_directories(dir.path() + "/empty");
  std::unique_ptr<QueueStore> store;
  Status e = QueueStore::OpenReadOnly(dir.path() + "/empty", &store);
  CHECK_FALSE(e.ok());
  CHECK_THAT(e.message(), Catch::StartsWith(dir.path() + "/empty: cannot open the database"));
  CHECK(std::filesystem::is_empty(dir.path() + "/empty"));
}

TEST_CASE("QueueStore::OpenReadOnly refuses a store that a writer holds", "[store]") {
  test::TempDir dir;
  std::unique_ptr<QueueStore> writer;
  REQUIRE(QueueStore::Open(dir.path(), QueueStoreOptions{}, &writer).ok());
  std::unique_ptr<QueueStore> reader;
  Status s = QueueStore::OpenReadOnly(dir.path(), &reader);
  CHECK_FALSE(s.ok());
  // "lock": the commands add "a running `triage serve` holds it" on this word.
  CHECK_THAT(s.message(), Catch::Contains(dir.path() + ": the database is locked by another process"));
  // The probe must not have dropped the writer's lock (closing any descriptor
  // of the file would): another process still cannot take it.
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int fd = ::open((dir.path() + "/LOCK").c_str(), O_RDWR);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    _exit(fd >= 0 && ::fcntl(fd, F_SETLK, &fl) != 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

TEST_CASE("replay and eval with a missing archive: exit 1, the error is the last thing printed", "[replay][eval]") {
  test::TempDir dir;
  const std::string missing = dir.path() + "/missing.ndjson";

  ReplayOptions r;
  r.common.rules = TRIAGE_RULES_DIR;
  r.common.no_cache = true;
  r.archives = {missing};
  test::CommandRun rr = test::RunCommand(r, &RunReplay);
  CHECK(rr.rc == kExitError);
  CHECK(rr.out.empty());
  CHECK_THAT(rr.err, Catch::EndsWith("triage: " + missing + ": No such file or directory\n"));
  CHECK_THAT(rr.err, !Catch::Contains("replay: 0 messages"));

  EvalOptions e;
  e.common.rules = TRIAGE_RULES_DIR;
  e.common.no_cache = true;
  e.archives = {missing};
  for (bool json : {false, true}) {
    e.json = json;
    test::CommandRun er = test::RunCommand(e, &RunEval);
    CHECK(er.rc == kExitError);
    CHECK(er.out.empty());
    CHECK_THAT(er.err, Catch::EndsWith("triage: " + missing + ": No such file or directory\n"));
  }
}

TEST_CASE("maturity with one bound outside the history says which end it passed", "[maturity]") {
  test::TempDir dir;
  MaturityOptions m;
  m.common.no_cache = true;
  m.data = ReplayedHistory(dir);  // one message, on 2026-11-16

  m.from = "2027-01-01";
  test::CommandRun after = test::RunCommand(m, &RunMaturity);
  CHECK(after.rc == kExitUsage);
  CHECK(after.err ==
        "triage maturity: --from 2027-01-01 is after the end of the history (its last day is 2026-11-16)\n");

  m.from = "";
  m.to = "2026-11-16";
  test::CommandRun before = test::RunCommand(m, &RunMaturity);
  CHECK(before.rc == kExitUsage);
  CHECK(before.err ==
        "triage maturity: --to 2026-11-16 is not after the start of the history (its first day is 2026-11-16)\n");

  m.from = "2026-11-20";
  m.to = "2026-11-18";
  CHECK(test::RunCommand(m, &RunMaturity).err == "triage maturity: --to must be after --from\n");

  m.from = "2026-11-16";
  m.to = "";
  test::CommandRun last_day = test::RunCommand(m, &RunMaturity);
  CHECK(last_day.rc == kExitOk);
  CHECK_THAT(last_day.out, Catch::StartsWith("Social Maturity Index, 2026-11-16 to 2026-11-17"));
}
