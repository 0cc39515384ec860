#include "runtime/server/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace triage {

namespace {

constexpr std::string_view kScopeNames[] = {"ingest", "agent", "read", "metrics", "admin"};

std::array<uint8_t, 32> Sha256(std::string_view s) {
  std::array<uint8_t, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
  return out;
}

}  // namespace

std::optional<Scope> ParseScope(std::string_view name) {
  for (size_t i = 0; i < std::size(kScopeNames); ++i)
    if (kScopeNames[i] == name) return static_cast<Scope>(1u << i);
  return std::nullopt;
}

std::string_view ScopeName(Scope s) {
  for (size_t i = 0; i < std::size(kScopeNames); ++i)
    if (static_cast<uint8_t>(s) == (1u << i)) return kScopeNames[i];
  return "none";
}

std::string ScopeList() {
  std::string out;
  for (size_t i = 0; i < std::size(kScopeNames); ++i) {
    if (i) out += i + 1 == std::size(kScopeNames) ? " or " : ", ";
    out += kScopeNames[i];
  }
  return out;
}

std::string_view AuthFailureName(AuthFailure f) {
  switch (f) {
    case AuthFailure::kNone: return "none";
    case AuthFailure::kMissing: return "missing";
    case AuthFailure::kMalformed: return "malformed";
    case AuthFailure::kUnknown: return "unknown_token";
    case AuthFailure::kScope: return "scope";
    case AuthFailure::kAgent: return "agent";
  }
  return "none";
}

bool Principal::MayActAs(std::string_view who) const {
  if (!authenticated) return true;  // authentication is off
  if (scopes & static_cast<Scopes>(Scope::kAdmin)) return true;
  return (scopes & static_cast<Scopes>(Scope::kAgent)) && !agent.empty() && agent == who;
}

AuthFailure TokenTable::Authenticate(std::string_view authorization, Scope need, Principal* who) const {
  if (entries_.empty()) {
    *who = Principal{"", 0xff, "", false};
    return AuthFailure::kNone;
  }
  if (authorization.empty()) return AuthFailure::kMissing;
  // RFC 6750: "Bearer" is case-insensitive, then one space, then the token.
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size()) return AuthFailure::kMalformed;
  for (size_t i = 0; i < kBearer.size(); ++i)
    if ((authorization[i] | 0x20) != kBearer[i]) return AuthFailure::kMalformed;
  std::string_view token = authorization.substr(kBearer.size());
  // The digest is compared with every entry, without stopping at a match, so
  // the time taken says nothing about which entry matched or how closely.
  const std::array<uint8_t, 32> digest = Sha256(token);
  const TokenEntry* found = nullptr;
  for (const TokenEntry& e : entries_) {
    bool same = CRYPTO_memcmp(digest.data(), e.sha256.data(), digest.size()) == 0;
    if (same && !found) found = &e;
  }
  if (!found) return AuthFailure::kUnknown;
  *who = Principal{found->name, found->scopes, found->agent, true};
  if (need != Scope::kNone && !who->Has(need)) return AuthFailure::kScope;
  return AuthFailure::kNone;
}

Status NewToken(std::string* token) {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return Status::Internal("the system's random source failed");
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "trg_";
  // base64url without padding: 32 bytes -> 43 characters.
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out.push_back(kAlphabet[(acc >> (bits - 6)) & 63]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  OPENSSL_cleanse(raw, sizeof raw);
  *token = std::move(out);
  return Status::OK();
}

std::string TokenSha256Hex(std::string_view token) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : Sha256(token)) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

bool ParseSha256Hex(std::string_view hex, std::array<uint8_t, 32>* out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace triage
