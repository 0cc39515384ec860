// ServerConfig: every option of `triage serve`, its default, and how it is
// read from a YAML file. Command-line flags override the file.
//
// The annotated example with every default is serve.example.yaml at the top
// of the repository.
#ifndef TRIAGE_RUNTIME_SERVER_SERVER_CONFIG_H_
#define TRIAGE_RUNTIME_SERVER_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/metrics/business_hours.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/response_metrics.h"
#include "runtime/kafka/kafka_bridge.h"
#include "runtime/outbound/outbound_config.h"
#include "runtime/server/security_config.h"
#include "base/status.h"

namespace rocksdb {
class Env;
}

namespace triage {

struct QueueConfig {
  std::string name;
  int64_t sla_seconds = 0;  // first-response target; 0: none
  // pull (agents claim), round_robin or capacity (pushed to online agents)
  std::string assignment = "pull";
  int64_t max_open_per_agent = 0;  // push queues: open conversations per agent; 0: no limit
  BusinessHours business_hours;    // when the SLA clock runs ("always" by default)
  // Closed messages older than this are dropped by the retention sweep
  // (engine/store/retention.h); 0: kept for ever.
  int64_t retention_days = 0;
};

// Webhook secrets. Never in the repository: set them in the config file the
// operator keeps, or in the environment (TRIAGE_META_APP_SECRET, ...), which
// overrides the file. An endpoint whose secret is empty answers 401 to
// everything.
struct WebhookSecrets {
  std::string meta_app_secret;       // X-Hub-Signature-256 of Messenger, Instagram, WhatsApp
  std::string meta_verify_token;     // the hub.verify_token of the subscription handshake
  std::string x_consumer_secret;     // CRC and x-twitter-webhooks-signature
  std::string slack_signing_secret;  // X-Slack-Signature
  std::string telegram_secret_token; // X-Telegram-Bot-Api-Secret-Token
  std::string mastodon_secret;       // X-Hub-Signature (sha256) of Mastodon webhooks
  std::string bearer_token;          // Authorization: Bearer, for /webhooks/archive and /webhooks/reddit
  // ?token= of /webhooks/chatwoot (Chatwoot's stable webhooks carry no
  // signature and no custom header: the secret is in the URL you give it).
  std::string chatwoot_token;
  int64_t slack_window_seconds = 300;
  // Fills empty fields from TRIAGE_META_APP_SECRET, TRIAGE_META_VERIFY_TOKEN,
  // TRIAGE_X_CONSUMER_SECRET, TRIAGE_SLACK_SIGNING_SECRET,
  // TRIAGE_TELEGRAM_SECRET_TOKEN, TRIAGE_MASTODON_SECRET, TRIAGE_WEBHOOK_BEARER_TOKEN,
  // TRIAGE_CHATWOOT_TOKEN.
  void FromEnvironment();
};

struct ServerConfig {
  // listen
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  // storage
  std::string data_dir = "triage-data";
  // Tests only, never read from a config file: the RocksDB Env the store is
  // opened with (QueueStoreOptions::test_env), to inject I/O errors.
  rocksdb::Env* test_store_env = nullptr;
  // Where POST /v1/admin/backup writes its numbered backups (store_backup.h);
  // empty: backups through the API are off (409).
  std::string backup_dir;
  bool sync_writes = true;          // fsync the WAL per group commit
  // A platform edit keeps the text it replaced in its `edited` event, for
  // audit (engine/store/erasure.h); off: the old text is gone.
  bool keep_edit_history = false;
  size_t max_pending_writes = 10000;
  // How often the crisis detector's checkpoint is written while it changes
  // (runtime/server/detector_checkpoints.h); 0: only at a clean shutdown.
  int detector_checkpoint_seconds = 60;
  // rules
  std::string rules;                // empty: the bundled pack
  std::string cache_dir;            // empty: the default pattern cache
  std::string model;                // empty: the pack's model; "none": rules only; else a model file
  // The tone lexicon of the reach-and-tone escalation; empty:
  // SentimentLexicon::PathFor(rules). A lexicon named here that cannot be
  // loaded stops the daemon at start-up.
  std::string lexicon;
  // HTTP limits
  int io_threads = 2;
  size_t max_body_bytes = 8 << 20;
  size_t max_batch_messages = 10000;
  int header_timeout_seconds = 10;
  int idle_timeout_seconds = 60;
  size_t max_connections = 1024;
  int drain_timeout_seconds = 10;
  // claims
  int64_t default_lease_seconds = 300;
  int64_t max_lease_seconds = 86400;
  size_t max_claim = 100;
  // push assignment: an agent is online this long after its last heartbeat
  int64_t agent_ttl_seconds = 30;
  // How often the retention sweep runs (queues with retention_days only).
  int64_t retention_sweep_seconds = 3600;
  WebhookSecrets webhooks;
  // queues with their SLA targets; queues that routes name but that are not
  // listed here exist too, without a target.
  std::vector<QueueConfig> queues = {{"support", 3600, "pull", 0, {}},
                                     {"sales", 4 * 3600, "pull", 0, {}},
                                     {"comms", 900, "pull", 0, {}},
                                     {"product", 3 * 86400, "pull", 0, {}},
                                     {"unrouted", 0, "pull", 0, {}}};
  // Weights, targets and declared inputs of the Social Maturity Index.
  MaturityConfig maturity;
  // Kafka ingest (`kafka:`; used by `triage serve --kafka`). brokers empty: off.
  KafkaOptions kafka;
  // API tokens, TLS and the audit log (see security_config.h); SIGHUP
  // re-reads them from config_path.
  SecurityConfig security;
  // Where routed messages and alert changes are delivered (`outbound:`,
  // runtime/outbound/outbound_config.h); empty: nowhere.
  std::vector<SinkConfig> outbound;
  std::string config_path;  // the file LoadFile read ("" when none)
  // Listen on a non-loopback address with no token configured (the operator
  // said so with --insecure-no-auth; otherwise the daemon refuses to start).
  bool insecure_no_auth = false;

  // The SLA target and business hours of each configured queue.
  MetricsOptions MetricsOptionsFor(int64_t now_ms) const;

  // Reads `path` over the defaults. Errors name the file, line and key.
  static Status LoadFile(const std::string& path, ServerConfig* config);
  // "host:port" or ":port".
  Status SetListen(const std::string& listen);
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_SERVER_CONFIG_H_
