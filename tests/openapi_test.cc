// The daemon against its specification (openapi.yaml): every documented
// operation is called on a running daemon, on its success path and on its
// error paths, and every status it answers must be one the spec lists for
// that operation (an undocumented method on a documented path is 405). For
// every body field the spec marks required, leaving it out is a 400 that
// names the field. And every operation in the spec is exercised.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <map>
#include <regex>
#include <set>
#include <thread>

#include "runtime/server/auth.h"
#include "runtime/server/daemon.h"
#include "http_client.h"
#include "raw_connection.h"
#include "running_daemon.h"
#include "test_util.h"

using namespace triage;

namespace {

struct Operation {
  std::set<int> statuses;
  std::vector<std::string> required_fields;  // of the JSON request body
};

// (METHOD, path template) -> operation.
std::map<std::pair<std::string, std::string>, Operation> LoadSpec() {
  YAML::Node spec = YAML::LoadFile(std::string(TRIAGE_SOURCE_DIR) + "/openapi.yaml");
  std::map<std::pair<std::string, std::string>, Operation> ops;
  for (auto path : spec["paths"]) {
    std::string templ = path.first.as<std::string>();
    for (auto method : path.second) {
      std::string m = method.first.as<std::string>();
      if (m == "parameters") continue;
      Operation op;
      for (auto r : method.second["responses"]) op.statuses.insert(std::stoi(r.first.as<std::string>()));
      YAML::Node schema = method.second["requestBody"]["content"]["application/json"]["schema"];
      if (schema && schema["required"])
        for (auto f : schema["required"]) op.required_fields.push_back(f.as<std::string>());
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ops[{m, templ}] = op;
    }
  }
  return ops;
}

// The template a concrete path matches ("/v1/messages/x:1" -> "/v1/messages/{id}").
std::string TemplateOf(const std::map<std::pair<std::string, std::string>, Operation>& ops, const std::string& path) {
  for (const auto& [key, op] : ops) {
    std::string re = std::regex_replace(key.second, std::regex("\\{[a-z_]+\\}"), "[^/]+");
    if (std::regex_match(path, std::regex(re))) return key.second;
  }
  return "";
}

struct Probe {
  std::string method, target, body;
  std::map<std::string, std::string> headers;
};

}  // namespace

TEST_CASE("Every status the daemon answers is documented in openapi.yaml, and required fields are enforced",
          "[daemon][openapi]") {
  auto ops = LoadSpec();
  REQUIRE(ops.size() >= 15);
  test::TempDir dir;
  ServerConfig config = test::LocalConfig(dir);
  config.webhooks.x_consumer_secret = "x-secret";
  config.webhooks.meta_verify_token = "verify-me";
  config.webhooks.bearer_token = "bearer-token";
  for (auto& q : config.queues)
    if (q.name == "product") q.assignment = "round_robin";
  SinkConfig hook;  // subscribed to nothing that arrives: its dead letters are empty
  hook.name = "hook";
  hook.type = "webhook";
  hook.url = "http://127.0.0.1:1/";
  hook.queues = {"no-such-queue"};
  hook.secret = "s";
  config.outbound = {hook};
  FILE* log = std::tmpfile();
  std::unique_ptr<Daemon> daemon;
  REQUIRE(Daemon::Create(config, log, &daemon).ok());
  std::thread run([&] { daemon->Run(false); });
  test::HttpClient c(daemon->port());

  const std::string msg = R"({"id":"o:1","channel":"x","text":"refund please, order 12345","lang":"en"})";
  std::vector<Probe> probes = {
      {"GET", "/healthz", ""},
      {"GET", "/readyz", ""},
      {"GET", "/metrics", ""},
      {"POST", "/v1/messages", msg},
      {"POST", "/v1/messages", msg},  // duplicate
      {"POST", "/v1/messages", "not json"},
      {"POST", "/v1/messages", ""},
      {"GET", "/v1/messages", ""},
      {"GET", "/v1/messages/o:1", ""},
      {"GET", "/v1/messages/nope", ""},
      {"GET", "/v1/messages/%zz", ""},
      {"POST", "/v1/messages/o:1/events", R"({"type":"replied","agent":"ann"})"},
      {"POST", "/v1/messages/nope/events", R"({"type":"replied","agent":"ann"})"},
      {"POST", "/v1/messages/o:1/events", R"({"type":"exploded","agent":"ann"})"},
      {"GET", "/v1/queues", ""},
      {"GET", "/v1/queues/support/messages?limit=5", ""},
      {"GET", "/v1/queues/support/messages?limit=0", ""},
      {"GET", "/v1/queues/nope/messages", ""},
      {"POST", "/v1/queues/support/claim", R"({"agent":"ann"})"},
      {"POST", "/v1/queues/support/claim", R"({"agent":"ann","max":0})"},
      {"POST", "/v1/queues/nope/claim", R"({"agent":"ann"})"},
      {"POST", "/v1/queues/product/claim", R"({"agent":"ann"})"},  // a push queue
      {"POST", "/v1/agents/ann/heartbeat", R"({"queues":["product"]})"},
      {"POST", "/v1/agents/ann/heartbeat", R"({"queues":["nope"]})"},
      {"GET", "/v1/agents", ""},
      {"GET", "/v1/agents/ann/messages", ""},
      {"GET", "/v1/metrics/summary", ""},
      {"GET", "/v1/metrics/summary?conversations=maybe", ""},
      {"GET", "/v1/metrics/summary?from=yesterday", ""},
      {"GET", "/v1/maturity", ""},
      {"GET", "/v1/maturity?format=html", ""},
      {"GET", "/v1/maturity?format=pdf", ""},
      {"GET", "/v1/alerts", ""},
      {"GET", "/v1/alerts?state=sideways", ""},
      {"GET", "/v1/whoami", ""},
      {"GET", "/v1/search?label=support&limit=5", ""},
      {"GET", "/v1/search?label=urgent", ""},
      {"POST", "/v1/explain", R"({"text":"refund please"})"},
      {"POST", "/v1/explain", R"({"text":"refund please","lang":"?"})"},
      {"GET", "/v1/arrivals", ""},
      {"GET", "/v1/arrivals?minutes=0", ""},
      {"GET", "/console", ""},
      {"GET", "/console/app.js", ""},
      {"GET", "/console/nothing.js", ""},
      {"POST", "/v1/queues/support/claim", R"({"agent":"ann","id":"nope"})"},
      {"GET", "/webhooks/x?crc_token=abc", ""},
      {"GET", "/webhooks/x", ""},
      {"GET", "/webhooks/x?crc_token=%7B%22a%22%3A1%7D", ""},  // not a token X sends
      // Input limits and repeated keys (README "Running the daemon").
      {"GET", "/v1/agents/" + std::string(129, 'a') + "/messages", ""},
      {"GET", "/v1/queues/" + std::string(129, 'q') + "/messages", ""},
      {"GET", "/v1/messages/" + std::string(257, 'i'), ""},
      {"POST", "/v1/messages", R"({"id":"o:9","channel":"x","text":"t","id":"o:10"})"},
      {"POST", "/v1/messages", R"({"id":"o:9","channel":"x","text":"t","lang":")" + std::string(36, 'e') + "\"}"},
      {"POST", "/v1/messages/o:1/events", R"({"type":"replied","agent":"ann","at_ms":-9223372036854775808})"},
      {"POST", "/v1/queues/support/claim", R"({"agent":"ann","agent":"bob"})"},
      {"POST", "/v1/agents/ann/heartbeat", R"({"queues":[")" + std::string(129, 'q') + R"("]})"},
      {"GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", ""},
      {"POST", "/webhooks/archive", msg, {{"Authorization", "Bearer wrong"}}},
      {"POST", "/webhooks/archive", R"({"id":"o:2","channel":"x","text":"hi"})", {{"Authorization", "Bearer bearer-token"}}},
      {"POST", "/webhooks/nowhere", "{}"},
      {"DELETE", "/v1/queues", ""},
      {"POST", "/v1/admin/reload", ""},
      {"POST", "/v1/admin/backup", ""},  // 409: no backup_dir (200 in daemon_backup_test.cc, not run under TSan)
      {"GET", "/v1/admin/backup", ""},
      {"DELETE", "/v1/authors/x/customer-1", ""},
      {"DELETE", "/v1/authors/x/" + std::string(257, 'a'), ""},
      {"GET", "/v1/authors/x/customer-1", ""},
      {"GET", "/v1/outbound/hook/dead-letters", ""},
      {"GET", "/v1/outbound/hook/dead-letters?limit=0", ""},
      {"GET", "/v1/outbound/nope/dead-letters", ""},
      {"POST", "/v1/outbound/hook/dead-letters/5/retry", ""},
      {"POST", "/v1/outbound/hook/dead-letters/x/retry", ""},
      {"POST", "/v1/outbound/nope/dead-letters/1/retry", ""},
      {"GET", "/v1/outbound/hook/dead-letters/1/retry", ""},
  };
  std::set<std::pair<std::string, std::string>> exercised;
  for (const Probe& p : probes) {
    test::HttpResult r;
    if (p.headers.empty()) {
      r = c.Request(p.method, p.target, p.body, true);
    } else {
      // HttpClient sends no custom headers: a raw request for these.
      std::string raw = p.method + " " + p.target + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                        std::to_string(p.body.size()) + "\r\nConnection: close\r\n";
      for (const auto& [k, v] : p.headers) raw += k + ": " + v + "\r\n";
      raw += "\r\n" + p.body;
      r = test::RawRequest(daemon->port(), raw);
    }
    std::string path = p.target.substr(0, p.target.find('?'));
    std::string templ = TemplateOf(ops, path);
    INFO(p.method << " " << p.target << " -> " << r.status << " " << r.body.substr(0, 200));
    REQUIRE(!templ.empty());  // a documented path
    auto op = ops.find({p.method, templ});
    if (op == ops.end()) {
      CHECK(r.status == 405);  // a method the path does not have
      continue;
    }
    exercised.insert({p.method, templ});
    CHECK(op->second.statuses.count(r.status) == 1);
    if (r.status >= 400) CHECK_THAT(r.body, Catch::StartsWith("{\"error\":"));
  }
  // Required body fields: each left out is a 400 naming it.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> complete = {
      {{"POST", "/v1/messages/{id}/events"}, {"/v1/messages/o:1/events", R"({"type":"resolved","agent":"ann"})"}},
      {{"POST", "/v1/queues/{queue}/claim"}, {"/v1/queues/support/claim", R"({"agent":"ann"})"}},
      {{"POST", "/v1/agents/{agent}/heartbeat"}, {"/v1/agents/ann/heartbeat", R"({"queues":["support"]})"}},
      {{"POST", "/v1/explain"}, {"/v1/explain", R"({"text":"refund please"})"}},
  };
  for (const auto& [key, op] : ops)
    for (const std::string& field : op.required_fields) {
      auto it = complete.find(key);
      INFO(key.first << " " << key.second << " requires '" << field << "'");
      REQUIRE(it != complete.end());  // the test knows a complete body for it
      std::string body = std::regex_replace(it->second.second, std::regex("\"" + field + "\":(\"[^\"]*\"|\\[[^\\]]*\\])"),
                                            "\"x_absent\":0");
      REQUIRE(body != it->second.second);
      test::HttpResult r = c.Request(key.first, it->second.first, body);
      CHECK(r.status == 400);
      CHECK_THAT(r.body, Catch::Contains("\"field\":\"" + field + "\""));
    }
  // Every documented operation was called.
  for (const auto& [key, op] : ops) {
    INFO("not exercised: " << key.first << " " << key.second);
    CHECK((exercised.count(key) == 1 || key.second == "/webhooks/{platform}"));
  }
  daemon->Stop();
  run.join();
  std::fclose(log);
}

TEST_CASE("With tokens configured, every documented /v1 operation and /metrics documents its 401 and 403",
          "[daemon][openapi][auth]") {
  auto ops = LoadSpec();
  test::TempDir dir;
  ServerConfig config = test::LocalConfig(dir);
  TokenEntry metrics_only;
  metrics_only.name = "prometheus";
  REQUIRE(ParseSha256Hex(TokenSha256Hex("metrics-token"), &metrics_only.sha256));
  metrics_only.scopes = static_cast<Scopes>(Scope::kMetrics);
  TokenEntry read_only = metrics_only;
  read_only.name = "reader";
  REQUIRE(ParseSha256Hex(TokenSha256Hex("read-token"), &read_only.sha256));
  read_only.scopes = static_cast<Scopes>(Scope::kRead);
  config.security.tokens = {metrics_only, read_only};
  FILE* log = std::tmpfile();
  std::unique_ptr<Daemon> daemon;
  REQUIRE(Daemon::Create(config, log, &daemon).ok());
  std::thread run([&] { daemon->Run(false); });
  size_t checked = 0;
  for (const auto& [key, op] : ops) {
    const auto& [method, templ] = key;
    if (templ.rfind("/v1/", 0) != 0 && templ != "/metrics") continue;
    std::string path = std::regex_replace(templ, std::regex("\\{[a-z_]+\\}"), "x");
    INFO(method << " " << templ);
    test::HttpClient anonymous(daemon->port());
    test::HttpResult r = anonymous.Request(method, path, "{}");
    CHECK(r.status == 401);
    CHECK(op.statuses.count(401) == 1);
    // A token without the scope: /metrics needs metrics, the rest read or
    // more; /v1/whoami answers any valid token.
    ++checked;
    if (templ == "/v1/whoami") continue;
    test::HttpClient wrong(daemon->port());
    wrong.SetHeader("Authorization", templ == "/metrics" ? "Bearer read-token" : "Bearer metrics-token");
    r = wrong.Request(method, path, "{}");
    CHECK(r.status == 403);
    CHECK(op.statuses.count(403) == 1);
  }
  CHECK(checked >= 14);
  daemon->Stop();
  run.join();
  std::fclose(log);
}
