// Input limits over the socket: each field size limit, list limit, time
// range and repeated key is a 400 that names the field, and what is refused
// is not stored. The limits themselves are unit-tested in
// archive_format_test.cc and api_test.cc; here, that the daemon applies each
// of them on every way in (the API, webhooks, path parameters).
#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

#include "format/archive_format.h"
#include "format/event.h"
#include "http_client.h"
#include "running_daemon.h"
#include "runtime/server/request.h"

using namespace triage;
using test::Msg;
using test::PercentEncoded;
using test::RunningDaemon;

namespace {

// The "field" of an error body, or its message when the error names the
// field there ("field 'text': ...", as for a malformed line).
bool NamesField(const test::HttpResult& r, const std::string& field) {
  UNSCOPED_INFO("answer: " << r.status << " " << r.body.substr(0, 300));
  return r.body.find("\"field\":\"" + field + "\"") != std::string::npos ||
         r.body.find("field '" + field + "'") != std::string::npos;
}

}  // namespace

TEST_CASE("Message fields over their limits are a 400 naming the field, and nothing is stored", "[daemon][limits]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  struct Case {
    std::string field;
    std::string line;
  };
  auto field = [](const std::string& name, size_t size) {
    return R"({"id":"l:1","channel":"x","text":"refund please",")" + name + R"(":")" + std::string(size, 'a') + "\"}";
  };
  const std::vector<Case> cases = {
      {"id", R"({"id":")" + std::string(4 << 20, 'i') + R"(","channel":"x","text":"t"})"},  // 4 MiB, as once stored
      {"id", R"({"id":")" + std::string(kMaxIdBytes + 1, 'i') + R"(","channel":"x","text":"t"})"},
      {"channel", R"({"id":"l:1","channel":")" + std::string(kMaxChannelBytes + 1, 'c') + R"(","text":"t"})"},
      {"text", R"({"id":"l:1","channel":"x","text":")" + std::string(kMaxTextBytes + 1, 't') + "\"}"},
      {"conversation_id", field("conversation_id", kMaxIdBytes + 1)},
      {"in_reply_to", field("in_reply_to", kMaxIdBytes + 1)},
      {"brand", field("brand", kMaxFieldBytes + 1)},
      {"lang", field("lang", kMaxLangBytes + 1)},
      {"label", field("label", kMaxFieldBytes + 1)},
      {"incident", field("incident", kMaxFieldBytes + 1)},
      {"author.id", R"({"id":"l:1","channel":"x","text":"t","author":{"id":")" + std::string(kMaxIdBytes + 1, 'u') + "\"}}"},
      {"author.handle",
       R"({"id":"l:1","channel":"x","text":"t","author":{"handle":")" + std::string(kMaxFieldBytes + 1, 'h') + "\"}}"},
      {"attachments[0].type", R"({"id":"l:1","channel":"x","text":"t","attachments":[{"type":")" +
                                  std::string(kMaxFieldBytes + 1, 'p') + R"(","count":1}]})"},
  };
  for (const Case& k : cases) {
    INFO(k.field);
    auto r = c.Request("POST", "/v1/messages", k.line);
    CHECK(r.status == 400);
    CHECK(NamesField(r, k.field));
    CHECK_THAT(r.body, Catch::Contains("over the limit of"));
  }
  // Also as the second line of a batch: nothing from the batch is stored.
  auto batch = c.Request("POST", "/v1/messages", Msg("l:ok", "refund please") + "\n" + field("brand", kMaxFieldBytes + 1));
  CHECK(batch.status == 400);
  CHECK_THAT(batch.body, Catch::Contains("\"line\":2"));
  CHECK(c.Request("GET", "/v1/messages/l:ok").status == 404);
  CHECK(c.Request("GET", "/v1/messages/l:1").status == 404);

  // At the limits a message is stored, and the longest id can be fetched
  // back (percent-encoded, three times its length, well within the header
  // limit).
  std::string id(kMaxIdBytes - 2, '/');
  id = "l:" + id;
  auto ok = c.Request("POST", "/v1/messages",
                      R"({"id":")" + id + R"(","channel":")" + std::string(kMaxChannelBytes, 'c') + R"(","text":")" +
                          std::string(kMaxTextBytes, 't') + R"(","lang":")" + std::string(kMaxLangBytes, 'e') + "\"}");
  REQUIRE(ok.status == 202);
  CHECK_THAT(ok.body, Catch::Contains("\"accepted\":1"));
  auto got = c.Request("GET", "/v1/messages/" + PercentEncoded(id));
  CHECK(got.status == 200);
}

TEST_CASE("A webhook message over a limit is a 400 naming the field, and nothing is stored", "[daemon][limits][webhooks]") {
  ServerConfig cfg;
  cfg.webhooks.telegram_secret_token = "tg-token";
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  auto update = [](const std::string& text) {
    return R"({"update_id":1,"message":{"message_id":5,"from":{"id":3,"username":"u"},"chat":{"id":3,"type":"private"},)"
           R"("date":1700000000,"text":")" + text + "\"}}";
  };
  auto post = [&](const std::string& body) {
    return test::RequestOnce(d.port(), "POST", "/webhooks/telegram", body, {{"X-Telegram-Bot-Api-Secret-Token", "tg-token"}});
  };
  auto r = post(update(std::string(kMaxTextBytes + 1, 't')));
  CHECK(r.status == 400);
  CHECK(NamesField(r, "text"));
  CHECK(c.Request("GET", "/v1/messages/tg:3:5").status == 404);
  CHECK(post(update("where is my parcel?")).status == 200);
  CHECK(c.Request("GET", "/v1/messages/tg:3:5").status == 200);
}

TEST_CASE("Event bodies: agent, note, to_queue and the time are checked before anything is recorded",
          "[daemon][limits]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  REQUIRE(c.Request("POST", "/v1/messages", Msg("ev:1", "refund please", R"(,"created_at":"2026-11-23T09:00:00Z")")).status ==
          202);
  auto event = [&](const std::string& fields) { return c.Request("POST", "/v1/messages/ev:1/events", "{" + fields + "}"); };
  auto r = event(R"("type":"replied","agent":")" + std::string(kMaxAgentBytes + 1, 'a') + "\"");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "agent"));
  r = event(R"("type":"replied","agent":"ana","note":")" + std::string(kMaxNoteBytes + 1, 'n') + "\"");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "note"));
  r = event(R"("type":"rerouted","agent":"ana","to_queue":")" + std::string(kMaxQueueNameBytes + 1, 'q') + "\"");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "to_queue"));
  r = event(R"("type":"replied","agent":"ana","at_ms":-9223372036854775808)");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "at_ms"));
  r = event(R"("type":"replied","agent":"ana","at":"1970-01-01T00:00:00Z")");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "at"));
  CHECK_THAT(c.Request("GET", "/v1/messages/ev:1").body, Catch::Contains("\"events\":[]"));
  // A sane reply an hour after arrival: the histogram holds that hour and
  // nothing of the refused ones.
  REQUIRE(event(R"("type":"replied","agent":"ana","note":")" + std::string(kMaxNoteBytes, 'n') +
                R"(","at":"2026-11-23T10:00:00Z")")
              .status == 201);
  std::string metrics = c.Request("GET", "/metrics").body;
  std::smatch sum;
  REQUIRE(std::regex_search(metrics, sum, std::regex("triage_first_response_seconds_sum\\{queue=\"support\"\\} ([-0-9.e+]+)")));
  CHECK(std::stod(sum[1]) == 3600.0);
}

TEST_CASE("Claim and heartbeat bodies: agent names and queue lists over their limits are a 400 naming the field",
          "[daemon][limits]") {
  ServerConfig cfg;
  for (auto& q : cfg.queues)
    if (q.name == "product") q.assignment = "round_robin";
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  auto r = c.Request("POST", "/v1/queues/support/claim", R"({"agent":")" + std::string(kMaxAgentBytes + 1, 'a') + "\"}");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "agent"));
  CHECK(c.Request("POST", "/v1/queues/support/claim", R"({"agent":")" + std::string(kMaxAgentBytes, 'a') + "\"}").status ==
        200);

  std::string many = "[";
  for (size_t i = 0; i <= kMaxListEntries; ++i) many += std::string(i ? "," : "") + "\"product\"";
  r = c.Request("POST", "/v1/agents/ana/heartbeat", R"({"queues":)" + many + "]}");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "queues"));
  r = c.Request("POST", "/v1/agents/ana/heartbeat", R"({"queues":[")" + std::string(kMaxQueueNameBytes + 1, 'q') + "\"]}");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "queues"));
  CHECK_THAT(c.Request("GET", "/v1/agents").body, !Catch::Contains("\"ana\""));
  CHECK(c.Request("POST", "/v1/agents/ana/heartbeat", R"({"queues":["product"]})").status == 200);
}

TEST_CASE("Path parameters over their limits are a 400 naming the parameter", "[daemon][limits]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  struct Case {
    std::string method, target, field;
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/messages/" + std::string(kMaxIdBytes + 1, 'i'), "id"},
      {"POST", "/v1/messages/" + std::string(kMaxIdBytes + 1, 'i') + "/events", "id"},
      {"GET", "/v1/queues/" + std::string(kMaxQueueNameBytes + 1, 'q') + "/messages", "queue"},
      {"POST", "/v1/queues/" + std::string(kMaxQueueNameBytes + 1, 'q') + "/claim", "queue"},
      {"GET", "/v1/agents/" + std::string(kMaxAgentBytes + 1, 'a') + "/messages", "agent"},
      {"POST", "/v1/agents/" + std::string(kMaxAgentBytes + 1, 'a') + "/heartbeat", "agent"},
  };
  for (const Case& k : cases) {
    INFO(k.method << " " << k.target.substr(0, 20));
    auto r = c.Request(k.method, k.target, k.method == "POST" ? "{}" : "");
    CHECK(r.status == 400);
    CHECK(NamesField(r, k.field));
  }
  CHECK(c.Request("GET", "/v1/messages/" + std::string(kMaxIdBytes, 'i')).status == 404);  // at the limit: looked up
}

TEST_CASE("A key given twice, in a request body or an archive line, is a 400 naming it", "[daemon][limits]") {
  RunningDaemon d;
  test::HttpClient c(d.port());
  auto r = c.Request("POST", "/v1/queues/support/claim", R"({"agent":"a","agent":"b"})");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "agent"));
  r = c.Request("POST", "/v1/messages", R"({"id":"dup:1","channel":"x","text":"refund please","id":"dup:2"})");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "id"));
  r = c.Request("POST", "/v1/messages", R"({"id":"dup:1","channel":"x","text":"refund please","i\u0064":"dup:2"})");
  CHECK(r.status == 400);
  CHECK(NamesField(r, "id"));
  CHECK(c.Request("GET", "/v1/messages/dup:1").status == 404);
  CHECK(c.Request("GET", "/v1/messages/dup:2").status == 404);
}
