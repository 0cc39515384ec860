#include "engine/model_evaluation.h"

#include <cstdio>

#include "engine/classifier.h"
#include "base/json_writer.h"

namespace triage {

std::string ModelEvaluation::ToText() const {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%-9s %9s %9s %9s\n", "scorer", "messages", "accuracy", "macro-F1");
  out += line;
  for (int i = 0; i < kNumScorers; ++i) {
    std::snprintf(line, sizeof line, "%-9s %9lld %9.3f %9.3f\n", kScorerNames[i],
                  static_cast<long long>(all[i].Total()), all[i].Accuracy(), all[i].MacroF1());
    out += line;
  }
  out += "\nmacro-F1 per language\n";
  std::snprintf(line, sizeof line, "%-6s %9s %9s %9s %9s\n", "lang", "messages", "rules", "model", "combined");
  out += line;
  for (const auto& [lang, cms] : by_lang) {
    std::snprintf(line, sizeof line, "%-6s %9lld %9.3f %9.3f %9.3f\n", lang.c_str(),
                  static_cast<long long>(cms[0].Total()), cms[0].MacroF1(), cms[1].MacroF1(), cms[2].MacroF1());
    out += line;
  }
  return out;
}

std::string ModelEvaluation::ToJson() const {
  std::string out = "{";
  for (int i = 0; i < kNumScorers; ++i) {
    out += i ? ",\"" : "\"";
    out += kScorerNames[i];
    out += "\":{\"accuracy\":";
    AppendJsonNumber(all[i].Accuracy(), &out);
    out += ",\"macro_f1\":";
    AppendJsonNumber(all[i].MacroF1(), &out);
    out += "}";
  }
  out += ",\"per_lang\":{";
  bool first = true;
  for (const auto& [lang, cms] : by_lang) {
    if (!first) out += ",";
    first = false;
    AppendJsonString(lang, &out);
    out += ":{\"messages\":";
    AppendJsonInt(cms[0].Total(), &out);
    for (int i = 0; i < kNumScorers; ++i) {
      out += ",\"";
      out += kScorerNames[i];
      out += "\":";
      AppendJsonNumber(cms[i].MacroF1(), &out);
    }
    out += "}";
  }
  out += "}}";
  return out;
}

Label CombinedLabel(const LabeledExample& e, const LabelProbs& p, const ChoiceSettings& c) {
  LabelEvidence evidence = e.evidence;
  evidence.model = &p;
  return ChooseLabel(evidence, c).label;
}

void TrainAndEvaluate(const std::vector<LabeledExample>& data, const std::vector<size_t>& train,
                      const std::vector<size_t>& test, const FeatureOptions& features,
                      const TrainOptions& train_options, const ChoiceSettings& combine, ModelEvaluation* eval) {
  std::vector<const TrainingExample*> examples;
  examples.reserve(train.size());
  for (size_t i : train) examples.push_back(&data[i].example);
  LinearModel model(features);
  Train(examples, train_options, &model);
  ModelOutput out;
  for (size_t i : test) {
    const LabeledExample& e = data[i];
    model.Predict(e.example.features, &out);
    eval->Add(e.lang, e.example.label, e.rules_label, TopLabel(out.probs), CombinedLabel(e, out.probs, combine));
  }
}

}  // namespace triage
