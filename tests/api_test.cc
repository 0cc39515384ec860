// The HTTP API in-process: routing, request parsing and every error path
// that is answered before the store is touched, with no socket and no
// RocksDB (the Api is given no store; a test that reached it would crash,
// which is itself a failure of the rule that bad requests are refused early).
#include <catch2/catch.hpp>

#include <map>

#include "engine/pipeline.h"
#include "format/archive_format.h"
#include "format/event.h"
#include "runtime/server/api.h"
#include "runtime/server/request.h"
#include "runtime/server/routes.h"

using namespace triage;

namespace {

struct InProcessApi {
  explicit InProcessApi(ServerConfig c = ServerConfig()) : config(std::move(c)) {
    REQUIRE(pipelines.Reload().ok());
    api = std::make_unique<Api>(config, /*store=*/nullptr, &pipelines, &metrics);
  }
  // Error paths answer synchronously, before Handle returns.
  ApiResponse Call(std::string_view method, std::string_view target, std::string body = "",
                   std::map<std::string, std::string> headers = {}) {
    bool answered = false;
    ApiResponse out;
    api->Handle(
        method, target,
        [&](std::string_view name) {
          auto it = headers.find(std::string(name));
          return it == headers.end() ? std::string() : it->second;
        },
        std::move(body), [&](ApiResponse r) {
          CHECK_FALSE(answered);  // exactly once
          answered = true;
          out = std::move(r);
        });
    REQUIRE(answered);
    return out;
  }

  ServerConfig config;
  PipelineHolder pipelines{Pipeline::DefaultRulesPath(), PatternDatabaseOptions{}, "none"};
  ServerMetrics metrics;
  std::unique_ptr<Api> api;
};

bool Has(const ApiResponse& r, std::string_view text) {
  UNSCOPED_INFO("body: " << r.body);
  return r.body.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("MatchRoute: each endpoint, its parameter and its metrics bucket", "[api][routes]") {
  struct Case {
    std::string_view method, target;
    ApiRoute route;
    std::string param;
    Endpoint endpoint;
  };
  const Case cases[] = {
      {"GET", "/healthz", ApiRoute::kHealthz, "", Endpoint::kHealth},
      {"GET", "/readyz", ApiRoute::kReadyz, "", Endpoint::kHealth},
      {"GET", "/metrics", ApiRoute::kMetrics, "", Endpoint::kMetrics},
      {"POST", "/v1/messages", ApiRoute::kIngest, "", Endpoint::kIngest},
      {"GET", "/v1/messages/x%3A1", ApiRoute::kGetMessage, "x:1", Endpoint::kGet},
      {"POST", "/v1/messages/ig:9/events", ApiRoute::kAddEvent, "ig:9", Endpoint::kEvent},
      {"GET", "/v1/queues", ApiRoute::kListQueues, "", Endpoint::kQueues},
      {"GET", "/v1/queues/support/messages?limit=3", ApiRoute::kPeek, "support", Endpoint::kPeek},
      {"POST", "/v1/queues/sales/claim", ApiRoute::kClaim, "sales", Endpoint::kClaim},
      {"GET", "/v1/agents", ApiRoute::kListAgents, "", Endpoint::kAgents},
      {"GET", "/v1/agents/ana%20b/messages", ApiRoute::kAgentMessages, "ana b", Endpoint::kAgents},
      {"POST", "/v1/agents/ana/heartbeat", ApiRoute::kHeartbeat, "ana", Endpoint::kAgents},
      {"GET", "/v1/alerts?state=open", ApiRoute::kAlerts, "", Endpoint::kAlerts},
      {"GET", "/v1/metrics/summary", ApiRoute::kSummary, "", Endpoint::kReports},
      {"GET", "/v1/maturity?format=html", ApiRoute::kMaturity, "", Endpoint::kReports},
      {"POST", "/webhooks/meta", ApiRoute::kWebhook, "meta", Endpoint::kWebhook},
      {"GET", "/webhooks/x?crc_token=a", ApiRoute::kWebhook, "x", Endpoint::kWebhook},
      {"GET", "//v1//queues/", ApiRoute::kListQueues, "", Endpoint::kQueues},  // empty segments skipped
  };
  for (const Case& c : cases) {
    INFO(c.method << " " << c.target);
    RouteMatch m = MatchRoute(c.method, c.target);
    CHECK(m.route == c.route);
    CHECK(m.param == c.param);
    CHECK(m.endpoint == c.endpoint);
    CHECK(m.status == 0);
  }
  CHECK(MatchRoute("GET", "/v1/alerts?state=open&limit=2").query == "state=open&limit=2");
  CHECK(MatchRoute("GET", "/v1/alerts").query.empty());
}

TEST_CASE("MatchRoute: 404 for unknown paths, 405 naming the allowed methods, 400 for bad parameters",
          "[api][routes]") {
  RouteMatch m = MatchRoute("GET", "/v2/messages");
  CHECK(m.route == ApiRoute::kNone);
  CHECK(m.status == 404);
  CHECK(m.endpoint == Endpoint::kOther);
  CHECK(m.error == "no such endpoint: GET /v2/messages");
  CHECK(MatchRoute("GET", "/v1/messages/a/b/c").status == 404);
  CHECK(MatchRoute("POST", "/v1/queues/support").status == 404);

  m = MatchRoute("GET", "/v1/messages");
  CHECK(m.status == 405);
  CHECK(m.endpoint == Endpoint::kIngest);
  CHECK(m.error == "method GET not allowed; use POST");
  m = MatchRoute("DELETE", "/v1/agents/ana/heartbeat");
  CHECK(m.status == 405);
  CHECK(m.endpoint == Endpoint::kAgents);

  m = MatchRoute("GET", "/v1/messages/bad%zz");
  CHECK(m.status == 400);
  CHECK(m.field == "id");
  CHECK(m.error == "bad message id in the path");
  m = MatchRoute("POST", "/v1/queues/%00/claim");  // control characters
  CHECK(m.status == 400);
  CHECK(m.field == "queue");
  m = MatchRoute("GET", "/v1/agents/%/messages");
  CHECK(m.status == 400);
  CHECK(m.field == "agent");
}

TEST_CASE("Request parsing: JSON fields, query parameters, percent-decoding", "[api][parse]") {
  JsonFields f;
  std::string bad;
  REQUIRE(ParseFields(R"({"agent":"ana","max":3,"queues":["a","b"],"note":null})", &f, &bad).ok());
  CHECK(f.strings["agent"] == "ana");
  CHECK(f.ints["max"] == 3);
  CHECK(f.lists["queues"] == std::vector<std::string>{"a", "b"});

  f = JsonFields();
  Status s = ParseFields(R"({"max":1.5})", &f, &bad);
  CHECK(!s.ok());
  CHECK(bad == "max");
  CHECK(s.message() == "'max' must be an integer");
  bad.clear();
  s = ParseFields(R"({"queues":["a",2]})", &f, &bad);
  CHECK(bad == "queues");
  CHECK(s.message() == "'queues' must be a list of strings");
  bad.clear();
  s = ParseFields(R"({"flag":true})", &f, &bad);
  CHECK(bad == "flag");
  CHECK(ParseFields("[1,2]", &f, &bad).message() == "the body must be a JSON object");
  s = ParseFields("{\"a\":", &f, &bad);
  INFO(s.message());
  CHECK(s.message().rfind("invalid", 0) == 0);
  CHECK(!ParseFields(R"({"a":1} trailing)", &f, &bad).ok());

  CHECK(QueryParam("a=1&limit=20&b", "limit") == "20");
  CHECK(QueryParam("a=1", "limit").empty());
  CHECK(QueryParam("xlimit=3", "limit").empty());
  size_t n = 0;
  CHECK(LimitParam("", 50, 100, &n));
  CHECK(n == 50);
  CHECK(LimitParam("limit=100", 50, 100, &n));
  CHECK(n == 100);
  CHECK_FALSE(LimitParam("limit=101", 50, 100, &n));
  CHECK_FALSE(LimitParam("limit=0", 50, 100, &n));
  CHECK_FALSE(LimitParam("limit=1e2", 50, 100, &n));
  std::string out;
  CHECK(UrlDecode("a%2Fb%20c", &out));
  CHECK(out == "a/b c");
  CHECK_FALSE(UrlDecode("a%2", &out));
  CHECK_FALSE(UrlDecode("%G0", &out));
  CHECK(HasControlChars(std::string("a\x01", 2)));
  CHECK_FALSE(HasControlChars("ça va"));
}

TEST_CASE("Api: routing errors answer JSON and are counted under their endpoint", "[api][errors]") {
  InProcessApi t;
  ApiResponse r = t.Call("GET", "/nope");
  CHECK(r.status == 404);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"error":"no such endpoint: GET /nope"})");
  r = t.Call("PUT", "/v1/queues/support/claim");
  CHECK(r.status == 405);
  r = t.Call("GET", "/v1/messages/%zz");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"bad message id in the path","field":"id"})");
  CHECK(t.metrics.requests[static_cast<int>(Endpoint::kOther)].load() == 1);
  CHECK(t.metrics.requests[static_cast<int>(Endpoint::kClaim)].load() == 1);
  CHECK(t.metrics.requests[static_cast<int>(Endpoint::kGet)].load() == 1);
  CHECK(t.Call("GET", "/healthz").status == 200);
}

TEST_CASE("Api: ingest refuses bad bodies naming the line, and stores nothing", "[api][errors]") {
  ServerConfig c;
  c.max_batch_messages = 2;
  InProcessApi t(c);
  const std::string good = R"({"id":"t:1","channel":"x","text":"hello"})";

  ApiResponse r = t.Call("POST", "/v1/messages", "");
  CHECK(r.status == 400);
  CHECK(Has(r, "the body holds no messages"));
  r = t.Call("POST", "/v1/messages", "\n  \n");
  CHECK(r.status == 400);

  r = t.Call("POST", "/v1/messages", good + "\n{\"id\":\n");
  CHECK(r.status == 400);
  CHECK(Has(r, "\"line\":2"));
  CHECK(Has(r, "nothing from this request was stored"));

  r = t.Call("POST", "/v1/messages", R"({"channel":"x","text":"no id"})");
  CHECK(r.status == 400);
  CHECK(Has(r, "field 'id'"));

  r = t.Call("POST", "/v1/messages", "{\"id\":\"a\\u0001b\",\"channel\":\"x\",\"text\":\"t\"}");
  CHECK(r.status == 400);
  CHECK(Has(r, "control characters"));

  r = t.Call("POST", "/v1/messages", R"({"type":"event","message":"t:1","event":"replied","agent":"a","at":"2026-01-01T00:00:00Z"})");
  CHECK(r.status == 400);
  CHECK(Has(r, "/events"));

  // A line shaped as the detector's alert line would be mistaken for one in the store.
  r = t.Call("POST", "/v1/messages", R"({"type":"crisis_alert","id":"t:2","channel":"x","text":"t"})");
  CHECK(r.status == 400);
  CHECK(Has(r, "crisis_alert"));

  // A pretty-printed single object is one message; a bad one is still a 400.
  r = t.Call("POST", "/v1/messages", "{\n  \"id\": \"t:3\",\n  \"channel\": 7\n}");
  CHECK(r.status == 400);
  CHECK(Has(r, "channel"));

  r = t.Call("POST", "/v1/messages", good + "\n" + good + "\n" + good + "\n");
  CHECK(r.status == 413);
  CHECK(Has(r, "max_batch_messages (2)"));
  CHECK(t.metrics.ingest_rejected_lines.load() >= 4);
  CHECK(t.metrics.ingest_stored.load() == 0);
}

TEST_CASE("Api: claim, event and heartbeat bodies are checked field by field before the store", "[api][errors]") {
  InProcessApi t;
  auto field_of = [](const ApiResponse& r) {
    size_t at = r.body.find("\"field\":\"");
    return at == std::string::npos ? std::string() : r.body.substr(at + 9, r.body.find('"', at + 9) - at - 9);
  };
  ApiResponse r = t.Call("POST", "/v1/queues/support/claim", "not json");
  CHECK(r.status == 400);
  r = t.Call("POST", "/v1/queues/support/claim", R"({"max":2})");
  CHECK(field_of(r) == "agent");
  r = t.Call("POST", "/v1/queues/support/claim", R"({"agent":"ana","lease_seconds":0})");
  CHECK(field_of(r) == "lease_seconds");
  r = t.Call("POST", "/v1/queues/support/claim", R"({"agent":"ana","max":1000})");
  CHECK(field_of(r) == "max");
  r = t.Call("POST", "/v1/queues/support/claim", R"({"agent":"ana","max":"3"})");  // refused, not ignored
  CHECK(field_of(r) == "max");
  CHECK(Has(r, "'max' must be an integer"));
  r = t.Call("POST", "/v1/messages/t:1/events", R"({"type":"replied","agent":"ana","at_ms":"5"})");
  CHECK(field_of(r) == "at_ms");
  r = t.Call("POST", "/v1/agents/ana/heartbeat", R"({"queues":"support"})");
  CHECK(field_of(r) == "queues");

  r = t.Call("POST", "/v1/messages/t:1/events", R"({"type":"smiled","agent":"ana"})");
  CHECK(field_of(r) == "type");
  r = t.Call("POST", "/v1/messages/t:1/events", R"({"type":"replied"})");
  CHECK(field_of(r) == "agent");
  r = t.Call("POST", "/v1/messages/t:1/events", R"({"type":"replied","agent":"ana","at":"yesterday"})");
  CHECK(field_of(r) == "at");
  r = t.Call("POST", "/v1/messages/t:1/events", R"({"type":"rerouted","agent":"ana"})");
  CHECK(field_of(r) == "to_queue");

  r = t.Call("POST", "/v1/agents/ana/heartbeat", R"({"queues":[]})");
  CHECK(field_of(r) == "queues");

  r = t.Call("GET", "/v1/alerts?state=maybe");
  CHECK(field_of(r) == "state");
  r = t.Call("GET", "/v1/alerts?limit=0");
  CHECK(field_of(r) == "limit");
  r = t.Call("GET", "/v1/metrics/summary?from=2026-02-01&to=2026-01-01");
  CHECK(field_of(r) == "to");
  r = t.Call("GET", "/v1/maturity?format=xml");
  CHECK(field_of(r) == "format");
  r = t.Call("GET", "/v1/metrics/summary?conversations=maybe");
  CHECK(field_of(r) == "conversations");
}

TEST_CASE("Api: webhook handshakes and authentication failures", "[api][errors][webhooks]") {
  ServerConfig c;
  c.webhooks.meta_verify_token = "verify-me";
  c.webhooks.meta_app_secret = "app-secret";
  c.webhooks.bearer_token = "tok";
  InProcessApi t(c);

  ApiResponse r = t.Call("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=c%2042");
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/plain");
  CHECK(r.body == "c 42");
  CHECK(t.Call("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1").status == 403);
  CHECK(t.Call("GET", "/webhooks/x").status == 400);           // crc_token required
  CHECK(t.Call("GET", "/webhooks/x?crc_token=a").status == 401);  // no consumer secret configured
  CHECK(t.Call("GET", "/webhooks/slack").status == 405);
  CHECK(t.Call("PUT", "/webhooks/meta").status == 405);
  CHECK(t.Call("POST", "/webhooks/myspace").status == 404);

  r = t.Call("POST", "/webhooks/meta", "{}", {{"x-hub-signature-256", "sha256=00"}});
  CHECK(r.status == 401);
  r = t.Call("POST", "/webhooks/meta", "{}");
  CHECK(r.status == 401);
  r = t.Call("POST", "/webhooks/reddit", "{}");
  CHECK(Has(r, "no Authorization: Bearer header"));
  r = t.Call("POST", "/webhooks/reddit", "{}", {{"authorization", "Bearer nope"}});
  CHECK(Has(r, "wrong bearer token"));
  r = t.Call("POST", "/webhooks/archive", "{}", {{"authorization", "Basic dG9r"}});
  CHECK(Has(r, "is not 'Bearer <token>'"));
  CHECK(t.Call("POST", "/webhooks/telegram", "{}").status == 401);  // no secret configured: refuses everything
  CHECK(t.metrics.webhook_rejected[0].load() >= 3);  // meta
  // An authenticated payload that is not one the platform sends is a 400 naming it.
  r = t.Call("POST", "/webhooks/reddit", "[1]", {{"authorization", "Bearer tok"}});
  CHECK(r.status == 400);
  CHECK(Has(r, "reddit payload"));
}

TEST_CASE("MatchRoute: path parameters longer than anything stored under them are a 400 naming them",
          "[api][routes][limits]") {
  struct Case {
    std::string method, prefix, suffix, field;
    size_t limit;
  };
  const Case cases[] = {
      {"GET", "/v1/messages/", "", "id", kMaxIdBytes},
      {"POST", "/v1/messages/", "/events", "id", kMaxIdBytes},
      {"GET", "/v1/queues/", "/messages", "queue", kMaxQueueNameBytes},
      {"POST", "/v1/queues/", "/claim", "queue", kMaxQueueNameBytes},
      {"GET", "/v1/agents/", "/messages", "agent", kMaxAgentBytes},
      {"POST", "/v1/agents/", "/heartbeat", "agent", kMaxAgentBytes},
  };
  for (const Case& c : cases) {
    INFO(c.method << " " << c.prefix << "{" << c.field << "}" << c.suffix);
    CHECK(MatchRoute(c.method, c.prefix + std::string(c.limit, 'a') + c.suffix).status == 0);
    RouteMatch m = MatchRoute(c.method, c.prefix + std::string(c.limit + 1, 'a') + c.suffix);
    CHECK(m.status == 400);
    CHECK(m.field == c.field);
    CHECK_THAT(m.error, Catch::Contains("over the limit of " + std::to_string(c.limit)));
    // Counted once decoded: %41 is one byte.
    std::string encoded;
    for (size_t i = 0; i < c.limit; ++i) encoded += "%41";
    CHECK(MatchRoute(c.method, c.prefix + encoded + c.suffix).status == 0);
  }
}

TEST_CASE("Request bodies: a key given twice is a 400 naming it", "[api][parse][limits]") {
  JsonFields f;
  std::string bad;
  Status s = ParseFields(R"({"agent":"a","agent":"b"})", &f, &bad);
  CHECK_FALSE(s.ok());
  CHECK(bad == "agent");
  CHECK(s.message() == "'agent' is given twice");
  bad.clear();
  CHECK_FALSE(ParseFields(R"({"max":1,"agent":"a","max":2})", &f, &bad).ok());
  CHECK(bad == "max");
  bad.clear();
  CHECK_FALSE(ParseFields(R"({"note":null,"note":"x"})", &f, &bad).ok());  // null counts
  CHECK(bad == "note");
  bad.clear();
  CHECK_FALSE(ParseFields(R"({"a\u0067ent":"a","agent":"b"})", &f, &bad).ok());  // keys compared unescaped
  CHECK(bad == "agent");

  InProcessApi t;
  ApiResponse r = t.Call("POST", "/v1/queues/support/claim", R"({"agent":"ana","agent":"bob"})");
  CHECK(r.status == 400);
  CHECK(Has(r, "\"field\":\"agent\""));
  r = t.Call("POST", "/v1/messages/t:1/events", R"({"type":"replied","type":"resolved","agent":"ana"})");
  CHECK(r.status == 400);
  CHECK(Has(r, "\"field\":\"type\""));
  r = t.Call("POST", "/v1/agents/ana/heartbeat", R"({"queues":["support"],"queues":["sales"]})");
  CHECK(r.status == 400);
  CHECK(Has(r, "\"field\":\"queues\""));
}

TEST_CASE("Api: names, notes, lists and event times over their limits are a 400 naming the field",
          "[api][errors][limits]") {
  InProcessApi t;
  auto field_of = [](const ApiResponse& r) {
    size_t at = r.body.find("\"field\":\"");
    return at == std::string::npos ? std::string() : r.body.substr(at + 9, r.body.find('"', at + 9) - at - 9);
  };
  const std::string long_agent(kMaxAgentBytes + 1, 'a');
  ApiResponse r = t.Call("POST", "/v1/queues/support/claim", R"({"agent":")" + long_agent + "\"}");
  CHECK(r.status == 400);
  CHECK(field_of(r) == "agent");
  CHECK(Has(r, "129 bytes, over the limit of 128"));

  auto event = [&](const std::string& fields) { return t.Call("POST", "/v1/messages/t:1/events", "{" + fields + "}"); };
  r = event(R"("type":"replied","agent":")" + long_agent + "\"");
  CHECK(r.status == 400);
  CHECK(field_of(r) == "agent");
  r = event(R"("type":"replied","agent":"ana","note":")" + std::string(kMaxNoteBytes + 1, 'n') + "\"");
  CHECK(r.status == 400);
  CHECK(field_of(r) == "note");
  CHECK(Has(r, "4097 bytes, over the limit of 4096"));
  r = event(R"("type":"rerouted","agent":"ana","to_queue":")" + std::string(kMaxQueueNameBytes + 1, 'q') + "\"");
  CHECK(r.status == 400);
  CHECK(field_of(r) == "to_queue");
  CHECK(Has(r, "over the limit of 128"));  // not echoed back
  // Times: at_ms of -2^63 once overflowed the response-time sums.
  for (const char* at_ms : {"-9223372036854775808", "9223372036854775807", "0", "946684799999", "4102444800001"}) {
    INFO(at_ms);
    r = event(R"("type":"replied","agent":"ana","at_ms":)" + std::string(at_ms));
    CHECK(r.status == 400);
    CHECK(field_of(r) == "at_ms");
    CHECK(Has(r, "2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z"));
  }
  for (const char* at : {"1999-12-31T23:59:59Z", "2100-01-01T00:00:01Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    INFO(at);
    r = event(R"("type":"replied","agent":"ana","at":")" + std::string(at) + "\"");
    CHECK(r.status == 400);
    CHECK(field_of(r) == "at");
  }

  std::string many = "[";
  for (size_t i = 0; i <= kMaxListEntries; ++i) many += std::string(i ? "," : "") + "\"support\"";
  many += "]";
  r = t.Call("POST", "/v1/agents/ana/heartbeat", R"({"queues":)" + many + "}");
  CHECK(r.status == 400);
  CHECK(field_of(r) == "queues");
  CHECK(Has(r, "65 entries, over the limit of 64"));
  r = t.Call("POST", "/v1/agents/ana/heartbeat", R"({"queues":[")" + std::string(kMaxQueueNameBytes + 1, 'q') + "\"]}");
  CHECK(r.status == 400);
  CHECK(field_of(r) == "queues");
  CHECK(Has(r, "over the limit of 128"));
}

TEST_CASE("Api: ingest refuses a message whose fields are over their limits, naming the field", "[api][errors][limits]") {
  InProcessApi t;
  auto line = [](const std::string& field, const std::string& value) {
    return R"({"id":"t:1","channel":"x","text":"t",")" + field + R"(":")" + value + "\"}";
  };
  ApiResponse r = t.Call("POST", "/v1/messages", R"({"id":")" + std::string(4 << 20, 'i') + R"(","channel":"x","text":"t"})");
  CHECK(r.status == 400);
  CHECK(Has(r, "field 'id': 4194304 bytes, over the limit of 256"));
  r = t.Call("POST", "/v1/messages", R"({"id":"t:1","channel":"x","text":")" + std::string(kMaxTextBytes + 1, 't') + "\"}");
  CHECK(r.status == 400);
  CHECK(Has(r, "field 'text': 65537 bytes"));
  r = t.Call("POST", "/v1/messages", line("lang", std::string(kMaxLangBytes + 1, 'e')));
  CHECK(Has(r, "field 'lang'"));
  r = t.Call("POST", "/v1/messages", R"({"id":"t:1","channel":"x","text":"t","id":"t:2"})");
  CHECK(r.status == 400);
  CHECK(Has(r, "field 'id': given twice"));
  CHECK(t.metrics.ingest_stored.load() == 0);
}
