// triage serve: reads the config, applies the flags, runs the daemon.
#include <atomic>
#include <thread>

#include "cli/commands.h"
#include "runtime/kafka/kafka_bridge.h"
#include "runtime/server/daemon.h"
#include "runtime/server/server_config.h"

namespace triage {

int RunServe(const ServeOptions& opts) {
  ServerConfig config;
  if (!opts.config.empty()) {
    if (Status s = ServerConfig::LoadFile(opts.config, &config); !s.ok()) {
      std::fprintf(opts.err, "%s\n", s.message().c_str());
      return kExitError;
    }
  }
  if (!opts.listen.empty()) {
    if (Status s = config.SetListen(opts.listen); !s.ok()) {
      std::fprintf(opts.err, "triage serve: --%s\n", s.message().c_str());
      return kExitUsage;
    }
  }
  if (!opts.data.empty()) config.data_dir = opts.data;
  if (!opts.rules.empty()) config.rules = opts.rules;
  if (!opts.model.empty()) config.model = opts.model;
  std::unique_ptr<Daemon> daemon;
  if (Status s = Daemon::Create(config, opts.err, &daemon); !s.ok()) {
    std::fprintf(opts.err, "triage serve: %s\n", s.message().c_str());
    return kExitError;
  }
  if (!opts.kafka) return daemon->Run();

  // --kafka: the bridge consumes and routes on its own thread while the
  // HTTP server keeps serving health, metrics and the API; a signal drains
  // both (the bridge finishes its batch, commits, and leaves the group).
  if (config.kafka.brokers.empty()) {
    std::fprintf(opts.err, "triage serve --kafka: the config has no kafka.brokers\n");
    return kExitUsage;
  }
  std::unique_ptr<Pipeline> pipeline;
  std::string rules = config.rules.empty() ? Pipeline::DefaultRulesPath() : config.rules;
  if (Status s = Pipeline::Load(rules, PatternDatabaseOptions{}, &pipeline); !s.ok()) {
    std::fprintf(opts.err, "triage serve: %s\n", s.message().c_str());
    return kExitError;
  }
  std::unique_ptr<KafkaBridge> bridge;
  if (Status s = KafkaBridge::Create(config.kafka, pipeline.get(), &bridge); !s.ok()) {
    std::fprintf(opts.err, "triage serve: %s\n", s.message().c_str());
    return kExitError;
  }
  std::fprintf(opts.err, "triage serve: kafka: group '%s' on %s, outputs under '%s.'\n", config.kafka.group.c_str(),
               config.kafka.brokers.c_str(), config.kafka.prefix.c_str());
  daemon->AddMetricsSource([b = bridge.get()](std::string* out) { AppendKafkaMetrics(b->stats(), out); });
  daemon->AddReadinessCheck([b = bridge.get()] {
    std::string why;
    return b->Ready(&why) ? std::string() : why;
  });
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    while (!stop) {
      Status s = bridge->RunOnce();
      if (!s.ok()) std::fprintf(opts.err, "triage serve: %s\n", s.message().c_str());
    }
  });
  int rc = daemon->Run();
  stop = true;
  consumer.join();
  bridge->Close();
  const KafkaStats k = bridge->stats();
  std::fprintf(opts.err,
               "triage serve: kafka: %llu consumed, %llu decided, %llu events, %llu dead-lettered, %llu outputs "
               "acknowledged, %llu batches committed, %llu re-read\n",
               static_cast<unsigned long long>(k.consumed), static_cast<unsigned long long>(k.decided),
               static_cast<unsigned long long>(k.events), static_cast<unsigned long long>(k.dead_lettered),
               static_cast<unsigned long long>(k.produced), static_cast<unsigned long long>(k.batches_committed),
               static_cast<unsigned long long>(k.batches_retried));
  return rc;
}

}  // namespace triage
