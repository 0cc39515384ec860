#include "engine/detector_config.h"

#include "engine/text_normalizer.h"

namespace triage {

namespace {

void ParseTerms(YamlReader& r, const YAML::Node& n, TermOptions* t);
void ParseReach(YamlReader& r, const YAML::Node& n, ReachEscalation* reach);

void ParseThresholds(YamlReader& r, const YAML::Node& n, const std::string& key, TopicThresholds* th) {
  if (!n.IsMap()) { r.Error(n, "detector", "'" + key + "' must be a mapping with min_count and/or p_value"); return; }
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.Scalar();
    YAML::Node v = it->second;
    double x;
    if (k == "min_count") {
      if (r.Bounded(v, "detector", key + "." + k, 1, 1e9, &x)) th->min_count = static_cast<int>(x);
    } else if (k == "p_value") {
      if (r.Bounded(v, "detector", key + "." + k, 1e-300, 1, &x)) th->p_value = x;
    } else {
      r.Error(it->first, "detector", "unknown key '" + key + "." + k + "' (expected min_count, p_value)");
    }
  }
}

void ParseScale(YamlReader& r, const YAML::Node& n, const std::string& key, BurstDetectorOptions* o) {
  if (!n.IsMap()) { r.Error(n, "detector", "'" + key + "' must be a mapping"); return; }
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.Scalar();
    YAML::Node v = it->second;
    double x;
    if (k == "bucket") {
      r.Duration(v, "detector", key + "." + k, &o->bucket_ms);
    } else if (k == "window") {
      if (r.Bounded(v, "detector", key + "." + k, 1, 10'000, &x)) o->window_buckets = static_cast<int>(x);
    } else if (k == "min_count") {
      if (r.Bounded(v, "detector", key + "." + k, 1, 1e9, &x)) o->min_count = static_cast<int>(x);
    } else if (k == "floor_rate") {
      if (r.Bounded(v, "detector", key + "." + k, 1e-9, 1e9, &x)) o->floor_rate = x;
    } else if (k == "young") {
      r.Duration(v, "detector", key + "." + k, &o->young_ms);
    } else if (k == "young_min_count") {
      if (r.Bounded(v, "detector", key + "." + k, 0, 1e9, &x)) o->young_min_count = static_cast<int>(x);
    } else {
      r.Error(it->first, "detector",
            "unknown key '" + key + "." + k +
                "' (expected bucket, window, min_count, floor_rate, young, young_min_count)");
    }
  }
}

void ParseDetector(YamlReader& r, const YAML::Node& n, CrisisDetectorOptions* out) {
  CrisisDetectorOptions& o = *out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string key = it->first.Scalar();
    YAML::Node v = it->second;
    double x;
    int64_t ms;
    if (key == "enabled") {
      r.Bool(v, "detector", key, &o.enabled);
    } else if (key == "p_value") {
      if (r.Bounded(v, "detector", key, 1e-300, 1, &x)) o.fast.p_value = o.slow.p_value = x;
    } else if (key == "baseline") {
      if (r.Duration(v, "detector", key, &ms)) o.fast.baseline_tau_ms = o.slow.baseline_tau_ms = static_cast<double>(ms);
    } else if (key == "warmup") {
      if (r.Duration(v, "detector", key, &ms)) o.warmup_ms = ms;
    } else if (key == "close_ratio") {
      if (r.Bounded(v, "detector", key, 0, 1e6, &x)) o.fast.close_ratio = o.slow.close_ratio = x;
    } else if (key == "cooldown") {
      if (r.Duration(v, "detector", key, &ms)) o.fast.cooldown_ms = o.slow.cooldown_ms = ms;
    } else if (key == "max_topics") {
      if (r.Bounded(v, "detector", key, 1, 1e9, &x)) o.fast.max_topics = o.slow.max_topics = static_cast<size_t>(x);
    } else if (key == "fast") {
      ParseScale(r, v, key, &o.fast);
    } else if (key == "slow") {
      ParseScale(r, v, key, &o.slow);
    } else if (key == "terms") {
      ParseTerms(r, v, &o.terms);
    } else if (key == "reach") {
      ParseReach(r, v, &o.reach);
    } else if (key == "ignore") {
      r.StringList(v, "detector", key, &o.ignore);
    } else if (key == "brands") {
      if (!v.IsMap()) { r.Error(v, "detector", "'brands' must be a mapping of brand name to thresholds"); continue; }
      for (auto b = v.begin(); b != v.end(); ++b)
        ParseThresholds(r, b->second, "brands." + b->first.Scalar(), &o.brands[b->first.Scalar()]);
    } else {
      r.Error(it->first, "detector",
            "unknown key '" + key +
                "' (expected enabled, warmup, p_value, baseline, close_ratio, cooldown, max_topics, fast, slow, "
                "terms, reach, ignore, brands)");
    }
  }
}

void ParseTerms(YamlReader& r, const YAML::Node& n, TermOptions* t) {
  if (!n.IsMap()) { r.Error(n, "detector", "'terms' must be a mapping"); return; }
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.Scalar();
    YAML::Node v = it->second;
    double x;
    if (k == "enabled") {
      r.Bool(v, "detector", "terms.enabled", &t->enabled);
    } else if (k == "capacity") {
      if (r.Bounded(v, "detector", "terms.capacity", 1, 1e8, &x)) t->capacity = static_cast<size_t>(x);
    } else if (k == "admit_count") {
      if (r.Bounded(v, "detector", "terms.admit_count", 1, 1e6, &x)) t->admit_count = static_cast<int>(x);
    } else if (k == "min_length") {
      if (r.Bounded(v, "detector", "terms.min_length", 1, 100, &x)) t->min_codepoints = static_cast<int>(x);
    } else if (k == "halve_every") {
      r.Duration(v, "detector", "terms.halve_every", &t->halve_every_ms);
    } else if (k == "stopwords") {
      std::vector<std::string> words;
      if (!r.StringList(v, "detector", "terms.stopwords", &words)) continue;
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
      r.Error(it->first, "detector",
            "unknown key 'terms." + k + "' (expected enabled, capacity, admit_count, min_length, halve_every, stopwords)");
    }
  }
}

void ParseReach(YamlReader& r, const YAML::Node& n, ReachEscalation* reach) {
  if (!n.IsMap()) { r.Error(n, "detector", "'reach' must be a mapping"); return; }
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.Scalar();
    YAML::Node v = it->second;
    double x;
    if (k == "min_followers") {
      if (r.Bounded(v, "detector", "reach.min_followers", 0, 1e12, &x)) reach->min_followers = static_cast<int64_t>(x);
    } else if (k == "verified") {
      r.Bool(v, "detector", "reach.verified", &reach->verified_counts);
    } else if (k == "max_compound") {
      if (r.Bounded(v, "detector", "reach.max_compound", -1, 1, &x)) reach->max_compound = x;
    } else {
      r.Error(it->first, "detector", "unknown key 'reach." + k + "' (expected min_followers, verified, max_compound)");
    }
  }
}


}  // namespace

void ReadDetectorSection(const YAML::Node& n, YamlReader* reader, CrisisDetectorOptions* out) {
  ParseDetector(*reader, n, out);
}

}  // namespace triage
