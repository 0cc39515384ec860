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

namespace triage {

int RunRulesExplain(const RulesExplainOptions& opts) {
  std::unique_ptr<Pipeline> p = LoadPipeline(opts.common);
  if (!p) return kExitError;
  std::unique_ptr<ClassifierScratch> scratch;
  if (Status s = p->NewScratch(&scratch); !s.ok()) {
    std::fprintf(opts.common.err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  Message m;
  m.id = "explain";
  m.channel = opts.channel;
  m.text = opts.text;
  m.lang = opts.lang;
  Decision d;
  p->Decide(m, scratch.get(), &d);
  FILE* out = opts.common.out;
  const auto& rules = p->pack().rules();
  std::fprintf(out, "normalized: \"%s\"\n", scratch->normalized().c_str());
  std::fprintf(out, "lang: %s%s\n", std::string(d.verdict.lang).c_str(), d.verdict.lang_detected ? " (detected)" : "");
  std::fprintf(out, "matched patterns:\n");
  for (uint32_t pid : scratch->matched_patterns()) {
    std::string names;
    for (uint32_t r : p->classifier().PatternRules(pid)) names += (names.empty() ? "" : ", ") + rules[r].id;
    std::fprintf(out, "  %-32s -> %s\n", p->classifier().PatternSource(pid).c_str(), names.c_str());
  }
  std::fprintf(out, "fired rules:\n");
  for (uint32_t r : d.verdict.fired)
    std::fprintf(out, "  %-24s %-8s %+g  (%s:%d)\n", rules[r].id.c_str(), std::string(LabelName(rules[r].label)).c_str(),
                 rules[r].weight, rules[r].where.file.c_str(), rules[r].where.line);
  if (d.verdict.has_model) {
    std::fprintf(out, "model (x %g):", p->pack().settings().model_weight);
    for (Label l : kAllLabels)
      std::fprintf(out, " %s %.3f", std::string(LabelName(l)).c_str(), d.verdict.model[static_cast<int>(l)]);
    std::fprintf(out, "  (rules alone: %s)\n", std::string(LabelName(d.verdict.rules_label)).c_str());
  }
  std::fprintf(out, "scores:");
  for (Label l : kAllLabels)
    std::fprintf(out, " %s %g", std::string(LabelName(l)).c_str(), d.verdict.scores[static_cast<int>(l)]);
  std::fprintf(out, "  (threshold %g)%s\n", p->pack().settings().threshold,
               d.verdict.forced ? "  forced by a force: rule" : "");
  std::fprintf(out, "label: %s  queue: %s  priority: %s  route: %s\n", std::string(LabelName(d.verdict.label)).c_str(),
               std::string(d.routing.queue).c_str(), std::string(PriorityName(d.routing.priority)).c_str(),
               d.routing.route ? d.routing.route->id.c_str() : "(default)");
  return kExitOk;
}

}  // namespace triage
