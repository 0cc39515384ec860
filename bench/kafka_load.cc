// kafka_load: throughput of KafkaBridge against librdkafka's in-process mock
// cluster (three brokers). Loads N generated messages into the inbound topic,
// then runs K bridge instances in one consumer group (one thread each) until
// every message is committed, and reports messages per second.
//
//   kafka_load [--messages N] [--partitions P] [--instances K]
//              [--batch B] [--wait-ms W] [--no-detector] [--seconds S]
//              [--set LIBRDKAFKA_KEY=VALUE ...]
//
// The brokers run inside this process, on the same cores as the bridges:
// the figure is a lower bound for the bridge and says nothing about a real
// cluster's network or disks.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "connectors/kafka/kafka_bridge.h"
#include "connectors/kafka/mock_cluster.h"
#include "connectors/synthetic/archive_generator.h"

using namespace triage;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  long long messages = 100000;
  int partitions = 6, instances = 1, batch = 1000, wait_ms = 200;
  double seconds = 300;
  bool detector = true;
  std::map<std::string, std::string> extra;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kafka_load: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--messages") messages = std::stoll(value());
    else if (a == "--partitions") partitions = std::stoi(value());
    else if (a == "--instances") instances = std::stoi(value());
    else if (a == "--batch") batch = std::stoi(value());
    else if (a == "--wait-ms") wait_ms = std::stoi(value());
    else if (a == "--seconds") seconds = std::stod(value());
    else if (a == "--no-detector") detector = false;
    else if (a == "--set") {  // a librdkafka option, KEY=VALUE
      std::string kv = value();
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "kafka_load: --set needs KEY=VALUE\n");
        return 2;
      }
      extra[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    else {
      std::fprintf(stderr, "kafka_load: unknown option %s\n", a.c_str());
      return 2;
    }
  }

  MockCluster mc;
  if (!mc.ok()) {
    std::fprintf(stderr, "kafka_load: could not start the mock cluster\n");
    return 1;
  }
  const std::string prefix = "load";
  Status s = mc.Topic(prefix + ".inbound", partitions);
  for (const char* q : {"sales", "support", "product", "comms", "unrouted"})
    if (s.ok()) s = mc.Topic(prefix + ".queue." + q, partitions);
  for (const char* t : {".alerts", ".events", ".dead-letter"})
    if (s.ok()) s = mc.Topic(prefix + t, 1);

  // Inbound: generated archive lines keyed by brand, as a producer should.
  GeneratorOptions g;
  g.brands = 64;
  ArchiveGenerator gen(g);
  std::string line;
  long long bytes = 0;
  auto t0 = Clock::now();
  for (long long i = 0; i < messages && s.ok(); ++i) {
    line.clear();
    gen.AppendLine(&line);
    line.pop_back();  // the newline
    size_t b = line.find("\"brand\":\"");
    std::string brand = b == std::string::npos ? "" : line.substr(b + 9, line.find('"', b + 9) - b - 9);
    bytes += static_cast<long long>(line.size());
    s = mc.Produce(prefix + ".inbound", brand, line);
  }
  if (s.ok()) s = mc.Flush(120000);
  if (!s.ok()) {
    std::fprintf(stderr, "kafka_load: %s\n", s.message().c_str());
    return 1;
  }
  double load_s = std::chrono::duration<double>(Clock::now() - t0).count();

  std::unique_ptr<Pipeline> pipeline;
  if (Status ps = Pipeline::Load(Pipeline::DefaultRulesPath(), PatternDatabaseOptions{}, &pipeline); !ps.ok()) {
    std::fprintf(stderr, "kafka_load: %s\n", ps.message().c_str());
    return 1;
  }
  KafkaOptions o;
  o.brokers = mc.bootstraps();
  o.group = prefix;
  o.topics = {prefix + ".inbound"};
  o.prefix = prefix;
  o.batch_messages = static_cast<size_t>(batch);
  o.batch_wait_ms = wait_ms;
  o.detector = detector;
  o.librdkafka = extra;
  o.librdkafka.emplace("log_level", "2");
  std::vector<std::unique_ptr<KafkaBridge>> bridges(static_cast<size_t>(instances));
  for (auto& b : bridges)
    if (Status bs = KafkaBridge::Create(o, pipeline.get(), &b); !bs.ok()) {
      std::fprintf(stderr, "kafka_load: %s\n", bs.message().c_str());
      return 1;
    }

  // Done when the instances together processed every message once (re-read
  // and revoked messages do not count towards that).
  std::atomic<long long> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  t0 = Clock::now();
  for (auto& b : bridges)
    threads.emplace_back([&, k = b.get()] {
      while (!stop) {
        uint64_t before = k->stats().consumed - k->stats().messages_reread - k->stats().dropped_on_revoke;
        Status rs = k->RunOnce();
        if (!rs.ok()) std::fprintf(stderr, "kafka_load: %s\n", rs.message().c_str());
        uint64_t after = k->stats().consumed - k->stats().messages_reread - k->stats().dropped_on_revoke;
        done += static_cast<long long>(after - before);
      }
    });
  auto deadline = t0 + std::chrono::duration<double>(seconds);
  while (done < messages && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double run_s = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  for (auto& t : threads) t.join();

  KafkaStats total;
  for (auto& b : bridges) {
    const KafkaStats& k = b->stats();
    total.consumed += k.consumed;
    total.decided += k.decided;
    total.produced += k.produced;
    total.batches_committed += k.batches_committed;
    total.batches_retried += k.batches_retried;
    total.messages_reread += k.messages_reread;
    total.alerts += k.alerts;
    b->Close();
  }
  std::printf("loaded %lld messages (%.1f MB) into %d partitions in %.2f s\n", messages, bytes / 1e6, partitions,
              load_s);
  std::printf("%d instance(s), batch %d, detector %s: %lld of %lld messages committed in %.2f s = %.0f msgs/s, "
              "%.2f MB/s\n",
              instances, batch, detector ? "on" : "off", static_cast<long long>(done), messages, run_s,
              static_cast<double>(done) / run_s, bytes * (static_cast<double>(done) / messages) / 1e6 / run_s);
  std::printf("consumed %llu, decided %llu, outputs acknowledged %llu, alerts %llu, batches committed %llu, "
              "retried %llu, re-read %llu\n",
              (unsigned long long)total.consumed, (unsigned long long)total.decided,
              (unsigned long long)total.produced, (unsigned long long)total.alerts,
              (unsigned long long)total.batches_committed, (unsigned long long)total.batches_retried,
              (unsigned long long)total.messages_reread);
  return done >= messages ? 0 : 1;
}
