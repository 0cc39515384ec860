// triage train: trains the learned classifier on labeled archives, reports
// cross-validated and held-out figures for rules, model and combined,
// calibrates it on held-out archives, and writes the model file.
#include <map>

#include "cli/commands.h"
#include "cli/load_pipeline.h"
#include "format/archive_format.h"
#include "connectors/archive_source.h"
#include "base/json_writer.h"
#include "engine/metrics/corrections.h"
#include "engine/model/calibration.h"
#include "engine/model_evaluation.h"
#include "engine/store/queue_store.h"
#include "engine/thread_tracker.h"

namespace triage {

int RunTrain(const TrainOptionsCli& opts) {
  FILE* err = opts.common.err;
  FILE* out = opts.common.out;
  if (opts.folds == 1 || opts.folds < 0 || opts.folds > 20) {
    std::fprintf(err, "triage train: --folds must be 0 (none) or 2..20\n");
    return kExitUsage;
  }
  if (opts.archives.empty() && opts.data_dirs.empty()) {
    std::fprintf(err, "triage train: give labeled archives, --data DIR, or both\n");
    return kExitUsage;
  }
  if (!(opts.holdout >= 0 && opts.holdout < 1)) {
    std::fprintf(err, "triage train: --holdout must be in [0, 1)\n");
    return kExitUsage;
  }
  // The rules as they are, without any model: the model learns on top of them.
  CommonOptions common = opts.common;
  common.model = "none";
  std::unique_ptr<Pipeline> pipeline = LoadPipeline(common);
  if (!pipeline) return kExitError;
  std::unique_ptr<ClassifierScratch> scratch;
  if (Status s = pipeline->NewScratch(&scratch); !s.ok()) {
    std::fprintf(err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  const RulePack& pack = pipeline->pack();
  FeatureHasher hasher(opts.features);
  ChoiceSettings combine = pipeline->classifier().choice_settings();
  combine.model_weight = opts.model_weight >= 0 ? opts.model_weight : pack.settings().model_weight;

  std::vector<LabeledExample> data;
  std::vector<uint64_t> fingerprint;  // the normalized texts trained on
  std::map<std::string, std::array<int64_t, kNumLabels>> per_archive;
  Decision d;
  Message msg;
  // Thread context in archive order, from the true labels (the model learns
  // what a reply after a support message tends to be).
  ThreadTracker threads;
  // One labeled message: what the rules say, and the model's features.
  auto example = [&](Message m, Label truth, LabeledExample* e) -> bool {
    m.thread = threads.Lookup(m);
    if (Status s = pipeline->Decide(m, scratch.get(), &d); !s.ok()) {
      std::fprintf(err, "triage train: %s\n", s.message().c_str());
      return false;
    }
    pipeline->classifier().ModelFeatures(m, scratch->normalized(), d.verdict, hasher, &e->example.features);
    e->example.label = truth;
    LabelEvidence ev;
    ev.rule_scores = d.verdict.rule_scores;
    for (uint32_t r : d.verdict.fired) {
      const Rule& rule = pack.rules()[r];
      if (rule.label == Label::kCrisis) ev.crisis_rule = true;
    }
    if (d.verdict.forced) ev.forced = d.verdict.label;
    e->evidence = ev;
    e->rules_label = d.verdict.rules_label;
    e->lang = std::string(d.verdict.lang);
    threads.Record(m, truth);
    return true;
  };
  auto add = [&](const Message& m, Label truth, std::array<int64_t, kNumLabels>* counts) -> bool {
    LabeledExample e;
    if (!example(m, truth, &e)) return false;
    fingerprint.push_back(hasher.TextHash(scratch->normalized()));
    data.push_back(std::move(e));
    ++(*counts)[static_cast<int>(truth)];
    return true;
  };
  for (const std::string& path : opts.archives) {
    ArchiveSource source({path}, err);
    auto& counts = per_archive[path];
    counts.fill(0);
    while (source.Next(&msg)) {
      auto truth = ParseLabel(msg.label);
      if (!truth) {
        source.Skip(msg.label.empty() ? "no ground-truth 'label'" : "unknown label '" + std::string(msg.label) + "'");
        continue;
      }
      if (!add(msg, *truth, &counts)) return kExitError;
    }
    if (source.io_errors()) return kExitError;
  }
  // The team's own history: reroutes are corrections, closed messages confirm.
  std::string history_note;
  for (const std::string& dir : opts.data_dirs) {
    std::unique_ptr<QueueStore> store;
    // Training only reads the history: a mistyped --data is an error, not a new database.
    if (Status s = QueueStore::OpenReadOnly(dir, &store); !s.ok()) {
      std::fprintf(err, "triage train: --data %s%s\n", s.message().c_str(),
                   s.message().find("lock") != std::string::npos ? " (stop `triage serve` first, or copy the directory)"
                                                                  : "");
      return kExitError;
    }
    std::vector<LabeledRecord> records;
    CorrectionCounts c;
    if (Status s = LabeledRecordsFromStore(*store, pack, &records, &c); !s.ok()) {
      std::fprintf(err, "triage train: --data %s: %s\n", dir.c_str(), s.message().c_str());
      return kExitError;
    }
    auto& counts = per_archive[dir + " (history)"];
    counts.fill(0);
    ArchiveParser parser;
    size_t unparsable = 0;
    for (const LabeledRecord& r : records) {
      if (!parser.ParseCopy(r.raw, &msg).ok()) {
        ++unparsable;
        continue;
      }
      if (!add(msg, r.label, &counts)) return kExitError;
    }
    char note[512];
    std::snprintf(note, sizeof note, "  %s: %zu corrected by a reroute, %zu confirmed by closing, %zu still open, %zu unreadable or rerouted to a queue no label goes to (all left out)\n",
                  dir.c_str(), c.corrected, c.confirmed, c.open, c.skipped + unparsable);
    history_note += note;
  }
  if (data.size() < 10) {
    std::fprintf(err, "triage train: %zu labeled messages; at least 10 are needed\n", data.size());
    return kExitError;
  }

  auto total = [](const std::array<int64_t, kNumLabels>& c) {
    int64_t n = 0;
    for (auto v : c) n += v;
    return n;
  };
  std::string report = "training data\n";
  char line[256];
  for (const auto& [path, c] : per_archive) {
    const int64_t n = total(c);
    std::snprintf(line, sizeof line, "  %s: %lld (lead %lld, support %lld, feedback %lld, crisis %lld, none %lld)\n",
                  path.c_str(), static_cast<long long>(n), static_cast<long long>(c[0]), static_cast<long long>(c[1]),
                  static_cast<long long>(c[2]), static_cast<long long>(c[3]), static_cast<long long>(c[4]));
    report += line;
  }
  report += history_note;
  std::string json = "{\"messages\":" + std::to_string(data.size());

  if (opts.folds >= 2) {
    std::vector<int> fold = AssignFolds(data.size(), opts.folds, opts.train.seed);
    ModelEvaluation cv;
    for (int k = 0; k < opts.folds; ++k) {
      std::vector<size_t> train, test;
      for (size_t i = 0; i < data.size(); ++i) (fold[i] == k ? test : train).push_back(i);
      TrainAndEvaluate(data, train, test, opts.features, opts.train, combine, &cv);
    }
    report += "\n" + std::to_string(opts.folds) + "-fold cross-validation (every message scored once, by a model that did not see it; uncalibrated)\n";
    report += cv.ToText();
    json += ",\"cross_validation\":" + cv.ToJson();
  }
  if (opts.holdout > 0) {
    // A seeded permutation (n folds of one); the first share is held out.
    std::vector<int> rank = AssignFolds(data.size(), static_cast<int>(data.size()), opts.train.seed + 1);
    const int held_out = static_cast<int>(opts.holdout * static_cast<double>(data.size()) + 0.5);
    std::vector<size_t> train, test;
    for (size_t i = 0; i < data.size(); ++i) (rank[i] < held_out ? test : train).push_back(i);
    ModelEvaluation held;
    TrainAndEvaluate(data, train, test, opts.features, opts.train, combine, &held);
    std::snprintf(line, sizeof line, "\nheld-out split (%.0f%%, %zu messages, trained on the other %zu; uncalibrated)\n",
                  opts.holdout * 100, test.size(), train.size());
    report += line;
    report += held.ToText();
    json += ",\"holdout\":" + held.ToJson();
  }

  // The model that is written: trained on everything.
  LinearModel model(opts.features);
  std::vector<const TrainingExample*> all;
  for (const auto& e : data) all.push_back(&e.example);
  Train(all, opts.train, &model);
  model.set_fingerprint(fingerprint);
  Calibration calibration;
  calibration.review_threshold = opts.review_below;
  model.set_calibration(calibration);

  // Calibration on held-out archives, in their order, with the thread
  // context the model itself gives (as replay and serve will).
  if (!opts.calibrate.empty()) {
    std::vector<CalibrationSample> samples;
    ThreadTracker held_threads;
    ModelOutput mo;
    FeatureVector fv;
    size_t overlap = 0;
    for (const std::string& path : opts.calibrate) {
      ArchiveSource source({path}, err);
      while (source.Next(&msg)) {
        auto truth = ParseLabel(msg.label);
        if (!truth) {
          source.Skip(msg.label.empty() ? "no ground-truth 'label'" : "unknown label '" + std::string(msg.label) + "'");
          continue;
        }
        msg.thread = held_threads.Lookup(msg);
        if (Status s = pipeline->Decide(msg, scratch.get(), &d); !s.ok()) {
          std::fprintf(err, "triage train: %s\n", s.message().c_str());
          return kExitError;
        }
        overlap += model.TrainedOn(hasher.TextHash(scratch->normalized()));
        pipeline->classifier().ModelFeatures(msg, scratch->normalized(), d.verdict, model.hasher(), &fv);
        model.Predict(fv, &mo);
        CalibrationSample cs;
        cs.logits = mo.logits;
        cs.coverage = mo.coverage;
        cs.truth = *truth;
        for (uint32_t r : d.verdict.fired) cs.crisis_rule = cs.crisis_rule || pack.rules()[r].label == Label::kCrisis;
        samples.push_back(cs);
        held_threads.Record(msg, TopLabel(mo.probs));
      }
      if (source.io_errors()) return kExitError;
    }
    CalibrationReport cr;
    calibration = FitCalibration(samples, model, calibration, opts.crisis_precision, &cr);
    model.set_calibration(calibration);
    std::snprintf(line, sizeof line,
                  "\ncalibration on %zu held-out messages%s: temperature %.3f, familiar coverage %.3f, crisis "
                  "threshold %.2f, review below %.2f\n",
                  cr.messages, overlap ? (" (" + std::to_string(overlap) + " of them also in the training data)").c_str() : "", calibration.temperature,
                  calibration.familiar_coverage, calibration.crisis_threshold, calibration.review_threshold);
    report += line;
    report += cr.ToText();
    json += ",\"calibration\":" + cr.ToJson();
  }

  std::string description = "triage train: " + std::to_string(data.size()) + " messages (";
  bool first = true;
  for (const auto& [path, c] : per_archive) {
    size_t slash = path.rfind('/');
    description += (first ? "" : ", ") + path.substr(slash == std::string::npos ? 0 : slash + 1) + " " +
                   std::to_string(total(c));
    first = false;
  }
  description += "); pack " + pack.settings().name + "; seed " + std::to_string(opts.train.seed) + ", epochs " +
                 std::to_string(opts.train.epochs) + ", min_df " + std::to_string(opts.train.min_df) +
                 ", character " + std::to_string(opts.features.char_min) + "-" +
                 std::to_string(opts.features.char_max) + "-grams";
  if (!opts.calibrate.empty()) {
    description += "; calibrated on ";
    for (size_t i = 0; i < opts.calibrate.size(); ++i) {
      size_t slash = opts.calibrate[i].rfind('/');
      description += (i ? ", " : "") + opts.calibrate[i].substr(slash == std::string::npos ? 0 : slash + 1);
    }
  }
  model.set_description(description);
  if (Status s = model.Save(opts.out_path); !s.ok()) {
    std::fprintf(err, "triage train: %s\n", s.message().c_str());
    return kExitError;
  }
  std::snprintf(line, sizeof line, "\nwrote %s: %zu features\n", opts.out_path.c_str(), model.entries());
  report += line;
  json += ",\"model\":";
  AppendJsonString(opts.out_path, &json);
  json += "}\n";
  std::fputs(opts.json ? json.c_str() : report.c_str(), out);
  return kExitOk;
}

}  // namespace triage
