// The outbox's durability proof: `triage serve` with a webhook sink is
// killed with SIGKILL again and again while it ingests and delivers (the
// receiver fails a share of the deliveries, so a backlog is always in
// flight); at the end every message that got a 202 has reached the receiver,
// and every delivery carried its idempotency key, the same one each time the
// same message came again.
#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "daemon_process.h"
#include "fake_http_server.h"
#include "http_client.h"
#include "test_util.h"

using namespace triage;
using test::DaemonProcess;
using test::FakeHttpServer;

TEST_CASE("Repeated SIGKILLs during delivery lose no outbound delivery and keep every key", "[crash][outbound]") {
  constexpr int kBatches = 30;
  constexpr int kBatch = 20;
  std::mutex mu;
  std::mt19937 fail_rng(7);
  FakeHttpServer receiver([&](const FakeHttpServer::Request&) {
    std::lock_guard<std::mutex> l(mu);
    FakeHttpServer::Reply r;
    if (fail_rng() % 3 == 0) r.status = 503;  // a third fail: retries are always pending
    return r;
  });
  test::TempDir dir;
  const std::string config = dir.Write("serve.yaml", "outbound:\n  - name: hook\n    type: webhook\n    url: " +
                                                         receiver.Url("/hook") +
                                                         "\n    queues: [\"*\"]\n    secret: k\n"
                                                         "    backoff_initial_ms: 20\n    backoff_max_ms: 200\n"
                                                         "    max_attempts: 1000\n");
  DaemonProcess daemon(dir.path() + "/data", dir.path() + "/daemon.log", dir.path() + "/cache");
  daemon.set_config(config);
  uint16_t port = daemon.Start();
  std::mt19937 rng(20261202);
  std::set<std::string> acked;
  int kills = 0;
  for (int b = 0; b < kBatches; ++b) {
    std::string body;
    std::vector<std::string> ids;
    for (int i = 0; i < kBatch; ++i) {
      std::string id = "o:" + std::to_string(b * kBatch + i);
      ids.push_back(id);
      body += R"({"id":")" + id + R"(","channel":"x","conversation_id":"t)" + std::to_string(i % 4) +
              R"(","text":"my order is late, refund please"})" + "\n";
    }
    for (int attempt = 0;; ++attempt) {
      REQUIRE(attempt < 20);
      test::HttpClient client(port);
      auto r = client.Request("POST", "/v1/messages", body, /*keep_alive=*/false);
      if (r.status == 202) {
        for (auto& id : ids) acked.insert(id);
        break;
      }
      daemon.Kill(SIGKILL);
      port = daemon.Start();
    }
    // Every few batches, a kill while deliveries (and their removals) are
    // in flight, after a random pause.
    if (b % 4 == 3) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
      daemon.Kill(SIGKILL);
      ++kills;
      port = daemon.Start();
    }
  }
  REQUIRE(acked.size() == kBatches * kBatch);
  auto all_delivered = [&](const std::vector<FakeHttpServer::Request>& reqs) {
    std::set<std::string> got;
    for (const auto& r : reqs) {
      auto at = r.body.find("{\"message\":{\"id\":\"");
      if (at != std::string::npos) got.insert(r.body.substr(at + 18, r.body.find('"', at + 18) - at - 18));
    }
    return std::includes(got.begin(), got.end(), acked.begin(), acked.end());
  };
  // Delivery of whatever is left goes on after the last restart.
  REQUIRE(receiver.WaitFor(all_delivered, 300));
  daemon.Kill(SIGTERM);
  CHECK(kills == kBatches / 4);
  std::map<std::string, std::set<std::string>> keys_of;  // message id -> keys it came with
  for (const auto& r : receiver.requests()) {
    CHECK(r.target == "/hook");
    const std::string key = r.Header("x-triage-delivery");
    CHECK(key.rfind("hook:", 0) == 0);  // never a missing key
    auto at = r.body.find("{\"message\":{\"id\":\"");
    if (at == std::string::npos) continue;  // an alert's queue item (a burst of the same text)
    keys_of[r.body.substr(at + 18, r.body.find('"', at + 18) - at - 18)].insert(key);
  }
  for (const std::string& id : acked) {
    INFO(id);
    CHECK(keys_of[id].size() == 1);  // repeats carry the same key
  }
  std::set<std::string> keys;
  for (const auto& [id, k] : keys_of) keys.insert(k.begin(), k.end());
  CHECK(keys.size() == keys_of.size());  // and no two messages share one
}
