// Platform webhooks over the socket: handshakes, signatures, normalized
// ingest, and the brand's own replies becoming events.
#include <catch2/catch.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/rfc3339.h"
#include "format/archive_format.h"
#include "http_client.h"
#include "raw_connection.h"
#include "running_daemon.h"
#include "runtime/server/daemon.h"
#include "runtime/server/live_detector.h"
#include "test_util.h"
#include "connectors/webhooks/signature.h"

using namespace triage;
using test::Msg;
using test::RunningDaemon;

namespace {

test::HttpResult Post(uint16_t port, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  return test::RequestOnce(port, "POST", target, body, headers);
}

ServerConfig WebhookConfig() {
  ServerConfig cfg;
  cfg.webhooks.meta_app_secret = "meta-secret";
  cfg.webhooks.meta_verify_token = "verify-me";
  cfg.webhooks.x_consumer_secret = "x-secret";
  cfg.webhooks.slack_signing_secret = "slack-secret";
  cfg.webhooks.telegram_secret_token = "tg-token";
  cfg.webhooks.bearer_token = "bearer-token";
  return cfg;
}

const char* kMetaBody =
    R"({"object":"page","entry":[{"id":"p","time":1,"messaging":[{"sender":{"id":"u1"},"recipient":{"id":"p"},)"
    R"("timestamp":1700000000000,"message":{"mid":"m.1","text":"I want a refund for my order"}}]}]})";

}  // namespace

TEST_CASE("Meta webhook: handshake, signed delivery stored, bad signatures refused", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  test::HttpClient c(d.port());
  auto ok = c.Request("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=12345");
  CHECK(ok.status == 200);
  CHECK(ok.body == "12345");
  CHECK(c.Request("GET", "/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1").status == 403);

  std::string sig = "sha256=" + HexEncode(HmacSha256("meta-secret", kMetaBody));
  auto stored = Post(d.port(), "/webhooks/meta", kMetaBody, {{"X-Hub-Signature-256", sig}});
  REQUIRE(stored.status == 200);
  CHECK_THAT(stored.body, Catch::Contains("\"accepted\":1"));
  CHECK_THAT(c.Request("GET", "/v1/messages/fb:m.1").body, Catch::Contains("\"label\":\"support\""));

  std::string tampered = kMetaBody;
  tampered[tampered.find("refund")] = 'R';
  CHECK(Post(d.port(), "/webhooks/meta", tampered, {{"X-Hub-Signature-256", sig}}).status == 401);
  CHECK(Post(d.port(), "/webhooks/meta", kMetaBody, {}).status == 401);
  auto wrong = Post(d.port(), "/webhooks/meta", kMetaBody,
                    {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("other", kMetaBody))}});
  CHECK(wrong.status == 401);
  CHECK_THAT(wrong.body, Catch::Contains("signature mismatch"));
  CHECK_THAT(c.Request("GET", "/metrics").body, Catch::Contains("triage_webhook_rejected_total{platform=\"meta\"} 4"));
  // A signed payload of delivery receipts only: 200, nothing stored.
  std::string receipts = R"({"object":"page","entry":[{"messaging":[{"sender":{"id":"u"},"delivery":{"mids":["x"]}}]}]})";
  auto r = Post(d.port(), "/webhooks/meta", receipts, {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("meta-secret", receipts))}});
  CHECK(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("\"accepted\":0"));
  CHECK_THAT(r.body, Catch::Contains("\"ignored\":1"));
}

TEST_CASE("X webhook: CRC answer and signed tweets", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  test::HttpClient c(d.port());
  auto crc = c.Request("GET", "/webhooks/x?crc_token=abc%3D");
  REQUIRE(crc.status == 200);
  CHECK(crc.body == "{\"response_token\":\"" + XCrcResponseToken("x-secret", "abc=") + "\"}");
  std::string body = R"({"for_user_id":"1","tweet_create_events":[{"id_str":"77","text":"my charger caught fire!",)"
                     R"("created_at":"Mon May 19 14:01:46 +0000 2025","user":{"id_str":"9","screen_name":"c","followers_count":5}}]})";
  std::string sig = "sha256=" + Base64Encode(HmacSha256("x-secret", body));
  auto r = Post(d.port(), "/webhooks/x", body, {{"x-twitter-webhooks-signature", sig}});
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("\"queue\":\"comms\""));
  CHECK(Post(d.port(), "/webhooks/x", body + " ", {{"x-twitter-webhooks-signature", sig}}).status == 401);
}

TEST_CASE("X webhook: the CRC answers only X's short base64 tokens, so it cannot sign a forged payload",
          "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  test::HttpClient c(d.port());
  // The attacker's payload: a tweet, asked for as a CRC token. Were it
  // answered, the response_token would be the x-twitter-webhooks-signature
  // of a POST whose body is this payload.
  const std::string payload = R"({"for_user_id":"1","tweet_create_events":[{"id_str":"666","text":"forged refund request",)"
                              R"("created_at":"Mon May 19 14:01:46 +0000 2025","user":{"id_str":"9","screen_name":"evil"}}]})";
  auto crc = c.Request("GET", "/webhooks/x?crc_token=" + test::PercentEncoded(payload));
  CHECK(crc.status == 400);
  CHECK_THAT(crc.body, Catch::Contains("\"field\":\"crc_token\""));
  CHECK_THAT(crc.body, !Catch::Contains("response_token"));
  std::string token;
  if (size_t at = crc.body.find("\"response_token\":\""); at != std::string::npos)
    token = crc.body.substr(at + 18, crc.body.find('"', at + 18) - at - 18);
  auto forged = Post(d.port(), "/webhooks/x", payload, {{"x-twitter-webhooks-signature", token}});
  CHECK(forged.status == 401);
  CHECK(c.Request("GET", "/v1/messages/x:666").status == 404);  // nothing stored
  // Other shapes X never sends: too long, spaces, quotes.
  CHECK(c.Request("GET", "/webhooks/x?crc_token=" + std::string(129, 'a')).status == 400);
  CHECK(c.Request("GET", "/webhooks/x?crc_token=a%20b").status == 400);
  CHECK(c.Request("GET", "/webhooks/x?crc_token=%22a%22").status == 400);
  // What X sends is answered: base64 and base64url tokens up to 128 bytes.
  for (const std::string t : {std::string("Tz0xNzAwMDAwMDAwJm5vbmNlPWFiY2RlZmdoaWprbG1ub3A-_x"),
                              std::string("q1w2e3r4t5y6u7i8o9p0+/AA=="), std::string(128, 'Z')}) {
    INFO(t);
    auto ok = c.Request("GET", "/webhooks/x?crc_token=" + test::PercentEncoded(t));
    CHECK(ok.status == 200);
    CHECK(ok.body == "{\"response_token\":\"" + XCrcResponseToken("x-secret", t) + "\"}");
  }
}

TEST_CASE("Slack webhook: URL verification, replay window", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  std::string body = R"({"type":"url_verification","challenge":"ch-42","token":"t"})";
  std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count());
  auto sign = [&](const std::string& t) { return "v0=" + HexEncode(HmacSha256("slack-secret", "v0:" + t + ":" + body)); };
  auto r = Post(d.port(), "/webhooks/slack", body, {{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", sign(ts)}});
  CHECK(r.status == 200);
  CHECK(r.body == "{\"challenge\":\"ch-42\"}");
  std::string old = std::to_string(std::stoll(ts) - 3600);
  auto stale = Post(d.port(), "/webhooks/slack", body, {{"X-Slack-Request-Timestamp", old}, {"X-Slack-Signature", sign(old)}});
  CHECK(stale.status == 401);
  CHECK_THAT(stale.body, Catch::Contains("replay window"));
}

TEST_CASE("Telegram and bearer-token webhooks", "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  std::string update = R"({"update_id":1,"message":{"message_id":5,"from":{"id":3,"username":"u"},"chat":{"id":3,"type":"private"},"date":1700000000,"text":"where is my parcel?"}})";
  CHECK(Post(d.port(), "/webhooks/telegram", update, {{"X-Telegram-Bot-Api-Secret-Token", "tg-token"}}).status == 200);
  CHECK(Post(d.port(), "/webhooks/telegram", update, {{"X-Telegram-Bot-Api-Secret-Token", "nope"}}).status == 401);
  std::string line = R"({"id":"gen:1","channel":"email","text":"refund please"})";
  CHECK(Post(d.port(), "/webhooks/archive", line, {{"Authorization", "Bearer bearer-token"}}).status == 200);
  CHECK(Post(d.port(), "/webhooks/archive", line, {{"Authorization", "Bearer wrong"}}).status == 401);
  CHECK(Post(d.port(), "/webhooks/archive", line, {}).status == 401);
  test::HttpClient c(d.port());
  CHECK_THAT(c.Request("GET", "/v1/messages/tg:3:5").body, Catch::Contains("\"channel\": \"telegram\"") ||
                                                           Catch::Contains("\"channel\":\"telegram\""));
  CHECK(c.Request("POST", "/webhooks/nowhere", "{}").status == 404);
}

TEST_CASE("A webhook endpoint without a configured secret refuses everything", "[daemon][webhooks]") {
  RunningDaemon d;  // no secrets
  CHECK(Post(d.port(), "/webhooks/meta", kMetaBody, {{"X-Hub-Signature-256", "sha256=00"}}).status == 401);
  auto r = Post(d.port(), "/webhooks/telegram", "{}", {{"X-Telegram-Bot-Api-Secret-Token", ""}});
  CHECK(r.status == 401);
  CHECK_THAT(r.body, Catch::Contains("no secret configured"));
}


TEST_CASE("A page reply without reply_to closes the customer's newest open message of that conversation",
          "[daemon][webhooks]") {
  RunningDaemon d(WebhookConfig());
  test::HttpClient c(d.port());
  auto post = [&](const std::string& body) {
    return Post(d.port(), "/webhooks/meta", body, {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("meta-secret", body))}});
  };
  auto customer = [](const std::string& mid, const std::string& text, const std::string& user) {
    return R"({"object":"page","entry":[{"id":"p","time":1,"messaging":[{"sender":{"id":")" + user +
           R"("},"recipient":{"id":"p"},"timestamp":1700000000000,"message":{"mid":")" + mid + R"(","text":")" + text +
           R"("}}]}]})";
  };
  REQUIRE(post(customer("m.a", "my parcel never arrived", "u1")).status == 200);
  REQUIRE(post(customer("m.b", "order 4411, still nothing", "u1")).status == 200);
  REQUIRE(post(customer("m.c", "refund please", "u2")).status == 200);
  // The page answers u1 from the inbox: an echo with no reply_to.
  std::string echo =
      R"({"object":"page","entry":[{"id":"p","time":1,"messaging":[{"sender":{"id":"p"},"recipient":{"id":"u1"},)"
      R"("timestamp":1700000060000,"message":{"mid":"m.reply","is_echo":true,"app_id":"263902037430900","text":"So sorry, checking now"}}]}]})";
  auto r = post(echo);
  REQUIRE(r.status == 200);
  // Durable before the 200: the event is there as soon as the answer is.
  std::string b = c.Request("GET", "/v1/messages/fb:m.b").body;
  CHECK_THAT(b, Catch::Contains("\"type\":\"replied\""));
  CHECK_THAT(b, Catch::Contains("\"status\":\"done\""));
  // Not the other user's message.
  CHECK_THAT(c.Request("GET", "/v1/messages/fb:m.c").body, !Catch::Contains("\"type\":\"replied\""));
  // A second echo goes to the next open message of that conversation.
  std::string echo2 = echo;
  echo2.replace(echo2.find("m.reply"), 7, "m.rep2");
  REQUIRE(post(echo2).status == 200);
  CHECK_THAT(c.Request("GET", "/v1/messages/fb:m.a").body, Catch::Contains("\"type\":\"replied\""));
  // A third finds nothing open: counted, not an error.
  std::string echo3 = echo;
  echo3.replace(echo3.find("m.reply"), 7, "m.rep3");
  CHECK(post(echo3).status == 200);
  CHECK_THAT(c.Request("GET", "/metrics").body, Catch::Contains("triage_webhook_unattributed_replies_total 1\n"));
}

