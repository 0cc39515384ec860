// Outbound: the delivery workers that empty the store's outbox (outbox.h)
// into the configured sinks (sink.h), and the router that decides, when the
// store writes a message or an alert, which sinks are owed it.
//
// Per sink, `concurrency` threads of its own share one in-memory window of
// the sink's oldest outbox entries (at most kWindow, read from RocksDB in
// seq order; the rest waits on disk, so a sink that is down for a day grows
// its outbox on disk, not in memory). A thread takes the first entry of the
// window that is not in flight, not waiting out a backoff, and not behind
// an earlier entry of the same conversation still in the window: so the
// deliveries of one conversation reach a sink in order, one at a time, while
// other conversations go on beside them.
//
//  - Delivered: the entry is removed with a write through the store's
//    writer, and leaves the window (unblocking its conversation) only once
//    that write is durable. A crash before then delivers it again after the
//    restart: at least once, never lost.
//  - Failed, may pass (sink.h): retried after an exponential backoff with
//    full jitter (backoff_initial_ms doubling up to backoff_max_ms), or after
//    the receiver's Retry-After when it gave one.
//  - Failed max_attempts times, or for good (a 4xx): moved to the sink's
//    dead letters (a durable write), listed and retried through the API.
//
// Attempt counts live in memory: a restart gives every entry a fresh
// count. Sinks never share a thread or a lock, so a dead sink holds up
// nothing but its own entries, and ingest never waits on any of it.
//
// A reload changes the set of sinks while they run (Apply): a sink that is
// removed or changed stops taking deliveries, finishes the ones in flight
// (and the writes that remove them from its outbox), and only then does a
// changed sink start again with its new settings, from what its outbox
// holds: nothing is delivered twice by the change and a conversation keeps
// its order. A removed sink's waiting entries and dead letters stay in the
// store under its name; a sink added back under that name delivers them.
//
// Thread safety: every public method may be called from any thread. A
// sink's window and counters are guarded by its mutex; the set of sinks by
// the object's; the store calls the router on its writer thread (Route
// under the store's mutex, which never waits on a sink's; Written after,
// which takes each sink's mutex briefly). No sink mutex is held while
// calling into the store or the network.
#ifndef TRIAGE_RUNTIME_OUTBOUND_DELIVERY_H_
#define TRIAGE_RUNTIME_OUTBOUND_DELIVERY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/store/queue_store.h"
#include "runtime/outbound/outbound_config.h"
#include "runtime/outbound/sink.h"

namespace triage {

class Outbound {
 public:
  static constexpr size_t kWindow = 256;
  using Log = std::function<void(const std::string&)>;

  // `store` must outlive this object's Stop().
  Outbound(QueueStore* store, Log log);
  ~Outbound();  // Stop()s
  Outbound(const Outbound&) = delete;
  Outbound& operator=(const Outbound&) = delete;

  // A sink of every configured type (MakeSink).
  static Status Create(const std::vector<SinkConfig>& configs, QueueStore* store, Log log,
                       std::unique_ptr<Outbound>* out);
  // Adds a sink (before Start).
  void Add(const SinkConfig& config, std::unique_ptr<Sink> sink);
  // Routes the store's writes to the sinks and starts delivering, beginning
  // with whatever an earlier run left in the outbox.
  void Start();
  // Stops taking new deliveries and joins the threads (a delivery in flight
  // finishes first, bounded by the sink's timeouts). Entries not delivered
  // stay in the outbox for the next start. Idempotent.
  void Stop();
  // Makes the running sinks those of `configs` (a reload of `outbound:`,
  // already checked by ReadOutboundConfig): new sinks start, removed ones
  // stop, changed ones restart with their new settings (see the top of
  // the file); from the store's next write on, messages and alerts are owed
  // to the new set. Returns once the stopped sinks' deliveries in flight are
  // done (bounded by their timeouts). *summary says what changed ("" when
  // nothing did). A sink that cannot be made is an error naming it, and
  // nothing changes. After Start(), before Stop().
  Status Apply(const std::vector<SinkConfig>& configs, std::string* summary);

  bool HasSink(const std::string& name) const;
  // GET /v1/outbound/{sink}/dead-letters: {"sink", "dead_letters": [...]}.
  // NotFound for a sink that is not configured.
  Status DeadLettersJson(const std::string& sink, size_t limit, std::string* json) const;
  // POST /v1/outbound/{sink}/dead-letters/{id}/retry: back into the outbox.
  // `done` runs on the store's writer thread (or at once for an unknown sink).
  void Retry(const std::string& sink, uint64_t id, std::function<void(Status)> done);
  // Prometheus text: deliveries by sink and result, outbox depth, oldest
  // age and dead letters per sink.
  void AppendMetrics(std::string* out) const;

  struct SinkState;  // delivery.cc

 private:
  class Router;
  void Work(std::shared_ptr<SinkState> s);

  // Stops `s`'s threads (taken out of threads_) and waits for the removal
  // writes of what they delivered. Holds control_mu_.
  void StopSink(const std::shared_ptr<SinkState>& s);
  void StartSink(const std::shared_ptr<SinkState>& s);  // holds control_mu_
  std::vector<std::shared_ptr<SinkState>> Sinks() const;
  std::shared_ptr<SinkState> FindSink(const std::string& name) const;

  QueueStore* const store_;
  const Log log_;
  // Start, Stop and Apply, one at a time; they alone touch threads_ and started_.
  std::mutex control_mu_;
  std::vector<std::pair<std::shared_ptr<SinkState>, std::thread>> threads_;
  bool started_ = false;
  mutable std::mutex mu_;  // guards sinks_ (read by the API's threads)
  std::vector<std::shared_ptr<SinkState>> sinks_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_OUTBOUND_DELIVERY_H_
