// A librdkafka mock cluster for tests (rdkafka_mock.h): real brokers'
// protocol on loopback ports, inside the test process, nothing to install.
#ifndef TRIAGE_TESTS_KAFKA_MOCK_H_
#define TRIAGE_TESTS_KAFKA_MOCK_H_

#include <catch2/catch.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace triage::test {

// A mock cluster of three brokers, owned by a producer handle that also
// writes the inbound messages.
struct MockCluster {
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* mock = nullptr;
  std::string bootstraps;
  MockCluster() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    REQUIRE(rd_kafka_conf_set(conf, "test.mock.num.brokers", "3", err, sizeof err) == RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(rk);
    mock = rd_kafka_handle_mock_cluster(rk);
    REQUIRE(mock);
    bootstraps = rd_kafka_mock_cluster_bootstraps(mock);
  }
  ~MockCluster() { rd_kafka_destroy(rk); }
  void Topic(const std::string& name, int partitions) {
    REQUIRE(rd_kafka_mock_topic_create(mock, name.c_str(), partitions, 3) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void Produce(const std::string& topic, const std::string& key, const std::string& value,
               const std::string& format_header = "") {
    rd_kafka_headers_t* h = rd_kafka_headers_new(1);
    if (!format_header.empty()) rd_kafka_header_add(h, "triage-format", -1, format_header.data(), format_header.size());
    REQUIRE(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                              RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void Flush() { REQUIRE(rd_kafka_flush(rk, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR); }

  // Every record of `topic` (all partitions, from the start): header triage-id -> count, and values.
  std::vector<std::pair<std::string, std::string>> ReadAll(const std::string& topic, int partitions) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "reader", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    REQUIRE(c);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p)
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    std::vector<std::pair<std::string, std::string>> out;
    int eofs = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (eofs < partitions && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 200);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) ++eofs;
      else if (!m->err) {
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
};

}  // namespace triage::test

#endif  // TRIAGE_TESTS_KAFKA_MOCK_H_
