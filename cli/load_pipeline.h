// Loads the pipeline named by the common options, reporting errors on err.
#ifndef TRIAGE_CLI_LOAD_PIPELINE_H_
#define TRIAGE_CLI_LOAD_PIPELINE_H_

#include <memory>

#include "cli/commands.h"
#include "engine/pipeline.h"

namespace triage {

inline std::unique_ptr<Pipeline> LoadPipeline(const CommonOptions& o) {
  PatternDatabaseOptions db;
  if (!o.no_cache) db.cache_dir = o.cache_dir.empty() ? PatternDatabase::DefaultCacheDir() : o.cache_dir;
  std::string path = o.rules.empty() ? Pipeline::DefaultRulesPath() : o.rules;
  std::unique_ptr<Pipeline> p;
  Status s = Pipeline::Load(path, db, o.model, &p);
  if (!s.ok()) {
    std::fprintf(o.err, "%s\n", s.message().c_str());
    return nullptr;
  }
  const auto& info = p->classifier().database().info();
  if (!info.cache_note.empty()) std::fprintf(o.err, "triage: pattern cache: %s\n", info.cache_note.c_str());
  return p;
}

}  // namespace triage

#endif  // TRIAGE_CLI_LOAD_PIPELINE_H_
