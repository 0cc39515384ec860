// triage diff: the review tool for a rule change. Classifies and routes each
// message of an archive with the old and the new pack, and reports which
// messages change label or queue (counts per from -> to pair, with
// examples), the eval delta when the archive is labeled, and the throughput
// of each pack on the same messages. The crisis detector is not run: it
// adds alert marks and priority, not labels or queues.
#include <chrono>
#include <cmath>
#include <map>

#include "cli/commands.h"
#include "cli/load_pipeline.h"
#include "cli/snippet.h"
#include "connectors/archive_source.h"
#include "engine/eval.h"
#include "base/json_writer.h"

namespace triage {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kWarmup = 64;

struct Change {
  int64_t count = 0;
  struct Example {
    std::string id, text, old_rules, new_rules;
    std::string truth;                       // the archive's label, "" when unlabeled
    double old_score = 0, new_score = 0;     // the winning label's score under each pack
  };
  std::vector<Example> examples;
};

std::string FiredRules(const Pipeline& p, const Verdict& v) {
  std::string out;
  for (uint32_t r : v.fired) out += (out.empty() ? "" : ",") + p.pack().rules()[r].id;
  return out;
}

void AppendChanges(const char* name, const std::map<std::pair<std::string, std::string>, Change>& changes,
                   std::string* o) {
  *o += ",\"";
  *o += name;
  *o += "\":[";
  bool first = true;
  for (const auto& [pair, c] : changes) {
    if (!first) *o += ",";
    first = false;
    *o += "{\"from\":";
    AppendJsonString(pair.first, o);
    *o += ",\"to\":";
    AppendJsonString(pair.second, o);
    *o += ",\"messages\":";
    AppendJsonInt(c.count, o);
    *o += ",\"examples\":[";
    for (size_t i = 0; i < c.examples.size(); ++i) {
      if (i) *o += ",";
      *o += "{\"id\":";
      AppendJsonString(c.examples[i].id, o);
      *o += ",\"old_rules\":";
      AppendJsonString(c.examples[i].old_rules, o);
      *o += ",\"new_rules\":";
      AppendJsonString(c.examples[i].new_rules, o);
      if (!c.examples[i].truth.empty()) {
        *o += ",\"truth\":";
        AppendJsonString(c.examples[i].truth, o);
      }
      *o += ",\"old_score\":";
      AppendJsonScore(c.examples[i].old_score, o);
      *o += ",\"new_score\":";
      AppendJsonScore(c.examples[i].new_score, o);
      *o += ",\"text\":";
      AppendJsonString(c.examples[i].text, o);
      *o += "}";
    }
    *o += "]}";
  }
  *o += "]";
}

}  // namespace

int RunDiff(const DiffOptions& opts) {
  FILE* err = opts.common.err;
  if (opts.rules_new.empty()) {
    std::fprintf(err, "triage diff: --rules-new is required\n");
    return kExitUsage;
  }
  std::unique_ptr<Pipeline> old_p = LoadPipeline(opts.common);
  if (!old_p) return kExitError;
  CommonOptions new_common = opts.common;
  new_common.rules = opts.rules_new;
  std::unique_ptr<Pipeline> new_p = LoadPipeline(new_common);
  if (!new_p) return kExitError;
  std::unique_ptr<ClassifierScratch> old_s, new_s;
  if (!old_p->NewScratch(&old_s).ok() || !new_p->NewScratch(&new_s).ok()) {
    std::fprintf(err, "triage: cannot allocate classifier scratch\n");
    return kExitError;
  }
  ArchiveSource source(opts.archives, err);
  Message msg;
  Decision od, nd;
  std::map<std::pair<std::string, std::string>, Change> label_changes, queue_changes;
  ConfusionMatrix old_cm, new_cm;
  int64_t messages = 0, changed = 0;
  Clock::duration old_time{}, new_time{};
  const size_t max_examples = static_cast<size_t>(std::max(opts.examples, 0));
  bool failed = false;  // a classifier failure (Hyperscan scan error) ends the run with an error
  while (source.Next(&msg) && !failed) {
    ++messages;
    // Each pack is timed on the same message, alternating which goes first
    // so neither always runs with the other's cache footprint. The first
    // messages warm both up and are not timed. On small archives the figure
    // is noisy; `triage bench` measures one pack properly.
    if (messages <= kWarmup) {
      failed = !old_p->Decide(msg, old_s.get(), &od).ok() || failed;
      failed = !new_p->Decide(msg, new_s.get(), &nd).ok() || failed;
    } else if (messages % 2) {
      auto t0 = Clock::now();
      failed = !old_p->Decide(msg, old_s.get(), &od).ok() || failed;
      auto t1 = Clock::now();
      failed = !new_p->Decide(msg, new_s.get(), &nd).ok() || failed;
      auto t2 = Clock::now();
      old_time += t1 - t0;
      new_time += t2 - t1;
    } else {
      auto t0 = Clock::now();
      failed = !new_p->Decide(msg, new_s.get(), &nd).ok() || failed;
      auto t1 = Clock::now();
      failed = !old_p->Decide(msg, old_s.get(), &od).ok() || failed;
      auto t2 = Clock::now();
      new_time += t1 - t0;
      old_time += t2 - t1;
    }
    if (failed) {
      std::fprintf(err, "triage diff: %s:%llu: a pattern scan failed\n", source.file().c_str(),
                   static_cast<unsigned long long>(source.line()));
      return kExitError;
    }
    if (auto truth = ParseLabel(msg.label)) {
      old_cm.Add(*truth, od.verdict.label);
      new_cm.Add(*truth, nd.verdict.label);
    }
    bool label_moved = od.verdict.label != nd.verdict.label, queue_moved = od.routing.queue != nd.routing.queue;
    if (!label_moved && !queue_moved) continue;
    ++changed;
    auto record = [&](std::map<std::pair<std::string, std::string>, Change>& m, std::string from, std::string to) {
      Change& c = m[{std::move(from), std::move(to)}];
      ++c.count;
      if (c.examples.size() < max_examples) {
        auto truth = ParseLabel(msg.label);
        c.examples.push_back({std::string(msg.id), Snippet(msg.text, 120), FiredRules(*old_p, od.verdict),
                              FiredRules(*new_p, nd.verdict), truth ? std::string(LabelName(*truth)) : "",
                              od.verdict.scores[static_cast<int>(od.verdict.label)],
                              nd.verdict.scores[static_cast<int>(nd.verdict.label)]});
      }
    };
    if (label_moved)
      record(label_changes, std::string(LabelName(od.verdict.label)), std::string(LabelName(nd.verdict.label)));
    if (queue_moved) record(queue_changes, std::string(od.routing.queue), std::string(nd.routing.queue));
  }
  if (source.io_errors()) return kExitError;
  auto rate = [&](Clock::duration d) {
    double s = std::chrono::duration<double>(d).count();
    return s > 0 ? static_cast<double>(std::max<int64_t>(messages - kWarmup, 0)) / s : 0.0;
  };
  double old_rate = rate(old_time), new_rate = rate(new_time);
  double delta_pct = old_rate > 0 ? (new_rate / old_rate - 1) * 100 : 0;
  const bool labeled = old_cm.Total() > 0;

  if (opts.json) {
    std::string o = "{\"messages\":";
    AppendJsonInt(messages, &o);
    o += ",\"changed\":";
    AppendJsonInt(changed, &o);
    AppendChanges("label_changes", label_changes, &o);
    AppendChanges("queue_changes", queue_changes, &o);
    if (labeled) {
      o += ",\"eval\":{\"labeled\":";
      AppendJsonInt(old_cm.Total(), &o);
      o += ",\"old_macro_f1\":";
      AppendJsonNumber(old_cm.MacroF1(), &o);
      o += ",\"new_macro_f1\":";
      AppendJsonNumber(new_cm.MacroF1(), &o);
      o += ",\"per_label_f1_delta\":{";
      bool first = true;
      for (Label l : kAllLabels) {
        if (!first) o += ",";
        first = false;
        AppendJsonString(LabelName(l), &o);
        o += ":";
        AppendJsonNumber(new_cm.Metrics(l).f1 - old_cm.Metrics(l).f1, &o);
      }
      o += "}}";
    }
    o += ",\"throughput\":{\"old_msgs_per_s\":";
    AppendJsonNumber(std::round(old_rate), &o);
    o += ",\"new_msgs_per_s\":";
    AppendJsonNumber(std::round(new_rate), &o);
    o += ",\"delta_percent\":";
    AppendJsonNumber(std::round(delta_pct * 10) / 10, &o);
    o += "}}\n";
    std::fwrite(o.data(), 1, o.size(), opts.common.out);
  } else {
    FILE* out = opts.common.out;
    std::fprintf(out, "%lld messages, %lld change label or queue (%.2f %%)\n", static_cast<long long>(messages),
                 static_cast<long long>(changed), messages ? 100.0 * static_cast<double>(changed) / static_cast<double>(messages) : 0.0);
    auto print = [&](const char* title, const std::map<std::pair<std::string, std::string>, Change>& m) {
      if (m.empty()) return;
      std::fprintf(out, "\n%s\n", title);
      for (const auto& [pair, c] : m) {
        std::fprintf(out, "  %-10s -> %-10s %8lld\n", pair.first.c_str(), pair.second.c_str(),
                     static_cast<long long>(c.count));
        for (const auto& e : c.examples)
          std::fprintf(out, "      %s%s%s  [%s] %.4g -> [%s] %.4g  %s\n", e.id.c_str(),
                       e.truth.empty() ? "" : "  truth ", e.truth.c_str(), e.old_rules.c_str(), e.old_score,
                       e.new_rules.c_str(), e.new_score, e.text.c_str());
      }
    };
    print("label changes (old -> new, messages; examples: id, true label, fired rules and winning score before -> after):", label_changes);
    print("queue changes:", queue_changes);
    if (labeled) {
      std::fprintf(out, "\neval on %lld labeled messages: macro-F1 %.3f -> %.3f (%+.3f)\n",
                   static_cast<long long>(old_cm.Total()), old_cm.MacroF1(), new_cm.MacroF1(),
                   new_cm.MacroF1() - old_cm.MacroF1());
      for (Label l : kAllLabels)
        std::fprintf(out, "  %-9s F1 %.3f -> %.3f\n", std::string(LabelName(l)).c_str(), old_cm.Metrics(l).f1,
                     new_cm.Metrics(l).f1);
    }
    std::fprintf(out, "\nthroughput (classify + route, same messages): old %.0f msgs/s, new %.0f msgs/s (%+.1f %%)\n",
                 old_rate, new_rate, delta_pct);
  }
  return source.malformed() ? kExitSkipped : kExitOk;
}

}  // namespace triage
