// Each sink's requests, as its vendor documents them (the URLs are at the
// top of each sink's file), checked by a local fake receiver (chatwoot's,
// which keeps state, has outbound_chatwoot_test.cc); and the `outbound:`
// config with its errors naming the field.
#include <catch2/catch.hpp>

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "connectors/webhooks/signature.h"
#include "fake_http_server.h"
#include "runtime/outbound/outbound_config.h"
#include "runtime/outbound/sink.h"
#include "test_util.h"

using namespace triage;
using test::FakeHttpServer;
using Reply = FakeHttpServer::Reply;

namespace {

OutboxEntry RoutedMessage(const std::string& conversation = "conv-1") {
  OutboxEntry e;
  e.sink = "s";
  e.seq = 7;
  e.kind = "message";
  e.subject = "m1";
  e.conversation = conversation;
  e.event = "routed";
  e.queue = "support";
  e.priority = Priority::kUrgent;
  e.delivery_id = "s:7";
  e.payload = "{\"message\":{\"id\":\"m1\",\"channel\":\"x\",\"text\":\"my order <123> is late & lost\","
              "\"author\":{\"handle\":\"@ann\"}},\"decision\":{\"label\":\"support\"}}";
  return e;
}

OutboxEntry Alert() {
  OutboxEntry e;
  e.sink = "s";
  e.seq = 8;
  e.kind = "alert";
  e.subject = "al-1";
  e.conversation = "al-1";
  e.event = "opened";
  e.priority = Priority::kUrgent;
  e.delivery_id = "s:8";
  e.payload = "{\"type\":\"crisis_alert\",\"alert\":\"al-1\",\"topic\":\"charger fire\",\"opened_at\":"
              "\"2026-01-01T10:00:00Z\",\"closed_at\":null,\"first_message\":\"m9\",\"messages\":14,"
              "\"window_count\":11,\"expected\":1.5,\"p_value\":0.0001}";
  return e;
}

SinkConfig Config(const std::string& type, const std::string& url) {
  SinkConfig c;
  c.name = "s";
  c.type = type;
  c.url = url;
  c.secret = "tok3n";
  c.timeout_seconds = 5;
  return c;
}

simdjson::dom::element Parse(simdjson::dom::parser& p, const std::string& body) {
  simdjson::dom::element el;
  INFO(body);
  REQUIRE(!p.parse(simdjson::padded_string(body)).get(el));
  return el;
}

std::string Str(simdjson::dom::element el) {
  std::string_view s;
  return el.get_string().get(s) ? std::string() : std::string(s);
}

DeliveryOutcome Deliver(const SinkConfig& c, const OutboxEntry& e) {
  std::unique_ptr<Sink> sink;
  REQUIRE(MakeSink(c, &sink).ok());
  return sink->Deliver(e);
}

Status ParseConfig(const std::string& yaml, std::vector<SinkConfig>* out) {
  return ReadOutboundConfig(YAML::Load(yaml), "serve.yaml", out);
}

}  // namespace

TEST_CASE("slack: an incoming-webhook POST with text and Block Kit blocks, escaped, with the console link", "[outbound]") {
  FakeHttpServer server;
  SinkConfig c = Config("slack", server.Url("/services/T/B/X"));
  c.settings["console_url"] = "https://triage.example.com/";
  REQUIRE(Deliver(c, Alert()).kind == DeliveryOutcome::Kind::kDelivered);
  REQUIRE(Deliver(c, RoutedMessage()).kind == DeliveryOutcome::Kind::kDelivered);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  simdjson::dom::parser p;
  for (const auto& r : reqs) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/services/T/B/X");
    CHECK(r.Header("content-type") == "application/json");
    CHECK(!r.Header("x-triage-delivery").empty());
  }
  auto alert = Parse(p, reqs[0].body);
  CHECK(Str(alert["text"]) == "Crisis alert opened: charger fire");
  simdjson::dom::array blocks;
  REQUIRE(!alert["blocks"].get(blocks));
  CHECK(Str(blocks.at(0)["type"]) == "header");
  CHECK(Str(blocks.at(0)["text"]["type"]) == "plain_text");
  CHECK_THAT(reqs[0].body, Catch::Contains("*Messages*\\n14"));
  CHECK_THAT(reqs[0].body, Catch::Contains("m9"));
  simdjson::dom::element last = blocks.at(blocks.size() - 1);
  CHECK(Str(last["type"]) == "actions");
  CHECK(Str(last["elements"].at(0)["url"]) == "https://triage.example.com/console");
  auto msg = Parse(p, reqs[1].body);
  CHECK(Str(msg["text"]) == "Urgent message for support");
  CHECK_THAT(reqs[1].body, Catch::Contains("my order &lt;123&gt; is late &amp; lost"));
}

TEST_CASE("teams: a MessageCard with facts and an OpenUri action to the console", "[outbound]") {
  FakeHttpServer server;
  SinkConfig c = Config("teams", server.Url("/webhookb2/abc"));
  c.settings["console_url"] = "https://triage.example.com";
  REQUIRE(Deliver(c, Alert()).kind == DeliveryOutcome::Kind::kDelivered);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  simdjson::dom::parser p;
  auto card = Parse(p, reqs[0].body);
  CHECK(Str(card["@type"]) == "MessageCard");
  CHECK(Str(card["@context"]) == "https://schema.org/extensions");
  CHECK(Str(card["title"]) == "Crisis alert opened: charger fire");
  CHECK(!Str(card["summary"]).empty());
  simdjson::dom::array facts;
  REQUIRE(!card["sections"].at(0)["facts"].get(facts));
  bool messages = false;
  for (auto f : facts)
    if (Str(f["name"]) == "Messages") messages = Str(f["value"]) == "14";
  CHECK(messages);
  auto action = card["potentialAction"].at(0);
  CHECK(Str(action["@type"]) == "OpenUri");
  CHECK(Str(action["targets"].at(0)["uri"]) == "https://triage.example.com/console");
}

TEST_CASE("zendesk: looks the conversation up by external_id, creates one ticket, comments once", "[outbound]") {
  std::mutex mu;
  bool created = false;
  std::string comments = "{\"comments\":[]}";
  FakeHttpServer server([&](const FakeHttpServer::Request& r) {
    std::lock_guard<std::mutex> l(mu);
    Reply reply;
    if (r.method == "GET" && r.target.rfind("/api/v2/tickets.json?external_id=", 0) == 0) {
      reply.body = created ? "{\"tickets\":[{\"id\":501,\"external_id\":\"conv-1\"}],\"count\":1}" : "{\"tickets\":[],\"count\":0}";
    } else if (r.method == "POST" && r.target == "/api/v2/tickets.json") {
      created = true;
      reply.status = 201;
      reply.body = "{\"ticket\":{\"id\":501}}";
    } else if (r.method == "GET" && r.target == "/api/v2/tickets/501/comments.json") {
      reply.body = comments;
    } else if (r.method == "PUT" && r.target == "/api/v2/tickets/501.json") {
      comments = "{\"comments\":[{\"body\":" + std::string("\"x\"") + "}," + "{\"body\":\"" +
                 std::string("...triage delivery s:9") + "\"}]}";
    } else {
      reply.status = 404;
    }
    return reply;
  });
  SinkConfig c = Config("zendesk", server.Url());
  c.settings["email"] = "agent@example.com";
  c.settings["group_id"] = "42";
  const std::string auth = "Basic " + Base64Encode("agent@example.com/token:tok3n");
  // First delivery: not found, created.
  REQUIRE(Deliver(c, RoutedMessage()).kind == DeliveryOutcome::Kind::kDelivered);
  // A retry of the same delivery (say its answer was lost): found, so no
  // second ticket; it comments (the ticket has no comment of this delivery).
  OutboxEntry next = RoutedMessage();
  next.subject = "m2";
  next.delivery_id = "s:9";
  REQUIRE(Deliver(c, next).kind == DeliveryOutcome::Kind::kDelivered);
  // The same delivery again: its comment is there, nothing is written.
  REQUIRE(Deliver(c, next).kind == DeliveryOutcome::Kind::kDelivered);
  auto reqs = server.requests();
  std::vector<std::string> calls;
  for (const auto& r : reqs) {
    calls.push_back(r.method + " " + r.target);
    CHECK(r.Header("authorization") == auth);
    CHECK(!r.Header("x-triage-delivery").empty());
  }
  CHECK(calls == std::vector<std::string>{"GET /api/v2/tickets.json?external_id=conv-1", "POST /api/v2/tickets.json",
                                          "GET /api/v2/tickets.json?external_id=conv-1",
                                          "GET /api/v2/tickets/501/comments.json", "PUT /api/v2/tickets/501.json",
                                          "GET /api/v2/tickets.json?external_id=conv-1",
                                          "GET /api/v2/tickets/501/comments.json"});
  simdjson::dom::parser p;
  auto t = Parse(p, reqs[1].body)["ticket"];
  CHECK(Str(t["external_id"]) == "conv-1");
  CHECK(Str(t["priority"]) == "urgent");
  CHECK_THAT(Str(t["subject"]), Catch::Contains("Urgent message for support"));
  CHECK_THAT(Str(t["comment"]["body"]), Catch::Contains("my order <123> is late"));
  CHECK_THAT(Str(t["comment"]["body"]), Catch::Contains("triage delivery s:7"));
  int64_t group = 0;
  CHECK(!t["group_id"].get_int64().get(group));
  CHECK(group == 42);
  CHECK_THAT(reqs[1].body, Catch::Contains("\"tags\":[\"triage\",\"triage_support\""));
  CHECK_THAT(reqs[4].body, Catch::Contains("\"comment\":{\"body\":"));
}

TEST_CASE("zendesk: a 429 with Retry-After is a retry after that time", "[outbound]") {
  FakeHttpServer server([](const FakeHttpServer::Request&) {
    Reply r;
    r.status = 429;
    r.headers = {{"Retry-After", "7"}};
    return r;
  });
  SinkConfig c = Config("zendesk", server.Url());
  c.settings["email"] = "agent@example.com";
  DeliveryOutcome o = Deliver(c, RoutedMessage());
  CHECK(o.kind == DeliveryOutcome::Kind::kRetry);
  CHECK(o.retry_after_ms == 7000);
}

TEST_CASE("outbound config: every sink type parses - mistakes name the field", "[outbound][config]") {
  setenv("TRIAGE_TEST_HOOK_SECRET", "from-env", 1);
  std::vector<SinkConfig> sinks;
  Status s = ParseConfig(R"(
outbound:
  - name: hook
    type: webhook
    url: https://example.com/in
    queues: [support, "*"]
    priorities: [urgent]
    alerts: [opened, closed]
    secret_env: TRIAGE_TEST_HOOK_SECRET
    max_attempts: 5
    concurrency: 2
  - name: ops-chat
    type: slack
    url: https://hooks.slack.com/services/T/B/X
    alerts: [opened]
    settings: {console_url: "https://triage.example.com"}
  - name: desk
    type: zendesk
    url: https://acme.zendesk.com
    queues: [support]
    secret: t
    settings: {email: a@example.com, group_id: "7"}
)", &sinks);
  INFO(s.message());
  REQUIRE(s.ok());
  REQUIRE(sinks.size() == 3);
  CHECK(sinks[0].secret == "from-env");
  CHECK(sinks[0].priorities == std::vector<Priority>{Priority::kUrgent});
  CHECK(sinks[0].max_attempts == 5);
  CHECK(sinks[1].Setting("console_url") == "https://triage.example.com");
  CHECK(sinks[2].Setting("group_id") == "7");

  auto error = [](const std::string& yaml) {
    std::vector<SinkConfig> out;
    Status st = ParseConfig(yaml, &out);
    CHECK_FALSE(st.ok());
    return st.message();
  };
  CHECK_THAT(error("outbound:\n  - {name: a, type: pager, url: http://x/, queues: [q]}\n"),
             Catch::Contains("serve.yaml:2: outbound[0].type: must be webhook"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: webhook, url: ftp://x/, queues: [q], secret: s}\n"),
             Catch::Contains("outbound[0].url: required"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: webhook, url: http://x/, queues: [q]}\n"),
             Catch::Contains("outbound[0].secret: required"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: webhook, url: http://x/, secret: s}\n"),
             Catch::Contains("subscribes to nothing"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: webhook, url: http://x/, alerts: [reopened], secret: s}\n"),
             Catch::Contains("outbound[0].alerts: 'reopened'"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: webhook, url: http://x/, queues: [q], secret_env: TRIAGE_NOT_SET_ANYWHERE}\n"),
             Catch::Contains("outbound[0].secret_env: the environment variable TRIAGE_NOT_SET_ANYWHERE is not set"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: slack, url: http://x/, queues: [q], colour: red}\n"),
             Catch::Contains("outbound[0].colour: unknown option"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: zendesk, url: http://x/, queues: [q], secret: s}\n"),
             Catch::Contains("outbound[0].settings.email: required"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: slack, url: http://x/, queues: [q]}\n  - {name: a, type: slack, url: http://x/, queues: [q]}\n"),
             Catch::Contains("outbound[1].name: 'a' names two sinks"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: slack, url: http://x/, queues: [q], concurrency: 0}\n"),
             Catch::Contains("outbound[0].concurrency: must be between 1 and 64"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: chatwoot, url: http://x/, alerts: [opened], secret: s, settings: {account_id: '1'}}\n"),
             Catch::Contains("outbound[0].alerts: a chatwoot sink takes messages only"));
  CHECK_THAT(error("outbound:\n  - {name: a, type: chatwoot, url: http://x/, queues: [q], secret: s, settings: {account_id: '1', inbox_id: 'five'}}\n"),
             Catch::Contains("outbound[0].settings.inbox_id: must be a number"));
}

TEST_CASE("The HTTP client refuses what is not an http(s) URL and reports a refused connection", "[outbound]") {
  ParsedUrl u;
  REQUIRE(ParseUrl("https://hooks.example.com/a/b?c=d", &u));
  CHECK(u.tls);
  CHECK(u.host == "hooks.example.com");
  CHECK(u.port == "443");
  CHECK(u.target == "/a/b?c=d");
  REQUIRE(ParseUrl("http://[::1]:8080", &u));
  CHECK(u.host == "::1");
  CHECK(u.port == "8080");
  CHECK(u.target == "/");
  CHECK_FALSE(ParseUrl("ftp://x/", &u));
  CHECK_FALSE(ParseUrl("http://user@x/", &u));
  CHECK_FALSE(ParseUrl("http://x:port/", &u));
  HttpResponse r;
  HttpClientOptions o;
  o.timeout_ms = 2000;
  Status s = HttpCall(HttpRequest{"POST", "http://127.0.0.1:1/", {}, "{}"}, o, &r);
  CHECK(s.code() == Status::Code::kIOError);
  CHECK_THAT(s.message(), Catch::Contains("connect"));
}
