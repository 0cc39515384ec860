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
    {"DELETE", "/v1/authors/{channel}/{author_id}", ApiRoute::kEraseAuthor, Endpoint::kAdmin, Scope::kAdmin},
    // Any valid token may ask who it is (the API checks it: no scope needed).
    {"GET", "/v1/whoami", ApiRoute::kWhoami, Endpoint::kOther, Scope::kNone},
    {"GET", "/v1/search", ApiRoute::kSearch, Endpoint::kSearch, Scope::kRead},
    {"POST", "/v1/explain", ApiRoute::kExplain, Endpoint::kExplain, Scope::kRead},
    {"GET", "/v1/arrivals", ApiRoute::kArrivals, Endpoint::kQueues, Scope::kRead},
    // The console's static files hold no data: every call they make needs a token.
    {"GET", "/console", ApiRoute::kConsole, Endpoint::kConsole, Scope::kNone},
    {"GET", "/console/{asset}", ApiRoute::kConsole, Endpoint::kConsole, Scope::kNone},
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

// A {..} segment of a path: its raw text and its name in the pattern.
struct RawParam {
  std::string_view raw, name;
};

// Whether `path` has the pattern's shape; *params are its {..} segments.
bool Shape(const std::vector<std::string_view>& path, std::string_view pattern, std::vector<RawParam>* params) {
  std::vector<std::string_view> want = Segments(pattern);
  params->clear();
  if (want.size() != path.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].front() == '{') {
      params->push_back({path[i], want[i].substr(1, want[i].size() - 2)});
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
  if (param_name == "channel") return "channel";
  if (param_name == "author_id") return "author id";
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
  if (param_name == "channel") return kMaxChannelBytes;
  if (param_name == "author_id") return kMaxIdBytes;
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
  std::vector<RawParam> params;
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
      const std::string_view name = params[i].name;
      std::string& value = i == 0 ? m.param : m.param2;
      if (!UrlDecode(params[i].raw, &value) || value.empty() || HasControlChars(value)) {
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
