#include "engine/explain.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "base/json_writer.h"
#include "engine/model/linear_model.h"

namespace triage {

Status Explain(const Pipeline& p, const Message& msg, Explanation* out) {
  std::unique_ptr<ClassifierScratch> scratch;
  if (Status s = p.NewScratch(&scratch); !s.ok()) return s;
  Decision d;
  if (Status s = p.Decide(msg, scratch.get(), &d); !s.ok()) return s;
  const auto& rules = p.pack().rules();
  const Verdict& v = d.verdict;
  Explanation& e = *out;
  e = Explanation();
  e.normalized = scratch->normalized();
  e.lang = std::string(v.lang);
  e.lang_detected = v.lang_detected;
  for (uint32_t pid : scratch->matched_patterns()) {
    Explanation::MatchedPattern m;
    m.source = p.classifier().PatternSource(pid);
    for (uint32_t r : p.classifier().PatternRules(pid)) m.rules.push_back(rules[r].id);
    e.matched.push_back(std::move(m));
  }
  for (uint32_t r : v.fired)
    e.fired.push_back({rules[r].id, rules[r].label, rules[r].weight, rules[r].force, rules[r].where.file,
                       rules[r].where.line});
  e.rules_label = v.rules_label;
  if (const LinearModel* model = p.classifier().model()) {
    const Calibration& cal = model->calibration();
    e.has_model = true;
    e.model_description = model->description();
    e.model_probs = v.model;
    e.temperature = cal.temperature;
    e.coverage = v.coverage;
    e.familiar_coverage = cal.familiar_coverage;
    e.model_label = v.model_label;
    // The features that moved the model most toward (and away from) its top
    // label, by name.
    std::vector<std::string> names;
    FeatureVector fv;
    fv.names = &names;
    p.classifier().ModelFeatures(msg, scratch->normalized(), v, model->hasher(), &fv);
    auto contributions = model->Contributions(fv, v.model_label);
    std::sort(contributions.begin(), contributions.end(),
              [](const auto& a, const auto& b) { return std::fabs(a.second) > std::fabs(b.second); });
    e.known_features = contributions.size();
    for (size_t i = 0; i < contributions.size() && i < 12; ++i)
      e.features.emplace_back(names[contributions[i].first], contributions[i].second);
  }
  e.model_weight = p.classifier().choice_settings().model_weight;
  e.threshold = p.pack().settings().threshold;
  e.crisis_threshold = p.classifier().choice_settings().crisis_threshold;
  e.scores = v.scores;
  e.forced = v.forced;
  e.crisis_held_back = v.crisis_held_back;
  e.label = v.label;
  e.queue = std::string(d.routing.queue);
  e.priority = d.routing.priority;
  e.route = d.routing.route ? d.routing.route->id : "";
  e.confidence = v.confidence;
  e.review = v.review;
  return Status::OK();
}

namespace {

void AppendLabels(const std::array<double, kNumLabels>& values, std::string* out) {
  out->push_back('{');
  for (int i = 0; i < kNumLabels; ++i) {
    if (i) out->push_back(',');
    AppendJsonString(LabelName(static_cast<Label>(i)), out);
    out->push_back(':');
    AppendJsonScore(values[i], out);
  }
  out->push_back('}');
}

void AppendBool(std::string_view key, bool v, std::string* out) {
  out->append(",\"").append(key).append(v ? "\":true" : "\":false");
}

}  // namespace

std::string Explanation::ToJson() const {
  std::string o = "{\"normalized\":";
  AppendJsonString(normalized, &o);
  o += ",\"lang\":";
  AppendJsonString(lang, &o);
  AppendBool("lang_detected", lang_detected, &o);
  o += ",\"matched\":[";
  for (size_t i = 0; i < matched.size(); ++i) {
    o += i ? ",{\"pattern\":" : "{\"pattern\":";
    AppendJsonString(matched[i].source, &o);
    o += ",\"rules\":[";
    for (size_t j = 0; j < matched[i].rules.size(); ++j) {
      if (j) o += ",";
      AppendJsonString(matched[i].rules[j], &o);
    }
    o += "]}";
  }
  o += "],\"fired\":[";
  for (size_t i = 0; i < fired.size(); ++i) {
    o += i ? ",{\"id\":" : "{\"id\":";
    AppendJsonString(fired[i].id, &o);
    o += ",\"label\":";
    AppendJsonString(LabelName(fired[i].label), &o);
    o += ",\"weight\":";
    AppendJsonNumber(fired[i].weight, &o);
    AppendBool("force", fired[i].force, &o);
    o += ",\"file\":";
    AppendJsonString(fired[i].file, &o);
    o += ",\"line\":";
    AppendJsonInt(fired[i].line, &o);
    o += "}";
  }
  o += "],\"rules_label\":";
  AppendJsonString(LabelName(rules_label), &o);
  o += ",\"model\":";
  if (!has_model) {
    o += "null";
  } else {
    o += "{\"description\":";
    AppendJsonString(model_description, &o);
    o += ",\"probabilities\":";
    AppendLabels(model_probs, &o);
    o += ",\"temperature\":";
    AppendJsonNumber(temperature, &o);
    o += ",\"coverage\":";
    AppendJsonScore(coverage, &o);
    o += ",\"familiar_coverage\":";
    AppendJsonScore(familiar_coverage, &o);
    o += ",\"label\":";
    AppendJsonString(LabelName(model_label), &o);
    o += ",\"features\":[";
    for (size_t i = 0; i < features.size(); ++i) {
      o += i ? ",{\"name\":" : "{\"name\":";
      AppendJsonString(features[i].first, &o);
      o += ",\"contribution\":";
      AppendJsonScore(features[i].second, &o);
      o += "}";
    }
    o += "],\"known_features\":";
    AppendJsonInt(static_cast<int64_t>(known_features), &o);
    o += "}";
  }
  o += ",\"scores\":";
  AppendLabels(scores, &o);
  o += ",\"model_weight\":";
  AppendJsonNumber(model_weight, &o);
  o += ",\"threshold\":";
  AppendJsonNumber(threshold, &o);
  AppendBool("forced", forced, &o);
  AppendBool("crisis_held_back", crisis_held_back, &o);
  o += ",\"label\":";
  AppendJsonString(LabelName(label), &o);
  o += ",\"queue\":";
  AppendJsonString(queue, &o);
  o += ",\"priority\":";
  AppendJsonString(PriorityName(priority), &o);
  o += ",\"route\":";
  AppendJsonString(route, &o);
  o += ",\"confidence\":";
  AppendJsonScore(confidence, &o);
  AppendBool("review", review, &o);
  o += "}";
  return o;
}

}  // namespace triage
