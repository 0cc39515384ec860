// triage rules check: compiles a pack and reports every error.
#include "cli/commands.h"
#include "cli/load_pipeline.h"
#include "cli/text_width.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace triage {

namespace {

// Sorts "file:line: ..." errors by the order the pack read its files, then
// by line, so structural and Hyperscan errors interleave as in the files.
// Errors that name no file of the pack (the pack path itself) come first.
void SortByLocation(const std::vector<std::string>& files, std::vector<std::string>* errors) {
  auto key = [&](const std::string& e) -> std::pair<long, long> {
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string& f = files[i];
      if (e.size() > f.size() + 1 && e.compare(0, f.size(), f) == 0 && e[f.size()] == ':')
        return {static_cast<long>(i), std::strtol(e.c_str() + f.size() + 1, nullptr, 10)};
    }
    return {-1, 0};
  };
  std::stable_sort(errors->begin(), errors->end(),
                   [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
}

// Loads the pack without compiling it. When that fails, the patterns that
// were read are still given to Hyperscan, and every error of both kinds is
// printed, one per line, in file order. Returns false on any error.
bool CheckPackSource(const CommonOptions& o) {
  std::string path = o.rules.empty() ? Pipeline::DefaultRulesPath() : o.rules;
  RulePack pack;
  Status s = RulePack::Load(path, &pack);
  if (s.ok()) return true;
  std::vector<std::string> errors;
  std::istringstream lines(s.message());
  for (std::string line; std::getline(lines, line);) errors.push_back(line);
  if (s.code() == Status::Code::kInvalidArgument) {
    Status hs = Classifier::CheckPatterns(pack);
    std::istringstream more(hs.ok() ? "" : hs.message());
    for (std::string line; std::getline(more, line);) errors.push_back(line);
  }
  SortByLocation(pack.files(), &errors);
  for (const auto& e : errors) std::fprintf(o.err, "%s\n", e.c_str());
  return false;
}

}  // namespace

int RunRulesCheck(const RulesCheckOptions& opts) {
  // Structural errors stop a load before Hyperscan sees the patterns: check
  // the source first so one run lists every error, not one kind at a time.
  if (!CheckPackSource(opts.common)) return kExitError;
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
    std::fprintf(out, "  %s-> %s\n", PadRight(p->classifier().PatternSource(pid), 33).c_str(), names.c_str());
  }
  std::fprintf(out, "fired rules:\n");
  for (uint32_t r : d.verdict.fired)
    std::fprintf(out, "  %-24s %-8s %+.4g  (%s:%d)\n", rules[r].id.c_str(), std::string(LabelName(rules[r].label)).c_str(),
                 rules[r].weight, rules[r].where.file.c_str(), rules[r].where.line);
  if (d.verdict.has_model) {
    std::fprintf(out, "model (x %.4g):", p->pack().settings().model_weight);
    for (Label l : kAllLabels)
      std::fprintf(out, " %s %.3f", std::string(LabelName(l)).c_str(), d.verdict.model[static_cast<int>(l)]);
    std::fprintf(out, "  (rules alone: %s)\n", std::string(LabelName(d.verdict.rules_label)).c_str());
  }
  std::fprintf(out, "scores:");
  for (Label l : kAllLabels)
    std::fprintf(out, " %s %.4g", std::string(LabelName(l)).c_str(), d.verdict.scores[static_cast<int>(l)]);
  std::fprintf(out, "  (threshold %.4g)%s\n", p->pack().settings().threshold,
               d.verdict.forced ? "  forced by a force: rule" : "");
  std::fprintf(out, "label: %s  queue: %s  priority: %s  route: %s\n", std::string(LabelName(d.verdict.label)).c_str(),
               std::string(d.routing.queue).c_str(), std::string(PriorityName(d.routing.priority)).c_str(),
               d.routing.route ? d.routing.route->id.c_str() : "(default)");
  return kExitOk;
}

}  // namespace triage
