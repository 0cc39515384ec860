// Classifier: labels a message by the rules of a pack.
//
// Every distinct pattern of the pack is compiled into one PatternDatabase.
// Classify() normalizes the text once, scans it once, and then evaluates only
// the rules that one of the matched patterns belongs to. A rule fires when one
// of its `any` patterns matched (or it has none), all of its `all` patterns
// matched, none of its `unless` patterns matched, and the message meets its
// `when` conditions.
//
// Scoring (rspamd-style): a label's score is the sum of the weights of the
// fired rules that name it. The label is the one with the highest score, if
// that score reaches the pack's threshold; otherwise "none". A tie goes to the
// more urgent label, in the order crisis, support, lead, feedback, none,
// because missing a crisis costs more than a second look at a lead.
//
// With a learned model (the pack's `model:`, a LinearModel), in this order:
//   1. the rules whose patterns matched fire as above (rule scores);
//   2. the model reads the text, the message's context (channel, reach, the
//      conversation's earlier message) and the ids of those rules, and gives
//      a calibrated probability per label, flattened on unfamiliar text;
//   3. rules with a `model:` condition ("crisis >= 0.6") fire now if their
//      patterns matched (or they have none) and the condition holds;
//   4. ChooseLabel (engine/label_choice.h): a force: rule decides outright;
//      else each label scores its rules' weights plus model_weight x P, the
//      highest that reaches the threshold wins; the model alone never labels
//      crisis below the model's crisis_threshold.
// So a strong rule (weight >= threshold) still labels on its own, the model
// alone labels a message when model_weight x P reaches the threshold, and a
// weak rule and a fairly sure model together can label what neither would.
//
// Every verdict has a confidence: with a model, the calibrated probability of
// the chosen label (about how often such a label is right); without one, the
// chosen label's share of the fired rules' weight. `review` marks a decision
// a person should look at: confidence below the model's review_threshold,
// rules and model disagreeing, or text the model barely knows.
//
// The Classifier is immutable and shared by threads; each thread classifies
// with its own ClassifierScratch.
#ifndef TRIAGE_ENGINE_CLASSIFIER_H_
#define TRIAGE_ENGINE_CLASSIFIER_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "format/label.h"
#include "engine/decision.h"
#include "engine/label_choice.h"
#include "format/message.h"
#include "engine/model/linear_model.h"
#include "engine/pattern_database.h"
#include "engine/rule_pack.h"
#include "base/status.h"
#include "engine/text_normalizer.h"

namespace triage {


class Classifier;


// Per-thread working memory. Create with Classifier::NewScratch.
class ClassifierScratch {
 public:
  ~ClassifierScratch();
  ClassifierScratch(const ClassifierScratch&) = delete;
  ClassifierScratch& operator=(const ClassifierScratch&) = delete;

  // The normalized text of the last classified message (for tools and tests).
  const std::string& normalized() const { return normalized_; }
  // The pattern ids that matched in the last classified message.
  const std::vector<uint32_t>& matched_patterns() const { return matched_patterns_; }

 private:
  friend class Classifier;
  ClassifierScratch() = default;
  hs_scratch_t* hs_ = nullptr;
  TextNormalizer normalizer_;
  std::string normalized_;
  std::vector<uint32_t> matched_patterns_;
  std::vector<uint8_t> pattern_seen_;
  std::vector<uint32_t> candidates_;
  std::vector<uint16_t> any_hits_, all_hits_, unless_hits_;
  std::vector<uint32_t> deferred_;  // rules with a model condition the model is asked about
  FeatureVector features_;          // the model's input
  ModelOutput model_out_;
};

class Classifier {
 public:
  // Compiles `pack`. Errors name the rule and file:line of a pattern that
  // Hyperscan rejects; every bad pattern is reported, not only the first.
  static Status Create(RulePack pack, const PatternDatabaseOptions& options, std::unique_ptr<Classifier>* out);
  // The same with a learned model (may be null: rules only). A pack whose
  // rules condition on the model needs one.
  static Status Create(RulePack pack, const PatternDatabaseOptions& options, std::shared_ptr<const LinearModel> model,
                       std::unique_ptr<Classifier>* out);

  // Asks Hyperscan about every regex pattern of `pack` on its own, each
  // distinct expression once, at its first use. Returns InvalidArgument
  // listing every rejected pattern, one per line, as "file:line: rule 'id':
  // pattern '/.../': Hyperscan: message". Create() runs it; `triage rules
  // check` also runs it on a pack that failed to load, so one run reports the
  // structural errors and Hyperscan's together.
  static Status CheckPatterns(const RulePack& pack);

  Status NewScratch(std::unique_ptr<ClassifierScratch>* out) const;

  // Labels `msg`. Allocation-free once the scratch and verdict have grown.
  // Fails only when the pattern scan fails (Hyperscan error): the verdict is
  // then not to be used.
  Status Classify(const Message& msg, ClassifierScratch* scratch, Verdict* verdict) const;

  // Scores again `verdict`, which Classify() gave for `msg` when `msg` had
  // less context (its conversation's earlier message, msg.thread, was not
  // yet known), `normalized` being the text Classify() normalized: the model
  // and the choice of label run again; the text is not normalized or
  // scanned again (what the rules matched does not depend on the context).
  // The same verdict as Classify() on the message with its context.
  void Rescore(const Message& msg, std::string_view normalized, ClassifierScratch* scratch, Verdict* verdict) const;

  // The model's features for `msg` (normalized text `normalized`, its
  // verdict `v`), hashed by `hasher`: what `triage train` learns from and
  // what Classify() feeds the model, one definition for both.
  void ModelFeatures(const Message& msg, std::string_view normalized, const Verdict& v, const FeatureHasher& hasher,
                     FeatureVector* out) const;

  // How labels are chosen (the pack's threshold and model_weight, the
  // model's crisis threshold).
  ChoiceSettings choice_settings() const;

  const RulePack& pack() const { return pack_; }
  const LinearModel* model() const { return model_.get(); }
  const PatternDatabase& database() const { return *db_; }
  size_t num_patterns() const { return ref_begin_.size() - 1; }

  // For explaining a verdict: a pattern as first written in the pack, and the
  // rules (indices) it belongs to.
  const std::string& PatternSource(uint32_t pattern) const { return pattern_sources_[pattern]; }
  std::vector<uint32_t> PatternRules(uint32_t pattern) const;

 private:
  enum class Role : uint8_t { kAny, kAll, kUnless };
  struct PatternRef {
    uint32_t rule;
    Role role;
  };
  struct RuleShape {
    uint16_t num_any = 0;
    uint16_t num_all = 0;
  };

  Classifier() = default;
  // Classify's second half: the model (when there is one), the rules
  // conditioned on it, the label, its priority and confidence.
  void Score(const Message& msg, std::string_view normalized, ClassifierScratch* s, Verdict* v) const;
  static int OnMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void* ctx);
  // The evidence of verdict `v` (its fired rules, and the model's
  // probabilities when `with_model`).
  LabelEvidence Evidence(const Verdict& v, bool with_model) const;

  RulePack pack_;
  std::unique_ptr<PatternDatabase> db_;
  std::vector<uint32_t> ref_begin_;  // pattern p's refs are refs_[ref_begin_[p], ref_begin_[p+1])
  std::vector<PatternRef> refs_;
  std::vector<RuleShape> shapes_;
  std::vector<std::string> pattern_sources_;
  std::shared_ptr<const LinearModel> model_;
  std::vector<uint32_t> rule_features_;  // per rule: its id's feature key in model_'s hasher
  std::vector<uint32_t> model_only_;     // rules with a model condition and no patterns
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_CLASSIFIER_H_
