// serve --kafka with an outbound sink: the messages the Kafka bridge decides
// are stored through the daemon's ingest before their batch is committed,
// so they reach the sinks like messages posted over HTTP; a batch the store
// refuses is read again, and a batch read again after it was stored owes
// nothing twice (runtime/kafka/kafka_bridge.h, KafkaEngine::store).
#include <catch2/catch.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "fake_http_server.h"
#include "fault_fs.h"
#include "http_client.h"
#include "running_daemon.h"
#include "runtime/kafka/mock_cluster.h"
#include "kafka_topics.h"
#include "test_util.h"

using namespace triage;
using test::FakeHttpServer;
using test::Msg;
using test::RunningDaemon;

namespace {

constexpr int16_t kApiOffsetCommit = 8;  // Kafka protocol API key (rdkafka_protocol.h is not installed)

bool WaitFor(const std::function<bool()>& done, int seconds = 60) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return done();
}

// The value of the sample `name` (with its labels, as printed) in `text`, or -1.
long long Sample(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + name.size() + 2));
}

// The message id in a webhook delivery's body ({"message":{"id":...},...}).
std::string DeliveredId(const std::string& body) {
  const std::string key = "{\"message\":{\"id\":\"";
  if (body.rfind(key, 0) != 0) return "";
  return body.substr(key.size(), body.find('"', key.size()) - key.size());
}

}  // namespace

TEST_CASE("serve --kafka: each batch's messages are stored before its commit and reach a webhook sink once per id, "
          "through a full disk and a batch read again",
          "[daemon][kafka][outbound]") {
  MockCluster mc;
  REQUIRE(mc.ok());
  const std::string prefix = "kout";
  test::MakeBridgeTopics(mc, prefix);

  FakeHttpServer receiver;
  test::FaultEnv fe;
  ServerConfig cfg;
  cfg.test_store_env = fe.env.get();
  cfg.kafka = test::BridgeOptions(mc, prefix);
  SinkConfig hook;
  hook.name = "hook";
  hook.type = "webhook";
  hook.url = receiver.Url("/in");
  hook.queues = {"*"};
  hook.secret = "s";
  cfg.outbound = {hook};
  RunningDaemon d(cfg, [](Daemon* daemon) { REQUIRE(daemon->EnableKafka().ok()); });
  test::HttpClient c(d.port());
  auto metric = [&](const std::string& name) { return Sample(c.Request("GET", "/metrics").body, name); };
  auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      REQUIRE(mc.Produce(prefix + ".inbound", "Acme", Msg("k:" + std::to_string(i), "where is my refund")).ok());
    REQUIRE(mc.Flush().ok());
  };

  // 1. The disk is full: the store refuses the batch, so it is not
  // committed, and it is read again until the store takes it.
  fe.fs->set_full(true);
  produce(0, 10);
  REQUIRE(WaitFor([&] { return metric("triage_kafka_batches_total{outcome=\"retried\"}") >= 2; }));
  CHECK(metric("triage_kafka_batches_total{outcome=\"committed\"}") == 0);
  CHECK(metric("triage_kafka_messages_total{outcome=\"stored\"}") == 0);
  CHECK(c.Request("GET", "/v1/messages/k:0").status == 404);
  CHECK(receiver.count() == 0);
  CHECK_THAT(d.Log(), Catch::Contains("kafka: messages not stored: ") &&
                          Catch::Contains("; the batch will be read again"));
  fe.fs->set_full(false);
  d.daemon->RequestReload();  // what SIGHUP does: the store recovers now
  REQUIRE(receiver.WaitFor([](const auto& reqs) { return reqs.size() >= 10; }));
  CHECK(metric("triage_kafka_messages_total{outcome=\"stored\"}") == 10);
  // Committed once its outputs' acks arrived (a later batch call commits it).
  REQUIRE(WaitFor([&] { return metric("triage_kafka_batches_total{outcome=\"committed\"}") >= 1; }));

  // 2. The commit fails after the store took the batch: the batch is read
  // again, its ids are duplicates, and no sink is owed them twice.
  const long long retried = metric("triage_kafka_batches_total{outcome=\"retried\"}");
  rd_kafka_mock_push_request_errors(mc.mock(), kApiOffsetCommit, 1, RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
  produce(10, 20);
  REQUIRE(WaitFor([&] { return metric("triage_kafka_messages_total{outcome=\"stored\"}") == 20; }));
  REQUIRE(WaitFor([&] { return metric("triage_kafka_messages_total{outcome=\"already_stored\"}") >= 1; }));
  CHECK(metric("triage_kafka_batches_total{outcome=\"retried\"}") > retried);
  // Every entry owed is delivered (the outbox is empty), so nothing more comes.
  REQUIRE(WaitFor([&] { return metric("triage_outbound_outbox_depth{sink=\"hook\"}") == 0 && receiver.count() >= 20; }));
  std::map<std::string, int> seen;
  std::set<std::string> keys;
  for (const auto& r : receiver.requests()) {
    ++seen[DeliveredId(r.body)];
    keys.insert(r.Header("x-triage-delivery"));
  }
  CHECK(receiver.count() == 20);
  CHECK(keys.size() == 20);
  REQUIRE(seen.size() == 20);
  for (int i = 0; i < 20; ++i) {
    INFO("k:" << i);
    CHECK(seen["k:" + std::to_string(i)] == 1);
  }
  // They are in the daemon's store and queues like messages posted over HTTP.
  auto stored = c.Request("GET", "/v1/messages/k:15");
  CHECK(stored.status == 200);
  CHECK_THAT(stored.body, Catch::Contains("where is my refund"));
  CHECK(metric("triage_ingest_messages_total{outcome=\"stored\"}") == 20);
}
