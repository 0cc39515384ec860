// The topics a KafkaBridge with `prefix` reads and writes, made on
// librdkafka's mock cluster for a test: <prefix>.inbound, one
// <prefix>.queue.<q> per queue of the bundled routes, and .alerts, .events,
// .dead-letter (one partition each).
#ifndef TRIAGE_TESTS_KAFKA_TOPICS_H_
#define TRIAGE_TESTS_KAFKA_TOPICS_H_

#include <catch2/catch.hpp>

#include <string>

#include "runtime/kafka/mock_cluster.h"

namespace triage::test {

inline void MakeBridgeTopics(MockCluster& mc, const std::string& prefix, int inbound_partitions = 1,
                             int queue_partitions = 1) {
  REQUIRE(mc.Topic(prefix + ".inbound", inbound_partitions).ok());
  for (const char* q : {"sales", "support", "product", "comms", "unrouted"})
    REQUIRE(mc.Topic(prefix + ".queue." + q, queue_partitions).ok());
  for (const char* t : {".alerts", ".events", ".dead-letter"}) REQUIRE(mc.Topic(prefix + t, 1).ok());
}

}  // namespace triage::test

#endif  // TRIAGE_TESTS_KAFKA_TOPICS_H_
