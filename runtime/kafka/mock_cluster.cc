#include "runtime/kafka/mock_cluster.h"

#include <chrono>

namespace triage {

MockCluster::MockCluster(int brokers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::string n = std::to_string(brokers);
  rd_kafka_conf_set(conf, "test.mock.num.brokers", n.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);  // takes conf on success
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    return;
  }
  mock_ = rd_kafka_handle_mock_cluster(rk_);
  if (mock_) bootstraps_ = rd_kafka_mock_cluster_bootstraps(mock_);
}

MockCluster::~MockCluster() {
  if (rk_) rd_kafka_destroy(rk_);
}

Status MockCluster::Topic(const std::string& name, int partitions) {
  if (!mock_) return Status::IOError("kafka mock: no cluster");
  rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mock_, name.c_str(), partitions, 3);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Status::IOError("kafka mock: topic " + name + ": " + rd_kafka_err2str(e));
  return Status::OK();
}

Status MockCluster::Produce(const std::string& topic, const std::string& key, const std::string& value,
                            const std::string& format_header) {
  if (!mock_) return Status::IOError("kafka mock: no cluster");
  for (;;) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(1);
    if (!format_header.empty())
      rd_kafka_header_add(h, "triage-format", -1, format_header.data(), static_cast<ssize_t>(format_header.size()));
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::OK();
    rd_kafka_headers_destroy(h);
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      return Status::IOError("kafka mock: produce to " + topic + ": " + rd_kafka_err2str(e));
    rd_kafka_poll(rk_, 100);  // a large load: let deliveries make room
  }
}

Status MockCluster::Flush(int timeout_ms) {
  if (!mock_) return Status::IOError("kafka mock: no cluster");
  rd_kafka_resp_err_t e = rd_kafka_flush(rk_, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::IOError(std::string("kafka mock: flush: ") + rd_kafka_err2str(e));
  return Status::OK();
}

std::vector<std::pair<std::string, std::string>> MockCluster::ReadAll(const std::string& topic, int partitions,
                                                                      int timeout_ms) const {
  std::vector<std::pair<std::string, std::string>> out;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "reader", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!c) {
    rd_kafka_conf_destroy(conf);
    return out;
  }
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(c, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  int eofs = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (eofs < partitions && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 200);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++eofs;
    } else if (!m->err) {
      std::string id;
      rd_kafka_headers_t* h = nullptr;
      const void* v = nullptr;
      size_t n = 0;
      if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(h, "triage-id", &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR)
        id.assign(static_cast<const char*>(v), n);
      out.emplace_back(id, std::string(static_cast<const char*>(m->payload), m->len));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return out;
}

}  // namespace triage
