// The topics a KafkaBridge with `prefix` reads and writes, made on
// librdkafka's mock cluster for a test: <prefix>.inbound, one
// <prefix>.queue.<q> per queue of the bundled routes, and .alerts, .events,
// .dead-letter (one partition each).
#ifndef TRIAGE_TESTS_KAFKA_TOPICS_H_
#define TRIAGE_TESTS_KAFKA_TOPICS_H_

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/kafka_bridge.h"
#include "runtime/kafka/mock_cluster.h"

namespace triage::test {

inline void MakeBridgeTopics(MockCluster& mc, const std::string& prefix, int inbound_partitions = 1,
                             int queue_partitions = 1) {
  REQUIRE(mc.Topic(prefix + ".inbound", inbound_partitions).ok());
  for (const char* q : {"sales", "support", "product", "comms", "unrouted"})
    REQUIRE(mc.Topic(prefix + ".queue." + q, queue_partitions).ok());
  for (const char* t : {".alerts", ".events", ".dead-letter"}) REQUIRE(mc.Topic(prefix + t, 1).ok());
}

// Options for a bridge on `mc` with those topics: its own group, small
// batches, and a short session timeout so that a test's rebalances are quick.
inline KafkaOptions BridgeOptions(const MockCluster& mc, const std::string& prefix) {
  KafkaOptions o;
  o.brokers = mc.bootstraps();
  o.group = prefix + "-group";
  o.topics = {prefix + ".inbound"};
  o.prefix = prefix;
  o.batch_messages = 10;
  o.batch_wait_ms = 50;
  o.librdkafka = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}, {"log_level", "2"}};
  return o;
}

}  // namespace triage::test

#endif  // TRIAGE_TESTS_KAFKA_TOPICS_H_
