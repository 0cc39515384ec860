// POST /v1/admin/backup on a running daemon: off without backup_dir (409),
// admin-only with tokens (401, 403), a checked backup that restores while
// clients keep posting, and one backup into a directory at a time.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "engine/store/queue_store.h"
#include "engine/store/store_backup.h"
#include "http_client.h"
#include "running_daemon.h"
#include "runtime/server/auth.h"
#include "test_util.h"

using namespace triage;
using test::HttpClient;
using test::Msg;
using test::RunningDaemon;

namespace {

HttpClient As(uint16_t port, const std::string& token) {
  HttpClient c(port);
  if (!token.empty()) c.SetHeader("Authorization", "Bearer " + token);
  return c;
}

// Every message id in a restored data directory.
std::set<std::string> StoredIds(const std::string& data_dir) {
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::OpenReadOnly(data_dir, &s);
  INFO(st.message());
  REQUIRE(st.ok());
  std::set<std::string> ids;
  REQUIRE(s->ForEach([&](const std::string& id, const StoredMessage&) { ids.insert(id); }).ok());
  return ids;
}

std::string Batch(int from, int to) {
  std::string body;
  for (int i = from; i < to; ++i) body += Msg("b:" + std::to_string(i), "where is my order " + std::to_string(i)) + "\n";
  return body;
}

}  // namespace

TEST_CASE("POST /v1/admin/backup without backup_dir: 409 that says what to set", "[backup][daemon]") {
  RunningDaemon d;
  auto r = HttpClient(d.port()).Request("POST", "/v1/admin/backup");
  CHECK(r.status == 409);
  CHECK_THAT(r.body, Catch::Contains("no backup_dir configured"));
  CHECK(HttpClient(d.port()).Request("GET", "/v1/admin/backup").status == 405);
}

TEST_CASE("POST /v1/admin/backup: 200 with the backup, which restores, for admin tokens only", "[backup][daemon][auth]") {
  test::TempDir keep;
  ServerConfig config;
  config.backup_dir = keep.path() + "/backups";
  config.security.tokens = {test::ApiToken("ingester", "tok-ingest", {Scope::kIngest}), test::ApiToken("reader", "tok-read", {Scope::kRead}),
                            test::ApiToken("ops", "tok-admin", {Scope::kAdmin})};
  RunningDaemon d(config);
  REQUIRE(As(d.port(), "tok-ingest").Request("POST", "/v1/messages", Batch(0, 50)).status == 202);

  auto none = As(d.port(), "").Request("POST", "/v1/admin/backup");
  CHECK(none.status == 401);
  CHECK(none.headers["WWW-Authenticate"].find("Bearer") == 0);
  CHECK(As(d.port(), "tok-nobody").Request("POST", "/v1/admin/backup").status == 401);
  for (const char* token : {"tok-ingest", "tok-read"}) {
    auto r = As(d.port(), token).Request("POST", "/v1/admin/backup");
    CHECK(r.status == 403);
    CHECK_THAT(r.body, Catch::Contains("lacks the scope"));
  }
  CHECK_FALSE(std::filesystem::exists(config.backup_dir + "/meta/1"));

  auto ok = As(d.port(), "tok-admin").Request("POST", "/v1/admin/backup");
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK_THAT(ok.body, Catch::StartsWith("{\"id\":1,\"time\":\"20"));
  CHECK_THAT(ok.body, Catch::Contains("\"messages\":50,\"verified\":true}"));
  REQUIRE(As(d.port(), "tok-ingest").Request("POST", "/v1/messages", Batch(50, 60)).status == 202);
  auto second = As(d.port(), "tok-admin").Request("POST", "/v1/admin/backup");
  CHECK_THAT(second.body, Catch::Contains("{\"id\":2,"));
  CHECK_THAT(second.body, Catch::Contains("\"messages\":60,"));

  // Restored while the daemon runs: the backup directory is only read.
  REQUIRE(RestoreStoreBackup(config.backup_dir, keep.path() + "/restored", RestoreRequest(), nullptr).ok());
  CHECK(StoredIds(keep.path() + "/restored").size() == 60);
  // Audited, and counted.
  std::string log = d.Log();
  CHECK_THAT(log, Catch::Contains("\"who\":\"ops\",\"from\":\"127.0.0.1:"));
  CHECK_THAT(log, Catch::Contains("\"action\":\"backup\",\"status\":200}"));
  CHECK_THAT(log, Catch::Contains("\"action\":\"auth_failed\",\"target\":\"backup "));
  CHECK_THAT(log, Catch::Contains("backup 2 written to " + config.backup_dir + " and checked"));
  auto metrics = As(d.port(), "tok-admin").Request("GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("triage_backups_total{result=\"ok\"} 2\n"));
  CHECK_THAT(metrics, Catch::Contains("triage_backups_total{result=\"failed\"} 0\n"));
  CHECK_THAT(metrics, Catch::Contains("triage_backup_last_success_timestamp_seconds 1"));
}

TEST_CASE("POST /v1/admin/backup while another backup into the directory runs: 409", "[backup][daemon]") {
  test::TempDir keep;
  ServerConfig config;
  config.backup_dir = keep.path() + "/backups";
  RunningDaemon d(config);
  REQUIRE(HttpClient(d.port()).Request("POST", "/v1/messages", Batch(0, 5)).status == 202);
  std::filesystem::create_directories(config.backup_dir);
  // Another backup, here `triage backup` of another process, holds the directory.
  int fd = ::open((config.backup_dir + "/LOCK").c_str(), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);
  auto busy = HttpClient(d.port()).Request("POST", "/v1/admin/backup");
  CHECK(busy.status == 409);
  CHECK_THAT(busy.body, Catch::Contains("another backup into this directory is running"));
  ::close(fd);
  CHECK(HttpClient(d.port()).Request("POST", "/v1/admin/backup").status == 200);
  CHECK_THAT(HttpClient(d.port()).Request("GET", "/metrics").body,
             Catch::Contains("triage_backups_total{result=\"ok\"} 1\n"));
}

TEST_CASE("A backup taken while clients post holds every message acknowledged before it was asked for",
          "[backup][daemon]") {
  test::TempDir keep;
  ServerConfig config;
  config.backup_dir = keep.path() + "/backups";
  RunningDaemon d(config);
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> posted{0};
  auto client = [&](int first) {
    HttpClient c(d.port());
    for (int b = first; !stop; b += 2) {
      posted += 25;
      if (c.Request("POST", "/v1/messages", Batch(b * 25, b * 25 + 25)).status != 202) continue;
      std::lock_guard<std::mutex> l(mu);
      for (int i = b * 25; i < b * 25 + 25; ++i) acked.insert("b:" + std::to_string(i));
    }
  };
  std::thread one(client, 0), two(client, 1);
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (acked.size() >= 500) break;
    }
    std::this_thread::yield();
  }
  std::set<std::string> before;
  {
    std::lock_guard<std::mutex> l(mu);
    before = acked;
  }
  auto r = HttpClient(d.port()).Request("POST", "/v1/admin/backup");
  const int during = posted.load();
  stop = true;
  one.join();
  two.join();
  INFO(r.body);
  REQUIRE(r.status == 200);
  REQUIRE(RestoreStoreBackup(config.backup_dir, keep.path() + "/restored", RestoreRequest(), nullptr).ok());
  std::set<std::string> got = StoredIds(keep.path() + "/restored");
  size_t missing = 0;
  for (const auto& id : before) missing += got.count(id) == 0;
  INFO("acknowledged before: " << before.size() << ", restored: " << got.size());
  CHECK(missing == 0);
  CHECK(got.size() <= static_cast<size_t>(during));
}
