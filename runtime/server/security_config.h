// The security part of the serve config: API tokens (`auth:`), TLS (`tls:`)
// and the audit log (`audit_log:`). Kept apart from the rest because SIGHUP
// re-reads exactly this part (token changes and a renewed certificate apply
// without a restart), while the other options need one.
//
//   auth:
//     - name: ingest-bot            # shown in the audit log
//       sha256: 3f1c...             # of the token; `triage token new` prints the entry
//       scopes: [ingest]            # ingest, agent, read, metrics, admin
//     - name: desk-alice
//       sha256: 9ab0...
//       scopes: [agent, read]
//       agent: alice                # required with the agent scope
//   tls:
//     cert: /etc/triage/tls/cert.pem   # PEM, the chain after the leaf
//     key: /etc/triage/tls/key.pem
//   audit_log: /var/log/triage/audit.log
#ifndef TRIAGE_RUNTIME_SERVER_SECURITY_CONFIG_H_
#define TRIAGE_RUNTIME_SERVER_SECURITY_CONFIG_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/server/auth.h"

namespace YAML {
class Node;
}

namespace triage {

struct TlsConfig {
  std::string cert;  // PEM certificate chain file
  std::string key;   // PEM private key file
  bool enabled() const { return !cert.empty(); }
};

struct SecurityConfig {
  std::vector<TokenEntry> tokens;
  TlsConfig tls;
  std::string audit_log;  // empty: audit lines go to the daemon's log
};

// Reads the auth:, tls: and audit_log: keys of `root`, the parsed config
// file `path` (other keys are left to ServerConfig). Errors name the file,
// line and key; every error is reported, not only the first.
Status ReadSecurityConfig(const YAML::Node& root, const std::string& path, SecurityConfig* out);
// The same from the file itself (a reload reads only this part).
Status LoadSecurityConfig(const std::string& path, SecurityConfig* out);

// Parses a YAML config file; the error names the file (and the line of a
// syntax error).
Status LoadConfigYaml(const std::string& path, YAML::Node* root);

// Whether `host` is a loopback address (127.0.0.0/8, ::1 or "localhost"):
// the only place the daemon listens without tokens unless told otherwise.
bool IsLoopbackHost(const std::string& host);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_SECURITY_CONFIG_H_
