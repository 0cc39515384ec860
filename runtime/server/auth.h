// Who may call the daemon's API: bearer tokens with scopes.
//
// The serve config lists tokens under `auth:`, each with a name, the SHA-256
// of the token (never the token itself: a leaked config grants nothing) and
// its scopes:
//
//   ingest   POST /v1/messages and POST /webhooks/archive
//   agent    claim, events, heartbeat and GET /v1/agents/{agent}/messages,
//            acting only as the one agent the token is bound to
//   read     queues, peek, messages, agents, alerts, reports
//   metrics  GET /metrics
//   admin    everything, as any agent, and POST /v1/admin/reload
//
// With no token configured the API is open (the daemon then refuses to listen
// on anything but a loopback address unless told --insecure-no-auth). With
// any token configured every /v1 endpoint and /metrics need
// `Authorization: Bearer <token>`; /healthz and /readyz stay open, and the
// platform webhooks keep their own signatures.
//
// Tokens are compared in constant time (SHA-256 of the presented token
// against every entry, without stopping at a match), and never logged.
#ifndef TRIAGE_RUNTIME_SERVER_AUTH_H_
#define TRIAGE_RUNTIME_SERVER_AUTH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace triage {

enum class Scope : uint8_t { kNone = 0, kIngest = 1, kAgent = 2, kRead = 4, kMetrics = 8, kAdmin = 16 };
using Scopes = uint8_t;  // a set of Scope bits

std::optional<Scope> ParseScope(std::string_view name);
std::string_view ScopeName(Scope s);
// "ingest, agent, read, metrics or admin".
std::string ScopeList();

// One configured token.
struct TokenEntry {
  std::string name;                  // who it is, in the audit log and errors
  std::array<uint8_t, 32> sha256{};  // of the token's bytes
  Scopes scopes = 0;
  std::string agent;                 // the agent an `agent` token acts as
};

// The caller of one request, once authenticated.
struct Principal {
  std::string name;  // the token's name; "" when authentication is off
  Scopes scopes = 0;
  std::string agent;  // see TokenEntry::agent
  bool authenticated = false;

  // Admin holds every scope.
  bool Has(Scope s) const {
    return (scopes & static_cast<Scopes>(Scope::kAdmin)) != 0 || (scopes & static_cast<Scopes>(s)) != 0;
  }
  // Whether this caller may act as `agent`: with authentication off or an
  // admin token, as anyone; with an agent token, only as its own agent.
  bool MayActAs(std::string_view agent) const;
};

// Why a request was refused (the label of triage_auth_failures_total).
enum class AuthFailure : uint8_t { kNone, kMissing, kMalformed, kUnknown, kScope, kAgent };
inline constexpr int kNumAuthFailures = 6;
std::string_view AuthFailureName(AuthFailure f);

class TokenTable {
 public:
  TokenTable() = default;
  explicit TokenTable(std::vector<TokenEntry> entries) : entries_(std::move(entries)) {}

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  // Checks an Authorization header value for a route that needs `need`
  // (kNone: any valid token). On success fills *who. With no token
  // configured, every request passes as an unauthenticated principal with
  // every scope.
  AuthFailure Authenticate(std::string_view authorization, Scope need, Principal* who) const;

 private:
  std::vector<TokenEntry> entries_;
};

// A fresh token: "trg_" and 43 characters of base64url (256 random bits from
// OpenSSL's CSPRNG).
Status NewToken(std::string* token);
// The lower-case hex SHA-256 of `token`, as the config holds it.
std::string TokenSha256Hex(std::string_view token);
// Reads 64 hex digits.
bool ParseSha256Hex(std::string_view hex, std::array<uint8_t, 32>* out);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_AUTH_H_
