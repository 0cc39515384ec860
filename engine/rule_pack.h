// RulePack: the rules and routes of a pack, read from YAML and validated.
//
// A pack is a directory of YAML files (read in name order) or a single YAML
// file. Each file may hold any of three top-level keys:
//
//   pack:    {name: default, threshold: 2.0, model: default.model, model_weight: 4.0}
//   rules:   a list of rules
//   routes:  a list of routes (first match wins)
//
// A rule:
//   - id: refund_request          # unique in the pack
//     label: support              # lead | support | feedback | crisis | none
//     weight: 3                   # added to the label's score when it fires
//     any: [refund, "money back", reembolso*, "/order (no )?[0-9]{5,}/"]
//     all: [...]                  # optional: every one must match too
//     unless: [...]               # optional: none may match
//     when: {lang: [en, es], channel: x, kind: public, min_followers: 1000, verified: true}
//     priority: high              # optional: raises the message's priority
//     force: true                 # optional: when it fires, its label wins
//                                 # over every score (crisis, legal)
//     model: "crisis >= 0.6"      # optional: fires only when the pack's model
//                                 # gives the label at least (or, with <,
//                                 # less than) this probability; with no
//                                 # patterns it fires on the model alone
//
// A pattern is a word or phrase matched on word boundaries ("money back"), a
// word prefix ending in '*' ("reembolso*"), or a Hyperscan regex between
// slashes. Words and prefixes go through TextNormalizer, so case, accents and
// script variants do not matter; a regex is applied to the normalized text
// (lower case, words separated by single spaces, a space at each end).
//
// A route:
//   - id: vip_support
//     when: {label: support, min_followers: 50000}
//     queue: support
//     priority: high              # optional: else the message keeps its own
//
// The crisis detector's settings (engine/detector/detector_options.h), at
// most once per pack; every key is optional (durations: 90s, 10m, 6h, 1d):
//   detector:
//     enabled: true
//     warmup: 2h                  # no alert in the first two hours of event time
//     p_value: 1.0e-6             # both scales
//     baseline: 6h                # time constant of the EWMA baseline
//     close_ratio: 2              # closes at window <= ratio x expected
//     cooldown: 1h
//     max_topics: 100000          # open-vocabulary topics with burst state
//     fast: {bucket: 1m, window: 10, min_count: 8, floor_rate: 0.02}
//     slow: {bucket: 10m, window: 6, min_count: 10, floor_rate: 0.2}
//     terms: {enabled: true, capacity: 50000, admit_count: 3, min_length: 3,
//             halve_every: 1h, stopwords: [the, and, ...]}
//     reach: {min_followers: 50000, verified: true, max_compound: -0.5}
//     ignore: ["tag:giveaway", "term:*"]
//     brands: {Acme: {min_count: 20, p_value: 1.0e-9}}
//
// Loading collects every error, each as "file:line: rule 'id': message".
// Values of `when` conditions (lang, channel, brand) must be strings: a plain
// YAML number, boolean or null there (`lang: 5`) is an error. An empty file
// is allowed in a directory beside others, but a pack whose every file is
// empty is an error naming them.
#ifndef TRIAGE_ENGINE_RULE_PACK_H_
#define TRIAGE_ENGINE_RULE_PACK_H_

#include <optional>
#include <string>
#include <vector>

#include "engine/conditions.h"
#include "engine/detector_options.h"
#include "format/label.h"
#include "base/status.h"

namespace triage {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based
};

enum class PatternKind { kWord, kPrefix, kRegex };

struct Pattern {
  PatternKind kind = PatternKind::kWord;
  std::string source;      // as written in the rule file
  std::string expression;  // the Hyperscan expression it compiles to
  SourceLocation where;
};

// A rule's condition on the learned model: P(label) >= p, or < p.
struct ModelCondition {
  Label label = Label::kNone;
  bool at_least = true;
  double p = 0.5;
};

struct Rule {
  std::string id;
  Label label = Label::kNone;
  double weight = 1.0;
  std::optional<Priority> priority;
  std::vector<Pattern> any;
  std::vector<Pattern> all;
  std::vector<Pattern> unless;
  Conditions when;
  bool force = false;
  std::optional<ModelCondition> model;
  std::string description;
  SourceLocation where;
};

struct Route {
  std::string id;
  Conditions when;
  std::string queue;
  std::optional<Priority> priority;
  SourceLocation where;
};

struct PackSettings {
  std::string name = "unnamed";
  // A label is given only when its score reaches this; otherwise "none".
  double threshold = 1.0;
  // The learned model (a file written by `triage train`), resolved against
  // the directory of the file that names it; empty: rules only. Its
  // probability for a label, times model_weight, adds to the label's score.
  std::string model;
  double model_weight = 4.0;  // 2x the bundled threshold: the model alone labels at P >= 0.5
  SourceLocation model_where;
};

class RulePack {
 public:
  // Loads `path` (a directory or a file). On failure returns InvalidArgument
  // whose message lists every error found, one per line; *pack then still
  // holds what could be read (the rules with their well-formed patterns), so
  // a tool can check further: `triage rules check` runs Hyperscan over those
  // patterns and reports its errors together with these.
  static Status Load(const std::string& path, RulePack* pack);
  // Parses one YAML document given as text; `file` names it in errors.
  static Status LoadFromString(const std::string& yaml, const std::string& file, RulePack* pack);

  const PackSettings& settings() const { return settings_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<Route>& routes() const { return routes_; }
  const CrisisDetectorOptions& detector() const { return detector_; }
  // A copy without the rules for which drop[i] is true (for measuring what
  // each rule costs: triage bench).
  RulePack WithoutRules(const std::vector<bool>& drop) const {
    RulePack p = *this;
    p.rules_.clear();
    for (size_t i = 0; i < rules_.size(); ++i)
      if (i >= drop.size() || !drop[i]) p.rules_.push_back(rules_[i]);
    return p;
  }
  // The `detector:` section as YAML text ("" when absent): equal texts mean
  // equal settings, so a reload can keep the detector's state.
  const std::string& detector_source() const { return detector_source_; }
  // The files read, in order (for the cache key and messages).
  const std::vector<std::string>& files() const { return files_; }

 private:
  friend class RulePackParser;
  PackSettings settings_;
  std::vector<Rule> rules_;
  std::vector<Route> routes_;
  CrisisDetectorOptions detector_;
  std::string detector_source_;
  SourceLocation detector_where_;
  std::vector<std::string> files_;
};

// Builds the Hyperscan expression for a pattern written in a rule file.
// Returns InvalidArgument when the pattern is empty after normalization.
Status CompilePatternSource(const std::string& source, Pattern* out);

}  // namespace triage

#endif  // TRIAGE_ENGINE_RULE_PACK_H_
