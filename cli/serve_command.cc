// triage serve: reads the config, applies the flags, runs the daemon.
#include "cli/commands.h"
#include "runtime/server/daemon.h"
#include "runtime/server/server_config.h"

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
  if (!opts.model.empty()) config.model = opts.model;
  config.insecure_no_auth = opts.insecure_no_auth;
  std::unique_ptr<Daemon> daemon;
  if (Status s = Daemon::Create(config, opts.err, &daemon); !s.ok()) {
    std::fprintf(opts.err, "triage serve: %s\n", s.message().c_str());
    return kExitError;
  }
  if (!opts.kafka) return daemon->Run();

  // --kafka: the bridge runs beside the API on the daemon's engine.
  if (Status s = daemon->EnableKafka(); !s.ok()) {
    std::fprintf(opts.err, "triage serve --kafka: %s\n", s.message().c_str());
    return s.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitError;
  }
  return daemon->Run();
}

}  // namespace triage
