// Known-answer tests of the webhook signature schemes, with the vectors under
// ../shared/data/webhooks/signatures (read at test time, not copied here).
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <filesystem>

#include "connectors/webhooks/signature.h"
#include "test_util.h"

using namespace triage;

namespace {

const std::string kDir = std::string(TRIAGE_SHARED_DIR) + "/data/webhooks";

// Reads string fields of a vector file: "a.b" walks nested objects.
struct Vector {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool ok = false;
  std::string path;
  explicit Vector(const std::string& name) {
    path = kDir + "/signatures/" + name;
    if (!std::filesystem::exists(path)) return;
    ok = !parser.load(path).get(root);
  }
  std::string Get(const std::string& dotted) {
    simdjson::dom::element e = root;
    size_t start = 0;
    while (start <= dotted.size()) {
      size_t dot = dotted.find('.', start);
      std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (e[key].get(e)) return "";
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::string_view s;
    return e.get_string().get(s) ? "" : std::string(s);
  }
};

std::string FlipOneByte(std::string s) {
  s[s.size() / 2] ^= 1;
  return s;
}

}  // namespace

TEST_CASE("Meta X-Hub-Signature-256: the published vector, and every way to fail", "[webhooks][signature]") {
  Vector v("x_hub_signature_256_github_docs_vector.json");
  if (!v.ok) FAIL("signature vectors missing: provide ../shared/data/webhooks/signatures (" << v.path << ")");
  std::string secret = v.Get("secret"), body = v.Get("raw_body"), header = v.Get("expected_header_value");
  CHECK(VerifyHubSignature256(secret, body, header) == SignatureCheck::kValid);
  // Header names' case and the hex digits' case do not matter.
  std::string upper = header;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  CHECK(VerifyHubSignature256(secret, body, upper) == SignatureCheck::kValid);
  CHECK(VerifyHubSignature256(secret + "x", body, header) == SignatureCheck::kMismatch);
  CHECK(VerifyHubSignature256(secret, FlipOneByte(body), header) == SignatureCheck::kMismatch);
  CHECK(VerifyHubSignature256(secret, body, "") == SignatureCheck::kMissingHeader);
  CHECK(VerifyHubSignature256(secret, body, "sha1=" + header.substr(7)) == SignatureCheck::kMalformed);
  CHECK(VerifyHubSignature256(secret, body, header.substr(0, header.size() - 1)) == SignatureCheck::kMalformed);
  CHECK(VerifyHubSignature256("", body, header) == SignatureCheck::kNoSecret);
}

TEST_CASE("Legacy X-Hub-Signature (SHA-1) vector", "[webhooks][signature]") {
  Vector v("x_hub_signature_sha1_facebook_rs_vector.json");
  if (!v.ok) FAIL("signature vector missing: provide " << v.path);
  CHECK(VerifyHubSignatureSha1(v.Get("secret"), v.Get("raw_body"), v.Get("expected_header_value")) ==
        SignatureCheck::kValid);
  CHECK(VerifyHubSignatureSha1(v.Get("secret"), v.Get("raw_body") + " ", v.Get("expected_header_value")) ==
        SignatureCheck::kMismatch);
}

TEST_CASE("X CRC response token and POST signature", "[webhooks][signature]") {
  Vector v("x_twitter_crc_and_signature_computed.json");
  if (!v.ok) FAIL("signature vector missing: provide " << v.path);
  std::string secret = v.Get("crc.consumer_secret");
  CHECK(XCrcResponseToken(secret, v.Get("crc.crc_token")) == v.Get("crc.expected_response_token"));
  std::string body = test::ReadFile(kDir + "/x_twitter/xdocs_aaa_tweet_delete_events.json");
  std::string header = v.Get("post_signature.expected_header_value");
  CHECK(VerifyXSignature(v.Get("post_signature.consumer_secret"), body, header) == SignatureCheck::kValid);
  CHECK(VerifyXSignature(secret, FlipOneByte(body), header) == SignatureCheck::kMismatch);
  CHECK(VerifyXSignature("other", body, header) == SignatureCheck::kMismatch);
  CHECK(VerifyXSignature(secret, body, "") == SignatureCheck::kMissingHeader);
  CHECK(VerifyXSignature(secret, body, "sha256=short") == SignatureCheck::kMalformed);
}

TEST_CASE("Slack v0 signature: the official vector, wrong secret, changed body, stale timestamp", "[webhooks][signature]") {
  Vector v("slack_v0_official_vector.json");
  if (!v.ok) FAIL("signature vector missing: provide " << v.path);
  std::string secret = v.Get("signing_secret"), body = v.Get("raw_body"), ts = v.Get("timestamp"),
              sig = v.Get("expected_signature");
  int64_t now = std::stoll(ts);  // the vector's own time: the clock is injected
  CHECK(VerifySlackSignature(secret, body, ts, sig, now) == SignatureCheck::kValid);
  CHECK(VerifySlackSignature(secret, body, ts, sig, now + 299) == SignatureCheck::kValid);
  CHECK(VerifySlackSignature(secret, body, ts, sig, now + 301) == SignatureCheck::kStaleTimestamp);
  CHECK(VerifySlackSignature(secret, body, ts, sig, now - 301) == SignatureCheck::kStaleTimestamp);
  CHECK(VerifySlackSignature(secret + "0", body, ts, sig, now) == SignatureCheck::kMismatch);
  CHECK(VerifySlackSignature(secret, FlipOneByte(body), ts, sig, now) == SignatureCheck::kMismatch);
  CHECK(VerifySlackSignature(secret, body, "", sig, now) == SignatureCheck::kMissingHeader);
  CHECK(VerifySlackSignature(secret, body, ts, "", now) == SignatureCheck::kMissingHeader);
  CHECK(VerifySlackSignature(secret, body, "12ab", sig, now) == SignatureCheck::kMalformed);
}

TEST_CASE("Telegram secret token", "[webhooks][signature]") {
  CHECK(VerifyTelegramSecret("s3cret-token", "s3cret-token") == SignatureCheck::kValid);
  CHECK(VerifyTelegramSecret("s3cret-token", "s3cret-tokem") == SignatureCheck::kMismatch);
  CHECK(VerifyTelegramSecret("s3cret-token", "") == SignatureCheck::kMissingHeader);
  CHECK(VerifyTelegramSecret("", "anything") == SignatureCheck::kNoSecret);
}
