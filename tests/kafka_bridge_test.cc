// KafkaBridge against librdkafka's built-in mock cluster (rdkafka_mock.h):
// no broker to install, the real client protocol end to end.
#include <catch2/catch.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "runtime/kafka/kafka_bridge.h"
#include "runtime/kafka/mock_cluster.h"
#include "kafka_topics.h"
#include "test_util.h"

using namespace triage;

namespace {

KafkaOptions Options(const MockCluster& mc, const std::string& prefix) {
  KafkaOptions o;
  o.brokers = mc.bootstraps();
  o.group = prefix + "-group";
  o.topics = {prefix + ".inbound"};
  o.prefix = prefix;
  o.batch_messages = 50;
  o.batch_wait_ms = 100;
  o.librdkafka = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}, {"log_level", "2"},
                  {"topic.metadata.refresh.interval.ms", "1000"}};
  return o;
}

std::string Line(int i, const std::string& brand) {
  static const char* texts[] = {"I want a refund for my order, it never arrived",
                                "how much is the family plan? I want to buy it",
                                "love the new update, great job", "the app keeps crashing when I log in"};
  return R"({"id":"k:)" + std::to_string(i) + R"(","channel":"x","brand":")" + brand + R"(","text":")" +
         texts[i % 4] + R"(","lang":"en","created_at":"2026-10-01T10:)" + (i % 60 < 10 ? "0" : "") +
         std::to_string(i % 60) + R"(:00Z"})";
}

// Kafka protocol API keys (rdkafka_protocol.h is not installed).
constexpr int16_t kApiProduce = 0, kApiOffsetCommit = 8;

const char* kQueues[] = {"sales", "support", "product", "comms", "unrouted"};

}  // namespace

TEST_CASE("Kafka: two instances in one group share the partitions through a rebalance - nothing lost",
          "[kafka]") {
  MockCluster mc;
  REQUIRE(mc.ok());
  const std::string prefix = "t1";
  test::MakeBridgeTopics(mc, prefix, 4, 2);
  auto pipeline = test::PipelineFromYaml(R"(
rules:
  - id: refund
    label: support
    any: ["refund", "crashing"]
  - id: price
    label: lead
    any: ["how much", "buy"]
  - id: praise
    label: feedback
    any: ["love"]
)");
  const int kMessages = 600;
  // Keyed by brand; enough brands that every one of the 4 partitions has
  // messages (with 5, two partitions stayed empty).
  const char* brands[] = {"Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta",
                          "Eta",   "Theta", "Iota", "Kappa", "Lambda",  "Mu"};
  for (int i = 0; i < kMessages; ++i) REQUIRE(mc.Produce(prefix + ".inbound", brands[i % 12], Line(i, brands[i % 12])).ok());
  // Poison: invalid JSON, a bad event line, an unknown format header.
  REQUIRE(mc.Produce(prefix + ".inbound", "Alpha", "{not json").ok());
  REQUIRE(mc.Produce(prefix + ".inbound", "Alpha", R"({"type":"event","message":"k:1","event":"exploded"})").ok());
  REQUIRE(mc.Produce(prefix + ".inbound", "Beta", Line(9999, "Beta"), "carrier-pigeon").ok());
  // An event line passes through to the events topic.
  REQUIRE(mc.Produce(prefix + ".inbound", "Alpha",
             R"({"type":"event","message":"k:1","event":"replied","agent":"ann","at":"2026-10-01T10:05:00Z"})").ok());
  REQUIRE(mc.Flush().ok());
  const uint64_t kInbound = kMessages + 4;

  std::unique_ptr<KafkaBridge> a, b;
  // A takes small batches: until B is assigned it runs one a second, so the
  // topic lasts about a minute on its own, far longer than a rebalance takes
  // even on a loaded machine.
  KafkaOptions a_options = Options(mc, prefix);
  a_options.batch_messages = 10;
  REQUIRE(KafkaBridge::Create(a_options, pipeline.get(), &a).ok());
  std::atomic<uint64_t> done{0};
  // A alone first, for a few batches.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (a->stats().batches_committed < 3 && std::chrono::steady_clock::now() < until) {
    size_t n = 0;
    (void)a->RunOnce(&n);
  }
  REQUIRE(a->stats().batches_committed >= 3);
  REQUIRE(a->stats().consumed < kInbound);  // B joins with work left
  // Then B joins the group: a rebalance while A is mid-stream.
  REQUIRE(KafkaBridge::Create(Options(mc, prefix), pipeline.get(), &b).ok());
  std::atomic<bool> stop{false};
  // A keeps consuming while B joins (it must poll to take part in the
  // rebalance), but slowly: one batch a second, so that even under a
  // sanitizer on a loaded machine A cannot finish the topic before the group
  // has rebalanced.
  std::atomic<bool> b_assigned{false};
  std::atomic<uint64_t> a_consumed_at_assign{0};
  std::thread ta([&] {
    while (!stop) {
      (void)a->RunOnce();
      if (!b_assigned) std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
  });
  std::thread tb([&] {
    while (!stop) {
      (void)b->RunOnce();
      if (b->stats().partitions > 0 && !b_assigned) {
        a_consumed_at_assign = a->stats().consumed;
        b_assigned = true;
      }
    }
  });
  // Done when every inbound message was committed by someone: the group's
  // committed offsets reach the end of each partition.
  auto committed_all = [&] { return a->stats().messages_committed + b->stats().messages_committed >= kInbound; };
  // Wait for what is asserted below, not for a fixed time: everything
  // committed, and B did work after the rebalance.
  until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!(committed_all() && b->stats().consumed > 0) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  ta.join();
  tb.join();
  const KafkaStats sa = a->stats(), sb = b->stats();
  a->Close();
  b->Close();
  INFO("A consumed " << sa.consumed << " rebalances " << sa.rebalances << " dropped " << sa.dropped_on_revoke
                     << " reread " << sa.messages_reread << "; B consumed " << sb.consumed << " rebalances "
                     << sb.rebalances << " partitions " << sb.partitions
                     << "; A had consumed " << a_consumed_at_assign << " when B was assigned");
  REQUIRE(committed_all());
  CHECK(sa.rebalances >= 2);  // assigned, then revoked when B joined (then assigned again)
  CHECK(sb.consumed > 0);     // B got partitions

  // Every message decided once at least; duplicates only from re-read batches.
  std::map<std::string, int> seen;
  size_t outputs = 0;
  for (const char* q : kQueues)
    for (const auto& [id, value] : mc.ReadAll(prefix + ".queue." + q, 2)) {
      ++seen[id];
      ++outputs;
      CHECK_THAT(value, Catch::StartsWith("{\"message\":{\"id\":\"" + id + "\""));
      CHECK_THAT(value, Catch::Contains("\"decision\":{\"id\":\"" + id + "\",\"label\":"));
    }
  CHECK(seen.size() == static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) CHECK(seen.count("k:" + std::to_string(i)) == 1);
  // Duplicates only from batches read again: re-read after a failure, or
  // given up at the revoke (the mock refuses commits once the rebalance has
  // begun) and read by the partition's next owner.
  CHECK(outputs - seen.size() <=
        sa.messages_reread + sb.messages_reread + sa.dropped_on_revoke + sb.dropped_on_revoke);
  // Routing: support messages on the support queue.
  auto support = mc.ReadAll(prefix + ".queue.support", 2);
  REQUIRE(!support.empty());
  CHECK_THAT(support[0].second, Catch::Contains("\"queue\":\"support\""));

  auto dead = mc.ReadAll(prefix + ".dead-letter", 1);
  REQUIRE(dead.size() >= 3);
  std::set<std::string> dead_values;
  for (const auto& [id, v] : dead) dead_values.insert(v);
  CHECK(dead_values.count("{not json"));
  CHECK(dead_values.count(Line(9999, "Beta")));
  CHECK(sa.dead_lettered + sb.dead_lettered >= 3);
  auto events = mc.ReadAll(prefix + ".events", 1);
  REQUIRE(events.size() >= 1);
  CHECK(events[0].first == "k:1");
  CHECK_THAT(events[0].second, Catch::Contains("\"event\":\"replied\""));
}

TEST_CASE("Kafka: platform deletes and edits go to the events topic for downstream stores to apply", "[kafka]") {
  MockCluster mc;
  REQUIRE(mc.ok());
  const std::string prefix = "t3";
  test::MakeBridgeTopics(mc, prefix, 1, 1);
  auto pipeline = test::PipelineFromYaml("rules:\n  - id: refund\n    label: support\n    any: [\"refund\"]\n");
  // The real payloads (../shared/data/webhooks), read at test time.
  const std::string dir = std::string(TRIAGE_SHARED_DIR) + "/data/webhooks/";
  const std::string del = test::ReadFile(dir + "x_twitter/xdocs_aaa_tweet_delete_events.json");
  const std::string edit = test::ReadFile(dir + "telegram/aiogram_dataset_EDITED_MESSAGE__wrapped_in_update.json");
  REQUIRE_FALSE(del.empty());
  REQUIRE_FALSE(edit.empty());
  REQUIRE(mc.Produce(prefix + ".inbound", "b", del, "x").ok());
  REQUIRE(mc.Produce(prefix + ".inbound", "b", edit, "telegram").ok());
  REQUIRE(mc.Flush().ok());
  std::unique_ptr<KafkaBridge> k;
  REQUIRE(KafkaBridge::Create(Options(mc, prefix), pipeline.get(), &k).ok());
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (k->stats().consumed < 2 && std::chrono::steady_clock::now() < until) (void)k->RunOnce();
  k->Close();
  REQUIRE(k->stats().consumed == 2);
  CHECK(k->stats().dead_lettered == 0);
  auto events = mc.ReadAll(prefix + ".events", 1);
  REQUIRE(events.size() == 2);
  CHECK_THAT(events[0].first, Catch::StartsWith("x:"));
  CHECK_THAT(events[0].second, Catch::Contains("\"event\":\"deleted\""));
  CHECK_THAT(events[0].second, Catch::Contains("\"message\":\"" + events[0].first + "\""));
  CHECK_THAT(events[1].first, Catch::StartsWith("tg:"));
  CHECK_THAT(events[1].second, Catch::Contains("\"event\":\"edited\""));
  CHECK_THAT(events[1].second, Catch::Contains("\"text\":"));
}

TEST_CASE("Kafka: broker errors on produce and commit are retried - at least once, each re-read counted",
          "[kafka]") {
  MockCluster mc;
  REQUIRE(mc.ok());
  const std::string prefix = "t2";
  test::MakeBridgeTopics(mc, prefix, 2, 1);
  auto pipeline = test::PipelineFromYaml("rules:\n  - id: refund\n    label: support\n    any: [\"refund\"]\n");
  const int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) REQUIRE(mc.Produce(prefix + ".inbound", "Alpha", Line(i, "Alpha")).ok());
  REQUIRE(mc.Flush().ok());

  KafkaOptions o = Options(mc, prefix);
  o.ack_timeout_ms = 3000;
  std::unique_ptr<KafkaBridge> k;
  REQUIRE(KafkaBridge::Create(o, pipeline.get(), &k).ok());
  // Retriable produce errors: the idempotent producer retries them by itself.
  rd_kafka_mock_push_request_errors(mc.mock(), kApiProduce, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  // A failing commit: the batch is given up and read again.
  rd_kafka_mock_push_request_errors(mc.mock(), kApiOffsetCommit, 1, RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
  int errors = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    size_t n = 0;
    if (!k->RunOnce(&n).ok()) ++errors;
    if (k->stats().consumed - k->stats().messages_reread >= static_cast<uint64_t>(kMessages) && n == 0) break;
  }
  KafkaStats s = k->stats();
  k->Close();
  INFO("consumed " << s.consumed << " reread " << s.messages_reread << " retried " << s.batches_retried
                   << " failures " << s.delivery_failures);
  CHECK(s.consumed - s.messages_reread == static_cast<uint64_t>(kMessages));
  // Each error gives up the batches in flight then (one or more), each counted.
  CHECK(errors >= 1);
  CHECK(static_cast<uint64_t>(errors) <= s.batches_retried);
  CHECK(s.batches_retried >= 1);  // the commit error
  std::map<std::string, int> seen;
  size_t outputs = 0;
  for (const char* q : kQueues)
    for (const auto& [id, v] : mc.ReadAll(prefix + ".queue." + q, 1)) {
      ++seen[id];
      ++outputs;
    }
  CHECK(seen.size() == static_cast<size_t>(kMessages));
  CHECK(outputs - seen.size() <= s.messages_reread);
  CHECK(outputs - seen.size() > 0);  // the re-read batch really was produced twice, and counted

  // The same counts, as GET /metrics of serve --kafka shows them.
  std::string text;
  AppendKafkaMetrics(k->stats(), &text);  // after Close(): the same counts, no partitions
  CHECK_THAT(text, Catch::Contains("triage_kafka_messages_total{outcome=\"consumed\"} " + std::to_string(s.consumed) + "\n"));
  CHECK_THAT(text, Catch::Contains("triage_kafka_messages_total{outcome=\"reread\"} " +
                                   std::to_string(s.messages_reread) + "\n"));
  CHECK_THAT(text, Catch::Contains("triage_kafka_batches_total{outcome=\"retried\"} " +
                                   std::to_string(s.batches_retried) + "\n"));
  CHECK_THAT(text, Catch::Contains("triage_kafka_partitions 0\n"));  // left the group
  CHECK_THAT(text, Catch::Contains("# TYPE triage_kafka_outputs_total counter\n"));
}

TEST_CASE("Kafka: bad options are clear errors", "[kafka]") {
  auto pipeline = test::PipelineFromYaml("rules:\n  - id: r\n    label: lead\n    any: [\"buy\"]\n");
  std::unique_ptr<KafkaBridge> k;
  KafkaOptions o;
  Status s = KafkaBridge::Create(o, pipeline.get(), &k);
  CHECK_THAT(s.message(), Catch::Contains("brokers: required"));
  o.brokers = "localhost:1";
  o.format = "pigeon";
  CHECK_THAT(KafkaBridge::Create(o, pipeline.get(), &k).message(), Catch::Contains("format: 'pigeon'"));
  o.format = "archive";
  o.librdkafka = {{"no.such.option", "1"}};
  CHECK_THAT(KafkaBridge::Create(o, pipeline.get(), &k).message(), Catch::Contains("kafka option 'no.such.option'"));
}

TEST_CASE("Kafka: with every broker down the bridge is not ready, and says why", "[kafka]") {
  MockCluster mc;
  REQUIRE(mc.ok());
  REQUIRE(mc.Topic("r.inbound", 1).ok());
  auto pipeline = test::PipelineFromYaml("rules:\n  - id: a\n    label: lead\n    any: [price]\n");
  std::unique_ptr<KafkaBridge> up;
  REQUIRE(KafkaBridge::Create(Options(mc, "r"), pipeline.get(), &up).ok());
  REQUIRE(up->RunOnce().ok());
  std::string why;
  CHECK(up->Ready(&why));
  up->Close();
  // Nothing listens on port 1.
  KafkaOptions o = Options(mc, "r");
  o.brokers = "127.0.0.1:1";
  o.librdkafka["socket.connection.setup.timeout.ms"] = "1000";
  std::unique_ptr<KafkaBridge> down;
  REQUIRE(KafkaBridge::Create(o, pipeline.get(), &down).ok());
  (void)down->RunOnce();
  CHECK_FALSE(down->Ready(&why));
  CHECK_THAT(why, Catch::Contains("kafka: brokers 127.0.0.1:1 unreachable"));
  down->Close();
}
