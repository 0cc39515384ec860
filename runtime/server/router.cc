#include "runtime/server/api.h"

#include <algorithm>

#include "base/json_writer.h"
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

void Api::Handle(std::string_view method, std::string_view target, const Headers& headers, std::string body,
                 Respond respond) {
  auto start = Clock::now();
  RouteMatch m = MatchRoute(method, target);
  // `finish` may run after Handle returns (once a write is durable).
  auto finish = [this, start, endpoint = m.endpoint, respond = std::move(respond)](ApiResponse r) mutable {
    metrics_->RecordResponse(endpoint, r.status, std::chrono::duration<double>(Clock::now() - start).count());
    respond(std::move(r));
  };
  if (m.route == ApiRoute::kNone) return finish(Error(m.status, m.error, m.field));
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
    case ApiRoute::kNone: break;
  }
}

ApiResponse Api::Readiness() const {
  if (draining_) return Json(503, "{\"status\":\"draining\"}");
  if (!store_->healthy()) return Json(503, "{\"status\":\"store failed; restart to recover\"}");
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
