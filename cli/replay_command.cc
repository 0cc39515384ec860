// triage replay: archive lines in, one decision line out per message, in
// input order, then a summary on stderr. Parsing, classification and routing
// run on --threads threads (BatchDecider); the detector, the output and the
// store see the messages in input order, so the bytes written do not depend
// on the number of threads.
#include <chrono>
#include <map>

#include "cli/commands.h"
#include "engine/thread_tracker.h"
#include "cli/load_pipeline.h"
#include "runtime/replay/batch_decider.h"
#include "engine/detector/crisis_detector.h"
#include "engine/processor.h"
#include "engine/store/queue_store.h"

#include <unordered_set>

namespace triage {

int RunReplay(const ReplayOptions& opts) {
  FILE* err = opts.common.err;
  std::shared_ptr<const Pipeline> pipeline = LoadPipeline(opts.common);
  if (!pipeline) return kExitError;
  auto format = ArchiveFormat::Parse(opts.format);
  if (!format) {
    std::fprintf(err, "triage replay: --format must be archive, auto, meta, x, slack, telegram, mastodon or reddit\n");
    return kExitUsage;
  }
  BatchReader reader(opts.archives, opts.batch_bytes);
  BatchDecider decider(pipeline, *format, opts.threads);
  std::string out;
  out.reserve(1 << 20);
  std::array<uint64_t, kNumLabels> per_label{};
  std::map<std::string, uint64_t, std::less<>> per_queue;
  CrisisDetector detector(pipeline->pack().detector());
  SentimentLexicon lexicon;
  if (!opts.no_detector) {
    const std::string rules = opts.common.rules.empty() ? Pipeline::DefaultRulesPath() : opts.common.rules;
    if (Status ls = SentimentLexicon::Load(SentimentLexicon::PathFor(rules), &lexicon); ls.ok())
      detector.set_lexicon(&lexicon);
    else
      std::fprintf(err, "triage: reach-and-tone escalation off: %s\n", ls.message().c_str());
  }
  int64_t last_event_ms = 0;

  // --data: messages and decisions go into a QueueStore as the daemon would
  // store them, and event lines become their events, so `triage maturity`
  // can report on a replayed history. Events apply only to messages this run
  // stored: a second replay into the same directory adds nothing twice.
  std::unique_ptr<QueueStore> store;
  std::vector<IngestItem> batch;
  std::unordered_set<std::string> stored_ids;
  uint64_t stored = 0, duplicates = 0, events_stored = 0, events_skipped = 0;
  bool store_failed = false;
  if (!opts.data.empty()) {
    QueueStoreOptions so;
    so.sync_writes = false;  // one replay is one unit: the store is closed cleanly at the end
    if (Status s = QueueStore::Open(opts.data, so, &store); !s.ok()) {
      std::fprintf(err, "triage: %s\n", s.message().c_str());
      return kExitError;
    }
  }
  auto flush = [&] {
    if (!store || batch.empty() || store_failed) return;
    std::vector<std::string> ids;
    for (const auto& it : batch) ids.push_back(it.id);
    std::vector<IngestOutcome> outcomes;
    Status s = store->IngestSync(std::move(batch), &outcomes);
    batch.clear();
    if (!s.ok()) {
      std::fprintf(err, "triage: %s: %s\n", opts.data.c_str(), s.message().c_str());
      store_failed = true;
      return;
    }
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i] == IngestOutcome::kStored) {
        ++stored;
        stored_ids.insert(ids[i]);
      } else {
        ++duplicates;
      }
    }
  };
  auto apply_event = [&](const ArchiveEvent& ev, const std::string& file, uint64_t line) {
    if (!store) return;  // counted, nothing to apply it to
    flush();
    if (!stored_ids.count(ev.message)) {
      ++events_skipped;
      return;
    }
    Status s = store->AddEventSync(ev.message, ev.event);
    if (s.ok()) ++events_stored;
    else std::fprintf(err, "%s:%llu: event not stored: %s\n", file.c_str(), static_cast<unsigned long long>(line),
                      s.message().c_str());
  };
  std::string line;
  auto t0 = std::chrono::steady_clock::now();

  uint64_t messages = 0, malformed = 0, event_lines = 0, undecided = 0;
  // The threads decide batches without thread context; here, in input
  // order, the Processor completes each message: context (a message whose
  // conversation has an earlier one is decided again with it), detection and
  // the decision line. The same bytes for any thread count.
  ThreadTracker threads;
  CrisisDetectStage detect(&detector);
  Processor::Stages stages;
  if (pipeline->classifier().model()) stages.threads = &threads;  // context is the model's input
  if (!opts.no_detector) stages.detector = &detect;
  std::unique_ptr<Processor> ordered;
  if (Status s = Processor::Create(pipeline, stages, &ordered); !s.ok()) {
    std::fprintf(err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  int io_errors = 0;
  std::map<std::string, int> ignored, platform_events;
  // The ordered stage: batches arrive decided, in input order; what depends
  // on the order of messages happens here.
  auto consume = [&](DecidedBatch& b) {
    malformed += b.malformed;
    undecided += b.undecided;
    io_errors += b.input.io_errors;
    event_lines += b.events.size();
    for (const auto& [k, n] : b.ignored) ignored[k] += n;
    for (const auto& [k, n] : b.platform_events) platform_events[k] += n;
    size_t next_event = 0;
    for (size_t i = 0;; ++i) {
      for (; next_event < b.events.size() && b.events[next_event].before == i; ++next_event) {
        b.PrintUpTo(b.events[next_event].diagnostics_before, err);
        apply_event(b.events[next_event].event, b.input.file, b.events[next_event].line);
      }
      if (i == b.num_messages) break;
      b.PrintUpTo(b.messages[i].diagnostics_before, err);
      Message& msg = b.messages[i].msg;
      Decision& decision = b.messages[i].decision;
      line.clear();
      if (Status s = ordered->Resume(&msg, b.messages[i].normalized, &decision, &line); !s.ok()) {
        std::fprintf(err, "%s: %s\n", b.input.file.c_str(), s.message().c_str());
        ++undecided;
        continue;
      }
      ++messages;
      if (!opts.no_detector) last_event_ms = std::max(last_event_ms, msg.created_at_ms);
      out += line;
      if (store) {
        IngestItem item;
        item.id = std::string(msg.id);
        item.raw = std::string(b.messages[i].line);
        item.decision = line.substr(0, line.size() - 1);  // without the newline
        item.queue = std::string(decision.routing.queue);
        item.priority = decision.routing.priority;
        item.conversation_id = std::string(msg.conversation_id);
        batch.push_back(std::move(item));
        if (batch.size() >= 1000) flush();
      }
      ++per_label[static_cast<int>(decision.verdict.label)];
      auto it = per_queue.find(decision.routing.queue);
      if (it == per_queue.end()) it = per_queue.emplace(std::string(decision.routing.queue), 0).first;
      ++it->second;
      if (out.size() >= (1 << 20)) {
        std::fwrite(out.data(), 1, out.size(), opts.common.out);
        out.clear();
      }
    }
    b.PrintUpTo(b.diagnostics.size(), err);
  };
  if (Status s = decider.Run(&reader, consume); !s.ok()) {
    std::fprintf(err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  std::fwrite(out.data(), 1, out.size(), opts.common.out);
  std::fflush(opts.common.out);
  flush();
  store.reset();  // writes out and closes the database
  // Alerts, closed as of the last event time, in the order they opened.
  detector.CloseQuiet(last_event_ms);
  if (!opts.alerts.empty()) {
    FILE* af = std::fopen(opts.alerts.c_str(), "w");
    if (!af) {
      std::fprintf(err, "triage: %s: cannot write alerts\n", opts.alerts.c_str());
      return kExitError;
    }
    for (size_t i = 0; i < detector.num_alerts(); ++i)
      std::fprintf(af, "%s\n", detector.AlertJson(static_cast<int>(i)).c_str());
    std::fclose(af);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // An archive that could not be read makes the run an error (exit 1); a
  // summary after it would count a partial input as if it were the whole, so
  // the error is the last thing printed.
  if (!opts.quiet && !io_errors) {
    std::fprintf(err, "replay: %llu messages, %llu malformed lines skipped, %.3f s, %.0f msgs/s, %.1f MB/s\n",
                 static_cast<unsigned long long>(messages), static_cast<unsigned long long>(malformed), secs,
                 secs > 0 ? static_cast<double>(messages) / secs : 0.0,
                 secs > 0 ? static_cast<double>(reader.bytes_read()) / secs / 1e6 : 0.0);
    std::fprintf(err, "  labels:");
    for (Label l : kAllLabels)
      std::fprintf(err, " %s %llu", std::string(LabelName(l)).c_str(),
                   static_cast<unsigned long long>(per_label[static_cast<int>(l)]));
    std::fprintf(err, "\n  queues:");
    for (const auto& [q, n] : per_queue) std::fprintf(err, " %s %llu", q.c_str(), static_cast<unsigned long long>(n));
    std::fprintf(err, "\n");
    if (detector.num_alerts()) {
      std::fprintf(err, "  crisis alerts:");
      for (size_t i = 0; i < detector.num_alerts(); ++i) {
        const BurstAlert& a = detector.alert(static_cast<int>(i));
        std::fprintf(err, " %s (%lld messages)", a.topic.c_str(),
                     static_cast<long long>(detector.alert_messages(static_cast<int>(i))));
      }
      std::fprintf(err, "\n");
    }
    if (!opts.data.empty())
      std::fprintf(err, "  stored in %s: %llu messages (%llu already there), %llu events (%llu for messages not stored by this run skipped)\n",
                   opts.data.c_str(), static_cast<unsigned long long>(stored),
                   static_cast<unsigned long long>(duplicates), static_cast<unsigned long long>(events_stored),
                   static_cast<unsigned long long>(events_skipped));
    else if (event_lines)
      std::fprintf(err, "  event lines: %llu (stored only with --data)\n", static_cast<unsigned long long>(event_lines));
    if (!platform_events.empty()) {
      std::fprintf(err, "  platform events (not new messages):");
      for (const auto& [k, n] : platform_events) std::fprintf(err, " %s %d", k.c_str(), n);
      std::fprintf(err, "\n");
    }
    if (!ignored.empty()) {
      std::fprintf(err, "  ignored payload items:");
      for (const auto& [k, n] : ignored) std::fprintf(err, " %s %d", k.c_str(), n);
      std::fprintf(err, "\n");
    }
  }
  if (undecided)
    std::fprintf(err, "triage: %llu messages could not be classified (see above)\n",
                 static_cast<unsigned long long>(undecided));
  if (io_errors || store_failed || undecided) return kExitError;
  return malformed ? kExitSkipped : kExitOk;
}

}  // namespace triage
