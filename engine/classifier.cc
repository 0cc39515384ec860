#include "engine/classifier.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/language_detector.h"

namespace triage {

namespace {

unsigned FlagsFor(PatternKind kind) {
  unsigned f = HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
  if (kind == PatternKind::kRegex) f |= HS_FLAG_UCP | HS_FLAG_CASELESS;
  return f;
}

std::string Where(const Rule& r, const Pattern& p) {
  return p.where.file + ":" + std::to_string(p.where.line) + ": rule '" + r.id + "': ";
}

}  // namespace

Status Classifier::CheckPatterns(const RulePack& pack) {
  std::set<std::pair<std::string, unsigned>> seen;
  std::string errors;
  for (const Rule& r : pack.rules())
    for (const auto* list : {&r.any, &r.all, &r.unless})
      for (const Pattern& p : *list) {
        // Words and prefixes are escaped literals Hyperscan always accepts.
        if (p.kind != PatternKind::kRegex) continue;
        Expression e{p.expression, FlagsFor(p.kind)};
        if (!seen.emplace(e.text, e.flags).second) continue;
        Status s = PatternDatabase::CheckExpression(e);
        if (!s.ok()) errors += Where(r, p) + "pattern '" + p.source + "': Hyperscan: " + s.message() + "\n";
      }
  if (errors.empty()) return Status::OK();
  errors.pop_back();
  return Status::InvalidArgument(errors);
}

ClassifierScratch::~ClassifierScratch() {
  if (hs_) hs_free_scratch(hs_);
}

Status Classifier::Create(RulePack pack, const PatternDatabaseOptions& options, std::unique_ptr<Classifier>* out) {
  return Create(std::move(pack), options, nullptr, out);
}

Status Classifier::Create(RulePack pack, const PatternDatabaseOptions& options,
                          std::shared_ptr<const LinearModel> model, std::unique_ptr<Classifier>* out) {
  std::unique_ptr<Classifier> c(new Classifier());
  c->pack_ = std::move(pack);
  c->model_ = std::move(model);
  {
    std::string missing;
    for (const Rule& r : c->pack_.rules())
      if (r.model && !c->model_)
        missing += r.where.file + ":" + std::to_string(r.where.line) + ": rule '" + r.id +
                   "': conditions on the model, but the pack has no model (pack: model: FILE)\n";
    if (!missing.empty()) {
      missing.pop_back();
      return Status::InvalidArgument(missing);
    }
  }

  // Distinct (expression, flags) -> pattern id; each keeps the list of rules
  // (and roles) it belongs to.
  std::map<std::pair<std::string, unsigned>, uint32_t> ids;
  std::vector<Expression> exprs;
  std::vector<std::vector<PatternRef>> refs;
  std::vector<std::pair<uint32_t, const Pattern*>> first_use;  // rule, pattern: for error messages
  if (Status s = CheckPatterns(c->pack_); !s.ok()) return s;

  const auto& rules = c->pack_.rules();
  c->shapes_.resize(rules.size());
  for (uint32_t ri = 0; ri < rules.size(); ++ri) {
    const Rule& r = rules[ri];
    auto add = [&](const std::vector<Pattern>& list, Role role) {
      std::vector<uint32_t> seen_in_rule;
      for (const Pattern& p : list) {
        unsigned flags = FlagsFor(p.kind);
        auto [it, inserted] = ids.emplace(std::make_pair(p.expression, flags), static_cast<uint32_t>(exprs.size()));
        if (inserted) {
          exprs.push_back(Expression{p.expression, flags});
          c->pattern_sources_.push_back(p.source);
          refs.emplace_back();
          first_use.emplace_back(ri, &p);
        }
        uint32_t pid = it->second;
        if (std::find(seen_in_rule.begin(), seen_in_rule.end(), pid) != seen_in_rule.end()) continue;
        seen_in_rule.push_back(pid);
        refs[pid].push_back({ri, role});
        if (role == Role::kAny) c->shapes_[ri].num_any++;
        if (role == Role::kAll) c->shapes_[ri].num_all++;
      }
    };
    add(r.any, Role::kAny);
    add(r.all, Role::kAll);
    add(r.unless, Role::kUnless);
  }
  if (exprs.empty()) {
    // Name the files: "no patterns" alone leaves the author guessing which
    // file (or which --rules path) was read.
    std::string files;
    for (const auto& f : c->pack_.files()) files += (files.empty() ? "" : ", ") + f;
    return Status::InvalidArgument((files.empty() ? std::string() : files + ": ") +
                                   "the rule pack has no patterns: no rule has 'any' or 'all'");
  }

  int bad = -1;
  Status s = PatternDatabase::Build(exprs, options, &c->db_, &bad);
  if (!s.ok()) {
    if (bad >= 0 && static_cast<size_t>(bad) < first_use.size()) {
      const auto& [ri, p] = first_use[bad];
      return Status::InvalidArgument(Where(rules[ri], *p) + "pattern '" + p->source + "': " + s.message());
    }
    return s;
  }

  c->ref_begin_.reserve(refs.size() + 1);
  for (auto& list : refs) {
    c->ref_begin_.push_back(static_cast<uint32_t>(c->refs_.size()));
    c->refs_.insert(c->refs_.end(), list.begin(), list.end());
  }
  c->ref_begin_.push_back(static_cast<uint32_t>(c->refs_.size()));
  for (uint32_t ri = 0; ri < rules.size(); ++ri) {
    if (c->model_) c->rule_features_.push_back(c->model_->hasher().Key('r', rules[ri].id));
    if (rules[ri].model && c->shapes_[ri].num_any + c->shapes_[ri].num_all == 0) c->model_only_.push_back(ri);
  }
  *out = std::move(c);
  return Status::OK();
}

std::vector<uint32_t> Classifier::PatternRules(uint32_t pattern) const {
  std::vector<uint32_t> out;
  for (uint32_t k = ref_begin_[pattern]; k < ref_begin_[pattern + 1]; ++k) out.push_back(refs_[k].rule);
  return out;
}

Status Classifier::NewScratch(std::unique_ptr<ClassifierScratch>* out) const {
  std::unique_ptr<ClassifierScratch> s(new ClassifierScratch());
  Status st = db_->NewScratch(&s->hs_);
  if (!st.ok()) return st;
  s->pattern_seen_.assign(num_patterns(), 0);
  size_t n = pack_.rules().size();
  s->any_hits_.assign(n, 0);
  s->all_hits_.assign(n, 0);
  s->unless_hits_.assign(n, 0);
  s->matched_patterns_.reserve(64);
  s->candidates_.reserve(64);
  s->deferred_.reserve(16);
  s->features_.keys.reserve(512);
  *out = std::move(s);
  return Status::OK();
}

int Classifier::OnMatch(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  auto* s = static_cast<ClassifierScratch*>(ctx);
  // SINGLEMATCH reports each pattern at most once per scan; the flag guards
  // against a pattern id reported twice all the same.
  if (!s->pattern_seen_[id]) {
    s->pattern_seen_[id] = 1;
    s->matched_patterns_.push_back(id);
  }
  return 0;
}

void Classifier::ModelFeatures(const Message& msg, std::string_view normalized, const Verdict& v,
                               const FeatureHasher& hasher, FeatureVector* out) const {
  out->Clear();
  hasher.ExtractText(normalized, out);
  hasher.ExtractFlags(FeatureHasher::ContextOf(msg, v.lang), out);
  const auto& rules = pack_.rules();
  for (uint32_t r : v.fired) {
    if (rules[r].model) continue;  // the model's input never depends on the model
    if (out->names) hasher.Emit('r', rules[r].id, out);
    else out->keys.push_back(model_ && &hasher == &model_->hasher() ? rule_features_[r] : hasher.Key('r', rules[r].id));
  }
}

ChoiceSettings Classifier::choice_settings() const {
  ChoiceSettings c;
  c.threshold = pack_.settings().threshold;
  c.model_weight = model_ ? pack_.settings().model_weight : 0.0;
  c.crisis_threshold = model_ ? model_->calibration().crisis_threshold : 2.0;
  return c;
}

LabelEvidence Classifier::Evidence(const Verdict& v, bool with_model) const {
  const auto& rules = pack_.rules();
  LabelEvidence e;
  const Rule* force = nullptr;
  for (uint32_t r : v.fired) {
    const Rule& rule = rules[r];
    e.rule_scores[static_cast<int>(rule.label)] += rule.weight;
    if (rule.label == Label::kCrisis) e.crisis_rule = true;
    // A fired force: rule decides: the heaviest, ties by urgency.
    if (rule.force && (!force || rule.weight > force->weight ||
                       (rule.weight == force->weight && Urgency(rule.label) < Urgency(force->label))))
      force = &rule;
  }
  if (force) e.forced = force->label;
  if (with_model && v.has_model) e.model = &v.model;
  return e;
}

Status Classifier::Classify(const Message& msg, ClassifierScratch* s, Verdict* v) const {
  v->rule_scores.fill(0);
  v->fired.clear();
  v->model_pending.clear();
  if (msg.lang.empty()) {
    v->lang = DetectLanguage(msg.text);
    v->lang_detected = true;
  } else {
    v->lang = msg.lang;
    v->lang_detected = false;
  }

  s->normalizer_.Normalize(msg.text, &s->normalized_);
  s->matched_patterns_.clear();
  hs_error_t scanned = hs_scan(db_->database(), s->normalized_.data(), static_cast<unsigned>(s->normalized_.size()),
                               0, s->hs_, &Classifier::OnMatch, s);
  // Reset the per-pattern marks whatever happened, so the scratch stays usable.
  for (uint32_t pid : s->matched_patterns_) s->pattern_seen_[pid] = 0;
  if (scanned != HS_SUCCESS)
    return Status::Internal("pattern scan failed (Hyperscan error " + std::to_string(scanned) + ") on message '" +
                            std::string(msg.id) + "'");

  // Count hits per rule, remembering which rules were touched.
  s->candidates_.clear();
  for (uint32_t pid : s->matched_patterns_) {
    for (uint32_t k = ref_begin_[pid]; k < ref_begin_[pid + 1]; ++k) {
      const PatternRef& ref = refs_[k];
      uint32_t r = ref.rule;
      if (s->any_hits_[r] == 0 && s->all_hits_[r] == 0 && s->unless_hits_[r] == 0) s->candidates_.push_back(r);
      switch (ref.role) {
        case Role::kAny: s->any_hits_[r]++; break;
        case Role::kAll: s->all_hits_[r]++; break;
        case Role::kUnless: s->unless_hits_[r]++; break;
      }
    }
  }

  const auto& rules = pack_.rules();
  for (uint32_t r : s->candidates_) {
    const RuleShape& shape = shapes_[r];
    bool fires = (shape.num_any == 0 || s->any_hits_[r] > 0) && s->all_hits_[r] == shape.num_all &&
                 s->unless_hits_[r] == 0 && (shape.num_any + shape.num_all) > 0;
    s->any_hits_[r] = s->all_hits_[r] = s->unless_hits_[r] = 0;
    if (fires && !rules[r].when.Empty() && !rules[r].when.Matches(msg, v->lang, Label::kNone, Priority::kNormal))
      fires = false;
    if (!fires) continue;
    if (rules[r].model) v->model_pending.push_back(r);  // waits for the model (step 3)
    else v->fired.push_back(r);
  }
  std::sort(v->fired.begin(), v->fired.end());
  for (uint32_t r : v->fired) v->rule_scores[static_cast<int>(rules[r].label)] += rules[r].weight;
  // The rules' own label (before model-conditioned rules: those need the model).
  v->rules_label = ChooseLabel(Evidence(*v, false), choice_settings()).label;
  Score(msg, s->normalized_, s, v);
  return Status::OK();
}

void Classifier::Rescore(const Message& msg, std::string_view normalized, ClassifierScratch* s, Verdict* v) const {
  // Back to what the rules alone fired: the model-conditioned rules are
  // asked again.
  const auto& rules = pack_.rules();
  v->fired.erase(std::remove_if(v->fired.begin(), v->fired.end(), [&](uint32_t r) { return rules[r].model.has_value(); }),
                 v->fired.end());
  Score(msg, normalized, s, v);
}

void Classifier::Score(const Message& msg, std::string_view normalized, ClassifierScratch* s, Verdict* v) const {
  const auto& rules = pack_.rules();
  const ChoiceSettings settings = choice_settings();
  v->has_model = false;
  v->coverage = 0;
  v->priority = Priority::kNormal;
  if (model_) {
    ModelFeatures(msg, normalized, *v, model_->hasher(), &s->features_);
    model_->Predict(s->features_, &s->model_out_);
    v->model = s->model_out_.probs;
    v->coverage = s->model_out_.coverage;
    v->has_model = true;
    v->model_label = TopLabel(v->model);
    s->deferred_.assign(v->model_pending.begin(), v->model_pending.end());
    for (uint32_t r : model_only_)
      if (rules[r].when.Empty() || rules[r].when.Matches(msg, v->lang, Label::kNone, Priority::kNormal))
        s->deferred_.push_back(r);
    bool added = false;
    for (uint32_t r : s->deferred_) {
      const ModelCondition& c = *rules[r].model;
      double p = v->model[static_cast<int>(c.label)];
      if (c.at_least ? p >= c.p : p < c.p) {
        v->fired.push_back(r);
        added = true;
      }
    }
    if (added) std::sort(v->fired.begin(), v->fired.end());
  }

  LabelChoice choice = ChooseLabel(Evidence(*v, true), settings);
  v->label = choice.label;
  v->scores = choice.scores;
  v->forced = choice.forced;
  v->crisis_held_back = choice.crisis_held_back;
  for (uint32_t r : v->fired)
    if (rules[r].label == v->label && rules[r].priority && *rules[r].priority > v->priority)
      v->priority = *rules[r].priority;

  // Confidence, and whether a person should look.
  if (model_) {
    const Calibration& cal = model_->calibration();
    v->confidence = v->model[static_cast<int>(v->label)];
    bool disagree = v->rules_label != Label::kNone && v->rules_label != v->label;
    bool unfamiliar = cal.familiar_coverage > 0 && v->coverage < cal.familiar_coverage;
    v->review = v->confidence < cal.review_threshold || disagree || unfamiliar;
  } else {
    double total = 0;
    for (double x : v->rule_scores) total += x > 0 ? x : 0;
    double mine = v->rule_scores[static_cast<int>(v->label)];
    v->confidence = total > 0 && mine > 0 ? mine / total : 0.0;
    v->review = v->confidence < 0.5;
  }
}

}  // namespace triage
