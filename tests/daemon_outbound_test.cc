// triage as Chatwoot's triage bot, end to end: Chatwoot's message_created
// webhook comes in (/webhooks/chatwoot), the message is decided and stored,
// and the chatwoot sink labels, assigns and prioritises the Chatwoot
// conversation it came from. Also the dead-letter endpoints and the outbound
// metrics of a running daemon, and a reload that changes the sinks.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

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

namespace {

// Polls GET /metrics until it holds `line` (up to a minute).
bool WaitForMetric(test::HttpClient& c, const std::string& line) {
  for (int i = 0; i < 1200; ++i) {
    if (c.Request("GET", "/metrics").body.find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("A reload applies outbound: a new sink starts, a changed one finishes its delivery in flight and goes on "
          "with its new settings, a removed one stops and keeps its outbox for when it comes back",
          "[daemon][outbound][reload]") {
  std::atomic<bool> slow{false};
  // "two" answers slowly while `slow`: a delivery in flight during the reload.
  FakeHttpServer old_two([&](const FakeHttpServer::Request&) {
    if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return FakeHttpServer::Reply{};
  });
  FakeHttpServer down([](const FakeHttpServer::Request&) {
    FakeHttpServer::Reply r;
    r.status = 503;
    return r;
  });
  FakeHttpServer new_two, other;
  test::TempDir dir;
  auto sink = [](const std::string& name, const std::string& url, const std::string& extra = "") {
    return "  - {name: " + name + ", type: webhook, url: \"" + url + "\", queues: [\"*\"], secret: s" + extra + "}\n";
  };
  // "one" is down and waits a minute between attempts: its delivery stays in its outbox.
  const std::string first = "outbound:\n" +
                            sink("one", down.Url("/one"), ", backoff_initial_ms: 60000, backoff_max_ms: 60000") +
                            sink("two", old_two.Url("/two"));
  const std::string config = dir.Write("serve.yaml", first);
  ServerConfig cfg;
  REQUIRE(ServerConfig::LoadFile(config, &cfg).ok());
  test::RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  REQUIRE(c.Request("POST", "/v1/messages", test::Msg("r1", "where is my refund")).status == 202);
  REQUIRE(old_two.WaitFor([](const auto& r) { return r.size() == 1; }));
  REQUIRE(down.WaitFor([](const auto& r) { return r.size() == 1; }));

  // r2 is in flight to "two" (its receiver is slow) when the reload changes
  // "two", removes "one" and adds "three".
  slow = true;
  REQUIRE(c.Request("POST", "/v1/messages", test::Msg("r2", "my parcel is lost")).status == 202);
  REQUIRE(old_two.WaitFor([](const auto& r) { return r.size() == 2; }));
  REQUIRE(down.WaitFor([](const auto& r) { return r.size() == 2; }));  // "one" tried r2 too
  dir.Write("serve.yaml", "outbound:\n" + sink("two", new_two.Url("/two")) + sink("three", other.Url("/three")));
  Status s = d.daemon->Reload();
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK_THAT(d.Log(), Catch::Contains("outbound reloaded: added three; changed two; removed one"));
  // r2 was delivered once, by the old settings, before the new ones started.
  REQUIRE(c.Request("POST", "/v1/messages", test::Msg("r3", "the app crashes")).status == 202);
  REQUIRE(new_two.WaitFor([](const auto& r) { return r.size() == 1; }));
  REQUIRE(other.WaitFor([](const auto& r) { return r.size() == 1; }));
  CHECK_THAT(new_two.requests()[0].body, Catch::Contains("\"id\":\"r3\""));
  CHECK_THAT(new_two.requests()[0].Header("x-triage-delivery"), Catch::StartsWith("two:"));
  CHECK_THAT(other.requests()[0].body, Catch::Contains("\"id\":\"r3\""));
  CHECK(old_two.count() == 2);
  CHECK(down.count() == 2);  // r1 and r2, one attempt each: then a minute's backoff, cut short by the removal
  CHECK(c.Request("GET", "/v1/outbound/one/dead-letters").status == 404);
  CHECK(c.Request("GET", "/v1/outbound/three/dead-letters").status == 200);
  // "two" counts on from where it was (the counter is read after the answer).
  REQUIRE(WaitForMetric(c, "triage_outbound_deliveries_total{sink=\"two\",result=\"delivered\"} 3\n"));
  REQUIRE(WaitForMetric(c, "triage_outbound_outbox_depth{sink=\"three\"} 0\n"));
  CHECK(c.Request("GET", "/metrics").body.find("sink=\"one\"") == std::string::npos);

  // A section with a mistake changes nothing.
  dir.Write("serve.yaml", "outbound:\n" + sink("two", "ftp://nowhere/"));
  s = d.daemon->Reload();
  CHECK_THAT(s.message(), Catch::Contains("outbound settings are invalid (the running sinks stay)") &&
                              Catch::Contains("outbound[0].url"));
  CHECK(c.Request("GET", "/v1/outbound/three/dead-letters").status == 200);

  // "one" comes back, working: r1 and r2, which waited in its outbox, are
  // delivered now; r3, stored while it was gone, was never owed to it.
  FakeHttpServer one_back;
  dir.Write("serve.yaml", "outbound:\n" + sink("one", one_back.Url("/one")) + sink("two", new_two.Url("/two")) +
                              sink("three", other.Url("/three")));
  REQUIRE(d.daemon->Reload().ok());
  REQUIRE(one_back.WaitFor([](const auto& r) { return r.size() >= 2; }));
  // Its outbox is empty: nothing more is coming.
  REQUIRE(WaitForMetric(c, "triage_outbound_outbox_depth{sink=\"one\"} 0\n"));
  REQUIRE(one_back.count() == 2);
  std::set<std::string> ids;
  for (const auto& r : one_back.requests()) ids.insert(r.body.substr(0, r.body.find("\",\"channel\"")));
  CHECK(ids == std::set<std::string>{"{\"message\":{\"id\":\"r1", "{\"message\":{\"id\":\"r2"});
  CHECK(new_two.count() == 1);
  CHECK(other.count() == 1);
}
