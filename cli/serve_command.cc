// triage serve: reads the config, applies the flags, runs the daemon.
#include "cli/commands.h"
#include "engine/daemon/daemon.h"
#include "engine/daemon/server_config.h"

namespace triage {

int RunServe(const ServeOptions& opts) {
  ServerConfig config;
  if (!opts.config.empty()) {
    if (Status s = ServerConfig::LoadFile(opts.config, &config); !s.ok()) {
      std::fprintf(opts.err, "%s\n", s.message().c_str());
      return kExitError;
    }
  }
  if (!opts.listen.empty()) {
    if (Status s = config.SetListen(opts.listen); !s.ok()) {
      std::fprintf(opts.err, "triage serve: --%s\n", s.message().c_str());
      return kExitUsage;
    }
  }
  if (!opts.data.empty()) config.data_dir = opts.data;
  if (!opts.rules.empty()) config.rules = opts.rules;
  std::unique_ptr<Daemon> daemon;
  if (Status s = Daemon::Create(config, opts.err, &daemon); !s.ok()) {
    std::fprintf(opts.err, "triage serve: %s\n", s.message().c_str());
    return kExitError;
  }
  return daemon->Run();
}

}  // namespace triage
