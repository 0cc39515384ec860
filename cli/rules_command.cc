// triage rules check: compiles a pack and reports every error.
#include "cli/commands.h"
#include "cli/load_pipeline.h"
#include "cli/text_width.h"
#include "engine/explain.h"

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
  Explanation e;
  if (Status s = Explain(*p, m, &e); !s.ok()) {
    std::fprintf(opts.common.err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  FILE* out = opts.common.out;
  auto label = [](Label l) { return std::string(LabelName(l)); };
  std::fprintf(out, "normalized: \"%s\"\n", e.normalized.c_str());
  std::fprintf(out, "lang: %s%s\n", e.lang.c_str(), e.lang_detected ? " (detected)" : "");
  if (m.thread.known)
    std::fprintf(out, "thread: after a %s message by %s\n", label(m.thread.previous).c_str(),
                 m.thread.same_author ? "the same author" : "someone else");
  std::fprintf(out, "\n1. rules\nmatched patterns:\n");
  for (const auto& mp : e.matched) {
    std::string names;
    for (const auto& r : mp.rules) names += (names.empty() ? "" : ", ") + r;
    std::fprintf(out, "  %s-> %s\n", PadRight(mp.source, 33).c_str(), names.c_str());
  }
  std::fprintf(out, "fired rules:\n");
  for (const auto& r : e.fired)
    std::fprintf(out, "  %-24s %-8s %+.4g%s  (%s:%d)\n", r.id.c_str(), label(r.label).c_str(), r.weight,
                 r.force ? " force" : "", r.file.c_str(), r.line);
  std::fprintf(out, "rules alone: %s\n", label(e.rules_label).c_str());

  if (e.has_model) {
    std::fprintf(out, "\n2. model (%s)\n", e.model_description.c_str());
    std::fprintf(out, "probabilities (calibrated):");
    for (Label l : kAllLabels) std::fprintf(out, " %s %.3f", label(l).c_str(), e.model_probs[static_cast<int>(l)]);
    std::fprintf(out, "\ncalibration: temperature %.3g; text known %.0f %% (familiar above %.0f %%%s)\n",
                 e.temperature, 100 * e.coverage, 100 * e.familiar_coverage,
                 e.coverage < e.familiar_coverage ? ": unfamiliar, probabilities flattened" : "");
    std::fprintf(out, "strongest features for %s (of %zu known):\n", label(e.model_label).c_str(), e.known_features);
    for (const auto& [name, c] : e.features)
      std::fprintf(out, "  %s%+.3f\n", PadRight("\"" + name + "\"", 28).c_str(), c);
  }

  std::fprintf(out, "\n3. decision\nscores (rules + %.4g x P):", e.model_weight);
  for (Label l : kAllLabels) std::fprintf(out, " %s %.4g", label(l).c_str(), e.scores[static_cast<int>(l)]);
  std::fprintf(out, "  (threshold %.4g)\n", e.threshold);
  if (e.forced) std::fprintf(out, "forced by a force: rule\n");
  if (e.crisis_held_back)
    std::fprintf(out, "crisis held back: no crisis rule fired and P(crisis) is below %.2f\n", e.crisis_threshold);
  std::fprintf(out, "label: %s  queue: %s  priority: %s  route: %s\n", label(e.label).c_str(), e.queue.c_str(),
               std::string(PriorityName(e.priority)).c_str(), e.route.empty() ? "(default)" : e.route.c_str());
  std::fprintf(out, "confidence: %.3f%s\n", e.confidence, e.review ? "  (review: a person should look)" : "");
  return kExitOk;
}

}  // namespace triage
