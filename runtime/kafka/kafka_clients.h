// The two librdkafka clients a KafkaBridge uses, configured from its
// KafkaOptions: what the bridge's at-least-once contract needs is set here
// and cannot be overridden by KafkaOptions::librdkafka (which passes
// everything else, such as SASL and TLS, through as is).
#ifndef TRIAGE_RUNTIME_KAFKA_KAFKA_CLIENTS_H_
#define TRIAGE_RUNTIME_KAFKA_KAFKA_CLIENTS_H_

#include <librdkafka/rdkafka.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "runtime/kafka/kafka_bridge.h"

namespace triage {

using DeliveryCallback = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void* opaque);
using RebalanceCallback = void (*)(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*, void* opaque);

// An idempotent producer (acks from all in-sync replicas) whose delivery
// reports go to `on_delivery` with `opaque`. Errors name the bad option.
Status NewProducer(const KafkaOptions& options, void* opaque, DeliveryCallback on_delivery, rd_kafka_t** out);

// A group member that never commits by itself (the bridge commits after the
// acks), starting from the earliest offset when its group has none;
// `on_rebalance` with `opaque` handles assignments.
Status NewConsumer(const KafkaOptions& options, void* opaque, RebalanceCallback on_rebalance, rd_kafka_t** out);

// A producer's output topic handles, made on first use and kept: producing
// by handle skips librdkafka's lookup of the topic by name, and no topic
// name is built per message. Clear() (or the destructor) must run before the
// producer is destroyed.
class OutputTopics {
 public:
  OutputTopics() = default;
  OutputTopics(const OutputTopics&) = delete;
  OutputTopics& operator=(const OutputTopics&) = delete;
  ~OutputTopics() { Clear(); }

  // The handle of topic `prefix` + `key` (looked up by `key` alone: the
  // prefix must be the same on every call); null if librdkafka refused it.
  rd_kafka_topic_t* Get(rd_kafka_t* producer, std::string_view prefix, std::string_view key);
  void Clear();

 private:
  std::map<std::string, rd_kafka_topic_t*, std::less<>> by_key_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_KAFKA_KAFKA_CLIENTS_H_
