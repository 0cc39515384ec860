#include "runtime/server/routes.h"

#include <vector>

#include "format/archive_format.h"
#include "format/event.h"
#include "runtime/server/request.h"

namespace triage {

namespace {

struct RouteSpec {
  std::string_view method;  // "" = any (the handler decides)
  std::string_view pattern;
  ApiRoute route;
  Endpoint endpoint;
  Scope scope;
};

constexpr RouteSpec kRoutes[] = {
    {"", "/healthz", ApiRoute::kHealthz, Endpoint::kHealth, Scope::kNone},
    {"", "/readyz", ApiRoute::kReadyz, Endpoint::kHealth, Scope::kNone},
    {"", "/metrics", ApiRoute::kMetrics, Endpoint::kMetrics, Scope::kMetrics},
    {"POST", "/v1/messages", ApiRoute::kIngest, Endpoint::kIngest, Scope::kIngest},
    {"GET", "/v1/messages/{id}", ApiRoute::kGetMessage, Endpoint::kGet, Scope::kRead},
    {"POST", "/v1/messages/{id}/events", ApiRoute::kAddEvent, Endpoint::kEvent, Scope::kAgent},
    {"GET", "/v1/queues", ApiRoute::kListQueues, Endpoint::kQueues, Scope::kRead},
    {"GET", "/v1/queues/{queue}/messages", ApiRoute::kPeek, Endpoint::kPeek, Scope::kRead},
    {"POST", "/v1/queues/{queue}/claim", ApiRoute::kClaim, Endpoint::kClaim, Scope::kAgent},
    {"GET", "/v1/agents", ApiRoute::kListAgents, Endpoint::kAgents, Scope::kRead},
    {"GET", "/v1/agents/{agent}/messages", ApiRoute::kAgentMessages, Endpoint::kAgents, Scope::kAgent},
    {"POST", "/v1/agents/{agent}/heartbeat", ApiRoute::kHeartbeat, Endpoint::kAgents, Scope::kAgent},
    {"GET", "/v1/alerts", ApiRoute::kAlerts, Endpoint::kAlerts, Scope::kRead},
    {"GET", "/v1/metrics/summary", ApiRoute::kSummary, Endpoint::kReports, Scope::kRead},
    {"GET", "/v1/maturity", ApiRoute::kMaturity, Endpoint::kReports, Scope::kRead},
    {"POST", "/v1/admin/reload", ApiRoute::kReload, Endpoint::kAdmin, Scope::kAdmin},
    {"POST", "/v1/admin/backup", ApiRoute::kBackup, Endpoint::kAdmin, Scope::kAdmin},
    {"GET", "/v1/outbound/{sink}/dead-letters", ApiRoute::kDeadLetters, Endpoint::kAdmin, Scope::kAdmin},
    {"POST", "/v1/outbound/{sink}/dead-letters/{n}/retry", ApiRoute::kRetryDeadLetter, Endpoint::kAdmin, Scope::kAdmin},
    // Platforms sign their webhooks; /webhooks/archive takes an ingest token
    // (the API checks it: the scope depends on the platform).
    {"", "/webhooks/{platform}", ApiRoute::kWebhook, Endpoint::kWebhook, Scope::kNone},
};

// Path segments; empty segments ("//") are skipped.
std::vector<std::string_view> Segments(std::string_view p) {
  std::vector<std::string_view> s;
  while (!p.empty()) {
    size_t slash = p.find('/');
    if (slash != 0) s.push_back(p.substr(0, slash));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return s;
}

// Whether `path` has the pattern's shape; *params are the raw {..}
// segments with their names, in order.
bool Shape(const std::vector<std::string_view>& path, std::string_view pattern,
           std::vector<std::pair<std::string_view, std::string_view>>* params) {
  std::vector<std::string_view> want = Segments(pattern);
  params->clear();
  if (want.size() != path.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].front() == '{') {
      params->emplace_back(path[i], want[i].substr(1, want[i].size() - 2));
      continue;
    }
    if (want[i] != path[i]) return false;
  }
  return true;
}

std::string_view Described(std::string_view param_name) {
  if (param_name == "id") return "message id";
  if (param_name == "queue") return "queue name";
  if (param_name == "agent") return "agent id";
  if (param_name == "sink") return "sink name";
  if (param_name == "n") return "dead letter id";
  return param_name;
}

// The longest value a path parameter may have once decoded: what can be
// stored under that name (format/archive_format.h, format/event.h). Longer
// ones name nothing, and are refused before any lookup.
size_t MaxBytes(std::string_view param_name) {
  if (param_name == "id") return kMaxIdBytes;
  if (param_name == "queue") return kMaxQueueNameBytes;
  if (param_name == "agent") return kMaxAgentBytes;
  return 64;  // {platform}, {sink}, {n}: a name or a number
}

}  // namespace

RouteMatch MatchRoute(std::string_view method, std::string_view target) {
  RouteMatch m;
  std::string_view path = target.substr(0, target.find('?'));
  if (target.size() > path.size()) m.query = target.substr(path.size() + 1);
  std::vector<std::string_view> segments = Segments(path);
  const RouteSpec* same_path = nullptr;  // a route with this path but another method
  std::string allowed;
  std::vector<std::pair<std::string_view, std::string_view>> params;
  for (const RouteSpec& r : kRoutes) {
    if (!Shape(segments, r.pattern, &params)) continue;
    if (!r.method.empty() && r.method != method) {
      if (!same_path) same_path = &r;
      if (!allowed.empty()) allowed += ", ";
      allowed += r.method;
      continue;
    }
    m.endpoint = r.endpoint;
    for (size_t i = 0; i < params.size(); ++i) {
      auto [raw, name] = params[i];
      std::string& value = i == 0 ? m.param : m.param2;
      if (!UrlDecode(raw, &value) || value.empty() || HasControlChars(value)) {
        m.status = 400;
        m.error = "bad " + std::string(Described(name)) + " in the path";
        m.field = std::string(name);
        m.param.clear();
        m.param2.clear();
        return m;
      }
      if (value.size() > MaxBytes(name)) {
        m.status = 400;
        m.error = std::string(Described(name)) + " in the path is " + std::to_string(value.size()) +
                  " bytes, over the limit of " + std::to_string(MaxBytes(name));
        m.field = std::string(name);
        m.param.clear();
        m.param2.clear();
        return m;
      }
    }
    m.route = r.route;
    m.scope = r.scope;
    return m;
  }
  if (same_path) {
    m.endpoint = same_path->endpoint;
    m.status = 405;
    m.error = "method " + std::string(method) + " not allowed; use " + allowed;
    return m;
  }
  m.status = 404;
  m.error = "no such endpoint: " + std::string(method) + " " + std::string(path);
  return m;
}

}  // namespace triage
