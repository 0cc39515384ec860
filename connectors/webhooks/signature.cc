#include "connectors/webhooks/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace triage {

std::string_view SignatureCheckName(SignatureCheck c) {
  switch (c) {
    case SignatureCheck::kValid: return "valid";
    case SignatureCheck::kMissingHeader: return "missing signature header";
    case SignatureCheck::kMalformed: return "malformed signature";
    case SignatureCheck::kMismatch: return "signature mismatch";
    case SignatureCheck::kStaleTimestamp: return "timestamp outside the replay window";
    case SignatureCheck::kNoSecret: return "no secret configured for this endpoint";
  }
  return "unknown";
}

namespace {

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// "prefix=" + value, with the prefix compared case-insensitively.
bool StripPrefix(std::string_view header, std::string_view prefix, std::string_view* value) {
  if (header.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != prefix[i]) return false;
  *value = header.substr(prefix.size());
  return true;
}

bool IsHex(std::string_view s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

SignatureCheck CheckHex(std::string_view expected_hex, std::string_view header, std::string_view prefix) {
  if (header.empty()) return SignatureCheck::kMissingHeader;
  std::string_view value;
  if (!StripPrefix(header, prefix, &value) || value.size() != expected_hex.size() || !IsHex(value))
    return SignatureCheck::kMalformed;
  return ConstantTimeEquals(expected_hex, Lower(value)) ? SignatureCheck::kValid : SignatureCheck::kMismatch;
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) { return Hmac(EVP_sha256(), key, data); }
std::string HmacSha1(std::string_view key, std::string_view data) { return Hmac(EVP_sha1(), key, data); }

std::string HexEncode(std::string_view bytes) {
  static const char* k = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(k[c >> 4]);
    out.push_back(k[c & 15]);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SignatureCheck VerifyHubSignature256(std::string_view secret, std::string_view body, std::string_view header) {
  if (secret.empty()) return SignatureCheck::kNoSecret;
  return CheckHex(HexEncode(HmacSha256(secret, body)), header, "sha256=");
}

SignatureCheck VerifyHubSignatureSha1(std::string_view secret, std::string_view body, std::string_view header) {
  if (secret.empty()) return SignatureCheck::kNoSecret;
  return CheckHex(HexEncode(HmacSha1(secret, body)), header, "sha1=");
}

SignatureCheck VerifyXSignature(std::string_view consumer_secret, std::string_view body, std::string_view header) {
  if (consumer_secret.empty()) return SignatureCheck::kNoSecret;
  if (header.empty()) return SignatureCheck::kMissingHeader;
  std::string_view value;
  if (!StripPrefix(header, "sha256=", &value) || value.size() != 44) return SignatureCheck::kMalformed;
  return ConstantTimeEquals(Base64Encode(HmacSha256(consumer_secret, body)), value) ? SignatureCheck::kValid
                                                                                   : SignatureCheck::kMismatch;
}

std::string XCrcResponseToken(std::string_view consumer_secret, std::string_view crc_token) {
  return "sha256=" + Base64Encode(HmacSha256(consumer_secret, crc_token));
}

SignatureCheck VerifySlackSignature(std::string_view signing_secret, std::string_view body,
                                    std::string_view timestamp_header, std::string_view signature_header,
                                    int64_t now_seconds, int64_t window_seconds) {
  if (signing_secret.empty()) return SignatureCheck::kNoSecret;
  if (timestamp_header.empty() || signature_header.empty()) return SignatureCheck::kMissingHeader;
  int64_t ts = 0;
  for (char c : timestamp_header) {
    if (c < '0' || c > '9' || ts > (int64_t{1} << 50)) return SignatureCheck::kMalformed;
    ts = ts * 10 + (c - '0');
  }
  if (std::llabs(now_seconds - ts) > window_seconds) return SignatureCheck::kStaleTimestamp;
  std::string base = "v0:";
  base.append(timestamp_header);
  base.push_back(':');
  base.append(body);
  return CheckHex(HexEncode(HmacSha256(signing_secret, base)), signature_header, "v0=");
}

SignatureCheck VerifyTelegramSecret(std::string_view secret, std::string_view header) {
  if (secret.empty()) return SignatureCheck::kNoSecret;
  if (header.empty()) return SignatureCheck::kMissingHeader;
  // Compare digests so the comparison time does not depend on the length either.
  return ConstantTimeEquals(HmacSha256("telegram", secret), HmacSha256("telegram", header)) ? SignatureCheck::kValid
                                                                                            : SignatureCheck::kMismatch;
}

}  // namespace triage
