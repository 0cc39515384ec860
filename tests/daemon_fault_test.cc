// The daemon on a disk that fills up (injected: fault_fs.h): 507 for writes,
// reads served, /readyz not ready, and writable again by itself once there is
// room, with nothing acknowledged missing. And webhook replies (brand echoes)
// answered 200 only once their event is durable, 503 when the store cannot
// take them, and recorded once however often the platform resends them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "connectors/webhooks/signature.h"
#include "fault_fs.h"
#include "http_client.h"
#include "running_daemon.h"
#include "test_util.h"

using namespace triage;
using test::Msg;
using test::RunningDaemon;

namespace {

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

test::HttpResult PostSlack(uint16_t port, const std::string& body) {
  std::string ts = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  return test::RequestOnce(port, "POST", "/webhooks/slack", body,
                           {{"X-Slack-Request-Timestamp", ts},
                            {"X-Slack-Signature", "v0=" + HexEncode(HmacSha256("slack-secret", "v0:" + ts + ":" + body))}});
}

std::string CustomerTs(int i) { return "1700000000." + std::to_string(100000 + i); }

std::string SlackCustomer(int i) {
  return R"({"type":"event_callback","event":{"type":"message","channel":"C1","user":"U)" + std::to_string(i) +
         R"(","text":"my order never arrived, please help","ts":")" + CustomerTs(i) + R"("}})";
}

std::string SlackBotReply(int i) {
  return R"({"type":"event_callback","event":{"type":"message","subtype":"bot_message","bot_id":"B1","channel":"C1",)"
         R"("text":"So sorry, looking into it now","ts":"1700000100.)" +
         std::to_string(100000 + i) + R"(","thread_ts":")" + CustomerTs(i) + R"("}})";
}

// Posts until the daemon answers something other than 503 (bounded).
test::HttpResult PostUntilTaken(const std::function<test::HttpResult()>& post, int* busy = nullptr) {
  test::HttpResult r;
  for (int attempt = 0; attempt < 5000; ++attempt) {
    r = post();
    if (r.status != 503) return r;
    if (busy) ++*busy;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return r;
}

}  // namespace

TEST_CASE("Daemon: a full disk answers 507 and not ready, serves reads, and recovers", "[daemon][fault]") {
  test::FaultEnv fe;
  ServerConfig cfg;
  cfg.test_store_env = fe.env.get();
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  std::vector<std::string> acknowledged;
  for (int b = 0; b < 4; ++b) {
    std::string body;
    for (int i = 0; i < 5; ++i) {
      std::string id = "f" + std::to_string(b * 5 + i);
      body += Msg(id, "where is my refund") + "\n";
      acknowledged.push_back(id);
    }
    REQUIRE(c.Request("POST", "/v1/messages", body).status == 202);
  }
  REQUIRE(c.Request("GET", "/readyz").status == 200);

  fe.fs->set_full(true);
  auto refused = c.Request("POST", "/v1/messages", Msg("g0", "hello"));
  CHECK(refused.status == 507);
  CHECK_THAT(refused.body, Catch::Contains("\"error\":") && Catch::Contains("no space left on device", Catch::CaseSensitive::No));
  CHECK(c.Request("POST", "/v1/messages", Msg("g1", "hello again")).status == 507);
  CHECK(c.Request("POST", "/v1/messages/f1/events", R"({"type":"resolved","agent":"alice"})").status == 507);
  CHECK(c.Request("POST", "/v1/queues/support/claim", R"({"agent":"bob"})").status == 507);
  auto ready = c.Request("GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK_THAT(ready.body, Catch::Contains("no space left on device"));
  CHECK(c.Request("GET", "/healthz").status == 200);
  for (const auto& id : acknowledged) {
    auto g = c.Request("GET", "/v1/messages/" + id);
    INFO(id << ": " << g.body);
    CHECK(g.status == 200);
  }
  CHECK(c.Request("GET", "/v1/messages/g0").status == 404);
  std::string metrics = c.Request("GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("triage_store_mode{mode=\"read_only\"} 1"));
  CHECK_THAT(metrics, Catch::Contains("triage_store_mode{mode=\"writable\"} 0"));
  CHECK_THAT(metrics, Catch::Contains("triage_store_write_failures_total 1"));
  CHECK_THAT(metrics, Catch::Contains("triage_store_recoveries_total 0"));
  CHECK_THAT(d.Log(), Catch::Contains("store: write failed (No space left on device): read-only until space is freed"));

  // The operator frees space and says so (SIGHUP does what RequestReload does).
  fe.fs->set_full(false);
  d.daemon->RequestReload();
  int status = 0;
  for (int i = 0; i < 3000 && status != 200; ++i) {
    status = c.Request("GET", "/readyz").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(status == 200);
  CHECK_THAT(d.Log(), Catch::Contains("store: writable again"));
  CHECK(c.Request("POST", "/v1/messages", Msg("g0", "hello")).status == 202);
  CHECK(c.Request("POST", "/v1/messages/f1/events", R"({"type":"resolved","agent":"alice"})").status == 201);
  for (const auto& id : acknowledged) CHECK(c.Request("GET", "/v1/messages/" + id).status == 200);
  metrics = c.Request("GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("triage_store_mode{mode=\"writable\"} 1"));
  CHECK_THAT(metrics, Catch::Contains("triage_store_recoveries_total 1"));
}

TEST_CASE("Daemon: started on a full disk it serves reads, answers 507, then recovers", "[daemon][fault]") {
  test::TempDir dir;
  ServerConfig cfg = test::LocalConfig(dir);
  {
    RunningDaemon first(cfg);
    test::HttpClient c(first.port());
    REQUIRE(c.Request("POST", "/v1/messages", Msg("s1", "where is my parcel")).status == 202);
  }
  test::FaultEnv fe;
  fe.fs->set_full(true);
  cfg.test_store_env = fe.env.get();
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  CHECK(c.Request("GET", "/readyz").status == 503);
  CHECK(c.Request("GET", "/v1/messages/s1").status == 200);
  CHECK(c.Request("POST", "/v1/messages", Msg("s2", "hello")).status == 507);
  CHECK_THAT(d.Log(), Catch::Contains("store: cannot open the database for writing (No space left on device)"));
  fe.fs->set_full(false);
  d.daemon->RequestReload();
  int status = 0;
  for (int i = 0; i < 3000 && status != 200; ++i) {
    status = c.Request("GET", "/readyz").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(status == 200);
  CHECK(c.Request("POST", "/v1/messages", Msg("s2", "hello")).status == 202);
}

TEST_CASE("Webhook replies: 200 only once stored, 503 when the store is busy, each recorded once",
          "[daemon][webhooks][fault]") {
  ServerConfig cfg;
  cfg.webhooks.slack_signing_secret = "slack-secret";
  cfg.max_pending_writes = 2;
  RunningDaemon d(cfg);
  constexpr int kReplies = 60;
  for (int i = 0; i < kReplies; ++i) {
    auto r = PostUntilTaken([&] { return PostSlack(d.port(), SlackCustomer(i)); });
    INFO(r.body);
    REQUIRE(r.status == 200);
  }

  // Replies while other clients keep the writer's queue full.
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (int t = 0; t < 2; ++t)
    load.emplace_back([&, t] {
      test::HttpClient c(d.port());
      for (int i = 0; i < 2000 && !stop; ++i)
        c.Request("POST", "/v1/messages", Msg("load" + std::to_string(t) + "-" + std::to_string(i), "hi"));
    });
  std::atomic<int> busy{0}, not_durable{0}, failed{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 3; ++t)
    senders.emplace_back([&, t] {
      test::HttpClient c(d.port());
      for (int i = t; i < kReplies; i += 3) {
        int b = 0;
        auto r = PostUntilTaken([&] { return PostSlack(d.port(), SlackBotReply(i)); }, &b);
        busy += b;
        if (r.status != 200) {
          ++failed;
          continue;
        }
        // Answered 200: the event is already there.
        std::string m = c.Request("GET", "/v1/messages/slack:C1:" + CustomerTs(i)).body;
        if (Count(m, "\"type\":\"replied\"") != 1) ++not_durable;
      }
    });
  for (auto& s : senders) s.join();
  stop = true;
  for (auto& l : load) l.join();
  CHECK(failed == 0);
  CHECK(not_durable == 0);
  INFO("deliveries answered 503 and resent: " << busy.load());

  // Slack resends a delivery it did not see answered in time: counted once.
  for (int i = 0; i < kReplies; ++i) REQUIRE(PostUntilTaken([&] { return PostSlack(d.port(), SlackBotReply(i)); }).status == 200);
  test::HttpClient c(d.port());
  size_t total = 0;
  for (int i = 0; i < kReplies; ++i) {
    std::string m = c.Request("GET", "/v1/messages/slack:C1:" + CustomerTs(i)).body;
    INFO(m);
    CHECK(Count(m, "\"type\":\"replied\"") == 1);
    CHECK_THAT(m, Catch::Contains("\"status\":\"done\""));
    total += Count(m, "\"type\":\"replied\"");
  }
  CHECK(total == kReplies);
}
