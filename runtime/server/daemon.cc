#include "runtime/server/daemon.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "runtime/kafka/kafka_bridge.h"
#include "runtime/outbound/delivery.h"
#include "runtime/server/api.h"
#include "runtime/server/backup_job.h"
#include "runtime/server/report_pool.h"
#include "runtime/server/retention_job.h"
#include "engine/metrics/metrics_aggregator.h"
#include "runtime/server/detector_checkpoints.h"
#include "runtime/server/http_server.h"
#include "runtime/server/pipeline_holder.h"
#include "engine/store/queue_store.h"
#include "runtime/server/request.h"
#include "runtime/server/tls_context.h"

namespace triage {

namespace asio = boost::asio;

struct Daemon::Impl {
  ServerConfig config;
  FILE* log = stderr;
  // Before io: handlers still queued when io is destroyed (an answer posted
  // after the drain, by the store's writer or a backup) hold connections,
  // whose destructors count themselves out of the metrics.
  ServerMetrics metrics;
  asio::io_context io;
  std::unique_ptr<QueueStore> store;
  // After the store: destroyed (stopped) before it closes.
  std::unique_ptr<Outbound> outbound;
  std::unique_ptr<PipelineHolder> pipelines;
  SentimentLexicon lexicon;
  std::unique_ptr<LiveDetector> detector;
  std::unique_ptr<Api> api;
  std::unique_ptr<asio::steady_timer> detector_timer;
  std::unique_ptr<HttpServer> server;
  std::atomic<bool> stopping{false};
  std::unique_ptr<KafkaBridge> kafka;
  std::thread kafka_consumer;
  std::atomic<bool> kafka_stop{false};
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<BackupJob> backup;  // null without backup_dir
  // Reports run here, not on the I/O threads (report_pool.h): one thread,
  // so concurrent reports queue rather than take both cores from ingest.
  std::unique_ptr<ReportPool> reports;
  std::unique_ptr<RetentionJob> retention;  // sweeps the queues with retention_days
  std::unique_ptr<DetectorCheckpoints> checkpoints;

  // Before serving (see README: restart).
  void WarmDetector() {
    Api* a = api.get();
    Log(checkpoints->WarmAtStart(
        *pipelines->Current(), [a](uint64_t position) { return a->WarmDetectorFrom(position); },
        [a](int64_t window_ms) { return a->WarmDetector(window_ms); }));
  }

  void StartKafka() {
    if (!kafka) return;
    kafka_consumer = std::thread([this] {
      while (!kafka_stop) {
        Status s = kafka->RunOnce();
        // Alerts its messages opened or changed and did not take with them
        // (KafkaEngine::store writes a batch's effects with its messages):
        // stored like the API's.
        api->StoreDetectorEffects();
        if (s.ok()) continue;
        Log(s.message());
        // A batch given up (brokers or store failing) is read again at
        // once; a store that is read-only or full would answer the same:
        // wait a moment rather than spin on it (a stop cuts the wait short).
        for (int i = 0; i < 10 && !kafka_stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  void StopKafka() {
    if (!kafka || kafka_stop.exchange(true)) return;
    if (kafka_consumer.joinable()) kafka_consumer.join();
    kafka->Close();
    const KafkaStats k = kafka->stats();
    Log("kafka: " + std::to_string(k.consumed) + " consumed, " + std::to_string(k.decided) + " decided, " +
        std::to_string(k.events) + " events, " + std::to_string(k.dead_lettered) + " dead-lettered, " +
        std::to_string(k.produced) + " outputs acknowledged, " + std::to_string(k.batches_committed) +
        " batches committed, " + std::to_string(k.batches_retried) + " re-read");
  }

  void Log(const std::string& msg) {
    std::fprintf(log, "triage serve: %s\n", msg.c_str());
    std::fflush(log);
  }

  // Reloads the rule pack, then the security part of the config file (API
  // tokens, the TLS certificate, the audit log's file). Each part that fails
  // keeps its previous version serving; the result names every failure.
  Status Reload() {
    std::string failed;
    // A store read-only after a write failure tries to recover now (the
    // operator freed space and says so with SIGHUP) rather than at its next
    // interval.
    if (store && !store->healthy()) {
      Log("store is read-only; trying to recover now");
      store->RequestRecovery();
    }
    Status s = pipelines->Reload();
    if (s.ok()) {
      metrics.reloads_ok.fetch_add(1);
      Log("rules reloaded from " + pipelines->rules_path() + " (generation " +
          std::to_string(pipelines->generation()) + ")");
    } else {
      metrics.reloads_failed.fetch_add(1);
      Log("rules reload rejected, the previous pack keeps serving:\n" + s.message());
      failed = s.message();
    }
    if (Status sec = ReloadSecurity(); !sec.ok()) {
      Log(sec.message());
      failed += (failed.empty() ? "" : "\n") + sec.message();
    }
    if (Status ob = ReloadOutbound(); !ob.ok()) {
      Log(ob.message());
      failed += (failed.empty() ? "" : "\n") + ob.message();
    }
    return failed.empty() ? Status::OK() : Status::InvalidArgument(failed);
  }

  Status ReloadSecurity() {
    if (config.config_path.empty()) return Status::OK();
    SecurityConfig sec;
    if (Status s = LoadSecurityConfig(config.config_path, &sec); !s.ok())
      return Status::InvalidArgument("security settings not reloaded, the previous ones stay:\n" + s.message());
    if (sec.tls.enabled() != config.security.tls.enabled())
      return Status::InvalidArgument("tls: switching TLS on or off needs a restart; nothing reloaded");
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (sec.tls.enabled()) {
      if (Status s = MakeTlsContext(sec.tls, &tls); !s.ok())
        return Status::InvalidArgument("certificate not reloaded, the previous one stays: " + s.message());
    }
    if (tls) server->SetTlsContext(std::move(tls));
    api->set_tokens(std::make_shared<TokenTable>(sec.tokens));
    if (Status s = audit->Open(); !s.ok()) Log(s.message());
    Log("security settings reloaded: " + std::to_string(sec.tokens.size()) + " API tokens" +
        (sec.tls.enabled() ? ", certificate " + sec.tls.cert : ""));
    config.security = std::move(sec);
    return Status::OK();
  }

  // Applies the config file's `outbound:` to the running sinks (added,
  // removed and changed sinks: Outbound::Apply). A section with a mistake
  // changes nothing and says why; the running sinks stay.
  Status ReloadOutbound() {
    if (config.config_path.empty()) return Status::OK();
    YAML::Node root;
    std::vector<SinkConfig> sinks;
    Status s = LoadConfigYaml(config.config_path, &root);
    if (s.ok()) s = ReadOutboundConfig(root, config.config_path, &sinks);
    if (!s.ok()) return Status::InvalidArgument("outbound settings are invalid (the running sinks stay):\n" + s.message());
    if (sinks == config.outbound) return Status::OK();
    std::string summary;
    if (Status a = outbound->Apply(sinks, &summary); !a.ok())
      return Status::InvalidArgument("outbound settings not applied (the running sinks stay): " + a.message());
    for (const SinkConfig& c : sinks)
      if (!c.tls_verify && c.url.rfind("https://", 0) == 0 &&
          std::find(config.outbound.begin(), config.outbound.end(), c) == config.outbound.end())
        Log("outbound " + c.name + ": tls_verify is false: the receiver's certificate is not checked");
    Log("outbound reloaded: " + (summary.empty() ? std::string("no sink changed") : summary) + "; " +
        std::to_string(sinks.size()) + " sinks");
    config.outbound = std::move(sinks);
    return Status::OK();
  }

  void BeginDrain() {
    if (stopping.exchange(true)) return;
    Log("draining: no new connections; finishing in-flight requests");
    api->set_draining(true);
    server->StopAccepting();
    drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config.drain_timeout_seconds);
    drain_timer = std::make_unique<asio::steady_timer>(io);
    if (detector_timer) detector_timer->cancel();
    PollDrain();
  }

  // Checks every 20 ms whether the open connections have finished.
  void PollDrain() {
    if (server->open_sessions() == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
      if (server->open_sessions() > 0)
        Log(std::to_string(server->open_sessions()) + " connections still open at the drain deadline; closing");
      io.stop();
      return;
    }
    drain_timer->expires_after(std::chrono::milliseconds(20));
    drain_timer->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) PollDrain();
    });
  }

  // Every 10 s: close crisis alerts whose storm ended in silence.
  void TickDetector() {
    detector_timer->expires_after(std::chrono::seconds(10));
    detector_timer->async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      api->TickDetector();
      TickDetector();
    });
  }

  // SIGHUP compiles the new pack on this thread, off the I/O threads. It is
  // owned (joined when the daemon stops), never detached: a reload can not
  // outlive the daemon. Requests that arrive during a reload fold into one
  // more reload after it.
  void StartReloader() {
    reloader = std::thread([this] {
      std::unique_lock<std::mutex> l(reload_mu);
      for (;;) {
        reload_cv.wait(l, [this] { return reload_requested || reload_stop; });
        if (reload_stop) return;
        reload_requested = false;
        std::vector<std::function<void(Status)>> waiting;
        waiting.swap(reload_waiting);
        l.unlock();
        Status s = Reload();  // it logs its outcome; what failed keeps its old version serving
        for (auto& done : waiting) done(s);
        l.lock();
      }
    });
  }
  // `done` (optional) is called with the outcome on the reload thread.
  void RequestReload(std::function<void(Status)> done = {}) {
    std::lock_guard<std::mutex> l(reload_mu);
    if (reload_stop) {
      if (done) done(Status::Busy("the daemon is stopping"));
      return;
    }
    if (done) reload_waiting.push_back(std::move(done));
    reload_requested = true;
    reload_cv.notify_one();
  }
  void StopReloader() {
    {
      std::lock_guard<std::mutex> l(reload_mu);
      reload_stop = true;
      reload_cv.notify_one();
    }
    if (reloader.joinable()) reloader.join();
    for (auto& done : reload_waiting) done(Status::Busy("the daemon is stopping"));
    reload_waiting.clear();
  }

  std::unique_ptr<asio::steady_timer> drain_timer;
  std::chrono::steady_clock::time_point drain_deadline;
  std::mutex reload_mu;
  std::condition_variable reload_cv;
  bool reload_requested = false, reload_stop = false;
  std::vector<std::function<void(Status)>> reload_waiting;
  std::thread reloader;
};

Daemon::~Daemon() {
  if (!impl_) return;
  if (impl_->backup) impl_->backup->Stop();
  impl_->StopReloader();
  impl_->StopKafka();  // when Run() never ran
}

Status Daemon::Create(const ServerConfig& config, FILE* log, std::unique_ptr<Daemon>* out) {
  std::unique_ptr<Daemon> d(new Daemon());
  d->impl_ = std::make_unique<Impl>();
  Impl& m = *d->impl_;
  m.config = config;
  m.config.webhooks.FromEnvironment();
  m.log = log;
  // Anyone who can reach the port could read and change every message: off
  // loopback, tokens are required unless the operator says otherwise.
  if (config.security.tokens.empty() && !IsLoopbackHost(config.host) && !config.insecure_no_auth)
    return Status::InvalidArgument(
        "listen: " + config.host + " is not a loopback address and no API token is configured, so anyone who can "
        "reach the port could read, claim and change every message. Add tokens under auth: (`triage token new` "
        "prints one), or pass --insecure-no-auth if something in front of the daemon authenticates its clients");
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (config.security.tls.enabled())
    if (Status s = MakeTlsContext(config.security.tls, &tls); !s.ok()) return s;
  m.audit = std::make_unique<AuditLog>(config.security.audit_log, log);
  if (Status s = m.audit->Open(); !s.ok()) return s;
  PatternDatabaseOptions db;
  db.cache_dir = config.cache_dir.empty() ? PatternDatabase::DefaultCacheDir() : config.cache_dir;
  m.pipelines = std::make_unique<PipelineHolder>(config.rules.empty() ? Pipeline::DefaultRulesPath() : config.rules, db,
                                                  config.model);
  if (Status s = m.pipelines->Reload(); !s.ok()) return s;
  QueueStoreOptions so;
  so.sync_writes = config.sync_writes;
  so.keep_edit_history = config.keep_edit_history;
  so.max_pending_ops = config.max_pending_writes;
  so.agent_ttl_ms = config.agent_ttl_seconds * 1000;
  so.log = [&m](const std::string& line) { m.Log(line); };
  so.test_env = config.test_store_env;
  for (const QueueConfig& q : config.queues) {
    if (q.assignment == "pull") continue;
    so.assignment[q.name] = QueueAssignment{
        q.assignment == "round_robin" ? AssignmentMode::kRoundRobin : AssignmentMode::kCapacity,
        static_cast<size_t>(q.max_open_per_agent)};
  }
  // The report aggregates are kept for the queues' SLA targets and hours.
  so.aggregator = std::make_shared<MetricsAggregator>(config.MetricsOptionsFor(0).queues);
  if (Status s = QueueStore::Open(config.data_dir, so, &m.store); !s.ok()) return s;
  // Delivery starts before anything is ingested, with what an earlier run
  // left in the outbox. It runs (with no sink) even when outbound: is empty,
  // so that a reload can add sinks.
  {
    Impl* logger = &m;
    if (Status s = Outbound::Create(config.outbound, m.store.get(), [logger](const std::string& msg) { logger->Log(msg); },
                                    &m.outbound);
        !s.ok())
      return s;
    m.outbound->Start();
    Outbound* ob = m.outbound.get();
    m.metrics.sources.push_back([ob](std::string* out) { ob->AppendMetrics(out); });
    if (!config.outbound.empty()) m.Log("outbound: " + std::to_string(config.outbound.size()) + " sinks");
  }
  // A lexicon the config names must load; the default one may be missing
  // (the daemon then runs without the tone escalation, and says so).
  const std::string lexicon =
      config.lexicon.empty() ? SentimentLexicon::PathFor(m.pipelines->rules_path()) : config.lexicon;
  Status ls = SentimentLexicon::Load(lexicon, &m.lexicon);
  if (!ls.ok() && !config.lexicon.empty()) return Status::InvalidArgument("lexicon: " + ls.message());
  if (!ls.ok()) m.Log("reach-and-tone escalation off: " + ls.message());
  else m.Log("tone lexicon: " + lexicon + " (" + std::to_string(m.lexicon.size()) + " words)");
  m.detector = std::make_unique<LiveDetector>(ls.ok() ? &m.lexicon : nullptr);
  m.api = std::make_unique<Api>(m.config, m.store.get(), m.pipelines.get(), &m.metrics, m.detector.get());
  m.api->set_tokens(std::make_shared<TokenTable>(config.security.tokens));
  m.api->set_audit_log(m.audit.get());
  m.api->set_outbound(m.outbound.get());
  Impl* impl = &m;
  m.api->set_reload_hook([impl](std::function<void(Status)> done) { impl->RequestReload(std::move(done)); });
  m.reports = std::make_unique<ReportPool>(1, 64);
  ReportPool* reports = m.reports.get();
  m.api->set_report_runner([reports](std::function<void(bool)> job) { return reports->Post(std::move(job)); });
  RetentionPolicy retention;
  for (const QueueConfig& q : config.queues)
    if (q.retention_days > 0) retention[q.name] = q.retention_days * 86'400'000LL;
  m.retention = std::make_unique<RetentionJob>(m.store.get(), std::move(retention), config.retention_sweep_seconds * 1000,
                                               [impl](const std::string& msg) { impl->Log(msg); });
  RetentionJob* sweeper = m.retention.get();
  m.metrics.sources.push_back([sweeper](std::string* out) { sweeper->AppendMetrics(out); });
  if (!config.backup_dir.empty()) {
    m.backup = std::make_unique<BackupJob>(m.store.get(), config.backup_dir, [impl](const std::string& msg) { impl->Log(msg); });
    BackupJob* job = m.backup.get();
    m.api->set_backup_hook([job](std::function<void(Status, BackupSummary)> done) { job->Start(std::move(done)); });
    m.metrics.sources.push_back([job](std::string* out) { job->AppendMetrics(out); });
  }
  m.checkpoints = std::make_unique<DetectorCheckpoints>(m.detector.get(), m.store.get(), config.data_dir,
                                                        [impl](const std::string& msg) { impl->Log(msg); });
  DetectorCheckpoints* checkpoints = m.checkpoints.get();
  m.metrics.sources.push_back([checkpoints](std::string* out) { checkpoints->AppendMetrics(out); });
  m.WarmDetector();
  m.server = std::make_unique<HttpServer>(m.io, m.config, m.api.get(), &m.metrics);
  m.server->set_log([impl](const std::string& msg) { impl->Log(msg); });
  if (Status s = m.server->Listen(); !s.ok()) return s;
  m.server->SetTlsContext(std::move(tls));
  *out = std::move(d);
  return Status::OK();
}

uint16_t Daemon::port() const { return impl_->server->port(); }

void Daemon::AddMetricsSource(std::function<void(std::string*)> render) {
  impl_->metrics.sources.push_back(std::move(render));
}

void Daemon::AddReadinessCheck(std::function<std::string()> check) { impl_->api->AddReadinessCheck(std::move(check)); }

Status Daemon::EnableKafka() {
  Impl& m = *impl_;
  if (m.config.kafka.brokers.empty()) return Status::InvalidArgument("kafka: brokers: required (the config's kafka: section)");
  KafkaEngine engine;
  PipelineHolder* pipelines = m.pipelines.get();
  LiveDetector* detector = m.detector.get();
  engine.pipeline = [pipelines](uint64_t* generation) { return pipelines->Current(generation); };
  engine.detector = [detector](uint64_t generation) -> std::unique_ptr<DetectStage> {
    return std::make_unique<LiveDetectStage>(detector, generation, [] { return WallMs(); });
  };
  engine.threads = m.api->thread_context();
  // Each batch's messages are stored through the daemon's ingest before the
  // batch is committed: they reach the queues and the outbound sinks as if
  // posted to POST /v1/messages (kafka_bridge.h).
  Api* api = m.api.get();
  engine.store = [api](KafkaDecided decided, uint64_t* duplicates) {
    return api->StoreDecided(std::move(decided.items), decided.labels, duplicates);
  };
  if (Status s = KafkaBridge::Create(m.config.kafka, std::move(engine), &m.kafka); !s.ok()) return s;
  KafkaBridge* bridge = m.kafka.get();
  detector->set_alert_listener(
      [bridge](const std::string& topic, const std::string& line) { bridge->PublishAlert(topic, line); });
  AddMetricsSource([bridge](std::string* out) { AppendKafkaMetrics(bridge->stats(), out); });
  AddReadinessCheck([bridge] {
    std::string why;
    return bridge->Ready(&why) ? std::string() : why;
  });
  m.Log("kafka: group '" + m.config.kafka.group + "' on " + m.config.kafka.brokers + ", outputs under '" +
        m.config.kafka.prefix + ".'");
  return Status::OK();
}

Status Daemon::Reload() { return impl_->Reload(); }

void Daemon::RequestReload() { impl_->RequestReload(); }

void Daemon::Stop() {
  asio::post(impl_->io, [this] { impl_->BeginDrain(); });
}

int Daemon::Run(bool handle_signals) {
  Impl& m = *impl_;
  std::unique_ptr<asio::signal_set> signals;
  std::function<void()> wait_signals;
  if (handle_signals) {
    signals = std::make_unique<asio::signal_set>(m.io, SIGHUP, SIGTERM, SIGINT);
    wait_signals = [&] {
      signals->async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          // Compile off the I/O threads; the swap itself is atomic.
          AuditEntry e;
          e.at_ms = WallMs();
          e.who = "SIGHUP";
          e.action = "reload";
          m.audit->Record(e);
          m.RequestReload();
          wait_signals();
        } else {
          m.BeginDrain();
        }
      });
    };
    wait_signals();
  }
  m.StartReloader();
  m.StartKafka();
  m.server->StartAccepting();
  m.detector_timer = std::make_unique<asio::steady_timer>(m.io);
  m.TickDetector();
  m.checkpoints->Start(m.config.detector_checkpoint_seconds * 1000);
  const size_t tokens = m.config.security.tokens.size();
  m.Log("listening on " + m.config.host + ":" + std::to_string(m.server->port()) +
        (m.server->tls() ? " (HTTPS)" : " (HTTP)") +
        (tokens ? ", " + std::to_string(tokens) + " API tokens" : ", no API tokens (open to whoever reaches the port)") +
        ", data in " + m.config.data_dir +
        ", rules from " + m.pipelines->rules_path() + (m.config.sync_writes ? ", durable writes" : ", unsynced writes"));
  std::vector<std::thread> threads;
  for (int i = 1; i < m.config.io_threads; ++i) threads.emplace_back([&m] { m.io.run(); });
  m.io.run();
  for (auto& t : threads) t.join();
  m.StopReloader();
  m.StopKafka();  // before the store closes: the bridge reads thread context from it
  if (m.backup) m.backup->Stop();  // a running backup finishes first: it reads the open store
  if (m.reports) m.reports->Stop();  // likewise a running report
  if (m.retention) m.retention->Stop();
  // The last checkpoint, after the last request was decided: the next start
  // restores it and has nothing stored after it to replay.
  m.checkpoints->Stop();
  if (Status s = m.checkpoints->WriteNow(); !s.ok()) m.Log(s.message());
  signals.reset();
  m.detector_timer.reset();
  // Closing the store writes out every pending operation, then closes RocksDB.
  m.server.reset();
  // Deliveries in flight finish; the rest stays in the outbox for the next start.
  if (m.outbound) m.outbound->Stop();
  m.store.reset();
  m.Log("stopped cleanly");
  return 0;
}

}  // namespace triage
