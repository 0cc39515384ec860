// Pipeline: a rule pack with its compiled classifier and its route table:
// everything needed to turn a Message into a Decision. Immutable once loaded
// and shared by all threads; a reload builds a new Pipeline and swaps it in
// whole, so a message is never judged by half of one pack and half of another.
//
//   Message --Classifier--> Verdict --RouteTable--> Routing  ==  Decision
#ifndef TRIAGE_ENGINE_PIPELINE_H_
#define TRIAGE_ENGINE_PIPELINE_H_

#include <memory>
#include <string>

#include "engine/classifier.h"
#include "engine/route_table.h"

namespace triage {


class Pipeline {
 public:
  // Loads and compiles the pack at `rules_path` (directory or file).
  static Status Load(const std::string& rules_path, const PatternDatabaseOptions& options,
                     std::unique_ptr<Pipeline>* out);
  static Status FromPack(RulePack pack, const PatternDatabaseOptions& options, std::unique_ptr<Pipeline>* out);
  // The same, choosing the learned model: "" the pack's own (pack: model:),
  // "none" rules only, anything else the path of a model file.
  static Status Load(const std::string& rules_path, const PatternDatabaseOptions& options, const std::string& model,
                     std::unique_ptr<Pipeline>* out);
  static Status FromPack(RulePack pack, const PatternDatabaseOptions& options, const std::string& model,
                         std::unique_ptr<Pipeline>* out);

  // The default pack: $TRIAGE_RULES if set, else BundledRulesPath().
  static std::string DefaultRulesPath();
  // The pack shipped with the binary: the installed one,
  // <prefix>/share/triage/rules/default beside <prefix>/bin/triage (the
  // layout of `cmake --install`), when it exists; else the rules/default
  // directory of the source tree the binary was built from.
  static std::string BundledRulesPath();

  Status NewScratch(std::unique_ptr<ClassifierScratch>* out) const { return classifier_->NewScratch(out); }

  // Classifies and routes `msg`. Fails only when the classifier's pattern
  // scan fails; *d is then not a decision to act on.
  [[nodiscard]] Status Decide(const Message& msg, ClassifierScratch* scratch, Decision* d) const {
    Status s = classifier_->Classify(msg, scratch, &d->verdict);
    d->routing = routes_->Route(msg, d->verdict);
    d->alert.clear();
    d->escalation.clear();
    return s;
  }
  // Decides again `msg`, which Decide() decided (into *d) before its
  // conversation's earlier message was known: the model, the label and the
  // route, without normalizing or scanning the text again (`normalized`:
  // the text Decide normalized). The same decision as Decide() would give.
  void Redecide(const Message& msg, std::string_view normalized, ClassifierScratch* scratch, Decision* d) const {
    classifier_->Rescore(msg, normalized, scratch, &d->verdict);
    d->routing = routes_->Route(msg, d->verdict);
    d->alert.clear();
    d->escalation.clear();
  }

  const RulePack& pack() const { return classifier_->pack(); }
  const Classifier& classifier() const { return *classifier_; }
  const RouteTable& routes() const { return *routes_; }

 private:
  Pipeline() = default;
  std::unique_ptr<Classifier> classifier_;
  std::unique_ptr<RouteTable> routes_;
};

// Writes decisions as NDJSON lines:
// {"id":..,"label":..,"queue":..,"priority":..,"lang":..,
//  "scores":{"lead":..,"support":..,"feedback":..,"crisis":..,"none":..},"rules":[..]}
// plus "confidence":.. always, "review":true when a person should look,
// "model":{"label":..,"p":..,"coverage":..} (the model's top label, its
// calibrated probability, and the share of the text the model knows) when
// the pack has a model, "forced":true when a force: rule
// decided, "crisis_held_back":true when the model alone wanted crisis,
// "alert":".." when the message is on a topic with an open crisis alert,
// and "escalation":"reach" when reach and tone escalated it.
class DecisionWriter {
 public:
  explicit DecisionWriter(const RulePack& pack);
  // Appends one line, newline included.
  void Append(const Message& msg, const Decision& d, std::string* out) const;

 private:
  std::vector<std::string> quoted_rule_ids_;  // JSON-escaped once, at load
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_PIPELINE_H_
