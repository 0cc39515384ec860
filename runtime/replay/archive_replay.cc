#include "runtime/replay/archive_replay.h"

#include <chrono>
#include <unordered_set>

#include "engine/detector/crisis_detector.h"
#include "engine/processor.h"
#include "engine/store/queue_store.h"
#include "engine/thread_tracker.h"
#include "runtime/replay/batch_decider.h"

namespace triage {

namespace {

// --data: messages and decisions go into a QueueStore as the daemon would
// store them, and event lines become their events, so `triage maturity` can
// report on a replayed history. Events apply only to messages this run
// stored: a second replay into the same directory adds nothing twice.
class ReplayStore {
 public:
  ReplayStore(QueueStore* store, const std::string& dir, FILE* err, ArchiveReplaySummary* s)
      : store_(store), dir_(dir), err_(err), s_(s) {}

  void Add(IngestItem item) {
    if (!store_) return;
    batch_.push_back(std::move(item));
    if (batch_.size() >= 1000) Flush();
  }

  void Flush() {
    if (!store_ || batch_.empty() || s_->store_failed) return;
    std::vector<std::string> ids;
    for (const auto& it : batch_) ids.push_back(it.id);
    std::vector<IngestOutcome> outcomes;
    Status s = store_->IngestSync(std::move(batch_), &outcomes);
    batch_.clear();
    if (!s.ok()) {
      std::fprintf(err_, "triage: %s: %s\n", dir_.c_str(), s.message().c_str());
      s_->store_failed = true;
      return;
    }
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i] == IngestOutcome::kStored) {
        ++s_->stored;
        stored_ids_.insert(ids[i]);
      } else {
        ++s_->duplicates;
      }
    }
  }

  void ApplyEvent(const ArchiveEvent& ev, const std::string& file, uint64_t line) {
    if (!store_) return;  // counted, nothing to apply it to
    Flush();
    if (!stored_ids_.count(ev.message)) {
      ++s_->events_skipped;
      return;
    }
    Status s = store_->AddEventSync(ev.message, ev.event);
    if (s.ok()) ++s_->events_stored;
    else std::fprintf(err_, "%s:%llu: event not stored: %s\n", file.c_str(), static_cast<unsigned long long>(line),
                      s.message().c_str());
  }

 private:
  QueueStore* store_;
  const std::string& dir_;
  FILE* err_;
  ArchiveReplaySummary* s_;
  std::vector<IngestItem> batch_;
  std::unordered_set<std::string> stored_ids_;
};

}  // namespace

Status RunArchiveReplay(const ArchiveReplayOptions& options, std::shared_ptr<const Pipeline> pipeline, FILE* out_file,
                        FILE* err, ArchiveReplaySummary* summary) {
  ArchiveReplaySummary& s = *summary;
  s = ArchiveReplaySummary();
  std::unique_ptr<QueueStore> queue_store;
  if (!options.data.empty()) {
    QueueStoreOptions so;
    so.sync_writes = false;  // one replay is one unit: the store is closed cleanly at the end
    if (Status st = QueueStore::Open(options.data, so, &queue_store); !st.ok()) return st;
  }
  ReplayStore store(queue_store.get(), options.data, err, &s);

  CrisisDetector detector(pipeline->pack().detector());
  SentimentLexicon lexicon;
  if (options.detector && !options.lexicon.empty()) {
    if (Status ls = SentimentLexicon::Load(options.lexicon, &lexicon); ls.ok()) detector.set_lexicon(&lexicon);
    else std::fprintf(err, "triage: reach-and-tone escalation off: %s\n", ls.message().c_str());
  }
  int64_t last_event_ms = 0;

  // The threads decide batches without thread context; here, in input
  // order, the Processor completes each message: context (a message whose
  // conversation has an earlier one is decided again with it), detection and
  // the decision line. The same bytes for any thread count.
  ThreadTracker threads;
  CrisisDetectStage detect(&detector);
  Processor::Stages stages;
  if (pipeline->classifier().model()) stages.threads = &threads;  // context is the model's input
  if (options.detector) stages.detector = &detect;
  std::unique_ptr<Processor> ordered;
  if (Status st = Processor::Create(pipeline, stages, &ordered); !st.ok()) return st;

  BatchReader reader(options.archives, options.batch_bytes);
  BatchDecider decider(pipeline, options.format, options.threads);
  std::string out, line;
  out.reserve(1 << 20);
  auto t0 = std::chrono::steady_clock::now();
  // The ordered stage: batches arrive decided, in input order; what depends
  // on the order of messages happens here.
  auto consume = [&](DecidedBatch& b) {
    s.malformed += b.malformed;
    s.undecided += b.undecided;
    s.io_errors += b.input.io_errors;
    s.event_lines += b.events.size();
    for (const auto& [k, n] : b.ignored) s.ignored[k] += n;
    for (const auto& [k, n] : b.platform_events) s.platform_events[k] += n;
    size_t next_event = 0;
    for (size_t i = 0;; ++i) {
      for (; next_event < b.events.size() && b.events[next_event].before == i; ++next_event) {
        b.PrintUpTo(b.events[next_event].diagnostics_before, err);
        store.ApplyEvent(b.events[next_event].event, b.input.file, b.events[next_event].line);
      }
      if (i == b.num_messages) break;
      b.PrintUpTo(b.messages[i].diagnostics_before, err);
      Message& msg = b.messages[i].msg;
      Decision& decision = b.messages[i].decision;
      line.clear();
      if (Status st = ordered->Resume(&msg, b.messages[i].normalized, &decision, &line); !st.ok()) {
        std::fprintf(err, "%s: %s\n", b.input.file.c_str(), st.message().c_str());
        ++s.undecided;
        continue;
      }
      ++s.messages;
      if (options.detector) last_event_ms = std::max(last_event_ms, msg.created_at_ms);
      out += line;
      if (queue_store) {
        IngestItem item;
        item.id = std::string(msg.id);
        item.raw = std::string(b.messages[i].line);
        item.decision = line.substr(0, line.size() - 1);  // without the newline
        item.queue = std::string(decision.routing.queue);
        item.priority = decision.routing.priority;
        item.conversation_id = std::string(msg.conversation_id);
        item.channel = std::string(msg.channel);
        item.author_id = std::string(msg.author.id);
        store.Add(std::move(item));
      }
      ++s.per_label[static_cast<int>(decision.verdict.label)];
      auto it = s.per_queue.find(decision.routing.queue);
      if (it == s.per_queue.end()) it = s.per_queue.emplace(std::string(decision.routing.queue), 0).first;
      ++it->second;
      if (out.size() >= (1 << 20)) {
        std::fwrite(out.data(), 1, out.size(), out_file);
        out.clear();
      }
    }
    b.PrintUpTo(b.diagnostics.size(), err);
  };
  if (Status st = decider.Run(&reader, consume); !st.ok()) return st;
  std::fwrite(out.data(), 1, out.size(), out_file);
  std::fflush(out_file);
  store.Flush();
  queue_store.reset();  // writes out and closes the database
  // Alerts, closed as of the last event time, in the order they opened.
  detector.CloseQuiet(last_event_ms);
  for (size_t i = 0; i < detector.num_alerts(); ++i) {
    s.alert_lines.push_back(detector.AlertJson(static_cast<int>(i)));
    s.alerts.emplace_back(detector.alert(static_cast<int>(i)).topic, detector.alert_messages(static_cast<int>(i)));
  }
  s.bytes_read = reader.bytes_read();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::OK();
}

}  // namespace triage
