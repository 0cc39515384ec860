// The daemon's HTTP API over a real loopback socket: every endpoint and its
// error paths, reload, leases, reroute, limits and draining.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "format/archive_format.h"
#include "runtime/server/daemon.h"
#include "runtime/kafka/mock_cluster.h"
#include "runtime/server/live_detector.h"
#include "http_client.h"
#include "raw_connection.h"
#include "base/rfc3339.h"
#include "test_util.h"

using namespace triage;

namespace {

// Runs a daemon on a free loopback port for the duration of a test.
struct RunningDaemon {
  test::TempDir dir;
  std::unique_ptr<Daemon> daemon;
  std::thread thread;
  FILE* log = std::tmpfile();

  // `before_run` may register things on the daemon before it serves.
  explicit RunningDaemon(ServerConfig config = ServerConfig(), const std::function<void(Daemon*)>& before_run = {}) {
    config.host = "127.0.0.1";
    config.port = 0;
    if (config.data_dir == ServerConfig().data_dir) config.data_dir = dir.path() + "/data";
    if (config.rules.empty()) config.rules = TRIAGE_RULES_DIR;
    // The daemon's mechanics are tested on the rules alone, so that these
    // tests do not move when the bundled model is retrained (the model has
    // tests of its own, and one daemon test below runs with it).
    if (config.model.empty()) config.model = "none";
    config.cache_dir = dir.path() + "/cache";
    Status s = Daemon::Create(config, log, &daemon);
    INFO(s.message());
    REQUIRE(s.ok());
    if (before_run) before_run(daemon.get());
    thread = std::thread([this] { daemon->Run(/*handle_signals=*/false); });
  }
  ~RunningDaemon() {
    daemon->Stop();
    thread.join();
    std::fclose(log);
  }
  uint16_t port() const { return daemon->port(); }
  std::string Log() { return test::Slurp(log); }
};

std::string Msg(const std::string& id, const std::string& text, const std::string& extra = "") {
  return R"({"id":")" + id + R"(","channel":"x","kind":"public","text":")" + text + R"(","lang":"en")" + extra + "}";
}

}  // namespace

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
                      R"({"type":"rerouted","agent":"bob","at_ms":1,"to_queue":"product","note":"a feature request"})");
  CHECK(rr.status == 201);
  CHECK_THAT(c.Request("GET", "/v1/queues/product/messages").body, Catch::Contains("\"id\":\"p:2\""));
  CHECK_THAT(c.Request("GET", "/v1/messages/p:2").body, Catch::Contains("\"queue\":\"product\",\"priority\""));
}

TEST_CASE("Event and claim requests are validated field by field", "[daemon]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  REQUIRE(c.Request("POST", "/v1/messages", Msg("v:1", "refund please")).status == 202);
  auto e = [&](const std::string& body) { return c.Request("POST", "/v1/messages/v:1/events", body); };
  CHECK_THAT(e(R"({"type":"liked","agent":"a","at_ms":1})").body, Catch::Contains("\"field\":\"type\""));
  CHECK_THAT(e(R"({"type":"replied","at_ms":1})").body, Catch::Contains("\"field\":\"agent\""));
  CHECK_THAT(e(R"({"type":"replied","agent":"a","at":"yesterday"})").body, Catch::Contains("\"field\":\"at\""));
  CHECK_THAT(e(R"({"type":"rerouted","agent":"a","at_ms":1,"to_queue":"nowhere"})").body,
             Catch::Contains("\"field\":\"to_queue\""));
  CHECK_THAT(e(R"({"type":"replied","agent":["a"],"at_ms":1})").body, Catch::Contains("\"field\":\"agent\""));
  CHECK(e("not json").status == 400);
  CHECK(c.Request("POST", "/v1/messages/zzz/events", R"({"type":"replied","agent":"a","at_ms":1})").status == 404);
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

TEST_CASE("Body and batch limits answer 413 - too many connections get 503", "[daemon][limits]") {
  ServerConfig cfg;
  cfg.max_body_bytes = 2048;
  cfg.max_batch_messages = 3;
  cfg.max_connections = 2;
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  auto big = c.Request("POST", "/v1/messages", Msg("big", std::string(4000, 'a')));
  CHECK(big.status == 413);
  CHECK_THAT(big.body, Catch::Contains("max_body_bytes"));
  std::string four;
  for (int i = 0; i < 4; ++i) four += Msg("n:" + std::to_string(i), "refund please") + "\n";
  test::HttpClient c2(d.port());
  auto batch = c2.Request("POST", "/v1/messages", four);
  CHECK(batch.status == 413);
  CHECK_THAT(batch.body, Catch::Contains("max_batch_messages"));
  // c2 holds one connection; c3 the second; c4 is over the limit.
  test::HttpClient c3(d.port());
  REQUIRE(c3.Request("GET", "/healthz").status == 200);
  test::HttpClient c4(d.port());
  auto refused = c4.Request("GET", "/healthz");
  CHECK(refused.status == 503);
  CHECK(refused.headers["Retry-After"] == "1");
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

TEST_CASE("A config file with a bad option names the file, line and key", "[daemon][config]") {
  test::TempDir dir;
  ServerConfig cfg;
  std::string path = dir.Write("serve.yaml", "listen: 127.0.0.1:9000\nmax_body_bytes: lots\nbogus: 1\n");
  Status s = ServerConfig::LoadFile(path, &cfg);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains(path + ":2: max_body_bytes: must be an integer, got 'lots'"));
  CHECK_THAT(s.message(), Catch::Contains(path + ":3: bogus: unknown option"));
  CHECK(cfg.port == 9000);
  std::string good = dir.Write("good.yaml", "listen: :7000\nsync_writes: false\nqueues:\n  - {name: vip, sla_seconds: 60}\n");
  ServerConfig g;
  REQUIRE(ServerConfig::LoadFile(good, &g).ok());
  CHECK(g.port == 7000);
  CHECK(g.host == "0.0.0.0");
  CHECK_FALSE(g.sync_writes);
  REQUIRE(g.queues.size() == 1);
  CHECK(g.queues[0].sla_seconds == 60);
  CHECK_FALSE(ServerConfig::LoadFile(dir.path() + "/missing.yaml", &g).ok());
}

TEST_CASE("serve.example.yaml loads and documents exactly the defaults", "[daemon][config]") {
  ServerConfig loaded, defaults;
  Status s = ServerConfig::LoadFile(std::string(TRIAGE_SOURCE_DIR) + "/serve.example.yaml", &loaded);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(loaded.host == defaults.host);
  CHECK(loaded.port == defaults.port);
  CHECK(loaded.data_dir == defaults.data_dir);
  CHECK(loaded.sync_writes == defaults.sync_writes);
  CHECK(loaded.max_pending_writes == defaults.max_pending_writes);
  CHECK(loaded.io_threads == defaults.io_threads);
  CHECK(loaded.max_body_bytes == defaults.max_body_bytes);
  CHECK(loaded.max_batch_messages == defaults.max_batch_messages);
  CHECK(loaded.header_timeout_seconds == defaults.header_timeout_seconds);
  CHECK(loaded.idle_timeout_seconds == defaults.idle_timeout_seconds);
  CHECK(loaded.max_connections == defaults.max_connections);
  CHECK(loaded.drain_timeout_seconds == defaults.drain_timeout_seconds);
  CHECK(loaded.default_lease_seconds == defaults.default_lease_seconds);
  CHECK(loaded.max_lease_seconds == defaults.max_lease_seconds);
  CHECK(loaded.max_claim == defaults.max_claim);
  CHECK(loaded.agent_ttl_seconds == defaults.agent_ttl_seconds);
  REQUIRE(loaded.queues.size() == defaults.queues.size());
  for (size_t i = 0; i < loaded.queues.size(); ++i) {
    CHECK(loaded.queues[i].name == defaults.queues[i].name);
    CHECK(loaded.queues[i].sla_seconds == defaults.queues[i].sla_seconds);
    CHECK(loaded.queues[i].assignment == defaults.queues[i].assignment);
    CHECK(loaded.queues[i].max_open_per_agent == defaults.queues[i].max_open_per_agent);
    CHECK(loaded.queues[i].business_hours.ToString() == defaults.queues[i].business_hours.ToString());
  }
  const MaturityConfig &lm = loaded.maturity, &dm = defaults.maturity;
  CHECK(lm.threshold == dm.threshold);
  CHECK(lm.w_in_channel_resolution == dm.w_in_channel_resolution);
  CHECK(lm.w_channels_in_use == dm.w_channels_in_use);
  CHECK(lm.w_new_channels == dm.w_new_channels);
  CHECK(lm.w_response_rate == dm.w_response_rate);
  CHECK(lm.target_channels == dm.target_channels);
  CHECK(lm.target_new_channels == dm.target_new_channels);
  CHECK(lm.new_channel_days == dm.new_channel_days);
  CHECK(lm.w_agents_per_day == dm.w_agents_per_day);
  CHECK(lm.w_hours_covered == dm.w_hours_covered);
  CHECK(lm.w_sla_attainment == dm.w_sla_attainment);
  CHECK(lm.w_budget == dm.w_budget);
  CHECK(lm.w_dedicated_headcount == dm.w_dedicated_headcount);
  CHECK(lm.w_executive_briefings == dm.w_executive_briefings);
  CHECK(lm.target_agents_per_day == dm.target_agents_per_day);
  CHECK(lm.target_hours_per_week == dm.target_hours_per_week);
  CHECK(lm.target_headcount == dm.target_headcount);
  CHECK(lm.target_briefings == dm.target_briefings);
  CHECK(lm.budget == dm.budget);
  CHECK(lm.dedicated_headcount == dm.dedicated_headcount);
  CHECK(lm.executive_briefings_per_month == dm.executive_briefings_per_month);
  const KafkaOptions &lk = loaded.kafka, &dk = defaults.kafka;
  CHECK(lk.brokers == dk.brokers);
  CHECK(lk.group == dk.group);
  CHECK(lk.topics == dk.topics);
  CHECK(lk.prefix == dk.prefix);
  CHECK(lk.format == dk.format);
  CHECK(lk.batch_messages == dk.batch_messages);
  CHECK(lk.batch_wait_ms == dk.batch_wait_ms);
  CHECK(lk.ack_timeout_ms == dk.ack_timeout_ms);
  CHECK(lk.detector == dk.detector);
  CHECK(lk.librdkafka == dk.librdkafka);
}

TEST_CASE("The kafka: section of the serve config: values, passthrough and errors naming kafka.<key>", "[daemon][config]") {
  test::TempDir dir;
  ServerConfig c;
  Status s = ServerConfig::LoadFile(
      dir.Write("ok.yaml",
                "kafka:\n  brokers: \"k1:9092,k2:9092\"\n  group: desk\n  topics: [in.x, in.meta]\n"
                "  format: auto\n  batch_messages: 500\n  detector: false\n"
                "  librdkafka:\n    security.protocol: SASL_SSL\n    session.timeout.ms: 9000\n"),
      &c);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(c.kafka.brokers == "k1:9092,k2:9092");
  CHECK(c.kafka.group == "desk");
  CHECK(c.kafka.topics == std::vector<std::string>{"in.x", "in.meta"});
  CHECK(c.kafka.format == "auto");
  CHECK(c.kafka.batch_messages == 500);
  CHECK_FALSE(c.kafka.detector);
  CHECK(c.kafka.librdkafka.at("security.protocol") == "SASL_SSL");
  CHECK(c.kafka.librdkafka.at("session.timeout.ms") == "9000");

  std::string bad = dir.Write("bad.yaml",
                              "kafka:\n  brokers: k1:9092\n  batch_messages: 0\n  topics: []\n"
                              "  format: pigeon\n  linger: 5\n  librdkafka: [a, b]\n");
  ServerConfig b;
  s = ServerConfig::LoadFile(bad, &b);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains(bad + ":3: kafka.batch_messages"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":4: kafka.topics: must be a list of topic names"));
  CHECK_THAT(s.message(), Catch::Contains("kafka.format: must be archive, auto"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":6: kafka.linger: unknown option"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":7: kafka.librdkafka: must be a mapping"));
  s = ServerConfig::LoadFile(dir.Write("scalar.yaml", "kafka: yes\n"), &b);
  CHECK_THAT(s.message(), Catch::Contains(":1: kafka: must be a mapping"));
}

TEST_CASE("Business hours and maturity settings in the serve config: errors name file, line and key", "[daemon][config]") {
  test::TempDir dir;
  ServerConfig c;
  REQUIRE(ServerConfig::LoadFile(dir.Write("ok.yaml", "queues:\n  - {name: support, sla_seconds: 600, business_hours: \"mon-fri 09:00-17:00 +01:00\"}\nmaturity:\n  budget: 80\n"), &c).ok());
  CHECK(c.queues[0].business_hours.ToString() == "mon,tue,wed,thu,fri 09:00-17:00 +01:00");
  CHECK(c.maturity.budget == 80);
  MetricsOptions o = c.MetricsOptionsFor(5);
  CHECK(o.queues.at("support").sla_ms == 600'000);
  CHECK(o.now_ms == 5);
  Status s = ServerConfig::LoadFile(dir.Write("bad.yaml", "queues:\n  - {name: support, business_hours: \"weekdays 9-5\"}\n"), &c);
  CHECK_THAT(s.message(), Catch::StartsWith(dir.path() + "/bad.yaml:2"));
  CHECK_THAT(s.message(), Catch::Contains("queues.support.business_hours"));
  CHECK_THAT(s.message(), Catch::Contains("unknown day"));
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

TEST_CASE("A config with an unknown assignment mode is rejected", "[daemon][config]") {
  test::TempDir dir;
  ServerConfig cfg;
  std::string path = dir.Write("q.yaml", "queues:\n  - {name: support, assignment: lottery}\n");
  Status s = ServerConfig::LoadFile(path, &cfg);
  CHECK_THAT(s.message(), Catch::Contains(":2: queues.support.assignment: must be pull, round_robin or capacity"));
}

namespace {

// Sends raw bytes on a fresh connection and reads until the server closes it.
std::string RawExchange(uint16_t port, const std::string& bytes) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  if (!bytes.empty()) asio::write(s, asio::buffer(bytes));
  std::string out;
  char buf[4096];
  boost::system::error_code ec;
  for (;;) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace

TEST_CASE("Garbage on the wire gets 400 and a closed connection", "[daemon][limits]") {
  RunningDaemon d;
  std::string reply = RawExchange(d.port(), "THIS IS NOT HTTP\r\n\r\n");
  CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_THAT(reply, Catch::Contains("{\"error\":\"bad HTTP request"));
}

TEST_CASE("A connection that sends nothing is closed after the header timeout", "[daemon][limits]") {
  ServerConfig cfg;
  cfg.header_timeout_seconds = 1;
  RunningDaemon d(cfg);
  auto start = std::chrono::steady_clock::now();
  std::string reply = RawExchange(d.port(), "");  // returns when the server closes
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(reply.empty());
  CHECK(waited >= 0.9);  // closed by the timeout, not at once
  test::HttpClient c(d.port());
  CHECK(c.Request("GET", "/healthz").status == 200);  // and the server is fine
}

// ---------------------------------------------------------------------------
// Platform webhooks over the socket.

#include "connectors/webhooks/signature.h"

namespace {

test::HttpResult Post(uint16_t port, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect({asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return test::HttpResult{static_cast<int>(res.result_int()), res.body(), {}, ""};
}

ServerConfig WebhookConfig() {
  ServerConfig cfg;
  cfg.webhooks.meta_app_secret = "meta-secret";
  cfg.webhooks.meta_verify_token = "verify-me";
  cfg.webhooks.x_consumer_secret = "x-secret";
  cfg.webhooks.slack_signing_secret = "slack-secret";
  cfg.webhooks.telegram_secret_token = "tg-token";
  cfg.webhooks.bearer_token = "bearer-token";
  return cfg;
}

const char* kMetaBody =
    R"({"object":"page","entry":[{"id":"p","time":1,"messaging":[{"sender":{"id":"u1"},"recipient":{"id":"p"},)"
    R"("timestamp":1700000000000,"message":{"mid":"m.1","text":"I want a refund for my order"}}]}]})";

}  // namespace

TEST_CASE("Meta webhook: handshake, signed delivery stored, bad signatures refused", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  test::HttpClient c(d.port());
  auto ok = c.Request("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=12345");
  CHECK(ok.status == 200);
  CHECK(ok.body == "12345");
  CHECK(c.Request("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1").status == 403);

  std::string sig = "sha256=" + HexEncode(HmacSha256("meta-secret", kMetaBody));
  auto stored = Post(d.port(), "/webhooks/meta", kMetaBody, {{"X-Hub-Signature-256", sig}});
  REQUIRE(stored.status == 200);
  CHECK_THAT(stored.body, Catch::Contains("\"accepted\":1"));
  CHECK_THAT(c.Request("GET", "/v1/messages/fb:m.1").body, Catch::Contains("\"label\":\"support\""));

  std::string tampered = kMetaBody;
  tampered[tampered.find("refund")] = 'R';
  CHECK(Post(d.port(), "/webhooks/meta", tampered, {{"X-Hub-Signature-256", sig}}).status == 401);
  CHECK(Post(d.port(), "/webhooks/meta", kMetaBody, {}).status == 401);
  auto wrong = Post(d.port(), "/webhooks/meta", kMetaBody,
                    {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("other", kMetaBody))}});
  CHECK(wrong.status == 401);
  CHECK_THAT(wrong.body, Catch::Contains("signature mismatch"));
  CHECK_THAT(c.Request("GET", "/metrics").body, Catch::Contains("triage_webhook_rejected_total{platform=\"meta\"} 4"));
  // A signed payload of delivery receipts only: 200, nothing stored.
  std::string receipts = R"({"object":"page","entry":[{"messaging":[{"sender":{"id":"u"},"delivery":{"mids":["x"]}}]}]})";
  auto r = Post(d.port(), "/webhooks/meta", receipts, {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("meta-secret", receipts))}});
  CHECK(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("\"accepted\":0"));
  CHECK_THAT(r.body, Catch::Contains("\"ignored\":1"));
}

TEST_CASE("X webhook: CRC answer and signed tweets", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  test::HttpClient c(d.port());
  auto crc = c.Request("GET", "/webhooks/x?crc_token=abc%3D");
  REQUIRE(crc.status == 200);
  CHECK(crc.body == "{\"response_token\":\"" + XCrcResponseToken("x-secret", "abc=") + "\"}");
  std::string body = R"({"for_user_id":"1","tweet_create_events":[{"id_str":"77","text":"my charger caught fire!",)"
                     R"("created_at":"Mon May 19 14:01:46 +0000 2025","user":{"id_str":"9","screen_name":"c","followers_count":5}}]})";
  std::string sig = "sha256=" + Base64Encode(HmacSha256("x-secret", body));
  auto r = Post(d.port(), "/webhooks/x", body, {{"x-twitter-webhooks-signature", sig}});
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("\"queue\":\"comms\""));
  CHECK(Post(d.port(), "/webhooks/x", body + " ", {{"x-twitter-webhooks-signature", sig}}).status == 401);
}

TEST_CASE("Slack webhook: URL verification, replay window", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  std::string body = R"({"type":"url_verification","challenge":"ch-42","token":"t"})";
  std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count());
  auto sign = [&](const std::string& t) { return "v0=" + HexEncode(HmacSha256("slack-secret", "v0:" + t + ":" + body)); };
  auto r = Post(d.port(), "/webhooks/slack", body, {{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", sign(ts)}});
  CHECK(r.status == 200);
  CHECK(r.body == "{\"challenge\":\"ch-42\"}");
  std::string old = std::to_string(std::stoll(ts) - 3600);
  auto stale = Post(d.port(), "/webhooks/slack", body, {{"X-Slack-Request-Timestamp", old}, {"X-Slack-Signature", sign(old)}});
  CHECK(stale.status == 401);
  CHECK_THAT(stale.body, Catch::Contains("replay window"));
}

TEST_CASE("Telegram and bearer-token webhooks", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  std::string update = R"({"update_id":1,"message":{"message_id":5,"from":{"id":3,"username":"u"},"chat":{"id":3,"type":"private"},"date":1700000000,"text":"where is my parcel?"}})";
  CHECK(Post(d.port(), "/webhooks/telegram", update, {{"X-Telegram-Bot-Api-Secret-Token", "tg-token"}}).status == 200);
  CHECK(Post(d.port(), "/webhooks/telegram", update, {{"X-Telegram-Bot-Api-Secret-Token", "nope"}}).status == 401);
  std::string line = R"({"id":"gen:1","channel":"email","text":"refund please"})";
  CHECK(Post(d.port(), "/webhooks/archive", line, {{"Authorization", "Bearer bearer-token"}}).status == 200);
  CHECK(Post(d.port(), "/webhooks/archive", line, {{"Authorization", "Bearer wrong"}}).status == 401);
  CHECK(Post(d.port(), "/webhooks/archive", line, {}).status == 401);
  test::HttpClient c(d.port());
  CHECK_THAT(c.Request("GET", "/v1/messages/tg:3:5").body, Catch::Contains("\"channel\": \"telegram\"") ||
                                                           Catch::Contains("\"channel\":\"telegram\""));
  CHECK(c.Request("POST", "/webhooks/nowhere", "{}").status == 404);
}

TEST_CASE("A webhook endpoint without a configured secret refuses everything", "[daemon][webhooks]") {
  RunningDaemon d;  // no secrets
  CHECK(Post(d.port(), "/webhooks/meta", kMetaBody, {{"X-Hub-Signature-256", "sha256=00"}}).status == 401);
  auto r = Post(d.port(), "/webhooks/telegram", "{}", {{"X-Telegram-Bot-Api-Secret-Token", ""}});
  CHECK(r.status == 401);
  CHECK_THAT(r.body, Catch::Contains("no secret configured"));
}

// ---------------------------------------------------------------------------
// The crisis detector inside the daemon: alerts stored, listed, queued once.

namespace {

std::string At(int64_t ms) { return FormatRfc3339(ms); }

constexpr int64_t kT0 = 1'790'000'000'000;

// Three hours of a quiet trickle on Acme (a message every five minutes).
std::string QuietBatch() {
  std::string b;
  for (int i = 0; i < 36; ++i)
    b += Msg("q:" + std::to_string(i), "nice new colours in the menu",
             ",\"brand\":\"Acme\",\"created_at\":\"" + At(kT0 + i * 5 * 60'000) + "\"") + "\n";
  return b;
}

// Forty messages in eight minutes: the outage.
std::string BurstBatch() {
  std::string b;
  for (int i = 0; i < 40; ++i)
    b += Msg("o:" + std::to_string(i), "cannot log in, the app is down",
             ",\"brand\":\"Acme\",\"created_at\":\"" + At(kT0 + 3 * 3600'000 + i * 12'000) + "\"") + "\n";
  return b;
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("A burst through the API opens one stored alert, queued once on comms, counted in metrics", "[daemon][detector]") {
  test::TempDir data;
  ServerConfig cfg;
  cfg.data_dir = data.path() + "/data";
  {
    RunningDaemon d(cfg);
    test::HttpClient c(d.port());
    REQUIRE(c.Request("POST", "/v1/messages", QuietBatch()).status == 202);
    CHECK(c.Request("GET", "/v1/alerts").body == "{\"alerts\":[]}");
    auto burst = c.Request("POST", "/v1/messages", BurstBatch());
    REQUIRE(burst.status == 202);
    // The last messages of the burst carry the alert and at least high
    // priority; they keep their own label.
    CHECK(Count(burst.body, "\"alert\":\"alert:") >= 25);
    CHECK_THAT(burst.body, Catch::Contains("{\"id\":\"o:39\",\"status\":\"stored\",\"decision\":{\"id\":\"o:39\",\"label\":\"support\""));

    auto alerts = c.Request("GET", "/v1/alerts");
    REQUIRE(alerts.status == 200);
    CHECK(Count(alerts.body, "\"type\":\"crisis_alert\"") == 1);
    CHECK_THAT(alerts.body, Catch::Contains("\"closed_at\":null"));
    std::string open = c.Request("GET", "/v1/alerts?state=open").body;
    CHECK(open == alerts.body);
    CHECK(c.Request("GET", "/v1/alerts?state=closed").body == "{\"alerts\":[]}");
    CHECK(c.Request("GET", "/v1/alerts?state=maybe").status == 400);
    CHECK(c.Request("GET", "/v1/alerts?limit=0").status == 400);
    CHECK(c.Request("POST", "/v1/alerts").status == 405);
    size_t id_at = alerts.body.find("\"alert\":\"") + 9;
    std::string alert_id = alerts.body.substr(id_at, alerts.body.find('"', id_at) - id_at);
    // Every message that carried it is counted in the stored record.
    int carried = Count(burst.body, "\"alert\":\"" + alert_id + "\"");
    CHECK_THAT(alerts.body, Catch::Contains("\"messages\":" + std::to_string(carried) + ","));

    // The alert itself is one urgent item on the comms queue.
    auto comms = c.Request("GET", "/v1/queues/comms/messages?limit=100");
    CHECK(Count(comms.body, "\"kind\":\"alert\"") == 1);
    CHECK_THAT(comms.body, Catch::Contains("{\"id\":\"" + alert_id + "\",\"decision\":{\"id\":\"" + alert_id +
                                           "\",\"label\":\"crisis\",\"queue\":\"comms\",\"priority\":\"urgent\""));
    auto item = c.Request("GET", "/v1/messages/" + alert_id);
    REQUIRE(item.status == 200);
    CHECK_THAT(item.body, Catch::Contains("crisis_alert"));

    // A client retry of the burst: duplicates, and the detector does not
    // count them again.
    auto retry = c.Request("POST", "/v1/messages", BurstBatch());
    CHECK_THAT(retry.body, Catch::Contains("\"accepted\":0,\"duplicates\":40"));
    CHECK_THAT(c.Request("GET", "/v1/alerts").body, Catch::Contains("\"messages\":" + std::to_string(carried) + ","));

    std::string metrics = c.Request("GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("triage_alerts_opened_total 1\n"));
    CHECK_THAT(metrics, Catch::Contains("triage_alerts_open 1\n"));
    CHECK_THAT(metrics, Catch::Contains("triage_detector_messages_total{outcome=\"counted\"} 76\n"));
    CHECK_THAT(metrics, Catch::Contains("triage_detector_messages_total{outcome=\"repeat\"} 40\n"));
    CHECK_THAT(metrics, Catch::Contains("triage_messages_escalated_total{reason=\"alert\"} " + std::to_string(carried) + "\n"));
    CHECK_THAT(metrics, Catch::Contains("triage_detector_topics{kind=\"exact\"}"));
  }
  // After a restart the detector relearns from the stored messages; the
  // alert it re-derives is the stored one, not a second alert or queue item.
  RunningDaemon again(cfg);
  CHECK_THAT(again.Log(), Catch::Contains("crisis detector warmed up on 76 messages"));
  test::HttpClient c(again.port());
  auto alerts = c.Request("GET", "/v1/alerts");
  CHECK(Count(alerts.body, "\"type\":\"crisis_alert\"") == 1);
  CHECK(Count(c.Request("GET", "/v1/queues/comms/messages?limit=100").body, "\"kind\":\"alert\"") == 1);
  // A message that continues the storm joins the same alert.
  auto more = c.Request("POST", "/v1/messages",
                        Msg("o:40", "cannot log in, the app is down",
                            ",\"brand\":\"Acme\",\"created_at\":\"" + At(kT0 + 3 * 3600'000 + 40 * 12'000) + "\""));
  CHECK_THAT(more.body, Catch::Contains("\"alert\":\"alert:"));
}

TEST_CASE("LiveDetector closes an alert after silence and hands back effects whose write failed", "[daemon][detector]") {
  std::unique_ptr<Pipeline> p;
  PatternDatabaseOptions o;
  o.cache_dir = "";
  REQUIRE(Pipeline::Load(TRIAGE_RULES_DIR, o, &p).ok());
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  LiveDetector live(nullptr);
  ArchiveParser parser;
  int64_t wall = 5'000'000;
  auto feed = [&](const std::string& batch) {
    size_t pos = 0;
    while (pos < batch.size()) {
      size_t nl = batch.find('\n', pos);
      std::string line = batch.substr(pos, nl - pos);
      pos = nl + 1;
      Message m;
      REQUIRE(parser.ParseCopy(line, &m).ok());
      Decision d;
      REQUIRE(p->Decide(m, scratch.get(), &d).ok());
      live.Observe(1, *p, m, scratch->normalized(), &d, wall);
    }
  };
  feed(QuietBatch());
  feed(BurstBatch());
  std::vector<AlertRecord> records;
  std::vector<IngestItem> items;
  auto take = [&] {
    live.TakeEffects(*p, [&](std::vector<AlertRecord> r, std::vector<IngestItem> i) {
      records = std::move(r);
      items = std::move(i);
    });
  };
  take();
  REQUIRE(records.size() == 1);
  REQUIRE(items.size() == 1);
  CHECK(items[0].queue == "comms");
  CHECK(items[0].priority == Priority::kUrgent);
  CHECK_THAT(records[0].json, Catch::Contains("\"closed_at\":null"));
  // The write failed: the effects come back with the next call.
  live.Restore(records, items);
  take();
  CHECK(records.size() == 1);
  CHECK(items.size() == 1);
  // Silence shorter than a minute changes nothing; an hour of it closes.
  CHECK_FALSE(live.Tick(wall + 30'000));
  CHECK(live.Tick(wall + 3600'000));
  take();
  REQUIRE(records.size() == 1);
  CHECK(items.empty());  // the alert was queued once, when it opened
  CHECK(records[0].json.find("\"closed_at\":null") == std::string::npos);
  CHECK(live.stats().closed == 1);
}

TEST_CASE("Response metrics and the maturity index over the API, and response histograms", "[daemon][metrics]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  // Two support conversations a day ago: one answered in 30 minutes and
  // resolved, one still waiting (its one-hour SLA has passed).
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t t = now - 86'400'000;
  std::string batch = Msg("r:1", "my refund never arrived", ",\"created_at\":\"" + At(t) + "\"") + "\n" +
                      Msg("r:2", "my refund never arrived either", ",\"created_at\":\"" + At(t + 60'000) + "\"");
  REQUIRE(c.Request("POST", "/v1/messages", batch).status == 202);
  auto ev = [&](const std::string& id, const std::string& type, int64_t at) {
    return c.Request("POST", "/v1/messages/" + id + "/events",
                     "{\"type\":\"" + type + "\",\"agent\":\"alice\",\"at\":\"" + At(at) + "\"}").status;
  };
  REQUIRE(ev("r:1", "replied", t + 30 * 60'000) == 201);
  REQUIRE(ev("r:1", "replied", t + 40 * 60'000) == 201);  // not a first reply: not in the histogram
  REQUIRE(ev("r:1", "resolved", t + 3600'000) == 201);

  auto summary = c.Request("GET", "/v1/metrics/summary?conversations=true");
  REQUIRE(summary.status == 200);
  CHECK_THAT(summary.body, Catch::Contains("\"all\":{\"conversations\":2,\"messages\":2,\"responded\":1,\"resolved\":1,"));
  CHECK_THAT(summary.body, Catch::Contains("\"sla_hit\":1,\"sla_missed\":1"));
  CHECK_THAT(summary.body, Catch::Contains("\"first_response\":{\"count\":1,\"p50_seconds\":1800,"));
  CHECK_THAT(summary.body, Catch::Contains("{\"conversation\":\"r:2\",\"queue\":\"support\",\"status\":\"missed\",\"first_response_seconds\":null}"));
  // A period without those conversations.
  auto old = c.Request("GET", "/v1/metrics/summary?from=2020-01-01&to=2020-02-01");
  CHECK_THAT(old.body, Catch::Contains("\"all\":{\"conversations\":0,"));
  CHECK(c.Request("GET", "/v1/metrics/summary?from=yesterday").status == 400);
  CHECK(c.Request("GET", "/v1/metrics/summary?from=2020-02-01&to=2020-01-01").status == 400);

  auto maturity = c.Request("GET", "/v1/maturity");
  REQUIRE(maturity.status == 200);
  // Everything resolved was resolved in channel (innovation 40 + 5 + 7.5 +
  // 10 = 62.5), but one agent for an hour is little investment.
  CHECK_THAT(maturity.body, Catch::StartsWith("{\"investment\":"));
  CHECK_THAT(maturity.body, Catch::Contains("\"innovation\":62.5,\"quadrant\":\"Contenders\""));
  CHECK_THAT(maturity.body, Catch::Contains("\"inputs\":[{\"axis\":\"innovation\",\"name\":\"in_channel_resolution\""));
  auto html = c.Request("GET", "/v1/maturity?format=html");
  CHECK(html.status == 200);
  CHECK_THAT(html.body, Catch::Contains("<svg id=\"matrix\""));
  CHECK(c.Request("GET", "/v1/maturity?format=pdf").status == 400);

  std::string metrics = c.Request("GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("# TYPE triage_first_response_seconds histogram"));
  CHECK_THAT(metrics, Catch::Contains("triage_first_response_seconds_bucket{queue=\"support\",le=\"1800\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("triage_first_response_seconds_count{queue=\"support\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("triage_resolution_seconds_bucket{queue=\"support\",le=\"3600\"} 1\n"));
}

// ---- HTTP framing and draining (raw bytes on the wire) ----------------------

namespace {

std::string PostHead(const std::string& target, size_t length, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
         std::to_string(length) + "\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[daemon][http]") {
  RunningDaemon d;
  test::RawConnection c(d.port());
  REQUIRE(c.connected());
  std::string body = Msg("e:1", "refund please") + "\n";
  REQUIRE(c.Send(PostHead("/v1/messages", body.size(), "Expect: 100-continue\r\n")));
  // The client holds the body back until it hears 100 Continue.
  std::string first = c.ReadUntil("\r\n\r\n");
  INFO(first);
  REQUIRE_THAT(first, Catch::StartsWith("HTTP/1.1 100 Continue\r\n\r\n"));
  REQUIRE(c.Send(body));
  std::string all = c.ReadUntil("\"accepted\":1");
  CHECK_THAT(all, Catch::Contains("HTTP/1.1 202"));
  // An expectation the server does not know is refused.
  test::RawConnection c2(d.port());
  REQUIRE(c2.Send(PostHead("/v1/messages", body.size(), "Expect: teapot\r\n")));
  CHECK_THAT(c2.ReadUntil("\r\n"), Catch::StartsWith("HTTP/1.1 417"));
  // A declared body over the limit is refused before it is sent.
  ServerConfig small;
  small.max_body_bytes = 100;
  RunningDaemon d2(small);
  test::RawConnection c3(d2.port());
  REQUIRE(c3.Send(PostHead("/v1/messages", 5000, "Expect: 100-continue\r\n")));
  std::string refused = c3.ReadToClose();
  CHECK_THAT(refused, Catch::StartsWith("HTTP/1.1 413"));
  CHECK(c3.closed());
}

TEST_CASE("Only chunked transfer coding is accepted, anything else is 400 and the connection closes",
          "[daemon][http]") {
  RunningDaemon d;
  std::string body = Msg("te:1", "refund please") + "\n";
  // The smuggled second request must never run.
  std::string smuggled = "GET /v1/messages/te:1 HTTP/1.1\r\nHost: t\r\n\r\n";
  for (const char* coding : {"xchunked", "gzip", "identity", "chunked, identity", "gzip, chunked"}) {
    INFO(coding);
    test::RawConnection c(d.port());
    REQUIRE(c.Send("POST /v1/messages HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + std::string(coding) + "\r\n\r\n" +
                   body + smuggled));
    std::string got = c.ReadToClose();
    CHECK_THAT(got, Catch::StartsWith("HTTP/1.1 400"));
    CHECK(c.closed());
    CHECK(got.find("HTTP/1.1", 5) == std::string::npos);  // one answer only
  }
  // Both framings at once: refused too.
  test::RawConnection both(d.port());
  REQUIRE(both.Send("POST /v1/messages HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "0\r\n\r\n"));
  CHECK_THAT(both.ReadToClose(), Catch::StartsWith("HTTP/1.1 400"));
  // Chunked itself works.
  test::RawConnection ok(d.port());
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  REQUIRE(ok.Send("POST /v1/messages HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) +
                  "\r\n" + body + "\r\n0\r\n\r\n"));
  CHECK_THAT(ok.ReadUntil("\"accepted\":1"), Catch::StartsWith("HTTP/1.1 202"));
}

TEST_CASE("Draining finishes a request already being read and closes idle connections at once", "[daemon][http]") {
  ServerConfig config;
  config.drain_timeout_seconds = 60;  // an idle connection must not make the drain wait for this
  auto d = std::make_unique<RunningDaemon>(config);
  // A keep-alive connection that has finished a request and sits idle.
  test::RawConnection idle(d->port());
  REQUIRE(idle.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  REQUIRE_THAT(idle.ReadUntil("\"ok\"}"), Catch::StartsWith("HTTP/1.1 200"));
  // A batch whose header and half body have arrived when the drain begins.
  std::string body = Msg("dr:1", "refund please") + "\n" + Msg("dr:2", "how much is the plan") + "\n";
  test::RawConnection busy(d->port());
  REQUIRE(busy.Send(PostHead("/v1/messages", body.size()) + body.substr(0, 20)));
  busy.ReadUntil("never", std::chrono::milliseconds(200));  // let the server read the header
  d->daemon->Stop();
  // The idle connection is closed by the server without an answer.
  CHECK(idle.ReadToClose().find("HTTP/1.1", 5) == std::string::npos);
  CHECK(idle.closed());
  // The busy one is finished: stored and answered, then closed.
  REQUIRE(busy.Send(body.substr(20)));
  std::string answer = busy.ReadToClose();
  INFO(answer);
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 202"));
  CHECK_THAT(answer, Catch::Contains("\"accepted\":2"));
  CHECK_THAT(answer, Catch::Contains("Connection: close"));
  CHECK(busy.closed());
  d->thread.join();
  d->thread = std::thread([] {});  // the fixture joins again
  std::string log = d->Log();
  CHECK_THAT(log, !Catch::Contains("still open at the drain deadline"));
  CHECK_THAT(log, Catch::Contains("stopped cleanly"));
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

TEST_CASE("A page reply without reply_to closes the customer's newest open message of that conversation",
          "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  test::HttpClient c(d.port());
  auto post = [&](const std::string& body) {
    return Post(d.port(), "/webhooks/meta", body, {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("meta-secret", body))}});
  };
  auto customer = [](const std::string& mid, const std::string& text, const std::string& user) {
    return R"({"object":"page","entry":[{"id":"p","time":1,"messaging":[{"sender":{"id":")" + user +
           R"("},"recipient":{"id":"p"},"timestamp":1700000000000,"message":{"mid":")" + mid + R"(","text":")" + text +
           R"("}}]}]})";
  };
  REQUIRE(post(customer("m.a", "my parcel never arrived", "u1")).status == 200);
  REQUIRE(post(customer("m.b", "order 4411, still nothing", "u1")).status == 200);
  REQUIRE(post(customer("m.c", "refund please", "u2")).status == 200);
  // The page answers u1 from the inbox: an echo with no reply_to.
  std::string echo =
      R"({"object":"page","entry":[{"id":"p","time":1,"messaging":[{"sender":{"id":"p"},"recipient":{"id":"u1"},)"
      R"("timestamp":1700000060000,"message":{"mid":"m.reply","is_echo":true,"app_id":"263902037430900","text":"So sorry, checking now"}}]}]})";
  auto r = post(echo);
  REQUIRE(r.status == 200);
  // Durable before the 200: the event is there as soon as the answer is.
  std::string b = c.Request("GET", "/v1/messages/fb:m.b").body;
  CHECK_THAT(b, Catch::Contains("\"type\":\"replied\""));
  CHECK_THAT(b, Catch::Contains("\"status\":\"done\""));
  // Not the other user's message.
  CHECK_THAT(c.Request("GET", "/v1/messages/fb:m.c").body, !Catch::Contains("\"type\":\"replied\""));
  // A second echo goes to the next open message of that conversation.
  std::string echo2 = echo;
  echo2.replace(echo2.find("m.reply"), 7, "m.rep2");
  REQUIRE(post(echo2).status == 200);
  CHECK_THAT(c.Request("GET", "/v1/messages/fb:m.a").body, Catch::Contains("\"type\":\"replied\""));
  // A third finds nothing open: counted, not an error.
  std::string echo3 = echo;
  echo3.replace(echo3.find("m.reply"), 7, "m.rep3");
  CHECK(post(echo3).status == 200);
  CHECK_THAT(c.Request("GET", "/metrics").body, Catch::Contains("triage_webhook_unattributed_replies_total 1\n"));
}

TEST_CASE("serve classifies a reply with its conversation's earlier message, also one stored before a restart",
          "[daemon][thread]") {
  test::TempDir data;
  ServerConfig config;
  config.data_dir = data.path() + "/data";
  config.model = std::string(TRIAGE_RULES_DIR) + "/default.model";  // thread context is the model's input
  auto msg = [](const std::string& id, const std::string& text, const std::string& extra) {
    return R"({"id":")" + id + R"(","channel":"whatsapp","kind":"private","conversation_id":"c-1","author":{"id":"u-7"},"text":")" +
           text + R"(","lang":"en")" + extra + "}";
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
    auto alone = http.Request("POST", "/v1/messages", msg("th:0", "still nothing", ",\"conversation_id\":\"c-0\""));
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

// ---------------------------------------------------------------------------
// serve --kafka: the bridge on the daemon's own engine.

TEST_CASE("serve --kafka shares the daemon's detector and pipeline: a burst counted across both ways in, its alert "
          "stored and produced, and a reload reaching the bridge",
          "[daemon][kafka]") {
  MockCluster mc;
  REQUIRE(mc.ok());
  const std::string prefix = "shared";
  REQUIRE(mc.Topic(prefix + ".inbound", 1).ok());
  for (const char* q : {"sales", "support", "product", "comms", "unrouted"})
    REQUIRE(mc.Topic(prefix + ".queue." + q, 1).ok());
  for (const char* t : {".alerts", ".events", ".dead-letter"}) REQUIRE(mc.Topic(prefix + t, 1).ok());

  // A copy of the bundled pack, so the test can change it and reload.
  test::TempDir rules;
  std::filesystem::copy(TRIAGE_RULES_DIR, rules.path() + "/pack", std::filesystem::copy_options::recursive);
  ServerConfig cfg;
  cfg.rules = rules.path() + "/pack";
  cfg.kafka.brokers = mc.bootstraps();
  cfg.kafka.group = prefix + "-group";
  cfg.kafka.topics = {prefix + ".inbound"};
  cfg.kafka.prefix = prefix;
  cfg.kafka.batch_messages = 10;
  cfg.kafka.batch_wait_ms = 50;
  cfg.kafka.librdkafka = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}, {"log_level", "2"}};
  RunningDaemon d(cfg, [](Daemon* daemon) { REQUIRE(daemon->EnableKafka().ok()); });
  test::HttpClient c(d.port());
  auto decided = [&] {
    std::string m = c.Request("GET", "/metrics").body;
    const std::string name = "triage_kafka_messages_total{outcome=\"decided\"} ";
    size_t at = m.find(name);
    return at == std::string::npos ? -1 : std::stoi(m.substr(at + name.size()));
  };
  auto wait_for = [](const std::function<bool()>& done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  };

  // The baseline arrives over HTTP, the outage over Kafka: one detector sees both.
  REQUIRE(c.Request("POST", "/v1/messages", QuietBatch()).status == 202);
  std::string burst = BurstBatch();
  for (size_t at = 0, nl; (nl = burst.find('\n', at)) != std::string::npos; at = nl + 1)
    REQUIRE(mc.Produce(prefix + ".inbound", "Acme", burst.substr(at, nl - at)).ok());
  REQUIRE(mc.Flush().ok());
  REQUIRE(wait_for([&] { return decided() >= 40; }));

  // The alert is stored (listed, one urgent comms item) ...
  REQUIRE(wait_for([&] { return Count(c.Request("GET", "/v1/alerts").body, "\"type\":\"crisis_alert\"") == 1; }));
  std::string alerts = c.Request("GET", "/v1/alerts").body;
  size_t id_at = alerts.find("\"alert\":\"") + 9;
  const std::string alert_id = alerts.substr(id_at, alerts.find('"', id_at) - id_at);
  CHECK(Count(c.Request("GET", "/v1/queues/comms/messages?limit=100").body, "\"kind\":\"alert\"") == 1);
  // ... produced to <prefix>.alerts ...
  std::vector<std::pair<std::string, std::string>> produced;
  REQUIRE(wait_for([&] {
    produced = mc.ReadAll(prefix + ".alerts", 1, 2000);
    return !produced.empty();
  }));
  CHECK_THAT(produced.front().second, Catch::Contains("\"alert\":\"" + alert_id + "\""));
  // ... and carried by the Kafka decisions of the burst's last messages.
  int carried = 0;
  for (const char* q : {"sales", "support", "product", "comms", "unrouted"})
    for (const auto& [id, v] : mc.ReadAll(prefix + ".queue." + q, 1, 2000))
      carried += v.find("\"alert\":\"" + alert_id + "\"") != std::string::npos;
  CHECK(carried >= 25);
  // A message over HTTP that continues the storm joins the alert Kafka's messages opened.
  auto more = c.Request("POST", "/v1/messages",
                        Msg("o:40", "cannot log in, the app is down",
                            ",\"brand\":\"Acme\",\"created_at\":\"" + At(kT0 + 3 * 3600'000 + 40 * 12'000) + "\""));
  CHECK_THAT(more.body, Catch::Contains("\"alert\":\"" + alert_id + "\""));

  // A reload (what SIGHUP does) reaches the bridge: the new rule decides its next message.
  rules.Write("pack/zz_reload.yaml", "rules:\n  - {id: kafka_reload_rule, label: lead, weight: 3, any: [zebrafish]}\n");
  REQUIRE(d.daemon->Reload().ok());
  REQUIRE(mc.Produce(prefix + ".inbound", "Acme", Msg("z:1", "do you sell zebrafish food?")).ok());
  REQUIRE(mc.Flush().ok());
  REQUIRE(wait_for([&] { return decided() >= 41; }));
  bool found = false;
  for (const auto& [id, v] : mc.ReadAll(prefix + ".queue.sales", 1, 2000))
    found = found || (v.find("\"id\":\"z:1\"") != std::string::npos && v.find("kafka_reload_rule") != std::string::npos);
  CHECK(found);
}
