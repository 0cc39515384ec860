// Daemon: `triage serve`. Opens the store, loads the rule pack, listens, and
// runs the I/O threads until it is told to stop.
//
// Signals: SIGHUP reloads the rule pack, routes and model atomically, for the
// HTTP API and the Kafka bridge alike (a pack that
// fails to compile is logged and the old one keeps serving), the config
// file's security settings and its outbound sinks (Outbound::Apply: added,
// removed and changed sinks take effect at once), and asks a store
// that is read-only after a write failure to recover now; SIGTERM and
// SIGINT drain: stop accepting, answer in-flight requests (with
// "Connection: close"), wait for open connections up to
// drain_timeout_seconds, then close the store (which writes out every pending
// operation and closes RocksDB cleanly).
#ifndef TRIAGE_RUNTIME_SERVER_DAEMON_H_
#define TRIAGE_RUNTIME_SERVER_DAEMON_H_

#include <cstdio>
#include <functional>
#include <memory>

#include "runtime/server/server_config.h"
#include "base/status.h"

namespace triage {

class Daemon {
 public:
  ~Daemon();
  // Opens everything and binds the port; nothing runs until Run().
  static Status Create(const ServerConfig& config, FILE* log, std::unique_ptr<Daemon>* out);
  // Runs until Stop() or a termination signal, then drains. Returns the exit status.
  int Run(bool handle_signals = true);
  // Thread-safe: begin draining and return from Run().
  void Stop();
  // Thread-safe: reload the rule pack now, on the calling thread.
  Status Reload();
  // Thread-safe: what SIGHUP does: ask the daemon's own reload thread to
  // reload (the thread is joined when Run() returns). Needs Run().
  void RequestReload();
  uint16_t port() const;
  // Appends what `render` writes (Prometheus text) to GET /metrics. Call
  // before Run(); `render` runs on the server's threads.
  void AddMetricsSource(std::function<void(std::string*)> render);
  // Adds a condition to GET /readyz: `check` returns "" when ready, else why
  // not (shown in the 503 body). Call before Run(); runs on the server's
  // threads, so it must be cheap and thread-safe.
  void AddReadinessCheck(std::function<std::string()> check);
  // Runs the Kafka bridge (the config's kafka: section) beside the HTTP API
  // on the daemon's own engine: one pipeline, which SIGHUP reloads for both;
  // one crisis detector, so a burst is counted once whichever way its
  // messages arrive, and its alerts are stored (GET /v1/alerts, the comms
  // queue) and produced to <prefix>.alerts whichever way they opened; one
  // thread context; one store: each batch's messages are stored through the
  // same ingest as POST /v1/messages (queues, outbound sinks, dedupe by id)
  // before the batch is committed, and a batch the store refuses is read
  // again. Its metrics join GET /metrics and its broker check
  // /readyz. The bridge consumes on its own thread from Run() until the
  // drain, then finishes its batch, commits and leaves the group before the
  // store closes. Call before Run().
  Status EnableKafka();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_DAEMON_H_
