// A daemon killed in the middle of a backup (the real binary, SIGKILL as
// the copy begins): the latest complete backup restores with every message
// acknowledged before it, the unfinished one is listed as such and never
// restored, and the restarted daemon's next backup clears what it left.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "daemon_process.h"
#include "engine/store/queue_store.h"
#include "http_client.h"
#include "test_util.h"

using namespace triage;
using test::DaemonProcess;

TEST_CASE("SIGKILL during a backup: the latest complete backup restores with every message acknowledged before it",
          "[crash][backup]") {
  namespace fs = std::filesystem;
  test::TempDir dir;
  const std::string backups = dir.path() + "/backups";
  DaemonProcess daemon(dir.path() + "/data", dir.path() + "/daemon.log", dir.path() + "/cache");
  daemon.set_config(dir.Write("serve.yaml", "backup_dir: " + backups + "\n"));
  uint16_t port = daemon.Start();
  auto ingest = [&](int from, int to, std::set<std::string>* acked) {
    for (int b = from; b < to; b += 200) {
      std::string body;
      for (int i = b; i < b + 200; ++i)
        body += R"({"id":"k:)" + std::to_string(i) + R"(","channel":"x","text":"my order )" + std::to_string(i) +
                " never arrived\"}\n";
      test::HttpClient c(port);
      REQUIRE(c.Request("POST", "/v1/messages", body).status == 202);
      for (int i = b; i < b + 200; ++i) acked->insert("k:" + std::to_string(i));
    }
  };
  std::set<std::string> first, second;
  ingest(0, 6000, &first);
  auto r = test::HttpClient(port).Request("POST", "/v1/admin/backup");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("{\"id\":1,"));
  ingest(6000, 12000, &second);

  // Backup 2, killed as soon as its copy begins (private/2.tmp appears):
  // mid-copy nearly always; when it won the race, the test checks that case.
  std::atomic<bool> answered{false};
  test::HttpResult answer;
  std::thread request([&] {
    answer = test::HttpClient(port).Request("POST", "/v1/admin/backup");
    answered = true;
  });
  while (!answered && !fs::exists(backups + "/private/2.tmp") && !fs::exists(backups + "/private/2"))
    std::this_thread::yield();
  daemon.Kill(SIGKILL);
  request.join();
  const bool complete = fs::exists(backups + "/meta/2");
  INFO("backup 2 " << (complete ? "completed before the kill" : "was interrupted") << "; answer " << answer.status);
  if (answer.status == 200) CHECK(complete);

  std::string out;
  CHECK(test::RunTriage({"backup", "--list", "--to", backups}, dir.path() + "/list.out", &out) == 0);
  INFO(out);
  if (!complete) CHECK_THAT(out, Catch::Contains("backup 2: unfinished (interrupted; the next backup removes what it left)"));

  const std::string restored = dir.path() + "/restored";
  CHECK(test::RunTriage({"restore", "--from", backups, "--to", restored}, dir.path() + "/restore.out", &out) == 0);
  CHECK_THAT(out, Catch::StartsWith(complete ? "backup 2 of " : "backup 1 of "));
  std::set<std::string> ids;
  {
    std::unique_ptr<QueueStore> store;
    Status s = QueueStore::OpenReadOnly(restored, &store);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(store->ForEach([&](const std::string& id, const StoredMessage&) { ids.insert(id); }).ok());
  }
  size_t missing = 0;
  for (const auto& id : first) missing += ids.count(id) == 0;
  if (complete)
    for (const auto& id : second) missing += ids.count(id) == 0;
  CHECK(missing == 0);
  CHECK(ids.size() == (complete ? first.size() + second.size() : first.size()));

  // The daemon comes back on its data; its next backup clears what the killed one left.
  port = daemon.Start();
  r = test::HttpClient(port).Request("POST", "/v1/admin/backup");
  CHECK(r.status == 200);
  CHECK(test::RunTriage({"backup", "--list", "--to", backups}, dir.path() + "/list.out", &out) == 0);
  CHECK_THAT(out, !Catch::Contains("unfinished"));
  daemon.Kill(SIGTERM);
}
