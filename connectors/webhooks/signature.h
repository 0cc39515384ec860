// Webhook authenticity checks, one function per platform scheme. All HMACs
// come from OpenSSL, all comparisons are constant-time, and every function
// works on the raw request bytes (never on re-serialized JSON).
//
//   Meta (Messenger, Instagram, WhatsApp), Mastodon admin webhooks:
//       X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, body)>
//   legacy Meta:  X-Hub-Signature: sha1=<hex HMAC-SHA1(app_secret, body)>
//   X Account Activity: x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer_secret, body)>
//       and the CRC answer response_token = sha256=<base64 HMAC-SHA256(consumer_secret, crc_token)>
//   Slack: X-Slack-Signature: v0=<hex HMAC-SHA256(signing_secret, "v0:" ts ":" body)>,
//       with X-Slack-Request-Timestamp within a replay window of now
//   Telegram: X-Telegram-Bot-Api-Secret-Token equal to the configured secret
#ifndef TRIAGE_CONNECTORS_WEBHOOKS_SIGNATURE_H_
#define TRIAGE_CONNECTORS_WEBHOOKS_SIGNATURE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace triage {

enum class SignatureCheck {
  kValid,
  kMissingHeader,   // the header is absent or empty
  kMalformed,       // wrong prefix, bad hex/base64, bad timestamp
  kMismatch,        // a well-formed signature that does not match
  kStaleTimestamp,  // Slack: outside the replay window
  kNoSecret,        // the endpoint has no secret configured
};
std::string_view SignatureCheckName(SignatureCheck c);

std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string HmacSha1(std::string_view key, std::string_view data);    // raw 20 bytes
std::string HexEncode(std::string_view bytes);                        // lower case
std::string Base64Encode(std::string_view bytes);
// Constant-time equality (length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

SignatureCheck VerifyHubSignature256(std::string_view secret, std::string_view body, std::string_view header);
SignatureCheck VerifyHubSignatureSha1(std::string_view secret, std::string_view body, std::string_view header);
SignatureCheck VerifyXSignature(std::string_view consumer_secret, std::string_view body, std::string_view header);
std::string XCrcResponseToken(std::string_view consumer_secret, std::string_view crc_token);
// `now_seconds`: the current Unix time (injected, so tests can use the
// official vector's timestamp). window_seconds: Slack recommends 300.
SignatureCheck VerifySlackSignature(std::string_view signing_secret, std::string_view body,
                                    std::string_view timestamp_header, std::string_view signature_header,
                                    int64_t now_seconds, int64_t window_seconds = 300);
SignatureCheck VerifyTelegramSecret(std::string_view secret, std::string_view header);

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_WEBHOOKS_SIGNATURE_H_
