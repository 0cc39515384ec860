// The daemon's HTTP API over a real loopback socket: every endpoint working
// together, leases, reload, restart, push queues, duplicates, thread context
// and readiness. (Routing and error paths without a socket: api_test.cc.)
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/rfc3339.h"
#include "format/archive_format.h"
#include "http_client.h"
#include "raw_connection.h"
#include "running_daemon.h"
#include "runtime/server/daemon.h"
#include "runtime/server/live_detector.h"
#include "test_util.h"

using namespace triage;
using test::Msg;
using test::RunningDaemon;

TEST_CASE("Health and readiness endpoints answer", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  auto h = c.Request("GET", "/healthz");
  CHECK(h.status == 200);
  CHECK(h.body == "{\"status\":\"ok\"}");
  CHECK(c.Request("GET", "/readyz").status == 200);
}

TEST_CASE("Ingest answers 202 with decisions after storing - retries are duplicates", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  std::string batch = Msg("t:1", "I want a refund for my order") + "\n" + Msg("t:2", "how much is the family plan") +
                      "\n\n" + Msg("t:3", "this playlist is nice");
  auto r = c.Request("POST", "/v1/messages", batch);
  REQUIRE(r.status == 202);
  CHECK_THAT(r.body, Catch::Contains("\"accepted\":3,\"duplicates\":0"));
  CHECK_THAT(r.body, Catch::Contains("{\"id\":\"t:1\",\"status\":\"stored\",\"decision\":{\"id\":\"t:1\",\"label\":\"support\""));
  CHECK_THAT(r.body, Catch::Contains("\"queue\":\"sales\""));

  // The same batch again (a client retry): nothing new is stored.
  auto again = c.Request("POST", "/v1/messages", batch);
  REQUIRE(again.status == 202);
  CHECK_THAT(again.body, Catch::Contains("\"accepted\":0,\"duplicates\":3"));

  // One pretty-printed object is one message.
  auto single = c.Request("POST", "/v1/messages", "{\n  \"id\": \"t:4\",\n  \"channel\": \"x\",\n  \"text\": \"where is my parcel\"\n}");
  REQUIRE(single.status == 202);
  CHECK_THAT(single.body, Catch::Contains("\"accepted\":1"));

  auto q = c.Request("GET", "/v1/queues");
  REQUIRE(q.status == 200);
  CHECK_THAT(q.body, Catch::Contains("{\"name\":\"support\",\"depth\":2,\"claimed\":0,"));
  CHECK_THAT(q.body, Catch::Contains("\"assigned\":0,\"sla_seconds\":3600,\"assignment\":\"pull\"}"));
  CHECK_THAT(q.body, Catch::Contains("{\"name\":\"sales\",\"depth\":1,"));
}

TEST_CASE("A bad line rejects the whole request, naming the line - nothing is stored", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  auto r = c.Request("POST", "/v1/messages", Msg("b:1", "refund please") + "\n" + R"({"id":"b:2","channel":"x"})");
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("line 2: missing required field 'text'"));
  CHECK_THAT(r.body, Catch::Contains("\"line\":2"));
  CHECK(c.Request("GET", "/v1/messages/b:1").status == 404);

  CHECK(c.Request("POST", "/v1/messages", "").status == 400);
  auto bad_utf8 = c.Request("POST", "/v1/messages", "{\"id\":\"u\",\"channel\":\"x\",\"text\":\"\xff\"}");
  CHECK(bad_utf8.status == 400);
  CHECK_THAT(bad_utf8.body, Catch::Contains("invalid UTF-8"));
}

TEST_CASE("Peek, claim, events and GET of a message work together", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  REQUIRE(c.Request("POST", "/v1/messages",
                    Msg("p:1", "my order never arrived") + "\n" + Msg("p:2", "app is not working, error 500") + "\n" +
                        Msg("p:3", "refund please", R"(,"author":{"followers":90000,"verified":true})"))
              .status == 202);
  auto peek = c.Request("GET", "/v1/queues/support/messages?limit=2");
  REQUIRE(peek.status == 200);
  CHECK_THAT(peek.body, Catch::StartsWith("{\"queue\":\"support\",\"messages\":[{\"id\":\"p:3\""));  // high priority first
  CHECK(c.Request("GET", "/v1/queues/support/messages?limit=zero").status == 400);
  CHECK(c.Request("GET", "/v1/queues/nosuch/messages").status == 404);

  auto claim = c.Request("POST", "/v1/queues/support/claim", R"({"agent":"alice","lease_seconds":60,"max":2})");
  REQUIRE(claim.status == 200);
  CHECK_THAT(claim.body, Catch::StartsWith("{\"messages\":[{\"id\":\"p:3\""));
  CHECK_THAT(claim.body, Catch::Contains("\"message\":{\"id\":\"p:1\""));

  auto ev = c.Request("POST", "/v1/messages/p:3/events", R"({"type":"replied","agent":"alice","at":"2026-11-23T10:00:00Z"})");
  CHECK(ev.status == 201);
  auto get = c.Request("GET", "/v1/messages/p%3A3");
  REQUIRE(get.status == 200);
  CHECK_THAT(get.body, Catch::Contains("\"status\":\"done\",\"agent\":\"alice\""));
  CHECK_THAT(get.body, Catch::Contains("\"events\":[{\"type\":\"replied\",\"agent\":\"alice\",\"at_ms\":1795428000000"));

  // Reroute moves the message to another queue.
  auto rr = c.Request("POST", "/v1/messages/p:2/events",
                      R"({"type":"rerouted","agent":"bob","at_ms":1795428000000,"to_queue":"product","note":"a feature request"})");
  CHECK(rr.status == 201);
  CHECK_THAT(c.Request("GET", "/v1/queues/product/messages").body, Catch::Contains("\"id\":\"p:2\""));
  CHECK_THAT(c.Request("GET", "/v1/messages/p:2").body, Catch::Contains("\"queue\":\"product\",\"priority\""));
}

TEST_CASE("Event and claim requests are validated field by field", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  REQUIRE(c.Request("POST", "/v1/messages", Msg("v:1", "refund please")).status == 202);
  auto e = [&](const std::string& body) { return c.Request("POST", "/v1/messages/v:1/events", body); };
  CHECK_THAT(e(R"({"type":"liked","agent":"a","at_ms":1795428000000})").body, Catch::Contains("\"field\":\"type\""));
  CHECK_THAT(e(R"({"type":"replied","at_ms":1795428000000})").body, Catch::Contains("\"field\":\"agent\""));
  CHECK_THAT(e(R"({"type":"replied","agent":"a","at":"yesterday"})").body, Catch::Contains("\"field\":\"at\""));
  CHECK_THAT(e(R"({"type":"rerouted","agent":"a","at_ms":1795428000000,"to_queue":"nowhere"})").body,
             Catch::Contains("\"field\":\"to_queue\""));
  CHECK_THAT(e(R"({"type":"replied","agent":["a"],"at_ms":1795428000000})").body, Catch::Contains("\"field\":\"agent\""));
  CHECK(e("not json").status == 400);
  CHECK(c.Request("POST", "/v1/messages/zzz/events", R"({"type":"replied","agent":"a","at_ms":1795428000000})").status == 404);
  // Without a time the event happened when the daemon records it (openapi.yaml).
  CHECK(e(R"({"type":"replied","agent":"a"})").status == 201);
  std::string got = c.Request("GET", "/v1/messages/v:1").body;
  size_t at = got.find("\"at_ms\":");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoll(got.substr(at + 8)) > 1'700'000'000'000LL);

  auto cl = [&](const std::string& body) { return c.Request("POST", "/v1/queues/support/claim", body); };
  CHECK_THAT(cl(R"({"lease_seconds":5})").body, Catch::Contains("\"field\":\"agent\""));
  CHECK_THAT(cl(R"({"agent":"a","lease_seconds":0})").body, Catch::Contains("\"field\":\"lease_seconds\""));
  CHECK_THAT(cl(R"({"agent":"a","max":100000})").body, Catch::Contains("\"field\":\"max\""));
  CHECK(c.Request("POST", "/v1/queues/nosuch/claim", R"({"agent":"a"})").status == 404);
}

TEST_CASE("Unknown endpoints are 404 and wrong methods 405, with JSON bodies", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  auto nf = c.Request("GET", "/v2/things");
  CHECK(nf.status == 404);
  CHECK_THAT(nf.body, Catch::StartsWith("{\"error\":"));
  CHECK(c.Request("DELETE", "/v1/queues").status == 405);
  CHECK(c.Request("GET", "/v1/messages").status == 405);
  CHECK(c.Request("GET", "/v1/messages/%zz").status == 400);
}

TEST_CASE("An unacknowledged lease expires and the message is claimable again", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  REQUIRE(c.Request("POST", "/v1/messages", Msg("l:1", "refund please")).status == 202);
  auto first = c.Request("POST", "/v1/queues/support/claim", R"({"agent":"alice","lease_seconds":1})");
  CHECK_THAT(first.body, Catch::Contains("\"id\":\"l:1\""));
  CHECK(c.Request("POST", "/v1/queues/support/claim", R"({"agent":"bob"})").body == "{\"messages\":[]}");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto second = c.Request("POST", "/v1/queues/support/claim", R"({"agent":"bob"})");
  CHECK_THAT(second.body, Catch::Contains("\"id\":\"l:1\""));
  CHECK_THAT(c.Request("GET", "/v1/messages/l:1").body, Catch::Contains("\"status\":\"claimed\",\"agent\":\"bob\""));
}

TEST_CASE("Metrics are in Prometheus text format and count what happened", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  REQUIRE(c.Request("POST", "/v1/messages", Msg("m:1", "refund please") + "\n" + Msg("m:2", "refund please")).status == 202);
  REQUIRE(c.Request("POST", "/v1/messages", Msg("m:1", "refund please")).status == 202);
  auto m = c.Request("GET", "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.headers["Content-Type"] == "text/plain; version=0.0.4");
  CHECK_THAT(m.body, Catch::Contains("triage_ingest_messages_total{outcome=\"stored\"} 2\n"));
  CHECK_THAT(m.body, Catch::Contains("triage_ingest_messages_total{outcome=\"duplicate\"} 1\n"));
  CHECK_THAT(m.body, Catch::Contains("triage_messages_labeled_total{label=\"support\"} 2\n"));
  CHECK_THAT(m.body, Catch::Contains("triage_queue_depth{queue=\"support\"} 2\n"));
  CHECK_THAT(m.body, Catch::Contains("triage_http_requests_total{endpoint=\"ingest\"} 2\n"));
  CHECK_THAT(m.body, Catch::Contains("triage_http_request_duration_seconds_count{endpoint=\"ingest\"} 2\n"));
  CHECK_THAT(m.body, Catch::Contains("# TYPE triage_http_request_duration_seconds histogram"));
}

TEST_CASE("Metrics sources beside the daemon are appended to /metrics", "[daemon]") {
  std::atomic<int> calls{0};
  RunningDaemon d(ServerConfig(), [&calls](Daemon* daemon) {
    daemon->AddMetricsSource([&calls](std::string* out) {
      *out += "# TYPE side_counter counter\nside_counter " + std::to_string(++calls) + "\n";
    });
  });
  test::HttpClient c(d.port());
  CHECK_THAT(c.Request("GET", "/metrics").body, Catch::Contains("\nside_counter 1\n"));
  CHECK_THAT(c.Request("GET", "/metrics").body, Catch::Contains("\nside_counter 2\n"));
}


TEST_CASE("Reload swaps in a good pack and keeps the old one on a bad pack", "[daemon][reload]") {
  test::TempDir rules;
  std::string path = rules.Write("pack.yaml", "rules:\n  - {id: old_rule, label: lead, weight: 3, any: [widget]}\n");
  ServerConfig cfg;
  cfg.rules = path;
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  CHECK_THAT(c.Request("POST", "/v1/messages", Msg("r:1", "widget")).body, Catch::Contains("\"rules\":[\"old_rule\"]"));

  rules.Write("pack.yaml", "rules:\n  - {id: broken, label: lead, weight: 3, any: [\"/(/\"]}\n");
  CHECK_FALSE(d.daemon->Reload().ok());
  CHECK_THAT(c.Request("POST", "/v1/messages", Msg("r:2", "widget")).body, Catch::Contains("\"rules\":[\"old_rule\"]"));
  CHECK_THAT(d.Log(), Catch::Contains("rules reload rejected, the previous pack keeps serving"));

  rules.Write("pack.yaml", "rules:\n  - {id: new_rule, label: crisis, weight: 3, any: [widget]}\n");
  REQUIRE(d.daemon->Reload().ok());
  auto r = c.Request("POST", "/v1/messages", Msg("r:3", "widget"));
  CHECK_THAT(r.body, Catch::Contains("\"rules\":[\"new_rule\"]"));
  CHECK_THAT(r.body, Catch::Contains("\"queue\":\"comms\""));
  CHECK_THAT(c.Request("GET", "/metrics").body, Catch::Contains("triage_rules_reloads_total{result=\"failed\"} 1"));
}

TEST_CASE("Messages survive a restart on the same data directory", "[daemon]") {
  test::TempDir dir;
  ServerConfig cfg;
  cfg.data_dir = dir.path() + "/data";
  {
    RunningDaemon d(cfg);
    test::HttpClient c(d.port());
    REQUIRE(c.Request("POST", "/v1/messages", Msg("s:1", "refund please")).status == 202);
  }
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  CHECK_THAT(c.Request("GET", "/v1/messages/s:1").body, Catch::Contains("\"status\":\"queued\""));
  CHECK_THAT(c.Request("POST", "/v1/messages", Msg("s:1", "refund please")).body, Catch::Contains("\"duplicates\":1"));
}


TEST_CASE("Push queues assign messages to agents online by heartbeat", "[daemon][push]") {
  ServerConfig cfg;
  for (auto& q : cfg.queues)
    if (q.name == "support") {
      q.assignment = "capacity";
      q.max_open_per_agent = 1;
    }
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  auto hb = c.Request("POST", "/v1/agents/alice/heartbeat", R"({"queues":["support"]})");
  REQUIRE(hb.status == 200);
  CHECK_THAT(hb.body, Catch::Contains("\"agent\":\"alice\""));
  CHECK_THAT(hb.body, Catch::Contains("\"open_conversations\":0,\"newly_assigned\":0"));
  REQUIRE(c.Request("POST", "/v1/messages",
                    Msg("a:1", "refund please", R"(,"conversation_id":"conv-1")") + "\n" +
                        Msg("a:2", "my order never arrived", R"(,"conversation_id":"conv-2")"))
              .status == 202);
  auto mine = c.Request("GET", "/v1/agents/alice/messages");
  REQUIRE(mine.status == 200);
  CHECK_THAT(mine.body, Catch::StartsWith("{\"agent\":\"alice\",\"messages\":[{\"id\":\"a:1\""));
  CHECK(mine.body.find("a:2") == std::string::npos);  // capacity 1: a:2 waits
  CHECK_THAT(c.Request("GET", "/v1/queues").body,
             Catch::Contains("{\"name\":\"support\",\"depth\":1,\"claimed\":0,"));
  // Bob comes online and gets the waiting one.
  auto bob = c.Request("POST", "/v1/agents/bob/heartbeat", R"({"queues":["support"]})");
  CHECK_THAT(bob.body, Catch::Contains("\"newly_assigned\":1"));
  CHECK_THAT(c.Request("GET", "/v1/messages/a:2").body, Catch::Contains("\"status\":\"assigned\",\"agent\":\"bob\""));
  CHECK_THAT(c.Request("GET", "/v1/agents").body, Catch::Contains("{\"agent\":\"bob\""));
  // Validation.
  CHECK_THAT(c.Request("POST", "/v1/agents/alice/heartbeat", R"({"queues":[]})").body, Catch::Contains("\"field\":\"queues\""));
  CHECK_THAT(c.Request("POST", "/v1/agents/alice/heartbeat", R"({"queues":["nowhere"]})").body,
             Catch::Contains("no queue 'nowhere'"));
  CHECK_THAT(c.Request("POST", "/v1/agents/alice/heartbeat", R"({"queues":[1]})").body,
             Catch::Contains("must be a list of strings"));
  CHECK(c.Request("GET", "/v1/agents/alice/heartbeat").status == 405);
}


TEST_CASE("A reload asked for just before stopping is joined, never left running", "[daemon]") {
  // Under AddressSanitizer a reload thread that outlived the daemon would
  // touch freed memory here.
  for (int i = 0; i < 3; ++i) {
    RunningDaemon d;
    test::HttpClient c(d.port());
    REQUIRE(c.Request("GET", "/healthz").status == 200);
    d.daemon->RequestReload();
    d.daemon->RequestReload();
  }
  RunningDaemon d;
  test::HttpClient c(d.port());
  REQUIRE(c.Request("GET", "/healthz").status == 200);
  d.daemon->RequestReload();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (d.Log().find("rules reloaded") == std::string::npos && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_THAT(d.Log(), Catch::Contains("rules reloaded"));
}

TEST_CASE("A duplicate is answered with the decision stored for the first copy", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  auto first = c.Request("POST", "/v1/messages", Msg("qa:dupe", "I love your app, amazing work"));
  REQUIRE(first.status == 202);
  auto second = c.Request("POST", "/v1/messages", Msg("qa:dupe", "my charger exploded and burned my hand"));
  REQUIRE(second.status == 202);
  CHECK_THAT(second.body, Catch::Contains("\"status\":\"duplicate\""));
  // The decision in both answers and in the store is the first copy's.
  auto decision_of = [](const std::string& body) {
    size_t at = body.find("\"decision\":");
    REQUIRE(at != std::string::npos);
    size_t end = body.find("\"rules\":", at);
    return body.substr(at, end - at);
  };
  std::string stored = c.Request("GET", "/v1/messages/qa:dupe").body;
  CHECK(decision_of(second.body) == decision_of(first.body));
  CHECK(decision_of(stored) == decision_of(first.body));
  CHECK_THAT(second.body, !Catch::Contains("\"label\":\"crisis\""));
}


TEST_CASE("serve classifies a reply with its conversation's earlier message, also one stored before a restart",
          "[daemon][thread]") {
  test::TempDir data;
  ServerConfig config;
  config.data_dir = data.path() + "/data";
  config.model = std::string(TRIAGE_RULES_DIR) + "/default.model";  // thread context is the model's input
  auto msg = [](const std::string& id, const std::string& text, const std::string& extra,
                const std::string& conversation = "c-1") {
    return R"({"id":")" + id + R"(","channel":"whatsapp","kind":"private","conversation_id":")" + conversation +
           R"(","author":{"id":"u-7"},"text":")" + text + R"(","lang":"en")" + extra + "}";
  };
  auto scores_of = [](const std::string& body) {
    size_t at = body.find("\"scores\":");
    REQUIRE(at != std::string::npos);
    return body.substr(at, body.find('}', at) - at);
  };
  std::string alone_scores;
  {
    RunningDaemon d(config);
    test::HttpClient http(d.port());
    // The same reply with no earlier message, for comparison.
    auto alone = http.Request("POST", "/v1/messages", msg("th:0", "still nothing", "", "c-0"));
    REQUIRE(alone.status == 202);
    alone_scores = scores_of(alone.body);
    auto first = http.Request("POST", "/v1/messages", msg("th:1", "my parcel 4471 never arrived, it was due monday", ""));
    REQUIRE(first.status == 202);
    CHECK_THAT(first.body, Catch::Contains("\"label\":\"support\""));
    auto reply = http.Request("POST", "/v1/messages", msg("th:2", "still nothing", ",\"in_reply_to\":\"th:1\""));
    REQUIRE(reply.status == 202);
    CHECK_THAT(reply.body, Catch::Contains("\"label\":\"support\""));
    CHECK(scores_of(reply.body) != alone_scores);
  }
  // After a restart the earlier message comes from the store.
  RunningDaemon d(config);
  test::HttpClient http(d.port());
  auto later = http.Request("POST", "/v1/messages", msg("th:3", "still nothing", ",\"in_reply_to\":\"th:1\""));
  REQUIRE(later.status == 202);
  CHECK_THAT(later.body, Catch::Contains("\"label\":\"support\""));
  CHECK(scores_of(later.body) != alone_scores);
}

TEST_CASE("Readiness checks registered by a runtime make /readyz 503 with their reason", "[daemon]") {
  std::atomic<bool> ok{true};
  RunningDaemon d(ServerConfig(), [&](Daemon* daemon) {
    daemon->AddReadinessCheck([&] { return ok ? std::string() : std::string("kafka: brokers b:9092 unreachable"); });
  });
  test::HttpClient c(d.port());
  CHECK(c.Request("GET", "/readyz").status == 200);
  ok = false;
  auto r = c.Request("GET", "/readyz");
  CHECK(r.status == 503);
  CHECK_THAT(r.body, Catch::Contains("kafka: brokers b:9092 unreachable"));
  CHECK(c.Request("GET", "/healthz").status == 200);  // alive, just not ready
}

