// The `outbound:` section of the serve config: where routed messages and
// crisis alerts are delivered (runtime/outbound/delivery.h), one entry per
// sink:
//
//   outbound:
//     - name: ops-hook              # [a-z0-9_-], unique; names the sink in metrics and the API
//       type: webhook               # webhook | slack | teams | zendesk | chatwoot
//       url: https://example.com/triage
//       queues: [comms, support]    # messages routed to these queues ("*": every queue)
//       priorities: [urgent, high]  # ... of these priorities only (default: all)
//       alerts: [opened, closed]    # crisis alert changes: opened, updated, closed
//       secret_env: OPS_HOOK_SECRET # or secret: (webhook: HMAC key; zendesk, chatwoot: API token)
//       max_attempts: 10            # then the delivery is a dead letter
//       concurrency: 4              # deliveries in flight at once (one per conversation)
//       timeout_seconds: 10
//       backoff_initial_ms: 500     # doubling per attempt, with jitter, up to backoff_max_ms
//       backoff_max_ms: 300000
//       tls_verify: true            # https: check the certificate chain and host name
//       ca_file: /etc/triage/ca.pem # ... against these CAs (PEM) instead of the system's;
//                                   # must be readable; false + ca_file is an error
//       settings: {...}             # per type: console_url (slack, teams); email, group_id
//                                   # (zendesk); account_id, team_id, inbox_id (chatwoot);
//                                   # ids are numbers
//
// Errors name the file, line and field ("outbound[1].url: ...").
#ifndef TRIAGE_RUNTIME_OUTBOUND_OUTBOUND_CONFIG_H_
#define TRIAGE_RUNTIME_OUTBOUND_OUTBOUND_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/label.h"

namespace YAML {
class Node;
}

namespace triage {

struct SinkConfig {
  std::string name;
  std::string type;
  std::string url;
  std::vector<std::string> queues;   // "*": all
  std::vector<Priority> priorities;  // empty: all
  std::vector<std::string> alerts;   // opened, updated, closed
  std::string secret;                // resolved from secret_env when given
  std::string secret_env;
  int max_attempts = 10;
  int concurrency = 4;
  int timeout_seconds = 10;
  int64_t backoff_initial_ms = 500;
  int64_t backoff_max_ms = 300'000;
  bool tls_verify = true;
  std::string ca_file;
  std::map<std::string, std::string> settings;

  // The setting `key`, or `fallback`.
  std::string Setting(const std::string& key, const std::string& fallback = "") const {
    auto it = settings.find(key);
    return it == settings.end() ? fallback : it->second;
  }
  bool operator==(const SinkConfig& o) const;
};

// Reads `outbound:` of a parsed config file (absent: no sinks). Secrets
// named by secret_env are read from the environment now; an unset one is an
// error naming the field.
Status ReadOutboundConfig(const YAML::Node& root, const std::string& file, std::vector<SinkConfig>* out);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_OUTBOUND_OUTBOUND_CONFIG_H_
