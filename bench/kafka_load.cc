// kafka_load: throughput of KafkaBridge against librdkafka's in-process mock
// cluster (three brokers). A feeder thread produces N generated messages,
// keyed by brand, into the inbound topic while K bridge instances in one
// consumer group (one thread each) consume, decide, produce and commit; the
// figure is messages committed per second, from the first message fed to
// the last committed.
//
//   kafka_load [--messages N] [--partitions P] [--instances K]
//              [--batch B] [--wait-ms W] [--in-flight F] [--ahead A] [--no-detector]
//              [--seconds S] [--set LIBRDKAFKA_KEY=VALUE ...]
//
// The feeder stays at most A messages (default 20,000) ahead of what is
// committed, like a firehose the consumers keep up with, because the mock
// broker keeps only about 5 MB per partition and deletes older records:
// a topic loaded far ahead of its consumers loses its head.
//
// The brokers and the feeder run inside this process, on the same cores as
// the bridges: the figure is a lower bound for the bridge and says nothing
// about a real cluster's network or disks.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "runtime/kafka/kafka_bridge.h"
#include "runtime/kafka/mock_cluster.h"
#include "connectors/synthetic/archive_generator.h"

using namespace triage;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  long long messages = 100000, ahead = 20000;
  int partitions = 6, instances = 1, batch = 1000, wait_ms = 200, in_flight = KafkaOptions().in_flight_batches;
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
    else if (a == "--in-flight") in_flight = std::stoi(value());
    else if (a == "--ahead") ahead = std::stoll(value());
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
  std::vector<std::pair<std::string, std::string>> inbound;  // (brand, line)
  inbound.reserve(static_cast<size_t>(messages));
  long long bytes = 0;
  std::string line;
  for (long long i = 0; i < messages; ++i) {
    line.clear();
    gen.AppendLine(&line);
    line.pop_back();  // the newline
    size_t b = line.find("\"brand\":\"");
    std::string brand = b == std::string::npos ? "" : line.substr(b + 9, line.find('"', b + 9) - b - 9);
    bytes += static_cast<long long>(line.size());
    inbound.emplace_back(std::move(brand), line);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "kafka_load: %s\n", s.message().c_str());
    return 1;
  }

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
  o.in_flight_batches = in_flight;
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
  auto t0 = Clock::now();
  std::atomic<bool> feed_failed{false};
  std::atomic<long long> fed{0};
  std::thread feeder([&] {
    while (fed < messages && !stop) {
      if (fed - done >= ahead) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      long long chunk = std::min<long long>(messages - fed, 1000);
      for (long long i = 0; i < chunk; ++i) {
        const auto& [brand, value] = inbound[static_cast<size_t>(fed + i)];
        if (!mc.Produce(prefix + ".inbound", brand, value).ok()) feed_failed = true;
      }
      // Not a flush per chunk: waiting for each chunk's acks made the feeder,
      // not the bridge, the bottleneck (about 20 k msgs/s on this machine).
      mc.Poll();
      fed += chunk;
    }
    if (!mc.Flush(60000).ok()) feed_failed = true;
  });
  for (auto& b : bridges)
    threads.emplace_back([&, k = b.get()] {
      while (!stop) {
        uint64_t before = k->stats().messages_committed;
        Status rs = k->RunOnce();
        if (!rs.ok()) std::fprintf(stderr, "kafka_load: %s\n", rs.message().c_str());
        uint64_t after = k->stats().messages_committed;
        done += static_cast<long long>(after - before);
      }
    });
  auto deadline = t0 + std::chrono::duration<double>(seconds);
  auto next_report = t0 + std::chrono::seconds(5);
  while (done < messages && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (Clock::now() >= next_report) {  // progress on stderr: where a slow run spends its time
      std::fprintf(stderr, "kafka_load: %.0f s: %lld of %lld committed, %lld fed\n",
                   std::chrono::duration<double>(Clock::now() - t0).count(), static_cast<long long>(done), messages,
                   static_cast<long long>(fed));
      next_report += std::chrono::seconds(5);
    }
  }
  double run_s = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  feeder.join();
  for (auto& t : threads) t.join();
  if (feed_failed) std::fprintf(stderr, "kafka_load: feeding the inbound topic failed\n");

  KafkaStats total;
  for (auto& b : bridges) {
    const KafkaStats k = b->stats();
    total.consumed += k.consumed;
    total.decided += k.decided;
    total.produced += k.produced;
    total.batches_committed += k.batches_committed;
    total.batches_retried += k.batches_retried;
    total.messages_reread += k.messages_reread;
    total.alerts += k.alerts;
    b->Close();
  }
  std::printf("fed %lld messages (%.1f MB) into %d partitions, at most %lld ahead of the consumers\n", messages,
              bytes / 1e6, partitions, ahead);
  std::printf("%d instance(s), batch %d, %d in flight, detector %s: %lld of %lld messages committed in %.2f s = "
              "%.0f msgs/s, %.2f MB/s\n",
              instances, batch, in_flight, detector ? "on" : "off", static_cast<long long>(done), messages, run_s,
              static_cast<double>(done) / run_s, bytes * (static_cast<double>(done) / messages) / 1e6 / run_s);
  std::printf("consumed %llu, decided %llu, outputs acknowledged %llu, alerts %llu, batches committed %llu, "
              "retried %llu, re-read %llu\n",
              (unsigned long long)total.consumed, (unsigned long long)total.decided,
              (unsigned long long)total.produced, (unsigned long long)total.alerts,
              (unsigned long long)total.batches_committed, (unsigned long long)total.batches_retried,
              (unsigned long long)total.messages_reread);
  return done >= messages ? 0 : 1;
}
