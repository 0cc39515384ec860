// triage rules check: compiles a pack and reports every error.
#include "cli/commands.h"
#include "cli/load_pipeline.h"

namespace triage {

int RunRulesCheck(const RulesCheckOptions& opts) {
  std::unique_ptr<Pipeline> p = LoadPipeline(opts.common);
  if (!p) return kExitError;
  const auto& info = p->classifier().database().info();
  std::fprintf(opts.common.out,
               "rules: OK: pack '%s', %zu rules, %zu distinct patterns, %zu routes, database %zu bytes, %s\n",
               p->pack().settings().name.c_str(), p->pack().rules().size(), p->classifier().num_patterns(),
               p->pack().routes().size(), info.database_bytes,
               info.from_cache ? ("loaded from cache " + info.cache_file).c_str()
                               : ("compiled in " + std::to_string(info.compile_seconds) + " s").c_str());
  return kExitOk;
}

}  // namespace triage
