#include "runtime/server/api.h"

#include <algorithm>

#include "base/json_writer.h"
#include "runtime/server/request.h"

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
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query = target.size() > path.size() ? target.substr(path.size() + 1) : std::string_view();
  // `finish` may run after Handle returns (once a write is durable), so the
  // endpoint it records is shared, not a reference to this frame.
  auto endpoint_ref = std::make_shared<Endpoint>(Endpoint::kOther);
  Endpoint& endpoint = *endpoint_ref;
  auto finish = [this, start, endpoint_ref, respond = std::move(respond)](ApiResponse r) mutable {
    metrics_->RecordResponse(*endpoint_ref, r.status, std::chrono::duration<double>(Clock::now() - start).count());
    respond(std::move(r));
  };
  // Each branch sets `endpoint` before calling `finish`, directly or later.
  auto segments = [&](std::string_view p) {
    std::vector<std::string_view> s;
    while (!p.empty()) {
      if (p.front() == '/') {
        p.remove_prefix(1);
        continue;
      }
      size_t slash = p.find('/');
      s.push_back(p.substr(0, slash));
      if (slash == std::string_view::npos) break;
      p.remove_prefix(slash);
    }
    return s;
  }(path);

  auto method_not_allowed = [&](std::string_view allowed) {
    ApiResponse r = Error(405, "method " + std::string(method) + " not allowed; use " + std::string(allowed));
    finish(std::move(r));
  };

  if (path == "/healthz") {
    endpoint = Endpoint::kHealth;
    finish(Json(200, "{\"status\":\"ok\"}"));
    return;
  }
  if (path == "/readyz") {
    endpoint = Endpoint::kHealth;
    if (draining_) finish(Json(503, "{\"status\":\"draining\"}"));
    else if (!store_->healthy()) finish(Json(503, "{\"status\":\"store failed; restart to recover\"}"));
    else {
      for (const auto& check : readiness_) {
        std::string why = check();
        if (!why.empty()) {
          std::string out = "{\"status\":";
          AppendJsonString(why, &out);
          return finish(Json(503, out + "}"));
        }
      }
      finish(Json(200, "{\"status\":\"ready\"}"));
    }
    return;
  }
  if (path == "/metrics") {
    endpoint = Endpoint::kMetrics;
    Metrics([&](ApiResponse r) { finish(std::move(r)); });
    return;
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "messages") {
    if (segments.size() == 2) {
      endpoint = Endpoint::kIngest;
      if (method != "POST") return method_not_allowed("POST");
      // (While draining, a request that reached this point was already being
      // read when the drain began: it is finished, not refused.)
      Ingest(std::move(body), std::move(finish));
      return;
    }
    std::string id;
    if (!UrlDecode(segments[2], &id) || id.empty()) {
      endpoint = Endpoint::kGet;
      return finish(Error(400, "bad message id in the path", "id"));
    }
    if (segments.size() == 3) {
      endpoint = Endpoint::kGet;
      if (method != "GET") return method_not_allowed("GET");
      GetMessage(id, std::move(finish));
      return;
    }
    if (segments.size() == 4 && segments[3] == "events") {
      endpoint = Endpoint::kEvent;
      if (method != "POST") return method_not_allowed("POST");
      AddEvent(id, std::move(body), std::move(finish));
      return;
    }
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "queues") {
    if (segments.size() == 2) {
      endpoint = Endpoint::kQueues;
      if (method != "GET") return method_not_allowed("GET");
      ListQueues(std::move(finish));
      return;
    }
    std::string queue;
    if (!UrlDecode(segments[2], &queue) || queue.empty()) return finish(Error(400, "bad queue name in the path", "queue"));
    if (segments.size() == 4 && segments[3] == "messages") {
      endpoint = Endpoint::kPeek;
      if (method != "GET") return method_not_allowed("GET");
      Peek(queue, query, std::move(finish));
      return;
    }
    if (segments.size() == 4 && segments[3] == "claim") {
      endpoint = Endpoint::kClaim;
      if (method != "POST") return method_not_allowed("POST");
      Claim(queue, std::move(body), std::move(finish));
      return;
    }
  }
  if (segments.size() == 3 && segments[0] == "v1" && segments[1] == "metrics" && segments[2] == "summary") {
    endpoint = Endpoint::kReports;
    if (method != "GET") return method_not_allowed("GET");
    Report(/*maturity=*/false, query, std::move(finish));
    return;
  }
  if (segments.size() == 2 && segments[0] == "v1" && segments[1] == "maturity") {
    endpoint = Endpoint::kReports;
    if (method != "GET") return method_not_allowed("GET");
    Report(/*maturity=*/true, query, std::move(finish));
    return;
  }
  if (segments.size() == 2 && segments[0] == "v1" && segments[1] == "alerts") {
    endpoint = Endpoint::kAlerts;
    if (method != "GET") return method_not_allowed("GET");
    ListAlerts(query, std::move(finish));
    return;
  }
  if (segments.size() == 2 && segments[0] == "webhooks") {
    endpoint = Endpoint::kWebhook;
    Webhook(method, std::string(segments[1]), query, headers, std::move(body), std::move(finish));
    return;
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "agents") {
    endpoint = Endpoint::kAgents;
    if (segments.size() == 2) {
      if (method != "GET") return method_not_allowed("GET");
      ListAgents(std::move(finish));
      return;
    }
    std::string agent;
    if (!UrlDecode(segments[2], &agent) || agent.empty() || HasControlChars(agent))
      return finish(Error(400, "bad agent id in the path", "agent"));
    if (segments.size() == 4 && segments[3] == "heartbeat") {
      if (method != "POST") return method_not_allowed("POST");
      Heartbeat(agent, std::move(body), std::move(finish));
      return;
    }
    if (segments.size() == 4 && segments[3] == "messages") {
      if (method != "GET") return method_not_allowed("GET");
      AgentMessages(agent, std::move(finish));
      return;
    }
  }
  finish(Error(404, "no such endpoint: " + std::string(method) + " " + std::string(path)));
}

}  // namespace triage
