// triage rules check: compiles a pack and reports every error.
#include "cli/commands.h"
#include "cli/load_pipeline.h"
#include "cli/text_width.h"

#include <algorithm>
#include <cmath>

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
  m.kind = opts.kind == "private" ? Kind::kPrivate : opts.kind == "public" ? Kind::kPublic : Kind::kUnknown;
  if (!opts.after.empty()) {
    auto prev = ParseLabel(opts.after);
    if (!prev) {
      std::fprintf(opts.common.err, "triage rules explain: --after must be a label (lead, support, feedback, crisis, none)\n");
      return kExitUsage;
    }
    m.thread.known = true;
    m.thread.previous = *prev;
    m.thread.same_author = !opts.other_author;
    m.in_reply_to = "earlier";
  }
  Decision d;
  if (Status s = p->Decide(m, scratch.get(), &d); !s.ok()) {
    std::fprintf(opts.common.err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  FILE* out = opts.common.out;
  const auto& rules = p->pack().rules();
  const Verdict& v = d.verdict;
  std::fprintf(out, "normalized: \"%s\"\n", scratch->normalized().c_str());
  std::fprintf(out, "lang: %s%s\n", std::string(v.lang).c_str(), v.lang_detected ? " (detected)" : "");
  if (m.thread.known)
    std::fprintf(out, "thread: after a %s message by %s\n", std::string(LabelName(m.thread.previous)).c_str(),
                 m.thread.same_author ? "the same author" : "someone else");
  std::fprintf(out, "\n1. rules\nmatched patterns:\n");
  for (uint32_t pid : scratch->matched_patterns()) {
    std::string names;
    for (uint32_t r : p->classifier().PatternRules(pid)) names += (names.empty() ? "" : ", ") + rules[r].id;
    std::fprintf(out, "  %s-> %s\n", PadRight(p->classifier().PatternSource(pid), 33).c_str(), names.c_str());
  }
  std::fprintf(out, "fired rules:\n");
  for (uint32_t r : v.fired)
    std::fprintf(out, "  %-24s %-8s %+.4g%s  (%s:%d)\n", rules[r].id.c_str(), std::string(LabelName(rules[r].label)).c_str(),
                 rules[r].weight, rules[r].force ? " force" : "", rules[r].where.file.c_str(), rules[r].where.line);
  std::fprintf(out, "rules alone: %s\n", std::string(LabelName(v.rules_label)).c_str());

  if (const LinearModel* model = p->classifier().model()) {
    const Calibration& cal = model->calibration();
    std::fprintf(out, "\n2. model (%s)\n", model->description().c_str());
    std::fprintf(out, "probabilities (calibrated):");
    for (Label l : kAllLabels) std::fprintf(out, " %s %.3f", std::string(LabelName(l)).c_str(), v.model[static_cast<int>(l)]);
    std::fprintf(out, "\ncalibration: temperature %.3g; text known %.0f %% (familiar above %.0f %%%s)\n",
                 cal.temperature, 100 * v.coverage, 100 * cal.familiar_coverage,
                 v.coverage < cal.familiar_coverage ? ": unfamiliar, probabilities flattened" : "");
    // The features that moved the model most toward (and away from) its
    // top label, by name.
    std::vector<std::string> names;
    FeatureVector fv;
    fv.names = &names;
    p->classifier().ModelFeatures(m, *scratch, v, model->hasher(), &fv);
    auto contributions = model->Contributions(fv, v.model_label);
    std::sort(contributions.begin(), contributions.end(),
              [](const auto& a, const auto& b) { return std::fabs(a.second) > std::fabs(b.second); });
    std::fprintf(out, "strongest features for %s (of %zu known):\n", std::string(LabelName(v.model_label)).c_str(),
                 contributions.size());
    for (size_t i = 0; i < contributions.size() && i < 12; ++i)
      std::fprintf(out, "  %s%+.3f\n", PadRight("\"" + names[contributions[i].first] + "\"", 28).c_str(),
                   contributions[i].second);
  }

  std::fprintf(out, "\n3. decision\nscores (rules + %.4g x P):", p->classifier().choice_settings().model_weight);
  for (Label l : kAllLabels) std::fprintf(out, " %s %.4g", std::string(LabelName(l)).c_str(), v.scores[static_cast<int>(l)]);
  std::fprintf(out, "  (threshold %.4g)\n", p->pack().settings().threshold);
  if (v.forced) std::fprintf(out, "forced by a force: rule\n");
  if (v.crisis_held_back)
    std::fprintf(out, "crisis held back: no crisis rule fired and P(crisis) is below %.2f\n",
                 p->classifier().choice_settings().crisis_threshold);
  std::fprintf(out, "label: %s  queue: %s  priority: %s  route: %s\n", std::string(LabelName(v.label)).c_str(),
               std::string(d.routing.queue).c_str(), std::string(PriorityName(d.routing.priority)).c_str(),
               d.routing.route ? d.routing.route->id.c_str() : "(default)");
  std::fprintf(out, "confidence: %.3f%s\n", v.confidence, v.review ? "  (review: a person should look)" : "");
  return kExitOk;
}

}  // namespace triage
