// The serve config file: every option, its default, and errors that name the
// file, line and key.
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

TEST_CASE("keep_edit_history is read, and anything but a boolean is an error naming it", "[daemon][config]") {
  test::TempDir dir;
  ServerConfig on;
  REQUIRE(ServerConfig::LoadFile(dir.Write("on.yaml", "keep_edit_history: true\n"), &on).ok());
  CHECK(on.keep_edit_history);
  ServerConfig bad;
  std::string path = dir.Write("bad.yaml", "sync_writes: true\nkeep_edit_history: sometimes\n");
  Status s = ServerConfig::LoadFile(path, &bad);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains(path + ":2: keep_edit_history: must be true or false"));
}

TEST_CASE("serve.example.yaml loads and documents exactly the defaults", "[daemon][config]") {
  ServerConfig loaded, defaults;
  Status s = ServerConfig::LoadFile(std::string(TRIAGE_SOURCE_DIR) + "/serve.example.yaml", &loaded);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(loaded.host == defaults.host);
  CHECK(loaded.port == defaults.port);
  CHECK(loaded.data_dir == defaults.data_dir);
  CHECK(loaded.backup_dir == defaults.backup_dir);
  CHECK(loaded.sync_writes == defaults.sync_writes);
  CHECK(loaded.keep_edit_history == defaults.keep_edit_history);
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
    CHECK(loaded.queues[i].retention_days == defaults.queues[i].retention_days);
  }
  CHECK(loaded.retention_sweep_seconds == defaults.retention_sweep_seconds);
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
  CHECK(lk.in_flight_batches == dk.in_flight_batches);
  CHECK(lk.detector == dk.detector);
  CHECK(lk.librdkafka == dk.librdkafka);
}

TEST_CASE("The kafka: section of the serve config: values, passthrough and errors naming kafka.<key>", "[daemon][config]") {
  test::TempDir dir;
  ServerConfig c;
  Status s = ServerConfig::LoadFile(
      dir.Write("ok.yaml",
                "kafka:\n  brokers: \"k1:9092,k2:9092\"\n  group: desk\n  topics: [in.x, in.meta]\n"
                "  format: auto\n  batch_messages: 500\n  in_flight_batches: 2\n  detector: false\n"
                "  librdkafka:\n    security.protocol: SASL_SSL\n    session.timeout.ms: 9000\n"),
      &c);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(c.kafka.brokers == "k1:9092,k2:9092");
  CHECK(c.kafka.group == "desk");
  CHECK(c.kafka.topics == std::vector<std::string>{"in.x", "in.meta"});
  CHECK(c.kafka.format == "auto");
  CHECK(c.kafka.batch_messages == 500);
  CHECK(c.kafka.in_flight_batches == 2);
  CHECK_FALSE(c.kafka.detector);
  CHECK(c.kafka.librdkafka.at("security.protocol") == "SASL_SSL");
  CHECK(c.kafka.librdkafka.at("session.timeout.ms") == "9000");

  std::string bad = dir.Write("bad.yaml",
                              "kafka:\n  brokers: k1:9092\n  batch_messages: 0\n  topics: []\n"
                              "  format: pigeon\n  linger: 5\n  librdkafka: [a, b]\n  in_flight_batches: 0\n");
  ServerConfig b;
  s = ServerConfig::LoadFile(bad, &b);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains(bad + ":3: kafka.batch_messages"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":4: kafka.topics: must be a list of topic names"));
  CHECK_THAT(s.message(), Catch::Contains("kafka.format: must be archive, auto"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":6: kafka.linger: unknown option"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":7: kafka.librdkafka: must be a mapping"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":8: kafka.in_flight_batches"));
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


TEST_CASE("A config with an unknown assignment mode is rejected", "[daemon][config]") {
  test::TempDir dir;
  ServerConfig cfg;
  std::string path = dir.Write("q.yaml", "queues:\n  - {name: support, assignment: lottery}\n");
  Status s = ServerConfig::LoadFile(path, &cfg);
  CHECK_THAT(s.message(), Catch::Contains(":2: queues.support.assignment: must be pull, round_robin or capacity"));
}

TEST_CASE("Settings that contradict each other are refused, naming both and their lines", "[daemon][config]") {
  test::TempDir dir;
  auto load = [&](const std::string& name, const std::string& yaml) {
    ServerConfig c;
    Status s = ServerConfig::LoadFile(dir.Write(name, yaml), &c);
    INFO(s.message());
    CHECK_FALSE(s.ok());
    return s.message();
  };
  // A default lease above the maximum: every claim without lease_seconds would be refused.
  std::string m = load("lease.yaml", "listen: :9000\nmax_lease_seconds: 100\n");
  CHECK_THAT(m, Catch::Contains(dir.path() + "/lease.yaml:2: default_lease_seconds: 300 (the default) is greater than "
                                            "max_lease_seconds 100 (line 2)"));
  m = load("lease2.yaml", "default_lease_seconds: 600\nmax_lease_seconds: 599\n");
  CHECK_THAT(m, Catch::Contains("lease2.yaml:1: default_lease_seconds: 600 (line 1) is greater than max_lease_seconds 599 (line 2)"));
  ServerConfig equal;
  CHECK(ServerConfig::LoadFile(dir.Write("lease3.yaml", "default_lease_seconds: 600\nmax_lease_seconds: 600\n"), &equal).ok());

  // A queue listed twice: which entry would it get?
  m = load("queues.yaml", "queues:\n  - {name: support, sla_seconds: 60}\n  - {name: sales}\n  - {name: support, sla_seconds: 7}\n");
  CHECK_THAT(m, Catch::Contains("queues.yaml:4: queues: queue 'support' is listed twice (first on line 2)"));
  // A name no API path could carry.
  m = load("long.yaml", "queues:\n  - {name: " + std::string(129, 'q') + "}\n");
  CHECK_THAT(m, Catch::Contains("long.yaml:2: queues: a queue name of 129 bytes, over the limit of 128"));
  // A cap on open conversations that a pull queue would silently ignore.
  m = load("cap.yaml", "queues:\n  - name: support\n    max_open_per_agent: 3\n");
  CHECK_THAT(m, Catch::Contains("cap.yaml:3: queues.support.max_open_per_agent: applies to round_robin and capacity "
                                "queues; 'support' is a pull queue"));
  ServerConfig push;
  REQUIRE(ServerConfig::LoadFile(dir.Write("push.yaml", "queues:\n  - {name: support, assignment: capacity, max_open_per_agent: 3}\n"),
                                 &push).ok());
  CHECK(push.queues[0].max_open_per_agent == 3);

  // A key given twice, at any depth: yaml-cpp keeps both, and its readers
  // would disagree on which one the file says.
  m = load("dup.yaml", "max_connections: 10\nlisten: :9000\nmax_connections: 20\n");
  CHECK_THAT(m, Catch::Contains("dup.yaml:3: max_connections: given twice (first on line 1)"));
  m = load("dup2.yaml", "webhooks:\n  bearer_token: a\n  bearer_token: b\n");
  CHECK_THAT(m, Catch::Contains("dup2.yaml:3: webhooks.bearer_token: given twice (first on line 2)"));
  m = load("dup3.yaml", "queues:\n  - {name: support, sla_seconds: 60, sla_seconds: 70}\n");
  CHECK_THAT(m, Catch::Contains("dup3.yaml:2: queues[0].sla_seconds: given twice (first on line 2)"));
}
