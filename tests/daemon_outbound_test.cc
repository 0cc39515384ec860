// triage as Chatwoot's triage bot, end to end: Chatwoot's message_created
// webhook comes in (/webhooks/chatwoot), the message is decided and stored,
// and the chatwoot sink labels, assigns and prioritises the Chatwoot
// conversation it came from. Also the dead-letter endpoints and the outbound
// metrics of a running daemon.
#include <catch2/catch.hpp>

#include "connectors/webhooks/normalizer.h"
#include "fake_http_server.h"
#include "http_client.h"
#include "running_daemon.h"
#include "test_util.h"

using namespace triage;
using test::FakeHttpServer;

namespace {

const char* kChatwootMessage =
    R"({"event":"message_created","id":77,"content":"my order never arrived, I want a refund","created_at":1700000000,)"
    R"("message_type":"incoming","private":false,"sender":{"id":9,"name":"Ann","type":"contact"},)"
    R"("conversation":{"id":55,"inbox_id":2,"status":"open"},"account":{"id":1,"name":"Acme"}})";

}  // namespace

TEST_CASE("Chatwoot webhooks normalize: incoming messages, agent replies, notes and other events", "[webhooks]") {
  NormalizeResult r;
  REQUIRE(Normalize(Platform::kChatwoot, kChatwootMessage, &r).ok());
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].id == "cw:1:77");
  CHECK(r.messages[0].channel == "chatwoot");
  CHECK(r.messages[0].conversation_id == "chatwoot:55");
  CHECK(r.messages[0].author_handle == "Ann");
  CHECK(r.messages[0].text == "my order never arrived, I want a refund");
  CHECK(DetectPlatform(kChatwootMessage) == Platform::kChatwoot);
  NormalizeResult reply;
  REQUIRE(Normalize(Platform::kChatwoot,
                    R"({"event":"message_created","id":78,"content":"on it","message_type":"outgoing",)"
                    R"("sender":{"id":2,"name":"Bob","type":"user"},"conversation":{"id":55},"account":{"id":1}})",
                    &reply).ok());
  CHECK(reply.messages.empty());
  REQUIRE(reply.events.size() == 1);
  CHECK(reply.events[0].type == PlatformEvent::Type::kReplied);
  NormalizeResult note;
  REQUIRE(Normalize(Platform::kChatwoot,
                    R"({"event":"message_created","id":79,"private":true,"message_type":"outgoing","conversation":{"id":55}})",
                    &note).ok());
  CHECK(note.ignored.at("chatwoot.private_note") == 1);
  NormalizeResult other;
  REQUIRE(Normalize(Platform::kChatwoot, R"({"event":"webwidget_triggered"})", &other).ok());
  CHECK(other.ignored.at("chatwoot.other_event") == 1);
  NormalizeResult bad;
  CHECK_FALSE(Normalize(Platform::kChatwoot, R"({"id":1})", &bad).ok());
}

TEST_CASE("Chatwoot triage bot: the webhook's message is stored and its conversation labelled, assigned, prioritised",
          "[daemon][webhooks][outbound]") {
  FakeHttpServer chatwoot;
  ServerConfig cfg;
  cfg.webhooks.chatwoot_token = "cw-token";
  SinkConfig sink;
  sink.name = "chatwoot";
  sink.type = "chatwoot";
  sink.url = chatwoot.Url();
  sink.queues = {"*"};
  sink.secret = "api-token";
  sink.settings = {{"account_id", "1"}, {"team_id", "4"}};
  cfg.outbound = {sink};
  test::RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  CHECK(c.Request("POST", "/webhooks/chatwoot?token=wrong", kChatwootMessage).status == 401);
  CHECK(c.Request("POST", "/webhooks/chatwoot", kChatwootMessage).status == 401);
  auto r = c.Request("POST", "/webhooks/chatwoot?token=cw-token", kChatwootMessage);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto stored = c.Request("GET", "/v1/messages/cw:1:77");
  REQUIRE(stored.status == 200);
  REQUIRE(chatwoot.WaitFor([](const auto& reqs) { return reqs.size() >= 3; }));
  auto reqs = chatwoot.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].target == "/api/v1/accounts/1/conversations/55/labels");
  CHECK(reqs[1].target == "/api/v1/accounts/1/conversations/55/assignments");
  CHECK(reqs[1].body == "{\"team_id\":4}");
  CHECK(reqs[2].target == "/api/v1/accounts/1/conversations/55/toggle_priority");
  for (const auto& q : reqs) CHECK(q.Header("api_access_token") == "api-token");
  // The labels are the queue the message was routed to and its label, as decided.
  const std::string queue = reqs[0].body.substr(12, reqs[0].body.find('"', 12) - 12);
  CHECK(!queue.empty());
  CHECK_THAT(stored.body, Catch::Contains("\"queue\":\"" + queue + "\"") || Catch::Contains("\"queue\": \"" + queue + "\""));
  auto metrics = c.Request("GET", "/metrics");
  CHECK_THAT(metrics.body, Catch::Contains("triage_outbound_outbox_depth{sink=\"chatwoot\"}"));
  auto dead = c.Request("GET", "/v1/outbound/chatwoot/dead-letters");
  CHECK(dead.status == 200);
  CHECK(dead.body == "{\"sink\":\"chatwoot\",\"dead_letters\":[]}");
  CHECK(c.Request("POST", "/v1/outbound/chatwoot/dead-letters/1/retry").status == 404);
  CHECK(c.Request("GET", "/v1/outbound/none/dead-letters").status == 404);
}
