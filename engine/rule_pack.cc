#include "engine/rule_pack.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <unordered_map>

#include "engine/text_normalizer.h"

namespace triage {

namespace fs = std::filesystem;

namespace {

bool IsRegexMeta(unsigned char c) { return c < 0x80 && !std::isalnum(c); }

std::string EscapeLiteral(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (IsRegexMeta(c)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Status CompilePatternSource(const std::string& source, Pattern* out) {
  out->source = source;
  if (source.size() >= 2 && source.front() == '/' && source.back() == '/') {
    out->kind = PatternKind::kRegex;
    out->expression = source.substr(1, source.size() - 2);
    if (out->expression.empty()) return Status::InvalidArgument("empty regex");
    return Status::OK();
  }
  std::string text = source;
  out->kind = PatternKind::kWord;
  if (!text.empty() && text.back() == '*') {
    out->kind = PatternKind::kPrefix;
    text.pop_back();
  }
  TextNormalizer norm;
  std::string normalized;
  norm.Normalize(text, &normalized);
  if (normalized.size() <= 1)
    return Status::InvalidArgument("pattern '" + source + "' has no letters or digits to match");
  if (out->kind == PatternKind::kPrefix) normalized.pop_back();  // open end
  out->expression = EscapeLiteral(normalized);
  return Status::OK();
}

// "crisis >= 0.6", "none < 0.3": a label, >= or <, a probability.
bool ParseModelCondition(const std::string& text, ModelCondition* out, std::string* why) {
  std::istringstream in(text);
  std::string label, op, number;
  if (!(in >> label >> op >> number) || (in >> std::ws, !in.eof())) return false;
  auto l = ParseLabel(label);
  if (!l) {
    *why = "unknown label '" + label + "'";
    return false;
  }
  if (op != ">=" && op != "<") {
    *why = "the comparison must be >= or <";
    return false;
  }
  char* end = nullptr;
  double p = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || *end != '\0' || !(p >= 0 && p <= 1)) {
    *why = "the probability must be a number from 0 to 1";
    return false;
  }
  out->label = *l;
  out->at_least = op == ">=";
  out->p = p;
  return true;
}

// Walks YAML nodes, filling a RulePack and collecting every error.
class RulePackParser {
 public:
  explicit RulePackParser(RulePack* pack) : pack_(pack) {}

  void ParseDocument(const std::string& text, const std::string& file) {
    file_ = file;
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      errors_.push_back(file + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
      return;
    }
    if (!root || root.IsNull()) {  // allowed in a directory beside other files (see CheckNotAllEmpty)
      empty_files_.push_back(file);
      return;
    }
    if (!root.IsMap()) {
      Error(root, "", "the top level must be a mapping with keys pack, rules, routes, detector");
      return;
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = it->first.Scalar();
      YAML::Node v = it->second;  // a copy: it->second lives in a temporary
      if (key == "pack") {
        ParseSettings(v);
      } else if (key == "rules") {
        if (!v.IsSequence()) { Error(v, "", "'rules' must be a list"); continue; }
        for (const auto& r : v) ParseRule(r);
      } else if (key == "routes") {
        if (!v.IsSequence()) { Error(v, "", "'routes' must be a list"); continue; }
        for (const auto& r : v) ParseRoute(r);
      } else if (key == "detector") {
        ParseDetector(v);
      } else {
        Error(it->first, "", "unknown top-level key '" + key + "' (expected pack, rules, routes, detector)");
      }
    }
  }

  void CheckPack() {
    // Duplicate ids, reported at the second definition.
    std::unordered_map<std::string, const Rule*> seen;
    for (const Rule& r : pack_->rules_) {
      auto [it, inserted] = seen.emplace(r.id, &r);
      if (!inserted)
        errors_.push_back(Loc(r.where) + ": rule '" + r.id + "': duplicate id (first defined at " +
                          Loc(it->second->where) + ")");
    }
    std::set<std::string> route_ids;
    for (const Route& r : pack_->routes_)
      if (!route_ids.insert(r.id).second)
        errors_.push_back(Loc(r.where) + ": route '" + r.id + "': duplicate id");
  }

  // A pack whose every file is empty (or only comments) has nothing to
  // compile; said here, naming the files, rather than later as "no patterns"
  // with no file at all. `path` is the directory or file that was loaded.
  void CheckNotAllEmpty(const std::string& path, size_t files_read) {
    if (files_read == 0 || empty_files_.size() != files_read) return;
    if (files_read == 1 && empty_files_[0] == path) {
      errors_.push_back(path + ": the rule file is empty: a pack needs rules (top-level keys pack, rules, routes, detector)");
      return;
    }
    std::string names;
    for (const auto& f : empty_files_) names += (names.empty() ? "" : ", ") + f;
    errors_.push_back(path + ": every rule file is empty (" + names + "): a pack needs rules");
  }

  std::vector<std::string>& errors() { return errors_; }

 private:
  static std::string Loc(const SourceLocation& w) { return w.file + ":" + std::to_string(w.line); }
  SourceLocation Where(const YAML::Node& n) const { return {file_, n.Mark().line + 1}; }

  void Error(const YAML::Node& n, const std::string& what, const std::string& msg) {
    errors_.push_back(Loc(Where(n)) + ": " + (what.empty() ? "" : what + ": ") + msg);
  }

  // A scalar or a list of scalars, as strings.
  bool StringList(const YAML::Node& n, const std::string& what, const std::string& key,
                  std::vector<std::string>* out) {
    if (n.IsScalar()) {
      out->push_back(n.Scalar());
      return true;
    }
    if (n.IsSequence()) {
      for (const auto& e : n) {
        if (!e.IsScalar()) {
          Error(e, what, "'" + key + "' entries must be strings");
          return false;
        }
        out->push_back(e.Scalar());
      }
      return true;
    }
    Error(n, what, "'" + key + "' must be a string or a list of strings");
    return false;
  }

  // Whether a scalar is written as a YAML number, boolean or null (plain,
  // not quoted): `lang: 5` or `channel: [x, 7]` is almost always a slip, and
  // taking it as the text "5" would make a condition that silently never
  // matches. The YAML 1.2 core schema's forms; "no" or "on" stay strings
  // (a language code and a word).
  static bool IsNonStringScalar(const YAML::Node& n) {
    if (!n.IsScalar() || n.Tag() != "?") return false;
    static const std::regex kTyped(
        "~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|"
        "[-+]?([.][0-9]+|[0-9]+([.][0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?[.](inf|Inf|INF)|[.](nan|NaN|NAN)");
    return n.Scalar().empty() || std::regex_match(n.Scalar(), kTyped);
  }

  // A `when` condition's values: like StringList, but a number, boolean or
  // null among them is an error naming the key (see IsNonStringScalar).
  bool ConditionStrings(const YAML::Node& n, const std::string& what, const std::string& key,
                        std::vector<std::string>* out) {
    bool ok = true;
    auto check = [&](const YAML::Node& e, const char* role) {
      if (!IsNonStringScalar(e)) return;
      Error(e, what, "'" + key + "' " + role + " must be strings, got " + (e.Scalar().empty() ? "null" : e.Scalar()) +
                         " (quote it if it is meant as text: \"" + e.Scalar() + "\")");
      ok = false;
    };
    if (n.IsScalar()) check(n, "values");
    else if (n.IsSequence())
      for (const auto& e : n) check(e, "entries");
    if (!ok) return false;
    return StringList(n, what, key, out);
  }

  bool Number(const YAML::Node& n, const std::string& what, const std::string& key, double* out) {
    try {
      if (!n.IsScalar()) throw YAML::BadConversion(n.Mark());
      *out = n.as<double>();
      return true;
    } catch (const YAML::Exception&) {
      Error(n, what, "'" + key + "' must be a number, got '" + (n.IsScalar() ? n.Scalar() : "a collection") + "'");
      return false;
    }
  }

  void ParseSettings(const YAML::Node& n) {
    if (!n.IsMap()) { Error(n, "pack", "'pack' must be a mapping"); return; }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      if (key == "name") {
        pack_->settings_.name = it->second.Scalar();
      } else if (key == "threshold") {
        double t;
        if (Number(it->second, "pack", key, &t)) {
          if (t <= 0) Error(it->second, "pack", "'threshold' must be greater than 0");
          else pack_->settings_.threshold = t;
        }
      } else if (key == "model") {
        std::string m = it->second.IsScalar() ? it->second.Scalar() : "";
        if (m.empty()) {
          Error(it->second, "pack", "'model' must be a file name");
        } else {
          // Relative to the file that names it, so a pack directory moves whole.
          if (m[0] != '/') {
            size_t slash = file_.rfind('/');
            if (slash != std::string::npos) m = file_.substr(0, slash + 1) + m;
          }
          pack_->settings_.model = m;
          pack_->settings_.model_where = Where(it->second);
        }
      } else if (key == "model_weight") {
        double w;
        if (Number(it->second, "pack", key, &w)) {
          if (w < 0) Error(it->second, "pack", "'model_weight' must not be negative");
          else pack_->settings_.model_weight = w;
        }
      } else {
        Error(it->first, "pack", "unknown key '" + key + "' (expected name, threshold, model, model_weight)");
      }
    }
  }

  // A duration: a number of seconds, or a number with s, m, h or d.
  bool Duration(const YAML::Node& n, const std::string& key, int64_t* ms) {
    static const char* kWhat = "detector";
    std::string v = n.IsScalar() ? n.Scalar() : "";
    double unit = 1000;
    if (!v.empty()) {
      switch (v.back()) {
        case 's': unit = 1000; v.pop_back(); break;
        case 'm': unit = 60'000; v.pop_back(); break;
        case 'h': unit = 3'600'000; v.pop_back(); break;
        case 'd': unit = 86'400'000; v.pop_back(); break;
        default: break;
      }
    }
    char* end = nullptr;
    double x = v.empty() ? 0 : std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !(x > 0) || x * unit > 3.65e12) {
      Error(n, kWhat, "'" + key + "' must be a positive duration such as 90s, 10m, 6h or 1d, got '" +
                          (n.IsScalar() ? n.Scalar() : "a collection") + "'");
      return false;
    }
    *ms = static_cast<int64_t>(x * unit);
    return true;
  }

  // A number in [lo, hi].
  bool Bounded(const YAML::Node& n, const std::string& key, double lo, double hi, double* out) {
    double x;
    if (!Number(n, "detector", key, &x)) return false;
    if (!(x >= lo && x <= hi)) {
      std::ostringstream m;
      m << "'" << key << "' must be between " << lo << " and " << hi << ", got " << n.Scalar();
      Error(n, "detector", m.str());
      return false;
    }
    *out = x;
    return true;
  }

  bool Bool(const YAML::Node& n, const std::string& key, bool* out) {
    std::string b = n.IsScalar() ? n.Scalar() : "";
    if (b == "true") *out = true;
    else if (b == "false") *out = false;
    else { Error(n, "detector", "'" + key + "' must be true or false"); return false; }
    return true;
  }

  void ParseThresholds(const YAML::Node& n, const std::string& key, TopicThresholds* th) {
    if (!n.IsMap()) { Error(n, "detector", "'" + key + "' must be a mapping with min_count and/or p_value"); return; }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      YAML::Node v = it->second;
      double x;
      if (k == "min_count") {
        if (Bounded(v, key + "." + k, 1, 1e9, &x)) th->min_count = static_cast<int>(x);
      } else if (k == "p_value") {
        if (Bounded(v, key + "." + k, 1e-300, 1, &x)) th->p_value = x;
      } else {
        Error(it->first, "detector", "unknown key '" + key + "." + k + "' (expected min_count, p_value)");
      }
    }
  }

  void ParseScale(const YAML::Node& n, const std::string& key, BurstDetectorOptions* o) {
    if (!n.IsMap()) { Error(n, "detector", "'" + key + "' must be a mapping"); return; }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      YAML::Node v = it->second;
      double x;
      if (k == "bucket") {
        Duration(v, key + "." + k, &o->bucket_ms);
      } else if (k == "window") {
        if (Bounded(v, key + "." + k, 1, 10'000, &x)) o->window_buckets = static_cast<int>(x);
      } else if (k == "min_count") {
        if (Bounded(v, key + "." + k, 1, 1e9, &x)) o->min_count = static_cast<int>(x);
      } else if (k == "floor_rate") {
        if (Bounded(v, key + "." + k, 1e-9, 1e9, &x)) o->floor_rate = x;
      } else if (k == "young") {
        Duration(v, key + "." + k, &o->young_ms);
      } else if (k == "young_min_count") {
        if (Bounded(v, key + "." + k, 0, 1e9, &x)) o->young_min_count = static_cast<int>(x);
      } else {
        Error(it->first, "detector",
              "unknown key '" + key + "." + k +
                  "' (expected bucket, window, min_count, floor_rate, young, young_min_count)");
      }
    }
  }

  void ParseDetector(const YAML::Node& n) {
    if (!pack_->detector_source_.empty()) {
      Error(n, "detector", "defined twice (first at " + Loc(pack_->detector_where_) + ")");
      return;
    }
    if (!n.IsMap()) { Error(n, "detector", "'detector' must be a mapping"); return; }
    pack_->detector_where_ = Where(n);
    pack_->detector_source_ = YAML::Dump(n);
    CrisisDetectorOptions& o = pack_->detector_;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      YAML::Node v = it->second;
      double x;
      int64_t ms;
      if (key == "enabled") {
        Bool(v, key, &o.enabled);
      } else if (key == "p_value") {
        if (Bounded(v, key, 1e-300, 1, &x)) o.fast.p_value = o.slow.p_value = x;
      } else if (key == "baseline") {
        if (Duration(v, key, &ms)) o.fast.baseline_tau_ms = o.slow.baseline_tau_ms = static_cast<double>(ms);
      } else if (key == "warmup") {
        if (Duration(v, key, &ms)) o.warmup_ms = ms;
      } else if (key == "close_ratio") {
        if (Bounded(v, key, 0, 1e6, &x)) o.fast.close_ratio = o.slow.close_ratio = x;
      } else if (key == "cooldown") {
        if (Duration(v, key, &ms)) o.fast.cooldown_ms = o.slow.cooldown_ms = ms;
      } else if (key == "max_topics") {
        if (Bounded(v, key, 1, 1e9, &x)) o.fast.max_topics = o.slow.max_topics = static_cast<size_t>(x);
      } else if (key == "fast") {
        ParseScale(v, key, &o.fast);
      } else if (key == "slow") {
        ParseScale(v, key, &o.slow);
      } else if (key == "terms") {
        ParseTerms(v, &o.terms);
      } else if (key == "reach") {
        ParseReach(v, &o.reach);
      } else if (key == "ignore") {
        StringList(v, "detector", key, &o.ignore);
      } else if (key == "brands") {
        if (!v.IsMap()) { Error(v, "detector", "'brands' must be a mapping of brand name to thresholds"); continue; }
        for (auto b = v.begin(); b != v.end(); ++b)
          ParseThresholds(b->second, "brands." + b->first.Scalar(), &o.brands[b->first.Scalar()]);
      } else {
        Error(it->first, "detector",
              "unknown key '" + key +
                  "' (expected enabled, warmup, p_value, baseline, close_ratio, cooldown, max_topics, fast, slow, "
                  "terms, reach, ignore, brands)");
      }
    }
  }

  void ParseTerms(const YAML::Node& n, TermOptions* t) {
    if (!n.IsMap()) { Error(n, "detector", "'terms' must be a mapping"); return; }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      YAML::Node v = it->second;
      double x;
      if (k == "enabled") {
        Bool(v, "terms.enabled", &t->enabled);
      } else if (k == "capacity") {
        if (Bounded(v, "terms.capacity", 1, 1e8, &x)) t->capacity = static_cast<size_t>(x);
      } else if (k == "admit_count") {
        if (Bounded(v, "terms.admit_count", 1, 1e6, &x)) t->admit_count = static_cast<int>(x);
      } else if (k == "min_length") {
        if (Bounded(v, "terms.min_length", 1, 100, &x)) t->min_codepoints = static_cast<int>(x);
      } else if (k == "halve_every") {
        Duration(v, "terms.halve_every", &t->halve_every_ms);
      } else if (k == "stopwords") {
        std::vector<std::string> words;
        if (!StringList(v, "detector", "terms.stopwords", &words)) continue;
        TextNormalizer norm;
        std::string w;
        for (const std::string& word : words) {
          // Normalized like message text, so "Qué" matches "que"; a phrase
          // contributes each of its words.
          norm.Normalize(word, &w);
          size_t pos = 1;
          while (pos < w.size()) {
            size_t end = w.find(' ', pos);
            if (end == std::string::npos) end = w.size();
            if (end > pos) t->stopwords.push_back(w.substr(pos, end - pos));
            pos = end + 1;
          }
        }
      } else {
        Error(it->first, "detector",
              "unknown key 'terms." + k + "' (expected enabled, capacity, admit_count, min_length, halve_every, stopwords)");
      }
    }
  }

  void ParseReach(const YAML::Node& n, ReachEscalation* r) {
    if (!n.IsMap()) { Error(n, "detector", "'reach' must be a mapping"); return; }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      YAML::Node v = it->second;
      double x;
      if (k == "min_followers") {
        if (Bounded(v, "reach.min_followers", 0, 1e12, &x)) r->min_followers = static_cast<int64_t>(x);
      } else if (k == "verified") {
        Bool(v, "reach.verified", &r->verified_counts);
      } else if (k == "max_compound") {
        if (Bounded(v, "reach.max_compound", -1, 1, &x)) r->max_compound = x;
      } else {
        Error(it->first, "detector", "unknown key 'reach." + k + "' (expected min_followers, verified, max_compound)");
      }
    }
  }

  void ParsePatterns(const YAML::Node& n, const std::string& what, const std::string& key,
                     std::vector<Pattern>* out) {
    std::vector<std::string> sources;
    if (!StringList(n, what, key, &sources)) return;
    if (sources.empty()) Error(n, what, "'" + key + "' is empty");
    for (const auto& s : sources) {
      Pattern p;
      Status st = CompilePatternSource(s, &p);
      p.where = Where(n);
      if (!st.ok()) Error(n, what, st.message());
      else out->push_back(std::move(p));
    }
  }

  void ParseWhen(const YAML::Node& n, const std::string& what, bool route, Conditions* c) {
    if (!n.IsMap()) { Error(n, what, "'when' must be a mapping"); return; }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      YAML::Node v = it->second;  // a copy: it->second lives in a temporary
      if (key == "lang") {
        ConditionStrings(v, what, key, &c->langs);
      } else if (key == "channel") {
        ConditionStrings(v, what, key, &c->channels);
      } else if (key == "brand") {
        ConditionStrings(v, what, key, &c->brands);
      } else if (key == "kind") {
        std::string k = v.IsScalar() ? v.Scalar() : "";
        if (k == "public") c->kind = Kind::kPublic;
        else if (k == "private") c->kind = Kind::kPrivate;
        else Error(v, what, "'kind' must be public or private");
      } else if (key == "min_followers") {
        double f;
        if (Number(v, what, key, &f)) {
          if (f < 0) Error(v, what, "'min_followers' must not be negative");
          else c->min_followers = static_cast<int64_t>(f);
        }
      } else if (key == "verified") {
        std::string b = v.IsScalar() ? v.Scalar() : "";
        if (b == "true") c->verified = true;
        else if (b == "false") c->verified = false;
        else Error(v, what, "'verified' must be true or false");
      } else if (route && key == "label") {
        std::vector<std::string> names;
        if (StringList(v, what, key, &names))
          for (const auto& name : names) {
            auto l = ParseLabel(name);
            if (!l) Error(v, what, "unknown label '" + name + "' (expected lead, support, feedback, crisis, none)");
            else c->labels |= 1u << static_cast<int>(*l);
          }
      } else if (route && key == "priority") {
        std::vector<std::string> names;
        if (StringList(v, what, key, &names))
          for (const auto& name : names) {
            auto p = ParsePriority(name);
            if (!p) Error(v, what, "unknown priority '" + name + "' (expected low, normal, high, urgent)");
            else c->priorities |= 1u << static_cast<int>(*p);
          }
      } else {
        Error(it->first, what,
              "unknown condition '" + key + "' (expected lang, channel, brand, kind, min_followers, verified" +
                  (route ? ", label, priority)" : ")"));
      }
    }
  }

  std::string IdOf(const YAML::Node& n, const char* noun) {
    if (n.IsMap() && n["id"] && n["id"].IsScalar() && !n["id"].Scalar().empty()) return n["id"].Scalar();
    return "";
  }

  void ParseRule(const YAML::Node& n) {
    std::string id = IdOf(n, "rule");
    std::string what = "rule '" + id + "'";
    if (!n.IsMap()) { Error(n, "", "a rule must be a mapping"); return; }
    if (id.empty()) { Error(n, "rule", "missing 'id'"); return; }
    Rule r;
    r.id = id;
    r.where = Where(n);
    bool has_label = false;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      YAML::Node v = it->second;  // a copy: it->second lives in a temporary
      if (key == "id") {
      } else if (key == "label") {
        auto l = v.IsScalar() ? ParseLabel(v.Scalar()) : std::nullopt;
        if (!l) Error(v, what, "unknown label '" + (v.IsScalar() ? v.Scalar() : "") +
                                   "' (expected lead, support, feedback, crisis, none)");
        else { r.label = *l; has_label = true; }
      } else if (key == "weight") {
        Number(v, what, key, &r.weight);
      } else if (key == "any") {
        ParsePatterns(v, what, key, &r.any);
      } else if (key == "all") {
        ParsePatterns(v, what, key, &r.all);
      } else if (key == "unless") {
        ParsePatterns(v, what, key, &r.unless);
      } else if (key == "when") {
        ParseWhen(v, what, /*route=*/false, &r.when);
      } else if (key == "priority") {
        auto p = v.IsScalar() ? ParsePriority(v.Scalar()) : std::nullopt;
        if (!p) Error(v, what, "unknown priority (expected low, normal, high, urgent)");
        else r.priority = p;
      } else if (key == "description") {
        r.description = v.IsScalar() ? v.Scalar() : "";
      } else if (key == "force") {
        if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false"))
          Error(v, what, "'force' must be true or false");
        else r.force = v.Scalar() == "true";
      } else if (key == "model") {
        ModelCondition c;
        std::string why;
        if (!v.IsScalar() || !ParseModelCondition(v.Scalar(), &c, &why))
          Error(v, what, "'model' must read like \"crisis >= 0.6\" or \"none < 0.3\"" + (why.empty() ? "" : ": " + why));
        else r.model = c;
      } else {
        Error(it->first, what,
              "unknown key '" + key +
                  "' (expected id, label, weight, any, all, unless, when, priority, force, model, description)");
      }
    }
    if (!has_label && !n["label"]) Error(n, what, "missing 'label'");
    if (r.any.empty() && r.all.empty() && !n["any"] && !n["all"] && !r.model && !n["model"])
      Error(n, what, "needs at least one pattern in 'any' or 'all', or a 'model' condition");
    pack_->rules_.push_back(std::move(r));
  }

  void ParseRoute(const YAML::Node& n) {
    std::string id = IdOf(n, "route");
    std::string what = "route '" + id + "'";
    if (!n.IsMap()) { Error(n, "", "a route must be a mapping"); return; }
    if (id.empty()) { Error(n, "route", "missing 'id'"); return; }
    Route r;
    r.id = id;
    r.where = Where(n);
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      YAML::Node v = it->second;  // a copy: it->second lives in a temporary
      if (key == "id") {
      } else if (key == "when") {
        ParseWhen(v, what, /*route=*/true, &r.when);
      } else if (key == "queue") {
        r.queue = v.IsScalar() ? v.Scalar() : "";
      } else if (key == "priority") {
        auto p = v.IsScalar() ? ParsePriority(v.Scalar()) : std::nullopt;
        if (!p) Error(v, what, "unknown priority (expected low, normal, high, urgent)");
        else r.priority = p;
      } else {
        Error(it->first, what, "unknown key '" + key + "' (expected id, when, queue, priority)");
      }
    }
    if (r.queue.empty()) Error(n, what, "missing 'queue'");
    pack_->routes_.push_back(std::move(r));
  }

  RulePack* pack_;
  std::string file_;
  std::vector<std::string> errors_;
  std::vector<std::string> empty_files_;  // files with no YAML document
};

namespace {

Status Finish(RulePackParser& parser) {
  parser.CheckPack();
  auto& errors = parser.errors();
  if (errors.empty()) return Status::OK();
  std::string msg;
  for (const auto& e : errors) msg += e + "\n";
  msg.pop_back();
  return Status::InvalidArgument(msg);
}

}  // namespace

Status RulePack::LoadFromString(const std::string& yaml, const std::string& file, RulePack* pack) {
  *pack = RulePack();
  RulePackParser parser(pack);
  pack->files_.push_back(file);
  parser.ParseDocument(yaml, file);
  parser.CheckNotAllEmpty(file, 1);
  return Finish(parser);
}

Status RulePack::Load(const std::string& path, RulePack* pack) {
  *pack = RulePack();
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path().string());
    }
    if (ec) return Status::IOError(path + ": " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return Status::NotFound(path + ": no .yaml files in the rule pack directory");
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    return Status::NotFound(path + ": no such rule pack (file or directory)");
  }
  RulePackParser parser(pack);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return Status::IOError(f + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    pack->files_.push_back(f);
    parser.ParseDocument(ss.str(), f);
  }
  parser.CheckNotAllEmpty(path, files.size());
  return Finish(parser);
}

}  // namespace triage
