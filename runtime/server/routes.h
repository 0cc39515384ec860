// The daemon's routes: which endpoint a request line names, as data. A pure
// function of the method and target (no store, no socket), so the routing
// rules, including every 400, 404 and 405, are unit-tested in-process.
//
//   GET  /healthz  /readyz  /metrics
//   POST /v1/messages                       GET  /v1/messages/{id}
//   POST /v1/messages/{id}/events
//   GET  /v1/queues                         GET  /v1/queues/{queue}/messages
//   POST /v1/queues/{queue}/claim
//   GET  /v1/agents                         GET  /v1/agents/{agent}/messages
//   POST /v1/agents/{agent}/heartbeat
//   GET  /v1/alerts  /v1/metrics/summary  /v1/maturity
//   POST /v1/admin/reload  /v1/admin/backup
//   DELETE /v1/authors/{channel}/{author_id}   (erasure of an author)
//   GET  /v1/whoami  /v1/search  /v1/arrivals     POST /v1/explain
//   GET  /console  /console/{asset}        (the operator console's files; open)
//   GET  /v1/outbound/{sink}/dead-letters   POST /v1/outbound/{sink}/dead-letters/{n}/retry
//   any  /webhooks/{platform}               (the platform decides: handshakes are GETs)
//
// Each route names the scope a token needs for it (auth.h); kNone: open.
#ifndef TRIAGE_RUNTIME_SERVER_ROUTES_H_
#define TRIAGE_RUNTIME_SERVER_ROUTES_H_

#include <string>
#include <string_view>

#include "runtime/server/auth.h"
#include "runtime/server/metrics.h"

namespace triage {

enum class ApiRoute : uint8_t {
  kNone,  // no route: see RouteMatch::status
  kHealthz, kReadyz, kMetrics,
  kIngest, kGetMessage, kAddEvent,
  kListQueues, kPeek, kClaim,
  kListAgents, kAgentMessages, kHeartbeat,
  kAlerts, kSummary, kMaturity,
  kWebhook, kReload, kBackup, kEraseAuthor,
  kWhoami, kSearch, kExplain, kArrivals, kConsole,
  kDeadLetters, kRetryDeadLetter,
};

struct RouteMatch {
  ApiRoute route = ApiRoute::kNone;
  Endpoint endpoint = Endpoint::kOther;  // the metrics bucket (also for its errors)
  Scope scope = Scope::kNone;            // what a token needs for it
  std::string param;                     // {id}, {queue}, {agent}, {platform}, {channel}, {asset} or {sink}, percent-decoded
  std::string param2;                    // the second one ({author_id}, {n} of a dead letter), percent-decoded
  std::string_view query;                // after '?', not decoded
  // When route is kNone: 404 (no such path), 405 (the path exists; `allowed`
  // says which method) or 400 (a path parameter that is not percent-encoded
  // text, or longer than anything stored under it: {id} 256 bytes, {queue}
  // and {agent} 128, {channel} 64, {author_id} 256; `field` names it). `error` is the message to answer with.
  unsigned status = 0;
  std::string error;
  std::string field;
};

RouteMatch MatchRoute(std::string_view method, std::string_view target);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_ROUTES_H_
