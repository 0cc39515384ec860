// The crisis detector inside the daemon (alerts stored, listed, queued once,
// closed in silence, relearned after a restart), the response metrics over
// the API, and serve --kafka on the daemon's own engine.
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
#include "outage_batches.h"
#include "kafka_topics.h"
#include "test_util.h"
#include "runtime/kafka/mock_cluster.h"

using namespace triage;
using test::Msg;
using test::RunningDaemon;

namespace {

std::string At(int64_t ms) { return FormatRfc3339(ms); }

constexpr int64_t kT0 = test::kOutageT0;

using test::BurstBatch;
using test::QuietBatch;

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
  // After a restart the detector is restored from the checkpoint of the
  // clean stop (daemon_checkpoint_test.cc has the rest); the alert is the
  // stored one, not a second alert or queue item.
  RunningDaemon again(cfg);
  CHECK_THAT(again.Log(), Catch::Contains("crisis detector restored from " + cfg.data_dir + "/detector.ckpt"));
  CHECK_THAT(again.Log(), Catch::Contains("then 0 messages stored after it replayed"));
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


// ---------------------------------------------------------------------------
// serve --kafka: the bridge on the daemon's own engine.

TEST_CASE("serve --kafka shares the daemon's detector and pipeline: a burst counted across both ways in, its alert "
          "stored and produced, and a reload reaching the bridge",
          "[daemon][kafka]") {
  MockCluster mc;
  REQUIRE(mc.ok());
  const std::string prefix = "shared";
  test::MakeBridgeTopics(mc, prefix);

  // A copy of the bundled pack, so the test can change it and reload.
  test::TempDir rules;
  std::filesystem::copy(TRIAGE_RULES_DIR, rules.path() + "/pack", std::filesystem::copy_options::recursive);
  ServerConfig cfg;
  cfg.rules = rules.path() + "/pack";
  cfg.kafka = test::BridgeOptions(mc, prefix);
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
  // ... and carried by the Kafka decisions of the burst's last messages
  // (produced before the alert, but their acks may come after it).
  int carried = 0;
  CHECK(wait_for([&] {
    carried = 0;
    for (const char* q : {"sales", "support", "product", "comms", "unrouted"})
      for (const auto& [id, v] : mc.ReadAll(prefix + ".queue." + q, 1, 2000))
        carried += v.find("\"alert\":\"" + alert_id + "\"") != std::string::npos;
    return carried >= 25;
  }));
  INFO("carried " << carried);
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
  // Decided, and on the sales topic once the brokers have it.
  CHECK(wait_for([&] {
    bool found = false;
    for (const auto& [id, v] : mc.ReadAll(prefix + ".queue.sales", 1, 2000))
      found = found || (v.find("\"id\":\"z:1\"") != std::string::npos && v.find("kafka_reload_rule") != std::string::npos);
    return found;
  }));
}

