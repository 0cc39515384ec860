#include "engine/classifier.h"

#include <algorithm>
#include <map>

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

ClassifierScratch::~ClassifierScratch() {
  if (hs_) hs_free_scratch(hs_);
}

Status Classifier::Create(RulePack pack, const PatternDatabaseOptions& options, std::unique_ptr<Classifier>* out) {
  std::unique_ptr<Classifier> c(new Classifier());
  c->pack_ = std::move(pack);

  // Distinct (expression, flags) -> pattern id; each keeps the list of rules
  // (and roles) it belongs to.
  std::map<std::pair<std::string, unsigned>, uint32_t> ids;
  std::vector<Expression> exprs;
  std::vector<std::vector<PatternRef>> refs;
  std::vector<std::pair<uint32_t, const Pattern*>> first_use;  // rule, pattern: for error messages
  std::string errors;

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
          Expression e{p.expression, flags};
          if (p.kind == PatternKind::kRegex) {
            Status s = PatternDatabase::CheckExpression(e);
            if (!s.ok()) errors += Where(r, p) + "pattern '" + p.source + "': Hyperscan: " + s.message() + "\n";
          }
          exprs.push_back(std::move(e));
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
  if (!errors.empty()) {
    errors.pop_back();
    return Status::InvalidArgument(errors);
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

void Classifier::Classify(const Message& msg, ClassifierScratch* s, Verdict* v) const {
  v->label = Label::kNone;
  v->scores.fill(0);
  v->priority = Priority::kNormal;
  v->fired.clear();
  if (msg.lang.empty()) {
    v->lang = DetectLanguage(msg.text);
    v->lang_detected = true;
  } else {
    v->lang = msg.lang;
    v->lang_detected = false;
  }

  s->normalizer_.Normalize(msg.text, &s->normalized_);
  s->matched_patterns_.clear();
  hs_scan(db_->database(), s->normalized_.data(), static_cast<unsigned>(s->normalized_.size()), 0, s->hs_,
          &Classifier::OnMatch, s);

  // Count hits per rule, remembering which rules were touched.
  s->candidates_.clear();
  for (uint32_t pid : s->matched_patterns_) {
    s->pattern_seen_[pid] = 0;
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
    if (fires) v->fired.push_back(r);
  }
  std::sort(v->fired.begin(), v->fired.end());

  for (uint32_t r : v->fired) v->scores[static_cast<int>(rules[r].label)] += rules[r].weight;

  static constexpr Label kTieOrder[] = {Label::kCrisis, Label::kSupport, Label::kLead, Label::kFeedback, Label::kNone};
  double best = 0;
  for (Label l : kTieOrder) {
    double sc = v->scores[static_cast<int>(l)];
    if (sc >= pack_.settings().threshold && sc > best) {
      best = sc;
      v->label = l;
    }
  }
  for (uint32_t r : v->fired)
    if (rules[r].label == v->label && rules[r].priority && *rules[r].priority > v->priority)
      v->priority = *rules[r].priority;
}

}  // namespace triage
