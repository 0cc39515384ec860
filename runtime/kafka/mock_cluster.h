// MockCluster: librdkafka's built-in mock cluster (rdkafka_mock.h), for tests
// and benchmarks. Real Kafka protocol on loopback ports inside the calling
// process; nothing to install, nothing leaves the machine.
//
//   MockCluster mc;                       // three brokers
//   mc.Topic("in", 4);                    // topics are created explicitly
//   mc.Produce("in", "brand", line);      // written by the cluster's own producer
//   mc.Flush();
//   KafkaOptions o; o.brokers = mc.bootstraps(); ...
//   mc.ReadAll("triage.queue.support", 1) // every record, with its triage-id header
//
// Not for production: the brokers keep everything in memory, and only about
// the last 5 MB (or 100,000 record batches) of each partition: older records
// are deleted, so a test or benchmark must not load a partition far ahead of
// its consumers (bench/kafka_load feeds as it consumes).
#ifndef TRIAGE_RUNTIME_KAFKA_MOCK_CLUSTER_H_
#define TRIAGE_RUNTIME_KAFKA_MOCK_CLUSTER_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace triage {

class MockCluster {
 public:
  // Starts `brokers` mock brokers; ok() says whether that worked.
  explicit MockCluster(int brokers = 3);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  bool ok() const { return mock_ != nullptr; }
  const std::string& bootstraps() const { return bootstraps_; }
  // For error injection (rd_kafka_mock_push_request_errors and friends).
  rd_kafka_mock_cluster_t* mock() const { return mock_; }

  Status Topic(const std::string& name, int partitions);
  // Queues one record keyed by `key`; `format_header`, if not empty, is sent
  // as the "triage-format" header.
  Status Produce(const std::string& topic, const std::string& key, const std::string& value,
                 const std::string& format_header = "");
  Status Flush(int timeout_ms = 10000);
  // Serves delivery reports of queued records without waiting for the rest
  // (a feeder that keeps producing instead of waiting for each chunk's acks).
  void Poll() { if (rk_) rd_kafka_poll(rk_, 0); }

  // Every record of `topic` from the start of each of its `partitions`:
  // (value of the "triage-id" header or "", value). Gives up after
  // `timeout_ms` with what it read.
  std::vector<std::pair<std::string, std::string>> ReadAll(const std::string& topic, int partitions,
                                                           int timeout_ms = 20000) const;

 private:
  rd_kafka_t* rk_ = nullptr;  // owns the mock cluster; also the producer
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string bootstraps_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_KAFKA_MOCK_CLUSTER_H_
