// AppendKafkaMetrics (kafka_bridge.h): the bridge's counters in the
// Prometheus text format, for GET /metrics of `triage serve --kafka`.
#include "runtime/kafka/kafka_bridge.h"

namespace triage {

void AppendKafkaMetrics(const KafkaStats& k, std::string* out) {
  auto counter = [out](const char* name, const char* help, const char* labels, uint64_t v) {
    if (help) *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    *out += name;
    if (labels) *out += std::string("{") + labels + "}";
    *out += " " + std::to_string(v) + "\n";
  };
  counter("triage_kafka_messages_total", "Inbound Kafka records, by what happened to them", "outcome=\"consumed\"",
          k.consumed);
  counter("triage_kafka_messages_total", nullptr, "outcome=\"decided\"", k.decided);
  counter("triage_kafka_messages_total", nullptr, "outcome=\"committed\"", k.messages_committed);
  counter("triage_kafka_messages_total", nullptr, "outcome=\"event\"", k.events);
  counter("triage_kafka_messages_total", nullptr, "outcome=\"dead_lettered\"", k.dead_lettered);
  counter("triage_kafka_messages_total", nullptr, "outcome=\"reread\"", k.messages_reread);
  counter("triage_kafka_messages_total", nullptr, "outcome=\"dropped_on_revoke\"", k.dropped_on_revoke);
  // serve --kafka: decided messages stored in the daemon's store, and those
  // a re-read batch found stored already.
  counter("triage_kafka_messages_total", nullptr, "outcome=\"stored\"", k.stored);
  counter("triage_kafka_messages_total", nullptr, "outcome=\"already_stored\"", k.already_stored);
  counter("triage_kafka_outputs_total", "Output records, by delivery result", "result=\"acknowledged\"", k.produced);
  counter("triage_kafka_outputs_total", nullptr, "result=\"failed\"", k.delivery_failures);
  counter("triage_kafka_alerts_total", "Alert records produced", nullptr, k.alerts);
  counter("triage_kafka_batches_total", "Batches, by outcome (retried: read again from their first offset)",
          "outcome=\"committed\"", k.batches_committed);
  counter("triage_kafka_batches_total", nullptr, "outcome=\"retried\"", k.batches_retried);
  counter("triage_kafka_rebalances_total", "Partition assign and revoke callbacks", nullptr, k.rebalances);
  *out += "# HELP triage_kafka_partitions Inbound partitions assigned to this instance\n"
          "# TYPE triage_kafka_partitions gauge\n";
  *out += "triage_kafka_partitions " + std::to_string(k.partitions) + "\n";
  *out += "# HELP triage_kafka_batches_in_flight Batches produced and not yet committed (awaiting acks)\n"
          "# TYPE triage_kafka_batches_in_flight gauge\n";
  *out += "triage_kafka_batches_in_flight " + std::to_string(k.batches_in_flight) + "\n";
}

}  // namespace triage
