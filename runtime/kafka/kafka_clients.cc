#include "runtime/kafka/kafka_clients.h"

#include <string>

namespace triage {

namespace {

Status SetConf(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    return Status::InvalidArgument("kafka option '" + key + "': " + err);
  return Status::OK();
}

// Makes the client from `conf` once `configured` is OK; `conf` is used up
// either way.
Status NewClient(rd_kafka_type_t type, rd_kafka_conf_t* conf, const Status& configured, rd_kafka_t** out) {
  if (!configured.ok()) {
    rd_kafka_conf_destroy(conf);
    return configured;
  }
  char err[512];
  *out = rd_kafka_new(type, conf, err, sizeof err);  // takes conf on success
  if (!*out) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string(type == RD_KAFKA_PRODUCER ? "kafka producer: " : "kafka consumer: ") + err);
  }
  return Status::OK();
}

}  // namespace

Status NewProducer(const KafkaOptions& options, void* opaque, DeliveryCallback on_delivery, rd_kafka_t** out) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status s = SetConf(conf, "bootstrap.servers", options.brokers);
  if (s.ok()) s = SetConf(conf, "enable.idempotence", "true");
  if (s.ok()) s = SetConf(conf, "acks", "all");
  if (s.ok()) s = SetConf(conf, "linger.ms", "5");
  // Consumer-only options are not the producer's.
  for (const auto& [k, v] : options.librdkafka)
    if (s.ok() && k.rfind("session.", 0) != 0 && k.rfind("heartbeat.", 0) != 0 && k != "auto.offset.reset")
      s = SetConf(conf, k, v);
  rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  return NewClient(RD_KAFKA_PRODUCER, conf, s, out);
}

Status NewConsumer(const KafkaOptions& options, void* opaque, RebalanceCallback on_rebalance, rd_kafka_t** out) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status s = SetConf(conf, "bootstrap.servers", options.brokers);
  if (s.ok()) s = SetConf(conf, "group.id", options.group);
  if (s.ok()) s = SetConf(conf, "enable.auto.commit", "false");
  if (s.ok()) s = SetConf(conf, "enable.auto.offset.store", "false");
  if (s.ok()) s = SetConf(conf, "auto.offset.reset", "earliest");
  // Producer-only options are not the consumer's.
  for (const auto& [k, v] : options.librdkafka)
    if (s.ok() && k != "enable.idempotence" && k != "acks" && k.rfind("linger.", 0) != 0) s = SetConf(conf, k, v);
  rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  return NewClient(RD_KAFKA_CONSUMER, conf, s, out);
}

rd_kafka_topic_t* OutputTopics::Get(rd_kafka_t* producer, std::string_view prefix, std::string_view key) {
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
  const std::string name = std::string(prefix) + std::string(key);
  rd_kafka_topic_t* t = rd_kafka_topic_new(producer, name.c_str(), nullptr);
  if (t) by_key_.emplace(std::string(key), t);
  return t;
}

void OutputTopics::Clear() {
  for (auto& [key, topic] : by_key_) rd_kafka_topic_destroy(topic);
  by_key_.clear();
}

}  // namespace triage
