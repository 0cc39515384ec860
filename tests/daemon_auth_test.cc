// Who may call the daemon: API tokens and their scopes on every endpoint,
// agent-bound tokens, the audit log, token changes on reload, the refusal to
// listen off loopback without tokens, and `triage token new`.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "cli/commands.h"
#include "http_client.h"
#include "running_daemon.h"
#include "runtime/server/auth.h"
#include "runtime/server/security_config.h"
#include "test_util.h"

using namespace triage;
using test::HttpClient;
using test::Msg;
using test::RunningDaemon;

namespace {

// One token per scope; the agent token acts as alice.
ServerConfig WithTokens() {
  ServerConfig c;
  c.security.tokens = {test::ApiToken("ingester", "tok-ingest", {Scope::kIngest}),
                       test::ApiToken("desk-alice", "tok-alice", {Scope::kAgent}, "alice"),
                       test::ApiToken("reader", "tok-read", {Scope::kRead}),
                       test::ApiToken("prometheus", "tok-metrics", {Scope::kMetrics}),
                       test::ApiToken("ops", "tok-admin", {Scope::kAdmin})};
  return c;
}

HttpClient As(uint16_t port, const std::string& token) {
  HttpClient c(port);
  if (!token.empty()) c.SetHeader("Authorization", "Bearer " + token);
  return c;
}

struct Call {
  std::string method, target, body;
  Scope needs;
};

}  // namespace

TEST_CASE("Every endpoint: no token and unknown tokens get 401, a token without the scope 403, the right one passes",
          "[daemon][auth]") {
  RunningDaemon d(WithTokens());
  // Something to read and act on.
  REQUIRE(As(d.port(), "tok-ingest").Request("POST", "/v1/messages", Msg("m1", "where is my order")).status == 202);

  const std::vector<Call> calls = {
      {"POST", "/v1/messages", Msg("m2", "hello"), Scope::kIngest},
      {"POST", "/webhooks/archive", Msg("m3", "hello again"), Scope::kIngest},
      {"GET", "/v1/messages/m1", "", Scope::kRead},
      {"GET", "/v1/queues", "", Scope::kRead},
      {"GET", "/v1/queues/support/messages", "", Scope::kRead},
      {"GET", "/v1/agents", "", Scope::kRead},
      {"GET", "/v1/alerts", "", Scope::kRead},
      {"GET", "/v1/metrics/summary", "", Scope::kRead},
      {"GET", "/v1/maturity", "", Scope::kRead},
      {"GET", "/v1/search?limit=5", "", Scope::kRead},
      {"POST", "/v1/explain", R"({"text":"where is my order"})", Scope::kRead},
      {"GET", "/v1/arrivals", "", Scope::kRead},
      {"POST", "/v1/queues/support/claim", R"({"agent":"alice","max":1})", Scope::kAgent},
      {"POST", "/v1/messages/m1/events", R"({"type":"replied","agent":"alice"})", Scope::kAgent},
      {"POST", "/v1/agents/alice/heartbeat", R"({"queues":["support"]})", Scope::kAgent},
      {"GET", "/v1/agents/alice/messages", "", Scope::kAgent},
      {"GET", "/metrics", "", Scope::kMetrics},
      {"POST", "/v1/admin/reload", "", Scope::kAdmin},
      {"POST", "/v1/admin/backup", "", Scope::kAdmin},
      {"DELETE", "/v1/authors/x/nobody", "", Scope::kAdmin},
  };
  const std::vector<std::pair<std::string, Scope>> tokens = {{"tok-ingest", Scope::kIngest},
                                                             {"tok-alice", Scope::kAgent},
                                                             {"tok-read", Scope::kRead},
                                                             {"tok-metrics", Scope::kMetrics},
                                                             {"tok-admin", Scope::kAdmin}};
  for (const Call& c : calls) {
    INFO(c.method << " " << c.target);
    auto none = As(d.port(), "").Request(c.method, c.target, c.body);
    CHECK(none.status == 401);
    CHECK(none.headers["WWW-Authenticate"].find("Bearer") == 0);
    auto unknown = As(d.port(), "tok-nobody").Request(c.method, c.target, c.body);
    CHECK(unknown.status == 401);
    CHECK(unknown.headers["WWW-Authenticate"].find("invalid_token") != std::string::npos);
    HttpClient basic(d.port());
    basic.SetHeader("Authorization", "Basic b3BzOnRvay1hZG1pbg==");
    CHECK(basic.Request(c.method, c.target, c.body).status == 401);
    for (const auto& [token, scope] : tokens) {
      INFO("token " << token);
      auto r = As(d.port(), token).Request(c.method, c.target, c.body);
      const bool allowed = scope == c.needs || scope == Scope::kAdmin;
      if (allowed) {
        CHECK(r.status != 401);
        CHECK(r.status != 403);
        CHECK(r.status < 500);
      } else {
        CHECK(r.status == 403);
        CHECK(r.body.find("lacks the scope") != std::string::npos);
      }
    }
  }
  // Health stays open: load balancers and probes carry no token.
  CHECK(As(d.port(), "").Request("GET", "/healthz").status == 200);
  CHECK(As(d.port(), "").Request("GET", "/readyz").status == 200);
  // Unknown paths are still 404 (the route is matched before the token).
  CHECK(As(d.port(), "").Request("GET", "/v1/nothing").status == 404);
}

TEST_CASE("An agent token acts only as its own agent, an admin token as anyone", "[daemon][auth]") {
  RunningDaemon d(WithTokens());
  auto ingest = As(d.port(), "tok-ingest");
  for (int i = 0; i < 3; ++i)
    REQUIRE(ingest.Request("POST", "/v1/messages", Msg("a" + std::to_string(i), "where is my order")).status == 202);
  auto alice = As(d.port(), "tok-alice");
  auto r = alice.Request("POST", "/v1/queues/support/claim", R"({"agent":"bob","max":3})");
  CHECK(r.status == 403);
  CHECK(r.body.find("acts only as agent 'alice'") != std::string::npos);
  CHECK(alice.Request("POST", "/v1/messages/a0/events", R"({"type":"resolved","agent":"bob"})").status == 403);
  CHECK(alice.Request("POST", "/v1/agents/bob/heartbeat", R"({"queues":["support"]})").status == 403);
  CHECK(alice.Request("GET", "/v1/agents/bob/messages").status == 403);
  // Nothing happened on bob's behalf.
  auto peek = As(d.port(), "tok-read").Request("GET", "/v1/queues/support/messages?limit=10");
  CHECK(peek.body.find("\"a0\"") != std::string::npos);
  CHECK(peek.body.find("\"a2\"") != std::string::npos);
  // As herself she can; the admin can act as bob.
  CHECK(alice.Request("POST", "/v1/queues/support/claim", R"({"agent":"alice","max":1})").status == 200);
  CHECK(As(d.port(), "tok-admin").Request("POST", "/v1/queues/support/claim", R"({"agent":"bob","max":1})").status ==
        200);
}

TEST_CASE("The audit log has every agent and admin action and every refused token - never a token",
          "[daemon][auth][audit]") {
  test::TempDir dir;
  ServerConfig c = WithTokens();
  c.security.audit_log = dir.path() + "/audit.log";
  {
    RunningDaemon d(c);
    REQUIRE(As(d.port(), "tok-ingest").Request("POST", "/v1/messages", Msg("x1", "where is my order")).status == 202);
    auto alice = As(d.port(), "tok-alice");
    REQUIRE(alice.Request("POST", "/v1/queues/support/claim", R"({"agent":"alice","max":1})").status == 200);
    REQUIRE(alice.Request("POST", "/v1/messages/x1/events", R"({"type":"rerouted","agent":"alice","to_queue":"comms"})")
                .status == 201);
    REQUIRE(As(d.port(), "tok-admin").Request("POST", "/v1/admin/reload").status == 200);
    REQUIRE(As(d.port(), "tok-wrong-secret").Request("GET", "/v1/queues").status == 401);
    REQUIRE(alice.Request("POST", "/v1/queues/support/claim", R"({"agent":"mallory"})").status == 403);
    // Reads are not actions.
    REQUIRE(As(d.port(), "tok-read").Request("GET", "/v1/queues").status == 200);
  }
  std::string log = test::ReadFile(c.security.audit_log);
  INFO(log);
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 5);
  const std::regex from("\"from\":\"127\\.0\\.0\\.1:[0-9]+\"");
  CHECK(lines[0].find(R"("who":"desk-alice")") != std::string::npos);
  CHECK(lines[0].find(R"("action":"claim","target":"support","agent":"alice","status":200)") != std::string::npos);
  CHECK(std::regex_search(lines[0], from));
  CHECK(lines[0].find(R"("at":"20)") != std::string::npos);
  CHECK(lines[1].find(R"("action":"event","target":"x1","agent":"alice","type":"rerouted","to_queue":"comms","status":201)") !=
        std::string::npos);
  CHECK(lines[2].find(R"("who":"ops")") != std::string::npos);
  CHECK(lines[2].find(R"("action":"reload")") != std::string::npos);
  CHECK(lines[3].find(R"("action":"auth_failed")") != std::string::npos);
  CHECK(lines[3].find(R"("reason":"unknown_token","status":401)") != std::string::npos);
  CHECK(lines[4].find(R"("who":"desk-alice")") != std::string::npos);
  CHECK(lines[4].find(R"("agent":"mallory","reason":"agent","status":403)") != std::string::npos);
  CHECK(log.find("tok-") == std::string::npos);
}

TEST_CASE("GET /metrics counts refused requests by reason", "[daemon][auth]") {
  RunningDaemon d(WithTokens());
  As(d.port(), "").Request("GET", "/v1/queues");
  As(d.port(), "nope").Request("GET", "/v1/queues");
  As(d.port(), "nope").Request("GET", "/v1/alerts");
  As(d.port(), "tok-metrics").Request("GET", "/v1/queues");
  std::string m = As(d.port(), "tok-metrics").Request("GET", "/metrics").body;
  CHECK(m.find("triage_auth_failures_total{reason=\"missing\"} 1\n") != std::string::npos);
  CHECK(m.find("triage_auth_failures_total{reason=\"unknown_token\"} 2\n") != std::string::npos);
  CHECK(m.find("triage_auth_failures_total{reason=\"scope\"} 1\n") != std::string::npos);
  CHECK(m.find("triage_auth_failures_total{reason=\"agent\"} 0\n") != std::string::npos);
}

TEST_CASE("Token changes apply on reload, and a bad auth: section keeps the old tokens", "[daemon][auth][reload]") {
  test::TempDir dir;
  const std::string a = TokenSha256Hex("token-a"), b = TokenSha256Hex("token-b");
  const std::string path = dir.Write("serve.yaml", "auth:\n  - name: a\n    sha256: " + a + "\n    scopes: [read]\n");
  ServerConfig c;
  REQUIRE(ServerConfig::LoadFile(path, &c).ok());
  REQUIRE(c.security.tokens.size() == 1);
  RunningDaemon d(c);
  CHECK(As(d.port(), "token-a").Request("GET", "/v1/queues").status == 200);
  CHECK(As(d.port(), "token-b").Request("GET", "/v1/queues").status == 401);

  dir.Write("serve.yaml", "auth:\n  - name: b\n    sha256: " + b + "\n    scopes: [read, admin]\n");
  REQUIRE(d.daemon->Reload().ok());
  CHECK(As(d.port(), "token-a").Request("GET", "/v1/queues").status == 401);
  CHECK(As(d.port(), "token-b").Request("GET", "/v1/queues").status == 200);

  // A broken section is refused as a whole, through the API as by SIGHUP.
  dir.Write("serve.yaml", "auth:\n  - name: c\n    sha256: not-hex\n    scopes: [read]\n");
  auto r = As(d.port(), "token-b").Request("POST", "/v1/admin/reload");
  CHECK(r.status == 422);
  CHECK(r.body.find("serve.yaml:3: auth[0].sha256") != std::string::npos);
  CHECK(As(d.port(), "token-b").Request("GET", "/v1/queues").status == 200);
}

TEST_CASE("serve refuses to listen off loopback with no token unless told --insecure-no-auth", "[daemon][auth]") {
  test::TempDir dir;
  ServerConfig c = test::LocalConfig(dir);
  c.host = "0.0.0.0";
  FILE* log = std::tmpfile();
  std::unique_ptr<Daemon> daemon;
  Status s = Daemon::Create(c, log, &daemon);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("0.0.0.0 is not a loopback address and no API token is configured") != std::string::npos);
  CHECK(s.message().find("--insecure-no-auth") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(c.data_dir));  // refused before anything was created

  c.insecure_no_auth = true;
  CHECK(Daemon::Create(c, log, &daemon).ok());
  daemon.reset();
  c.insecure_no_auth = false;
  c.security.tokens = {test::ApiToken("ops", "t", {Scope::kAdmin})};
  CHECK(Daemon::Create(c, log, &daemon).ok());
  daemon.reset();
  for (const char* loopback : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    INFO(loopback);
    CHECK(IsLoopbackHost(loopback));
  }
  for (const char* open : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.org"}) {
    INFO(open);
    CHECK_FALSE(IsLoopbackHost(open));
  }
  std::fclose(log);
}

TEST_CASE("The auth: section: every mistake named with file, line and key", "[daemon][auth][config]") {
  test::TempDir dir;
  const std::string good = TokenSha256Hex("x");
  const std::string path = dir.Write("serve.yaml",
                                     "auth:\n"
                                     "  - name: ok\n"
                                     "    sha256: " + good + "\n"
                                     "    scopes: [read]\n"
                                     "  - name: short\n"
                                     "    sha256: abc\n"
                                     "    scopes: [read]\n"
                                     "  - name: badscope\n"
                                     "    sha256: " + TokenSha256Hex("y") + "\n"
                                     "    scopes: [reed]\n"
                                     "  - name: noagent\n"
                                     "    sha256: " + TokenSha256Hex("z") + "\n"
                                     "    scopes: [agent]\n"
                                     "  - name: ok\n"
                                     "    sha256: " + TokenSha256Hex("w") + "\n"
                                     "    scopes: [read]\n"
                                     "    colour: blue\n"
                                     "tls:\n"
                                     "  cert: /x.pem\n");
  ServerConfig c;
  Status s = ServerConfig::LoadFile(path, &c);
  REQUIRE_FALSE(s.ok());
  INFO(s.message());
  CHECK(s.message().find("serve.yaml:6: auth[1].sha256: must be the 64 hex digits") != std::string::npos);
  CHECK(s.message().find("serve.yaml:10: auth[2].scopes: unknown scope 'reed'") != std::string::npos);
  CHECK(s.message().find("auth[3].agent: the agent scope needs the agent") != std::string::npos);
  CHECK(s.message().find("serve.yaml:17: auth[4].colour: unknown key") != std::string::npos);
  CHECK(s.message().find("auth[4].name: 'ok' is used twice") != std::string::npos);
  CHECK(s.message().find("tls: needs both cert and key") != std::string::npos);
}

TEST_CASE("triage token new prints a fresh token once and the entry that matches it", "[auth][cli]") {
  auto run = [](TokenNewOptions o) {
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    o.out = out;
    o.err = err;
    test::CommandRun r;
    r.rc = RunTokenNew(o);
    r.out = test::Slurp(out);
    r.err = test::Slurp(err);
    std::fclose(out);
    std::fclose(err);
    return r;
  };
  auto r = run({"desk-alice", {"agent", "read"}, "alice"});
  REQUIRE(r.rc == 0);
  std::smatch token, sha;
  REQUIRE(std::regex_search(r.out, token, std::regex("token: (trg_[A-Za-z0-9_-]{43})\n")));
  REQUIRE(std::regex_search(r.out, sha, std::regex("sha256: ([0-9a-f]{64})\n")));
  CHECK(sha[1].str() == TokenSha256Hex(token[1].str()));
  CHECK(r.out.find("    scopes: [agent, read]\n    agent: alice\n") != std::string::npos);
  // What it printed is a config entry that authenticates the token.
  test::TempDir dir;
  std::string yaml = "auth:\n" + r.out.substr(r.out.find("  - name:"));
  ServerConfig c;
  REQUIRE(ServerConfig::LoadFile(dir.Write("serve.yaml", yaml), &c).ok());
  Principal who;
  CHECK(TokenTable(c.security.tokens).Authenticate("Bearer " + token[1].str(), Scope::kAgent, &who) ==
        AuthFailure::kNone);
  CHECK(who.name == "desk-alice");
  CHECK(who.agent == "alice");
  // Two runs never give the same token.
  auto again = run({"desk-alice", {"agent", "read"}, "alice"});
  CHECK(again.out.substr(0, 60) != r.out.substr(0, 60));
  // Mistakes.
  CHECK(run({"desk-bob", {"agent"}, ""}).rc == kExitUsage);
  CHECK(run({"ingest", {"ingest"}, "alice"}).rc == kExitUsage);
  CHECK(run({"a:b", {"read"}, ""}).rc == kExitUsage);
}

TEST_CASE("TokenTable: bearer parsing, scopes, admin, and no token configured", "[auth]") {
  TokenTable t({test::ApiToken("r", "read-token", {Scope::kRead}), test::ApiToken("ops", "admin-token", {Scope::kAdmin})});
  Principal who;
  CHECK(t.Authenticate("", Scope::kRead, &who) == AuthFailure::kMissing);
  CHECK(t.Authenticate("Bearer", Scope::kRead, &who) == AuthFailure::kMalformed);
  CHECK(t.Authenticate("Token read-token", Scope::kRead, &who) == AuthFailure::kMalformed);
  CHECK(t.Authenticate("Bearer read-token ", Scope::kRead, &who) == AuthFailure::kUnknown);
  CHECK(t.Authenticate("bearer read-token", Scope::kRead, &who) == AuthFailure::kNone);
  CHECK(who.name == "r");
  CHECK(t.Authenticate("Bearer read-token", Scope::kMetrics, &who) == AuthFailure::kScope);
  CHECK(t.Authenticate("Bearer admin-token", Scope::kMetrics, &who) == AuthFailure::kNone);
  CHECK(who.MayActAs("anyone"));
  CHECK(TokenTable().Authenticate("", Scope::kAdmin, &who) == AuthFailure::kNone);
  CHECK_FALSE(who.authenticated);
  CHECK(who.MayActAs("anyone"));
}

TEST_CASE("GET /v1/whoami names the calling token and its scopes, for any valid token", "[daemon][auth][console]") {
  RunningDaemon d(WithTokens());
  auto reader = As(d.port(), "tok-read").Request("GET", "/v1/whoami");
  CHECK(reader.status == 200);
  CHECK(reader.body == R"({"name":"reader","auth":true,"scopes":["read"],"agent":""})");
  // No scope is needed: a metrics-only token may ask who it is.
  CHECK(As(d.port(), "tok-metrics").Request("GET", "/v1/whoami").body ==
        R"({"name":"prometheus","auth":true,"scopes":["metrics"],"agent":""})");
  CHECK(As(d.port(), "tok-alice").Request("GET", "/v1/whoami").body ==
        R"({"name":"desk-alice","auth":true,"scopes":["agent"],"agent":"alice"})");
  auto none = As(d.port(), "").Request("GET", "/v1/whoami");
  CHECK(none.status == 401);
  auto unknown = As(d.port(), "tok-nobody").Request("GET", "/v1/whoami");
  CHECK(unknown.status == 401);
  CHECK_THAT(unknown.body, Catch::Contains("unknown token"));
  CHECK(As(d.port(), "tok-read").Request("POST", "/v1/whoami").status == 405);
  // With authentication off, everyone is everything.
  RunningDaemon open;
  CHECK(As(open.port(), "").Request("GET", "/v1/whoami").body ==
        R"({"name":"","auth":false,"scopes":["ingest","agent","read","metrics","admin"],"agent":""})");
}
