#include "runtime/server/api.h"

#include <algorithm>
#include <filesystem>

#include "base/json_writer.h"
#include "base/rfc3339.h"
#include "runtime/server/console.h"
#include "runtime/server/request.h"
#include "runtime/server/routes.h"

namespace triage {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

ApiResponse Api::Error(unsigned status, std::string_view message, std::string_view field, int64_t line) {
  std::string body = "{\"error\":";
  AppendJsonString(message, &body);
  if (!field.empty()) {
    body += ",\"field\":";
    AppendJsonString(field, &body);
  }
  if (line > 0) {
    body += ",\"line\":";
    AppendJsonInt(line, &body);
  }
  body += "}";
  return Json(status, std::move(body));
}

std::vector<std::string> Api::KnownQueues() const {
  std::vector<std::string> q;
  for (const auto& c : config_.queues) q.push_back(c.name);
  auto p = pipelines_->Current();
  for (auto& r : p->routes().Queues()) q.push_back(r);
  std::sort(q.begin(), q.end());
  q.erase(std::unique(q.begin(), q.end()), q.end());
  return q;
}

bool Api::KnownQueue(const std::string& name) const {
  for (const auto& q : KnownQueues())
    if (q == name) return true;
  for (const auto& q : store_->Queues({}))
    if (q.name == name) return true;
  return false;
}

const QueueConfig* Api::QueueSettings(const std::string& q) const {
  for (const auto& c : config_.queues)
    if (c.name == q) return &c;
  return nullptr;
}

void Api::set_tokens(std::shared_ptr<const TokenTable> tokens) {
  std::lock_guard<std::mutex> l(tokens_mu_);
  tokens_ = std::move(tokens);
}

std::shared_ptr<const TokenTable> Api::tokens() const {
  std::lock_guard<std::mutex> l(tokens_mu_);
  return tokens_;
}

namespace {

// The action an audited route records ("" for routes that are not audited:
// reads are not actions).
std::string_view AuditAction(ApiRoute r) {
  switch (r) {
    case ApiRoute::kClaim: return "claim";
    case ApiRoute::kAddEvent: return "event";
    case ApiRoute::kHeartbeat: return "heartbeat";
    case ApiRoute::kReload: return "reload";
    case ApiRoute::kBackup: return "backup";
    case ApiRoute::kEraseAuthor: return "erase";
    case ApiRoute::kRetryDeadLetter: return "retry_dead_letter";
    default: return "";
  }
}

}  // namespace

ApiResponse Api::Refuse(AuthFailure why, const Principal& who, ApiRoute route, const std::string& target,
                        std::string_view remote, const std::string& agent) {
  metrics_->auth_failures[static_cast<size_t>(why)].fetch_add(1, std::memory_order_relaxed);
  ApiResponse r;
  switch (why) {
    case AuthFailure::kMissing:
      r = Error(401, "authentication required: send Authorization: Bearer <token>");
      r.www_authenticate = "Bearer realm=\"triage\"";
      break;
    case AuthFailure::kMalformed:
      r = Error(401, "the Authorization header is not 'Bearer <token>'");
      r.www_authenticate = "Bearer realm=\"triage\", error=\"invalid_request\"";
      break;
    case AuthFailure::kUnknown:
      r = Error(401, "unknown token");
      r.www_authenticate = "Bearer realm=\"triage\", error=\"invalid_token\"";
      break;
    case AuthFailure::kScope:
      r = Error(403, "token '" + who.name + "' lacks the scope this endpoint needs");
      break;
    case AuthFailure::kAgent:
      r = Error(403, "token '" + who.name + "' acts only as agent '" + who.agent + "', not '" + agent + "'", "agent");
      break;
    case AuthFailure::kNone: break;
  }
  if (audit_) {
    AuditEntry e;
    e.at_ms = WallMs();
    e.who = who.name;
    e.from = std::string(remote);
    e.action = "auth_failed";
    std::string_view action = AuditAction(route);
    e.target = action.empty() ? target : std::string(action) + " " + target;
    e.agent = agent;
    e.reason = std::string(AuthFailureName(why));
    e.status = r.status;
    audit_->Record(e);
  }
  return r;
}

void Api::Handle(std::string_view method, std::string_view target, const Headers& headers, std::string body,
                 Respond respond, std::string_view remote) {
  auto start = Clock::now();
  RouteMatch m = MatchRoute(method, target);
  // The audit target of a route with two parameters names both.
  if (!m.param2.empty()) m.param += ":" + m.param2;
  // `finish` may run after Handle returns (once a write is durable).
  Respond finish = [this, start, endpoint = m.endpoint, respond = std::move(respond)](ApiResponse r) mutable {
    metrics_->RecordResponse(endpoint, r.status, std::chrono::duration<double>(Clock::now() - start).count());
    respond(std::move(r));
  };
  if (m.route == ApiRoute::kNone) return finish(Error(m.status, m.error, m.field));

  // Who is calling, and may they? (Open routes: health, and the platform
  // webhooks, which carry their own signatures.)
  Principal who;
  const std::shared_ptr<const TokenTable> tokens = this->tokens();
  if (m.route == ApiRoute::kWebhook && m.param == "archive" && !tokens->empty()) {
    // The archive webhook takes an ingest token; the webhook bearer token
    // of older configs still works when one is configured.
    AuthFailure f = tokens->Authenticate(headers("authorization"), Scope::kIngest, &who);
    if (f == AuthFailure::kNone && method == "POST")
      return Ingest(std::move(body), [finish = std::move(finish)](ApiResponse r) mutable {
        if (r.status == 202) r.status = 200;  // as every webhook answers
        finish(std::move(r));
      });
    if (f != AuthFailure::kNone && config_.webhooks.bearer_token.empty())
      return finish(Refuse(f, who, m.route, m.param, remote, ""));
  } else if (m.scope != Scope::kNone || m.route == ApiRoute::kWhoami) {
    AuthFailure f = tokens->Authenticate(headers("authorization"), m.scope, &who);
    if (f != AuthFailure::kNone) return finish(Refuse(f, who, m.route, m.param, remote, ""));
  }

  // Actions taken as an agent: an agent token acts only as its own agent.
  std::string acting;
  JsonFields fields;
  if (m.route == ApiRoute::kClaim || m.route == ApiRoute::kAddEvent) {
    std::string bad;
    if (ParseFields(body, &fields, &bad).ok())
      if (auto a = fields.strings.find("agent"); a != fields.strings.end()) acting = a->second;
  } else if (m.route == ApiRoute::kHeartbeat || m.route == ApiRoute::kAgentMessages) {
    acting = m.param;
  }
  if (!acting.empty() && !who.MayActAs(acting))
    return finish(Refuse(AuthFailure::kAgent, who, m.route, m.param, remote, acting));

  // Agent and admin actions are audited with their outcome.
  if (std::string_view action = AuditAction(m.route); audit_ && !action.empty()) {
    AuditEntry e;
    e.who = who.name;
    e.from = std::string(remote);
    e.action = std::string(action);
    e.target = m.param2.empty() ? m.param : m.param + "/" + m.param2;
    e.agent = acting;
    if (m.route == ApiRoute::kAddEvent) {
      if (auto t = fields.strings.find("type"); t != fields.strings.end()) e.type = t->second;
      if (auto q = fields.strings.find("to_queue"); q != fields.strings.end()) e.to_queue = q->second;
    }
    finish = [audit = audit_, e = std::move(e), finish = std::move(finish)](ApiResponse r) mutable {
      e.at_ms = WallMs();
      e.status = r.status;
      audit->Record(e);
      finish(std::move(r));
    };
  }

  switch (m.route) {
    case ApiRoute::kHealthz: return finish(Json(200, "{\"status\":\"ok\"}"));
    case ApiRoute::kReadyz: return finish(Readiness());
    case ApiRoute::kMetrics: return Metrics(std::move(finish));
    // (While draining, a request that reached this point was already being
    // read when the drain began: it is finished, not refused.)
    case ApiRoute::kIngest: return Ingest(std::move(body), std::move(finish));
    case ApiRoute::kGetMessage: return GetMessage(m.param, std::move(finish));
    case ApiRoute::kAddEvent: return AddEvent(m.param, std::move(body), std::move(finish));
    case ApiRoute::kListQueues: return ListQueues(std::move(finish));
    case ApiRoute::kPeek: return Peek(m.param, m.query, std::move(finish));
    case ApiRoute::kClaim: return Claim(m.param, std::move(body), std::move(finish));
    case ApiRoute::kListAgents: return ListAgents(std::move(finish));
    case ApiRoute::kAgentMessages: return AgentMessages(m.param, std::move(finish));
    case ApiRoute::kHeartbeat: return Heartbeat(m.param, std::move(body), std::move(finish));
    case ApiRoute::kAlerts: return ListAlerts(m.query, std::move(finish));
    case ApiRoute::kSummary: return Report(/*maturity=*/false, m.query, std::move(finish));
    case ApiRoute::kMaturity: return Report(/*maturity=*/true, m.query, std::move(finish));
    case ApiRoute::kWebhook: return Webhook(method, m.param, m.query, headers, std::move(body), std::move(finish));
    case ApiRoute::kReload: return Reload(std::move(finish));
    case ApiRoute::kBackup: return Backup(std::move(finish));
    case ApiRoute::kEraseAuthor:
      return EraseAuthor(m.param.substr(0, m.param.size() - m.param2.size() - 1), m.param2, std::move(finish));
    case ApiRoute::kWhoami: return Whoami(who, std::move(finish));
    case ApiRoute::kSearch: return Search(m.query, std::move(finish));
    case ApiRoute::kExplain: return Explain(std::move(body), std::move(finish));
    case ApiRoute::kArrivals: return Arrivals(m.query, std::move(finish));
    case ApiRoute::kConsole: return finish(ConsoleFile(m.param, headers("if-none-match")));
    case ApiRoute::kDeadLetters: return DeadLetters(m.param, m.query, std::move(finish));
    case ApiRoute::kRetryDeadLetter: return RetryDeadLetter(m.param, m.param2, std::move(finish));
    case ApiRoute::kNone: break;
  }
}

void Api::Reload(Respond respond) {
  if (!reload_) return respond(Error(503, "reload is not available here"));
  reload_([respond = std::move(respond)](Status s) {
    if (s.ok()) return respond(Json(200, "{\"status\":\"reloaded\"}"));
    respond(Error(422, "reload rejected; the previous configuration keeps serving: " + s.message()));
  });
}

void Api::Backup(Respond respond) {
  if (config_.backup_dir.empty())
    return respond(Error(409, "no backup_dir configured: set backup_dir in the serve config and restart"));
  if (!backup_) return respond(Error(503, "backups are not available here"));
  if (draining_) return respond(Error(503, "draining: no new backup"));
  backup_([respond = std::move(respond)](Status s, BackupSummary b) {
    if (s.IsBusy()) return respond(Error(409, s.message()));
    if (!s.ok()) return respond(Error(500, "backup failed: " + s.message()));
    std::string body = "{\"id\":";
    AppendJsonInt(b.id, &body);
    body += ",\"time\":";
    AppendJsonString(FormatRfc3339(b.time_s * 1000), &body);
    body += ",\"bytes\":";
    AppendJsonInt(static_cast<int64_t>(b.bytes), &body);
    body += ",\"files\":";
    AppendJsonInt(b.files, &body);
    body += ",\"messages\":";
    AppendJsonInt(b.messages, &body);
    body += ",\"verified\":true}";
    respond(Json(200, std::move(body)));
  });
}

// Erasure of an author (engine/store/erasure.h). Durable in the store before
// the answer; recorded also in the ledger beside the backups (when there is
// a backup_dir), so that `triage restore` of a backup made before it erases
// again.
void Api::EraseAuthor(const std::string& channel, const std::string& author_id, Respond respond) {
  std::string ledger = config_.backup_dir.empty() ? "" : ErasureLedgerPath(config_.backup_dir);
  ServerMetrics* metrics = metrics_;
  store_->EraseAuthor(channel, author_id, [respond = std::move(respond), ledger, metrics](Status st, ErasureRecord r) {
    if (!st.ok()) return respond(StoreFailure(st, metrics));
    if (!ledger.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(ledger).parent_path(), ec);
      if (Status ls = AppendErasureLedgerFile(ledger, r); !ls.ok())
        return respond(Error(500, "erased, and recorded in the store's ledger, but not in the ledger beside the backups "
                                  "(retry to record it there): " + ls.message()));
    }
    std::string body = "{\"channel\":";
    AppendJsonString(r.channel, &body);
    body += ",\"author_id\":";
    AppendJsonString(r.author_id, &body);
    body += ",\"erased_at\":";
    AppendJsonString(FormatRfc3339(r.erased_ms), &body);
    body += ",\"messages\":";
    AppendJsonInt(static_cast<int64_t>(r.messages), &body);
    body += ",\"events\":";
    AppendJsonInt(static_cast<int64_t>(r.events), &body);
    body += ",\"ledger\":";
    if (ledger.empty()) body += "null";
    else AppendJsonString(ledger, &body);
    body += "}";
    respond(Json(200, std::move(body)));
  });
}

ApiResponse Api::Readiness() const {
  if (draining_) return Json(503, "{\"status\":\"draining\"}");
  if (!store_->healthy()) {
    // Read-only after a write failure: reads are served, writes are not.
    StoreHealthInfo h = store_->health();
    std::string out = "{\"status\":";
    AppendJsonString(h.no_space ? "store read-only: no space left on device; writes resume once space is freed"
                                : "store read-only after an I/O error (" + h.cause + "); retrying",
                     &out);
    return Json(503, out + "}");
  }
  for (const auto& check : readiness_) {
    std::string why = check();
    if (!why.empty()) {
      std::string out = "{\"status\":";
      AppendJsonString(why, &out);
      return Json(503, out + "}");
    }
  }
  return Json(200, "{\"status\":\"ready\"}");
}

}  // namespace triage
