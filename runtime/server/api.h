// Api: the HTTP API of `triage serve`, independent of the transport. The
// HTTP server hands each request here; Handle() answers through `respond`
// exactly once, possibly from the store's writer thread (after the write is
// durable), so `respond` must only hand the response back to its connection.
//
//   POST /v1/messages                   one message or an NDJSON batch -> 202 + decisions
//   GET  /v1/queues                     name, depth, claimed, oldest age, SLA target
//   GET  /v1/queues/{q}/messages?limit=N
//   POST /v1/queues/{q}/claim           {"agent", "lease_seconds", "max"}
//   POST /v1/messages/{id}/events       {"type", "agent", "at" | "at_ms", "to_queue", "note"}
//   GET  /v1/messages/{id}
//   POST /v1/agents/{agent}/heartbeat   {"queues": [...]}: online for push queues
//   GET  /v1/agents, GET /v1/agents/{agent}/messages
//   GET  /v1/alerts?state=open|closed|all&limit=N   crisis alerts, newest first
//   GET  /v1/metrics/summary?from=&to=   response metrics (README "Response metrics")
//   GET  /v1/maturity?from=&to=&format=json|html   the Social Maturity Index
//   GET|POST /webhooks/{meta,x,slack,telegram,mastodon,reddit,archive}
//                                       platform handshakes, signature checks, normalized ingest
//   GET  /healthz, /readyz, /metrics
//   POST /v1/admin/reload               rules, tokens and certificate, as SIGHUP does
//   POST /v1/admin/backup               a checked backup of the store into backup_dir
//   DELETE /v1/authors/{channel}/{author_id}   erasure of an author (engine/store/erasure.h)
//   GET  /v1/whoami                     the calling token's name and scopes
//   GET  /v1/search?queue=&label=&...   stored messages by filter, bounded pages with a cursor
//   POST /v1/explain                    {"text", "lang", "channel", "kind"}: how the rules decide it
//   GET  /v1/arrivals?minutes=N         messages stored per minute by label and channel
//   GET  /console, /console/{asset}     the operator console (console.h)
//   GET  /v1/outbound/{sink}/dead-letters?limit=N   deliveries a sink gave up on (outbound_api.cc)
//   POST /v1/outbound/{sink}/dead-letters/{n}/retry back into the sink's outbox
//
// Who may call what: auth.h (bearer tokens with scopes); every agent or
// admin action and every refused token is a line in the audit log.
//
// Every error is a 4xx/5xx with a JSON body {"error": ..., "field"|"line": ...}.
// The full contract is openapi.yaml at the top of the repository.
#ifndef TRIAGE_RUNTIME_SERVER_API_H_
#define TRIAGE_RUNTIME_SERVER_API_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/inbound_decoder.h"
#include "engine/processor.h"
#include "engine/store/queue_store.h"
#include "runtime/outbound/delivery.h"
#include "runtime/server/audit_log.h"
#include "runtime/server/auth.h"
#include "runtime/server/live_detector.h"
#include "runtime/server/metrics.h"
#include "runtime/server/pipeline_holder.h"
#include "runtime/server/routes.h"
#include "runtime/server/server_config.h"
#include "runtime/server/store_thread_context.h"

namespace triage {

struct ApiResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  int retry_after_seconds = 0;  // > 0: send Retry-After
  std::string www_authenticate; // 401: the WWW-Authenticate challenge
  // Further headers (the console's Content-Security-Policy, ETag, ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

class Api {
 public:
  using Respond = std::function<void(ApiResponse)>;
  // Request headers by lower-case name ("" when absent); valid during Handle().
  using Headers = std::function<std::string(std::string_view)>;

  // `detector` may be null: no crisis detection.
  Api(const ServerConfig& config, QueueStore* store, PipelineHolder* pipelines, ServerMetrics* metrics,
      LiveDetector* detector = nullptr)
      : config_(config), store_(store), pipelines_(pipelines), metrics_(metrics), detector_(detector) {}

  // `remote`: the client's address, for the audit log.
  void Handle(std::string_view method, std::string_view target, const Headers& headers, std::string body,
              Respond respond, std::string_view remote = {});
  // The tokens requests are checked against (none: the API is open). Safe to
  // call while serving: a reload swaps the table.
  void set_tokens(std::shared_ptr<const TokenTable> tokens);
  std::shared_ptr<const TokenTable> tokens() const;
  // Where agent and admin actions are recorded (null: nowhere).
  void set_audit_log(AuditLog* audit) { audit_ = audit; }
  // What POST /v1/admin/reload does: reloads, then calls `done` with the
  // outcome (possibly on another thread).
  using ReloadHook = std::function<void(std::function<void(Status)> done)>;
  void set_reload_hook(ReloadHook hook) { reload_ = std::move(hook); }
  // What POST /v1/admin/backup does (backup_job.h): a backup into the
  // config's backup_dir, then `done` with the outcome on another thread
  // (Busy: one is already running).
  using BackupHook = std::function<void(std::function<void(Status, BackupSummary)> done)>;
  void set_backup_hook(BackupHook hook) { backup_ = std::move(hook); }
  // Where reports (/v1/metrics/summary, /v1/maturity) are computed: the
  // hook runs the job on another thread (report_pool.h) and returns false
  // when it cannot take it (the request is answered 503). Unset: on the
  // calling thread.
  using ReportRunner = std::function<bool(std::function<void(bool refused)> job)>;
  void set_report_runner(ReportRunner runner) { report_runner_ = std::move(runner); }
  // The outbound deliveries whose dead letters the API shows (null: none).
  void set_outbound(Outbound* outbound) { outbound_ = outbound; }
  // Clock for Slack's replay window (seconds since the epoch); tests inject one.
  void set_clock(std::function<int64_t()> now_seconds) { now_seconds_ = std::move(now_seconds); }

  // Closes crisis alerts during silence and stores what changed (a timer
  // calls it every few seconds).
  void TickDetector();
  // Stores the alert records and alert queue items of messages decided
  // elsewhere on the shared detector (the Kafka bridge, after each batch).
  void StoreDetectorEffects();
  // Stores messages decided elsewhere on the daemon's engine (the Kafka
  // bridge of serve --kafka, one call per batch) through the same write as
  // POST /v1/messages: one atomic store batch with the detector's alert
  // effects, the queues, the author index, the outbound sinks' outbox
  // entries, and an id stored already answered as a duplicate. Blocks until
  // the write is durable (or failed: the alert effects are handed back to
  // the detector for the next write). *duplicates: ids stored already.
  Status StoreDecided(std::vector<IngestItem> items, const std::vector<Label>& labels, uint64_t* duplicates);
  // The thread context the daemon decides with (shared with the Kafka bridge).
  ThreadContextSource* thread_context() { return &threads_; }
  // Replays the messages stored in the last `window_ms` through the crisis
  // detector (after a restart, before serving). Returns how many.
  size_t WarmDetector(int64_t window_ms);
  // The same for the messages stored with arrival sequence number >=
  // first_seq (those after a restored checkpoint); nothing is read when
  // there are none.
  size_t WarmDetectorFrom(uint64_t first_seq);

  void set_draining(bool d) { draining_ = d; }
  bool draining() const { return draining_; }

  // A JSON error body: {"error": message} plus {"field": f} or {"line": n}.
  static ApiResponse Error(unsigned status, std::string_view message, std::string_view field = {}, int64_t line = 0);

 private:
  // Ingest (ingest.cc): every message, from POST /v1/messages or a webhook,
  // goes through BeginIngest -> AddToIngest (decided by the calling thread's
  // Processor) -> CommitIngest (one atomic store batch, answered once durable).
  struct PendingIngest {
    std::shared_ptr<const Pipeline> pipeline;
    Processor* processor = nullptr;
    InboundDecoder* decoder = nullptr;  // the calling thread's
    DecodedPayload* decoded = nullptr;  // its scratch payload
    std::vector<IngestItem> items;
    std::vector<std::string> decisions;
    std::vector<Label> labels;
    std::vector<std::string> channels;  // for the arrivals counter
  };
  Status BeginIngest(PendingIngest* batch);
  // InvalidArgument: the message is refused (the request is a 400); any
  // other error: it could not be classified (a 500).
  Status AddToIngest(Message* msg, std::string_view line, PendingIngest* batch);
  void CommitIngest(PendingIngest batch, Respond respond);
  // Warm-up: decides stored lines again for the detector, stores its effects.
  size_t ReplayIntoDetector(const std::vector<std::string>& lines);
  void Ingest(std::string body, Respond respond);
  void Webhook(std::string_view method, const std::string& platform, std::string_view query, const Headers& headers,
               std::string body, Respond respond);
  void ListQueues(Respond respond);
  void Peek(const std::string& queue, std::string_view query, Respond respond);
  void Claim(const std::string& queue, std::string body, Respond respond);
  void AddEvent(const std::string& id, std::string body, Respond respond);
  void GetMessage(const std::string& id, Respond respond);
  void Metrics(Respond respond);
  void Heartbeat(const std::string& agent, std::string body, Respond respond);
  void ListAgents(Respond respond);
  void AgentMessages(const std::string& agent, Respond respond);
  void ListAlerts(std::string_view query, Respond respond);
  void Report(bool maturity, std::string_view query, Respond respond);
  ApiResponse Readiness() const;
  // The console and its endpoints (console_api.cc).
  void Whoami(const Principal& who, Respond respond);
  void Search(std::string_view query, Respond respond);
  void Explain(std::string body, Respond respond);
  void Arrivals(std::string_view query, Respond respond);
  int64_t NowMs() const;
  bool KnownQueue(const std::string& q) const;
  std::vector<std::string> KnownQueues() const;
  const QueueConfig* QueueSettings(const std::string& q) const;

 public:
  // See Daemon::AddReadinessCheck.
  void AddReadinessCheck(std::function<std::string()> check) { readiness_.push_back(std::move(check)); }

 private:
  std::vector<std::function<std::string()>> readiness_;

  // Authentication and audit (router.cc).
  ApiResponse Refuse(AuthFailure why, const Principal& who, ApiRoute route, const std::string& target,
                     std::string_view remote, const std::string& agent);
  void Reload(Respond respond);
  void Backup(Respond respond);
  void EraseAuthor(const std::string& channel, const std::string& author_id, Respond respond);
  void DeadLetters(const std::string& sink, std::string_view query, Respond respond);
  void RetryDeadLetter(const std::string& sink, const std::string& id, Respond respond);
  Outbound* outbound_ = nullptr;
  mutable std::mutex tokens_mu_;
  std::shared_ptr<const TokenTable> tokens_ = std::make_shared<TokenTable>();
  AuditLog* audit_ = nullptr;
  ReloadHook reload_;
  BackupHook backup_;
  ReportRunner report_runner_;

  const ServerConfig& config_;
  QueueStore* store_;
  PipelineHolder* pipelines_;
  ServerMetrics* metrics_;
  LiveDetector* detector_;
  std::atomic<bool> draining_{false};
  StoreThreadContext threads_{store_};
  std::function<int64_t()> now_seconds_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_API_H_
