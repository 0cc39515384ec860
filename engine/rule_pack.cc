#include "engine/rule_pack.h"

#include "engine/detector_config.h"
#include "engine/yaml_reader.h"

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

  void Error(const YAML::Node& n, const std::string& what, const std::string& msg) { Reader().Error(n, what, msg); }
  bool StringList(const YAML::Node& n, const std::string& what, const std::string& key,
                  std::vector<std::string>* out) {
    return Reader().StringList(n, what, key, out);
  }
  YamlReader Reader() { return YamlReader(file_, &errors_); }

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
    return Reader().Number(n, what, key, out);
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

  // The `detector:` section: engine/detector_config.h reads it.
  void ParseDetector(const YAML::Node& n) {
    if (!pack_->detector_source_.empty()) {
      Error(n, "detector", "defined twice (first at " + Loc(pack_->detector_where_) + ")");
      return;
    }
    if (!n.IsMap()) { Error(n, "detector", "'detector' must be a mapping"); return; }
    pack_->detector_where_ = Where(n);
    pack_->detector_source_ = YAML::Dump(n);
    YamlReader reader = Reader();
    ReadDetectorSection(n, &reader, &pack_->detector_);
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
