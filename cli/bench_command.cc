// triage bench: what a rule pack costs. Compile time and database size; the
// throughput of parse, classify and route separately and end to end (with
// and without the crisis detector), each the best of --repeat passes over an
// archive held in memory; hit counts per rule; and the time attributable to
// each rule file and to the rules with the most patterns, measured by
// removing them and classifying again (not estimated from pattern counts).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "cli/load_pipeline.h"
#include "format/archive_format.h"
#include "engine/detector/crisis_detector.h"
#include "engine/processor.h"
#include "engine/thread_tracker.h"
#include "base/json_writer.h"

namespace triage {

namespace {

using Clock = std::chrono::steady_clock;

// A parsed message that owns its strings (the parser's views do not outlive
// the next parse).
struct OwnedMessage {
  std::string id, channel, conversation_id, brand, text, lang;
  Kind kind = Kind::kUnknown;
  Author author;
  int64_t created_at_ms = 0;
  Message View() const {
    Message m;
    m.id = id;
    m.channel = channel;
    m.conversation_id = conversation_id;
    m.brand = brand;
    m.text = text;
    m.lang = lang;
    m.kind = kind;
    m.author = author;
    m.created_at_ms = created_at_ms;
    return m;
  }
};

class Progress {
 public:
  Progress(FILE* err, int64_t total) : err_(err), total_(total), tty_(isatty(fileno(err)) != 0) {}
  void Step(const std::string& what, int64_t done) {
    if (!tty_ || total_ <= 0) return;
    int pct = static_cast<int>(100 * done / total_);
    if (pct == last_ && what == what_) return;
    last_ = pct;
    what_ = what;
    std::string bar(static_cast<size_t>(pct / 4), '#');
    bar.resize(25, ' ');
    std::fprintf(err_, "\r  %-28s [%s] %3d%%", what.c_str(), bar.c_str(), pct);
    std::fflush(err_);
  }
  void Done() {
    if (tty_) std::fprintf(err_, "\r%80s\r", "");
  }

 private:
  FILE* err_;
  int64_t total_;
  bool tty_;
  int last_ = -1;
  std::string what_;
};

struct Stage {
  std::string name;
  double best_seconds = 0;
};

}  // namespace

int RunBench(const BenchOptions& opts) {
  FILE* err = opts.common.err;
  const int repeat = std::max(1, opts.repeat);
  // Compile once without the cache, so the figure is a real compile.
  CommonOptions uncached = opts.common;
  uncached.no_cache = true;
  auto c0 = Clock::now();
  std::unique_ptr<Pipeline> pipeline = LoadPipeline(uncached);
  if (!pipeline) return kExitError;
  double load_seconds = std::chrono::duration<double>(Clock::now() - c0).count();
  const PatternDatabaseInfo& info = pipeline->classifier().database().info();
  std::unique_ptr<ClassifierScratch> scratch;
  if (!pipeline->NewScratch(&scratch).ok()) return kExitError;

  // The archive, in memory, one line per entry.
  std::ifstream in(opts.archive, std::ios::binary);
  if (!in) {
    std::fprintf(err, "triage bench: %s: cannot read\n", opts.archive.c_str());
    return kExitError;
  }
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    bytes += line.size() + 1;
    lines.push_back(std::move(line));
  }
  ArchiveParser parser;
  std::vector<OwnedMessage> messages;
  messages.reserve(lines.size());
  size_t malformed = 0;
  Message m;
  for (const std::string& line : lines) {
    if (!parser.ParseCopy(line, &m).ok()) {
      ++malformed;
      continue;
    }
    messages.push_back(OwnedMessage{std::string(m.id), std::string(m.channel), std::string(m.conversation_id),
                                    std::string(m.brand), std::string(m.text), std::string(m.lang), m.kind, m.author,
                                    m.created_at_ms});
    messages.back().author.id = {};
    messages.back().author.handle = {};
  }
  if (messages.empty()) {
    std::fprintf(err, "triage bench: %s holds no well-formed messages\n", opts.archive.c_str());
    return kExitError;
  }
  std::vector<Message> views;
  for (const auto& om : messages) views.push_back(om.View());
  std::vector<simdjson::padded_string> padded;
  for (const auto& line : lines) padded.emplace_back(line);
  const int64_t n = static_cast<int64_t>(views.size());
  Progress progress(err, n * repeat);

  auto best_of = [&](const std::string& what, auto&& body) {
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = Clock::now();
      for (int64_t i = 0; i < n; ++i) {
        body(i);
        if ((i & 4095) == 0) progress.Step(what, r * n + i);
      }
      best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return best;
  };

  std::vector<Stage> stages;
  // Parse only: the simdjson floor of this archive.
  stages.push_back({"parse", best_of("parse", [&](int64_t i) {
                      const auto& p = padded[static_cast<size_t>(i) % padded.size()];
                      // (Timing only: the archive was read once already, bad lines reported then.)
                      (void)parser.Parse(std::string_view(p.data(), p.size()), p.size() + simdjson::SIMDJSON_PADDING, &m);
                    })});
  std::vector<Verdict> verdicts(static_cast<size_t>(n));
  std::vector<uint64_t> hits(pipeline->pack().rules().size(), 0);
  stages.push_back({"classify", best_of("classify", [&](int64_t i) {
                      // (Timing only: a scan error would show as missing rule hits below.)
                      (void)pipeline->classifier().Classify(views[static_cast<size_t>(i)], scratch.get(),
                                                            &verdicts[static_cast<size_t>(i)]);
                    })});
  for (const Verdict& v : verdicts)
    for (uint32_t r : v.fired) ++hits[r];
  stages.push_back({"route", best_of("route", [&](int64_t i) {
                      Routing r = pipeline->routes().Route(views[static_cast<size_t>(i)], verdicts[static_cast<size_t>(i)]);
                      (void)r;
                    })});
  // End to end: what replay does per message, through the same Processor
  // (thread context when the pack has a model, as in replay).
  std::string out;
  Decision d;
  auto end_to_end = [&](DetectStage* detect, ThreadTracker* threads, std::unique_ptr<Processor>* proc) {
    Processor::Stages st;
    st.detector = detect;
    if (pipeline->classifier().model()) st.threads = threads;
    // Not owning: `pipeline` outlives every stage.
    std::shared_ptr<const Pipeline> shared(std::shared_ptr<const Pipeline>(), pipeline.get());
    if (!Processor::Create(shared, st, proc).ok()) std::abort();  // the scratch above was allocated the same way
    return [&, processor = proc->get()](int64_t i) {
      const auto& p = padded[static_cast<size_t>(i)];
      if (!parser.Parse(std::string_view(p.data(), p.size()), p.size() + simdjson::SIMDJSON_PADDING, &m).ok()) return;
      if (!processor->Process(&m, &d, &out).ok()) return;
      if (out.size() > (1 << 20)) out.clear();
    };
  };
  {
    // Parse + context + classify + route + write a decision line (replay without I/O).
    ThreadTracker threads;
    std::unique_ptr<Processor> processor;
    stages.push_back({"end to end", best_of("end to end", end_to_end(nullptr, &threads, &processor))});
  }
  {
    // A fresh detector per pass would be fairer, but best-of keeps the
    // warm one; the detector's state stays bounded either way.
    CrisisDetector detector(pipeline->pack().detector());
    CrisisDetectStage detect(&detector);
    ThreadTracker threads;
    std::unique_ptr<Processor> processor;
    stages.push_back({"end to end + detector", best_of("end to end + detector", end_to_end(&detect, &threads, &processor))});
  }

  // What rules cost: classify again without each rule file, and without
  // each of the rules with the most patterns; the difference is theirs.
  struct Cost {
    std::string what;
    size_t rules = 0, patterns = 0;
    double seconds_saved = 0;
    double share = 0;  // of the full pack's classify time
  };
  std::vector<Cost> costs;
  const auto& rules = pipeline->pack().rules();
  auto patterns_of = [](const Rule& r) { return r.any.size() + r.all.size() + r.unless.size(); };
  auto ablate = [&](const std::string& what, const std::vector<bool>& drop) -> bool {
    std::unique_ptr<Pipeline> p;
    PatternDatabaseOptions db;
    if (!opts.common.no_cache) db.cache_dir = opts.common.cache_dir.empty() ? PatternDatabase::DefaultCacheDir() : opts.common.cache_dir;
    Status s = Pipeline::FromPack(pipeline->pack().WithoutRules(drop), db, &p);
    if (!s.ok()) return false;
    std::unique_ptr<ClassifierScratch> sc;
    if (!p->NewScratch(&sc).ok()) return false;
    // The full pack and the reduced one take turns, pass by pass, so both
    // see the same machine; the best pass of each is compared.
    Verdict v;
    double with = 1e300, without = 1e300;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = Clock::now();
      for (int64_t i = 0; i < n; ++i) (void)pipeline->classifier().Classify(views[static_cast<size_t>(i)], scratch.get(), &v);
      auto t1 = Clock::now();
      for (int64_t i = 0; i < n; ++i) {
        (void)p->classifier().Classify(views[static_cast<size_t>(i)], sc.get(), &v);  // timing only
        if ((i & 4095) == 0) progress.Step("without " + what, r * n + i);
      }
      auto t2 = Clock::now();
      with = std::min(with, std::chrono::duration<double>(t1 - t0).count());
      without = std::min(without, std::chrono::duration<double>(t2 - t1).count());
    }
    Cost c{what, 0, 0, with - without};
    c.share = (with - without) / with;
    for (size_t i = 0; i < rules.size(); ++i)
      if (drop[i]) {
        ++c.rules;
        c.patterns += patterns_of(rules[i]);
      }
    costs.push_back(c);
    return true;
  };
  std::map<std::string, std::vector<bool>> by_file;
  for (size_t i = 0; i < rules.size(); ++i) {
    auto& v = by_file[rules[i].where.file];
    v.resize(rules.size(), false);
    v[i] = true;
  }
  if (by_file.size() > 1)
    for (const auto& [file, drop] : by_file) ablate(file.substr(file.find_last_of('/') + 1), drop);
  std::vector<size_t> order(rules.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return patterns_of(rules[a]) > patterns_of(rules[b]); });
  for (size_t k = 0; k < order.size() && k < static_cast<size_t>(std::max(opts.top_rules, 0)); ++k) {
    std::vector<bool> drop(rules.size(), false);
    drop[order[k]] = true;
    ablate("rule " + rules[order[k]].id, drop);
  }
  progress.Done();

  const double mb = static_cast<double>(bytes) / 1e6;
  auto rate = [&](double s) { return s > 0 ? static_cast<double>(n) / s : 0; };
  if (opts.json) {
    std::string o = "{\"archive\":";
    AppendJsonString(opts.archive, &o);
    o += ",\"messages\":";
    AppendJsonInt(n, &o);
    o += ",\"malformed\":";
    AppendJsonInt(static_cast<int64_t>(malformed), &o);
    o += ",\"bytes\":";
    AppendJsonInt(static_cast<int64_t>(bytes), &o);
    o += ",\"repeat\":";
    AppendJsonInt(repeat, &o);
    o += ",\"pack\":{\"rules\":";
    AppendJsonInt(static_cast<int64_t>(rules.size()), &o);
    o += ",\"compile_seconds\":";
    AppendJsonNumber(info.compile_seconds, &o);
    o += ",\"load_seconds\":";
    AppendJsonNumber(load_seconds, &o);
    o += ",\"database_bytes\":";
    AppendJsonInt(static_cast<int64_t>(info.database_bytes), &o);
    o += "},\"stages\":[";
    for (size_t i = 0; i < stages.size(); ++i) {
      if (i) o += ",";
      o += "{\"stage\":";
      AppendJsonString(stages[i].name, &o);
      o += ",\"seconds\":";
      AppendJsonNumber(stages[i].best_seconds, &o);
      o += ",\"msgs_per_s\":";
      AppendJsonNumber(std::round(rate(stages[i].best_seconds)), &o);
      o += ",\"mb_per_s\":";
      AppendJsonNumber(std::round(mb / stages[i].best_seconds * 10) / 10, &o);
      o += "}";
    }
    o += "],\"rule_hits\":{";
    for (size_t i = 0; i < rules.size(); ++i) {
      if (i) o += ",";
      AppendJsonString(rules[i].id, &o);
      o += ":";
      AppendJsonInt(static_cast<int64_t>(hits[i]), &o);
    }
    o += "},\"costs\":[";
    for (size_t i = 0; i < costs.size(); ++i) {
      if (i) o += ",";
      o += "{\"without\":";
      AppendJsonString(costs[i].what, &o);
      o += ",\"rules\":";
      AppendJsonInt(static_cast<int64_t>(costs[i].rules), &o);
      o += ",\"patterns\":";
      AppendJsonInt(static_cast<int64_t>(costs[i].patterns), &o);
      o += ",\"classify_seconds_saved\":";
      AppendJsonNumber(costs[i].seconds_saved, &o);
      o += ",\"share_of_classify\":";
      AppendJsonNumber(std::round(costs[i].share * 1000) / 1000, &o);
      o += "}";
    }
    o += "]}\n";
    std::fwrite(o.data(), 1, o.size(), opts.common.out);
    return kExitOk;
  }
  FILE* o = opts.common.out;
  std::fprintf(o, "archive %s: %lld messages, %.1f MB (%zu malformed lines left out); best of %d passes\n",
               opts.archive.c_str(), static_cast<long long>(n), mb, malformed, repeat);
  std::fprintf(o, "pack: %zu rules, compiled in %.3f s (load %.3f s), database %zu bytes\n\n", rules.size(),
               info.compile_seconds, load_seconds, info.database_bytes);
  std::fprintf(o, "  %-24s %12s %10s %12s\n", "stage", "msgs/s", "MB/s", "us/msg");
  for (const Stage& s : stages)
    std::fprintf(o, "  %-24s %12.0f %10.1f %12.3f\n", s.name.c_str(), rate(s.best_seconds), mb / s.best_seconds,
                 s.best_seconds / static_cast<double>(n) * 1e6);
  std::fprintf(o, "\n  end to end is %.0f %% of the parse floor\n", stages[0].best_seconds / stages[3].best_seconds * 100);
  std::fprintf(o, "\nrule hits (messages per rule, most first):\n");
  std::vector<size_t> by_hits(rules.size());
  for (size_t i = 0; i < by_hits.size(); ++i) by_hits[i] = i;
  std::stable_sort(by_hits.begin(), by_hits.end(), [&](size_t a, size_t b) { return hits[a] > hits[b]; });
  for (size_t i : by_hits)
    std::fprintf(o, "  %-32s %10llu  %5.1f %%\n", rules[i].id.c_str(), static_cast<unsigned long long>(hits[i]),
                 100.0 * static_cast<double>(hits[i]) / static_cast<double>(n));
  std::fprintf(o, "\nmeasured cost (classify time saved without it; noise is a few %%):\n");
  std::stable_sort(costs.begin(), costs.end(), [](const Cost& a, const Cost& b) { return a.seconds_saved > b.seconds_saved; });
  for (const Cost& c : costs)
    std::fprintf(o, "  without %-30s %3zu rules %5zu patterns  %+7.1f %% of classify\n", c.what.c_str(), c.rules,
                 c.patterns, c.share * 100);
  return kExitOk;
}

}  // namespace triage
