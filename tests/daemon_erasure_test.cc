// Platform edits and deletes applied by the daemon (the real payloads under
// ../shared/data/webhooks where there are samples, the platform's documented
// shape otherwise), and erasure of an author over HTTP.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

#include "base/json_writer.h"
#include "connectors/webhooks/signature.h"
#include "engine/store/erasure.h"
#include "http_client.h"
#include "running_daemon.h"
#include "runtime/server/auth.h"
#include "test_util.h"
#include "webhook_samples.h"

using namespace triage;
using test::At;
using test::RunningDaemon;

namespace {

test::HttpResult Post(uint16_t port, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  test::HttpClient c(port);
  for (const auto& [k, v] : headers) c.SetHeader(k, v);
  return c.Request("POST", target, body);
}

ServerConfig Config() {
  ServerConfig cfg;
  cfg.webhooks.meta_app_secret = "meta-secret";
  cfg.webhooks.x_consumer_secret = "x-secret";
  cfg.webhooks.slack_signing_secret = "slack-secret";
  cfg.webhooks.telegram_secret_token = "tg-token";
  return cfg;
}

test::HttpResult PostMeta(uint16_t port, const std::string& body) {
  return Post(port, "/webhooks/meta", body, {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("meta-secret", body))}});
}
test::HttpResult PostX(uint16_t port, const std::string& body) {
  return Post(port, "/webhooks/x", body, {{"x-twitter-webhooks-signature", "sha256=" + Base64Encode(HmacSha256("x-secret", body))}});
}
test::HttpResult PostTelegram(uint16_t port, const std::string& body) {
  return Post(port, "/webhooks/telegram", body, {{"X-Telegram-Bot-Api-Secret-Token", "tg-token"}});
}
test::HttpResult PostSlack(uint16_t port, const std::string& body) {
  std::string ts = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  return Post(port, "/webhooks/slack", body,
              {{"X-Slack-Request-Timestamp", ts},
               {"X-Slack-Signature", "v0=" + HexEncode(HmacSha256("slack-secret", "v0:" + ts + ":" + body))}});
}

// The original of a message a platform later edits or deletes, as the
// archive line an earlier webhook stored.
std::string Original(const std::string& id, const std::string& channel, const std::string& text) {
  return R"({"id":")" + id + R"(","channel":")" + channel +
         R"(","kind":"private","author":{"id":"cust-1","handle":"@customer"},"text":")" + text +
         R"(","created_at":"2026-10-01T10:00:00Z"})";
}

// The stored message's queue, from its decision.
std::string QueueOf(const std::string& get_body) {
  size_t at = get_body.find("\"queue\":\"");
  REQUIRE(at != std::string::npos);
  at += 9;
  return get_body.substr(at, get_body.find('"', at) - at);
}

}  // namespace

TEST_CASE("Platform deletes (Instagram unsend, WhatsApp revoke, X tweet delete) remove the stored content",
          "[daemon][webhooks][erasure]") {
  test::RequireSamples();
  RunningDaemon d(Config());
  test::HttpClient c(d.port());
  const std::string ig = "instagram/chatwoot_factory_instagram_message_unsend_event.json";
  const std::string wa = "whatsapp/pywa_deleted_message__revoke.json";
  const std::string xd = "x_twitter/xdocs_aaa_tweet_delete_events.json";
  struct Case {
    std::string id, channel, file;
    std::function<test::HttpResult(uint16_t, const std::string&)> post;
  };
  const std::vector<Case> cases = {
      {"ig:" + At(ig, "/entry/0/messaging/0/message/mid"), "instagram", ig, PostMeta},
      {"wa:" + At(wa, "/entry/0/changes/0/value/messages/0/revoke/original_message_id"), "whatsapp", wa, PostMeta},
      {"x:" + At(xd, "/tweet_delete_events/0/status/id"), "x", xd, PostX},
  };
  for (const Case& k : cases) {
    INFO(k.file << " -> " << k.id);
    const std::string original = Original(k.id, k.channel, "refund to my card 4111 please");
    REQUIRE(c.Request("POST", "/v1/messages", original).status == 202);
    const std::string queue = QueueOf(c.Request("GET", "/v1/messages/" + test::PercentEncoded(k.id)).body);
    CHECK_THAT(c.Request("GET", "/v1/queues/" + queue + "/messages").body, Catch::Contains(k.id));

    auto r = k.post(d.port(), test::ReadFile(test::kDir + k.file));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto got = c.Request("GET", "/v1/messages/" + test::PercentEncoded(k.id));
    REQUIRE(got.status == 200);
    CHECK(got.body.find("4111") == std::string::npos);
    CHECK(got.body.find("cust-1") == std::string::npos);
    CHECK(got.body.find("@customer") == std::string::npos);
    CHECK_THAT(got.body, Catch::Contains("\"status\":\"deleted\""));
    CHECK_THAT(got.body, Catch::Contains("\"type\":\"deleted\""));
    CHECK(c.Request("GET", "/v1/queues/" + queue + "/messages").body.find(k.id) == std::string::npos);
    // The platform redelivers the original: a duplicate, not stored again.
    auto again = c.Request("POST", "/v1/messages", original);
    CHECK_THAT(again.body, Catch::Contains("\"duplicates\":1"));
    CHECK(c.Request("GET", "/v1/messages/" + test::PercentEncoded(k.id)).body.find("4111") == std::string::npos);
  }
}

TEST_CASE("A delete that comes before its message drops the message when it arrives", "[daemon][webhooks][erasure]") {
  test::RequireSamples();
  RunningDaemon d(Config());
  test::HttpClient c(d.port());
  const std::string xd = "x_twitter/xdocs_aaa_tweet_delete_events.json";
  const std::string id = "x:" + At(xd, "/tweet_delete_events/0/status/id");
  REQUIRE(PostX(d.port(), test::ReadFile(test::kDir + xd)).status == 200);
  auto late = c.Request("POST", "/v1/messages", Original(id, "x", "arrives after its delete"));
  CHECK_THAT(late.body, Catch::Contains("\"duplicates\":1"));
  CHECK(c.Request("GET", "/v1/messages/" + test::PercentEncoded(id)).status == 404);
}

TEST_CASE("Platform edits (Telegram edited_message, WhatsApp edit, Slack message_changed) replace the stored text",
          "[daemon][webhooks][erasure]") {
  test::RequireSamples();
  ServerConfig cfg = Config();
  cfg.keep_edit_history = true;
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  const std::string tg = "telegram/aiogram_dataset_EDITED_MESSAGE__wrapped_in_update.json";
  const std::string tg_id = "tg:" + At(tg, "/edited_message/chat/id") + ":" + At(tg, "/edited_message/message_id");
  const std::string wa = "whatsapp/pywa_edited_message__image.json";
  const std::string v = "/entry/0/changes/0/value/messages/0/edit";
  const std::string wa_id = "wa:" + At(wa, v + "/original_message_id");
  REQUIRE(c.Request("POST", "/v1/messages", Original(tg_id, "telegram", "the first wording")).status == 202);
  REQUIRE(c.Request("POST", "/v1/messages", Original(wa_id, "whatsapp", "the first caption")).status == 202);
  REQUIRE(c.Request("POST", "/v1/messages", Original("slack:C1:1700000000.000100", "slack", "typo in here")).status == 202);

  REQUIRE(PostTelegram(d.port(), test::ReadFile(test::kDir + tg)).status == 200);
  REQUIRE(PostMeta(d.port(), test::ReadFile(test::kDir + wa)).status == 200);
  // Slack's documented message_changed shape (no sample of it under ../shared).
  const std::string slack = R"({"type":"event_callback","api_app_id":"A1","event":{"type":"message",)"
                            R"("subtype":"message_changed","channel":"C1","ts":"1700000100.000200","hidden":true,)"
                            R"("message":{"type":"message","user":"U1","text":"no typo here","ts":"1700000000.000100"}}})";
  REQUIRE(PostSlack(d.port(), slack).status == 200);

  auto t = c.Request("GET", "/v1/messages/" + test::PercentEncoded(tg_id)).body;
  // The text as the sample has it, JSON-escaped as the store writes it.
  std::string tg_text;
  AppendJsonString(At(tg, "/edited_message/text"), &tg_text);
  CHECK_THAT(t, Catch::Contains("\"text\":" + tg_text));
  CHECK_THAT(t, Catch::Contains("\"type\":\"edited\""));
  CHECK_THAT(t, Catch::Contains("\"previous_text\":\"the first wording\""));  // keep_edit_history
  CHECK_THAT(t, Catch::Contains("\"status\":\"queued\""));                     // still on its queue
  std::string wa_text;
  AppendJsonString(At(wa, v + "/message/image/caption"), &wa_text);
  CHECK_THAT(c.Request("GET", "/v1/messages/" + test::PercentEncoded(wa_id)).body, Catch::Contains("\"text\":" + wa_text));
  auto s = c.Request("GET", "/v1/messages/slack%3AC1%3A1700000000.000100").body;
  CHECK_THAT(s, Catch::Contains("\"text\":\"no typo here\""));

  // Slack's documented message_deleted shape.
  const std::string slack_delete = R"({"type":"event_callback","api_app_id":"A1","event":{"type":"message",)"
                                   R"("subtype":"message_deleted","channel":"C1","ts":"1700000200.000300",)"
                                   R"("deleted_ts":"1700000000.000100","hidden":true}})";
  REQUIRE(PostSlack(d.port(), slack_delete).status == 200);
  s = c.Request("GET", "/v1/messages/slack%3AC1%3A1700000000.000100").body;
  CHECK(s.find("typo") == std::string::npos);
  CHECK_THAT(s, Catch::Contains("\"status\":\"deleted\""));
}

TEST_CASE("DELETE /v1/authors/{channel}/{author_id} erases an author, admin only, recorded beside the backups",
          "[daemon][erasure]") {
  test::TempDir backups;
  ServerConfig cfg;
  cfg.backup_dir = backups.path() + "/b";
  cfg.security.tokens = {test::ApiToken("ingester", "tok-ingest", {Scope::kIngest}), test::ApiToken("reader", "tok-read", {Scope::kRead}),
                         test::ApiToken("ops", "tok-admin", {Scope::kAdmin})};
  RunningDaemon d(cfg);
  test::HttpClient ingest(d.port()), read(d.port()), admin(d.port());
  ingest.SetHeader("Authorization", "Bearer tok-ingest");
  read.SetHeader("Authorization", "Bearer tok-read");
  admin.SetHeader("Authorization", "Bearer tok-admin");
  auto line = [](const std::string& id, const std::string& author, const std::string& text) {
    return R"({"id":")" + id + R"(","channel":"whatsapp","kind":"private","conversation_id":"wa-conv-)" + author +
           R"(","author":{"id":")" + author + R"(","handle":"Ann"},"text":")" + text + R"("})";
  };
  REQUIRE(ingest.Request("POST", "/v1/messages", line("wa:a1", "15551230000", "my order 77 is late") + "\n" +
                                                     line("wa:a2", "15551230000", "still late, call 555-0100") + "\n" +
                                                     line("wa:b1", "15559990000", "other customer"))
              .status == 202);
  CHECK(read.Request("DELETE", "/v1/authors/whatsapp/15551230000").status == 403);
  CHECK(admin.Request("DELETE", "/v1/authors/whatsapp/" + std::string(300, '1')).status == 400);
  auto r = admin.Request("DELETE", "/v1/authors/whatsapp/15551230000");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("\"messages\":2"));
  CHECK_THAT(r.body, Catch::Contains("\"events\":0"));
  CHECK_THAT(r.body, Catch::Contains("erasures.jsonl"));
  for (const std::string id : {"wa:a1", "wa:a2"}) {
    auto got = read.Request("GET", "/v1/messages/" + test::PercentEncoded(id)).body;
    INFO(got);
    CHECK(got.find("late") == std::string::npos);
    CHECK(got.find("15551230000") == std::string::npos);
    CHECK(got.find("Ann") == std::string::npos);
    CHECK_THAT(got, Catch::Contains("\"queue\":"));  // what the metrics need stays
  }
  CHECK_THAT(read.Request("GET", "/v1/messages/wa%3Ab1").body, Catch::Contains("other customer"));
  std::vector<ErasureRecord> ledger;
  REQUIRE(ReadErasureLedgerFile(ErasureLedgerPath(cfg.backup_dir), &ledger).ok());
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].author_id == "15551230000");
  CHECK(ledger[0].messages == 2);
}
