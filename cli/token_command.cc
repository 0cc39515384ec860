// triage token new: makes an API token for `triage serve`. The token is
// printed once and kept nowhere; the config holds only its SHA-256.
#include "cli/commands.h"
#include "runtime/server/auth.h"

namespace triage {

int RunTokenNew(const TokenNewOptions& opts) {
  bool agent_scope = false;
  std::string scopes;
  for (const auto& s : opts.scopes) {
    if (!ParseScope(s)) {
      std::fprintf(opts.err, "triage token new: --scope: unknown scope '%s'; use %s\n", s.c_str(), ScopeList().c_str());
      return kExitUsage;
    }
    agent_scope = agent_scope || s == "agent";
    scopes += (scopes.empty() ? "" : ", ") + s;
  }
  if (opts.name.empty() || opts.name.find_first_of("\"\\\n\r\t:#") != std::string::npos) {
    std::fprintf(opts.err, "triage token new: --name: a non-empty name without quotes, colons, '#' or control characters\n");
    return kExitUsage;
  }
  if (agent_scope && opts.agent.empty()) {
    std::fprintf(opts.err, "triage token new: --agent: the agent scope needs the agent this token acts as\n");
    return kExitUsage;
  }
  if (!agent_scope && !opts.agent.empty()) {
    std::fprintf(opts.err, "triage token new: --agent: only a token with the agent scope acts as an agent\n");
    return kExitUsage;
  }
  if (opts.agent.find_first_of("\"\\\n\r\t:#") != std::string::npos) {
    std::fprintf(opts.err, "triage token new: --agent: no quotes, colons, '#' or control characters\n");
    return kExitUsage;
  }
  std::string token;
  if (Status s = NewToken(&token); !s.ok()) {
    std::fprintf(opts.err, "triage token new: %s\n", s.message().c_str());
    return kExitError;
  }
  std::fprintf(opts.out,
               "token: %s\n"
               "(shown only now: give it to its holder; the config below keeps only its SHA-256)\n\n"
               "# add under auth: in the serve config, then send SIGHUP\n"
               "  - name: %s\n"
               "    sha256: %s\n"
               "    scopes: [%s]\n",
               token.c_str(), opts.name.c_str(), TokenSha256Hex(token).c_str(), scopes.c_str());
  if (!opts.agent.empty()) std::fprintf(opts.out, "    agent: %s\n", opts.agent.c_str());
  return kExitOk;
}

}  // namespace triage
