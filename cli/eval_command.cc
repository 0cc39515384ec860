// triage eval: classifies a labeled archive and compares with the truth.
#include <map>

#include "cli/commands.h"
#include "cli/snippet.h"
#include "cli/load_pipeline.h"
#include "connectors/archive_source.h"
#include "engine/detector/crisis_detector.h"
#include "engine/eval.h"
#include "base/json_writer.h"
#include "engine/model/calibration.h"
#include "engine/model_evaluation.h"
#include "engine/processor.h"
#include "engine/thread_tracker.h"

namespace triage {

namespace {

struct Miss {
  std::string id, truth, predicted, text;
  std::vector<std::string> rules;  // the fired rules, as in decisions
};

}  // namespace

int RunEval(const EvalOptions& opts) {
  FILE* err = opts.common.err;
  std::shared_ptr<const Pipeline> pipeline = LoadPipeline(opts.common);
  if (!pipeline) return kExitError;
  const auto& rules = pipeline->pack().rules();
  ArchiveSource source(opts.archives, err);
  Message msg;
  Decision d;
  ConfusionMatrix all;
  std::map<std::string, ConfusionMatrix, std::less<>> by_lang;
  ModelEvaluation compare;  // rules alone, model alone, combined (when the pack has a model)
  const bool has_model = pipeline->classifier().model() != nullptr;
  std::vector<Miss> misses;
  // Alert quality: per incident, its size and the message number (1-based,
  // within the incident) that opened its first alert; alerts opened by a
  // message outside every incident are false alarms.
  CrisisDetector detector(pipeline->pack().detector());
  CrisisDetectStage detect(&detector);
  struct IncidentStats {
    int64_t messages = 0;
    int64_t alerted_at = 0;  // 0: no alert
  };
  std::map<std::string, IncidentStats> incidents;
  std::vector<std::string> false_alarms;
  // Thread context from archive order, as replay gives it; `seen` tells
  // which messages have an earlier one also with --no-thread-context, so
  // both runs score the same messages under "in threads".
  ThreadTracker threads, seen;
  Processor::Stages stages;
  if (!opts.no_thread_context) stages.threads = &threads;
  if (!opts.no_detector) stages.detector = &detect;
  std::unique_ptr<Processor> processor;
  if (Status s = Processor::Create(pipeline, stages, &processor); !s.ok()) {
    std::fprintf(err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  const LinearModel* model = pipeline->classifier().model();
  ConfusionMatrix in_threads;          // messages classified with an earlier message as context
  size_t trained_on = 0, labeled = 0;  // labeled messages the model was trained on
  size_t review = 0, review_right = 0, kept_right = 0;
  std::vector<LabelProbs> confidences;  // the decided label's confidence, for the calibration error
  std::vector<Label> truths;

  while (source.Next(&msg)) {
    // One decision per message: the detector sees every message (labeled or
    // not); it changes priority and alert marks, never the label scored below.
    const bool in_thread = seen.Find(msg).known;
    std::string incident(msg.incident);
    if (!opts.no_detector && !incident.empty()) ++incidents[incident].messages;
    if (Status s = processor->Process(&msg, &d); !s.ok()) {
      std::fprintf(err, "triage eval: %s: %s\n", source.file().c_str(), s.message().c_str());
      return kExitError;
    }
    seen.Record(msg, d.verdict.label);
    if (!opts.no_detector) {
      for (int a : detect.opened()) {
        if (incident.empty()) false_alarms.push_back(detector.alert(a).topic);
        else if (!incidents[incident].alerted_at) incidents[incident].alerted_at = incidents[incident].messages;
      }
    }
    auto truth = ParseLabel(msg.label);
    if (!truth) {
      source.Skip(msg.label.empty() ? "no ground-truth 'label'"
                                    : "unknown label '" + std::string(msg.label) + "'");
      continue;
    }
    all.Add(*truth, d.verdict.label);
    ++labeled;
    if (model && model->TrainedOn(model->hasher().TextHash(processor->normalized()))) ++trained_on;
    if (in_thread) in_threads.Add(*truth, d.verdict.label);
    bool right = *truth == d.verdict.label;
    if (d.verdict.review) ++review, review_right += right;
    else kept_right += right;
    LabelProbs c{};
    c[static_cast<int>(d.verdict.label)] = d.verdict.confidence;
    confidences.push_back(c);
    truths.push_back(*truth);
    auto it = by_lang.find(d.verdict.lang);
    if (it == by_lang.end()) it = by_lang.emplace(std::string(d.verdict.lang), ConfusionMatrix()).first;
    it->second.Add(*truth, d.verdict.label);
    if (has_model)
      compare.Add(std::string(d.verdict.lang), *truth, d.verdict.rules_label, d.verdict.model_label, d.verdict.label);
    if (*truth != d.verdict.label && misses.size() < static_cast<size_t>(std::max(opts.show_errors, 0))) {
      Miss m{std::string(msg.id), std::string(LabelName(*truth)), std::string(LabelName(d.verdict.label)), "", {}};
      for (uint32_t r : d.verdict.fired) m.rules.push_back(rules[r].id);
      m.text = Snippet(msg.text, 160);
      misses.push_back(std::move(m));
    }
  }
  if (source.io_errors()) return kExitError;
  if (all.Total() == 0) {
    std::fprintf(err, "triage eval: no labeled messages\n");
    return kExitError;
  }
  // Figures on messages the model learned from are no test of it: say so.
  if (trained_on)
    std::fprintf(err,
                 "triage eval: warning: %zu of %zu labeled messages (%.1f %%) are in the model's training data "
                 "(its fingerprint); the figures below are not a test of the model on unseen text\n",
                 trained_on, labeled, 100.0 * static_cast<double>(trained_on) / static_cast<double>(labeled));
  const double ece = ExpectedCalibrationError(confidences, truths);
  const size_t kept = labeled - review;

  if (opts.json) {
    std::string out = all.ToJson();
    out.pop_back();  // reopen the object to add our fields
    out += ",\"skipped\":";
    AppendJsonInt(static_cast<int64_t>(source.malformed()), &out);
    out += ",\"per_lang\":{";
    bool first = true;
    for (const auto& [lang, cm] : by_lang) {
      if (!first) out += ",";
      first = false;
      AppendJsonString(lang, &out);
      out += ":{\"messages\":";
      AppendJsonInt(cm.Total(), &out);
      out += ",\"accuracy\":";
      AppendJsonNumber(cm.Accuracy(), &out);
      out += ",\"macro_f1\":";
      AppendJsonNumber(cm.MacroF1(), &out);
      out += "}";
    }
    out += "}";
    if (has_model) out += ",\"compare\":" + compare.ToJson();
    out += ",\"in_threads\":{\"messages\":";
    AppendJsonInt(in_threads.Total(), &out);
    out += ",\"macro_f1\":";
    AppendJsonNumber(in_threads.Total() ? in_threads.MacroF1() : 0.0, &out);
    out += "},\"confidence\":{\"ece\":";
    AppendJsonNumber(ece, &out);
    out += ",\"review\":";
    AppendJsonInt(static_cast<int64_t>(review), &out);
    out += ",\"review_accuracy\":";
    AppendJsonNumber(review ? static_cast<double>(review_right) / static_cast<double>(review) : 0.0, &out);
    out += ",\"kept_accuracy\":";
    AppendJsonNumber(kept ? static_cast<double>(kept_right) / static_cast<double>(kept) : 0.0, &out);
    out += "},\"trained_on\":";
    AppendJsonInt(static_cast<int64_t>(trained_on), &out);
    out += ",\"alerts\":{\"incidents\":{";
    bool firsti = true;
    for (const auto& [name, st] : incidents) {
      if (!firsti) out += ",";
      firsti = false;
      AppendJsonString(name, &out);
      out += ":{\"messages\":";
      AppendJsonInt(st.messages, &out);
      out += ",\"alerted\":";
      out += st.alerted_at ? "true" : "false";
      out += ",\"alerted_at_message\":";
      AppendJsonInt(st.alerted_at, &out);
      out += "}";
    }
    out += "},\"false_alarms\":";
    AppendJsonInt(static_cast<int64_t>(false_alarms.size()), &out);
    out += "},\"errors\":[";
    for (size_t i = 0; i < misses.size(); ++i) {
      const Miss& m = misses[i];
      out += i ? ",{\"id\":" : "{\"id\":";
      AppendJsonString(m.id, &out);
      out += ",\"truth\":";
      AppendJsonString(m.truth, &out);
      out += ",\"predicted\":";
      AppendJsonString(m.predicted, &out);
      out += ",\"rules\":[";
      for (size_t k = 0; k < m.rules.size(); ++k) {
        if (k) out += ",";
        AppendJsonString(m.rules[k], &out);
      }
      out += "]";
      out += ",\"text\":";
      AppendJsonString(m.text, &out);
      out += "}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), opts.common.out);
  } else {
    std::string out = all.ToText();
    out += "\nper language (language in effect: given, or detected)\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-6s %9s %9s %9s\n", "lang", "messages", "accuracy", "macro-F1");
    out += line;
    for (const auto& [lang, cm] : by_lang) {
      std::snprintf(line, sizeof line, "%-6s %9lld %9.3f %9.3f\n", lang.c_str(), static_cast<long long>(cm.Total()),
                    cm.Accuracy(), cm.MacroF1());
      out += line;
    }
    if (has_model) {
      out += "\nrules alone, model alone and combined (the label above is the combined one)\n";
      out += compare.ToText();
    }
    std::snprintf(line, sizeof line, "\nin threads (classified with an earlier message of the conversation): %lld messages, macro-F1 %.3f\n",
                  static_cast<long long>(in_threads.Total()), in_threads.Total() ? in_threads.MacroF1() : 0.0);
    out += line;
    std::snprintf(line, sizeof line,
                  "confidence: expected calibration error %.3f; marked for review %zu (%.1f %%), accuracy %.3f; "
                  "the rest %.3f\n",
                  ece, review, labeled ? 100.0 * static_cast<double>(review) / static_cast<double>(labeled) : 0.0,
                  review ? static_cast<double>(review_right) / static_cast<double>(review) : 0.0,
                  kept ? static_cast<double>(kept_right) / static_cast<double>(kept) : 0.0);
    out += line;
    if (!incidents.empty() || !false_alarms.empty()) {
      out += "\ncrisis alerts (burst detector)\n";
      for (const auto& [name, st] : incidents) {
        out += "  incident " + name + ": " + std::to_string(st.messages) + " messages, ";
        out += st.alerted_at ? "alert at message " + std::to_string(st.alerted_at) : std::string("no alert");
        out += "\n";
      }
      out += "  false alarms (alerts opened outside every incident): " + std::to_string(false_alarms.size());
      for (const auto& t : false_alarms) out += " " + t;
      out += "\n";
    }
    if (!misses.empty()) {
      out += "\nerrors (first " + std::to_string(misses.size()) + ")\n";
      for (const Miss& m : misses) {
        std::string fired;
        for (const auto& r : m.rules) fired += (fired.empty() ? "" : ",") + r;
        out += "  " + m.id + "  " + m.truth + " -> " + m.predicted + "  [" + fired + "]  " + m.text + "\n";
      }
    }
    if (source.malformed())
      out += "\n" + std::to_string(source.malformed()) + " lines skipped (see above)\n";
    std::fputs(out.c_str(), opts.common.out);
  }

  if (opts.min_macro_f1 >= 0 && all.MacroF1() < opts.min_macro_f1) {
    std::fprintf(err, "triage eval: macro-F1 %.4f is below the gate %.4f\n", all.MacroF1(), opts.min_macro_f1);
    return kExitBelowGate;
  }
  return source.malformed() ? kExitSkipped : kExitOk;
}

}  // namespace triage
