#include "runtime/server/api.h"

#include <simdjson.h>

#include <future>

#include "base/json_writer.h"
#include "format/archive_format.h"
#include "runtime/server/request.h"

namespace triage {

namespace {

// Per-thread classification state, rebuilt when the pipeline is reloaded.
struct ThreadState {
  std::shared_ptr<const Pipeline> pipeline;
  std::unique_ptr<ClassifierScratch> scratch;
  std::unique_ptr<DecisionWriter> writer;
  ArchiveParser parser;
};

ThreadState& StateFor(const std::shared_ptr<const Pipeline>& p) {
  thread_local ThreadState ts;
  if (ts.pipeline != p) {
    ts.scratch.reset();
    ts.pipeline = p;
    if (!p->NewScratch(&ts.scratch).ok()) ts.scratch.reset();
    ts.writer = std::make_unique<DecisionWriter>(p->pack());
  }
  return ts;
}

}  // namespace

void Api::Ingest(std::string body, Respond respond) {
  uint64_t generation = 0;
  auto pipeline = pipelines_->Current(&generation);
  const int64_t wall_ms = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  ThreadState& ts = StateFor(pipeline);
  if (!ts.scratch) return respond(Error(500, "could not allocate classifier scratch"));

  std::vector<IngestItem> items;
  std::vector<std::string> decisions;
  std::vector<Label> labels;
  Message msg;
  Decision d;
  const bool with_context = pipeline->classifier().model() != nullptr;
  auto take = [&](std::string_view line) -> Status {
    if (with_context) msg.thread = ThreadOf(msg);
    if (Status s = pipeline->Decide(msg, ts.scratch.get(), &d); !s.ok()) return s;
    if (with_context) RememberThread(msg, d.verdict.label);
    if (detector_) detector_->Observe(generation, *pipeline, msg, ts.scratch->normalized(), &d, wall_ms);
    std::string decision;
    ts.writer->Append(msg, d, &decision);
    decision.pop_back();  // newline
    IngestItem item;
    item.id = std::string(msg.id);
    item.raw = std::string(line);
    item.decision = decision;
    item.queue = std::string(d.routing.queue);
    item.priority = d.routing.priority;
    item.conversation_id = std::string(msg.conversation_id);
    labels.push_back(d.verdict.label);
    decisions.push_back(std::move(decision));
    items.push_back(std::move(item));
    return Status::OK();
  };
  // A classifier failure (a Hyperscan scan error) stores nothing and says so.
  auto not_decided = [&](const Status& s) { return respond(Error(500, s.message() + "; nothing from this request was stored")); };

  // NDJSON lines; a body that is one pretty-printed object is one message.
  size_t pos = 0;
  int64_t line_no = 0;
  Status first_error;
  int64_t first_error_line = 0;
  while (pos <= body.size() && first_error.ok()) {
    size_t nl = body.find('\n', pos);
    std::string_view line(body.data() + pos, (nl == std::string::npos ? body.size() : nl) - pos);
    pos = nl == std::string::npos ? body.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (items.size() >= config_.max_batch_messages) {
      return respond(Error(413, "batch exceeds max_batch_messages (" + std::to_string(config_.max_batch_messages) + ")"));
    }
    Status s = ts.parser.ParseCopy(line, &msg);
    if (!s.ok()) {
      first_error = s;
      first_error_line = line_no;
      break;
    }
    if (HasControlChars(msg.id)) {
      first_error = Status::InvalidArgument("field 'id': control characters are not allowed");
      first_error_line = line_no;
      break;
    }
    if (Status s = take(line); !s.ok()) return not_decided(s);
  }
  if (!first_error.ok()) {
    // Maybe the whole body is one (multi-line) JSON object.
    items.clear();
    decisions.clear();
    labels.clear();
    bool multi_line = body.find('\n') != std::string::npos;
    if (multi_line && ts.parser.ParseCopy(body, &msg).ok() && !HasControlChars(msg.id)) {
      std::string compact;  // stored as one line, as in an archive
      simdjson::padded_string padded(body);
      simdjson::dom::parser dp;
      simdjson::dom::element el;
      if (!dp.parse(padded).get(el)) compact = simdjson::minify(el);
      if (Status s = take(compact.empty() ? std::string_view(body) : std::string_view(compact)); !s.ok())
        return not_decided(s);
      if (!compact.empty()) items.back().raw = compact;
    } else {
      metrics_->ingest_rejected_lines.fetch_add(1, std::memory_order_relaxed);
      return respond(Error(400, "line " + std::to_string(first_error_line) + ": " + first_error.message() +
                                    "; nothing from this request was stored",
                           "", first_error_line));
    }
  }
  if (items.empty()) return respond(Error(400, "the body holds no messages"));

  auto shared_decisions = std::make_shared<std::vector<std::string>>(std::move(decisions));
  auto ids = std::make_shared<std::vector<std::string>>();
  for (const auto& it : items) ids->push_back(it.id);
  ServerMetrics* metrics = metrics_;
  LiveDetector* detector = detector_;
  const size_t n_client = items.size();
  auto write = [&](std::vector<AlertRecord> records, std::vector<IngestItem> alert_items) {
    // The alerts this batch opened or changed are written with it, atomically.
    std::shared_ptr<std::vector<AlertRecord>> kept_records;
    std::shared_ptr<std::vector<IngestItem>> kept_items;
    if (!records.empty() || !alert_items.empty()) {
      kept_records = std::make_shared<std::vector<AlertRecord>>(records);
      kept_items = std::make_shared<std::vector<IngestItem>>(alert_items);
    }
    for (auto& a : alert_items) items.push_back(std::move(a));
    store_->Ingest(std::move(items), std::move(records),
                   [respond = std::move(respond), shared_decisions, ids, labels = std::move(labels), metrics, n_client,
                    detector, kept_records, kept_items](Status st, std::vector<IngestResult> outcomes) {
    if (!st.ok()) {
      if (detector && kept_records) detector->Restore(std::move(*kept_records), std::move(*kept_items));
      return respond(StoreFailure(st, metrics));
    }
    size_t stored = 0, dups = 0;
    std::string body = "{\"results\":[";
    for (size_t i = 0; i < n_client && i < outcomes.size(); ++i) {
      bool dup = outcomes[i].outcome == IngestOutcome::kDuplicate;
      dup ? ++dups : ++stored;
      if (!dup) metrics->labeled[static_cast<int>(labels[i])].fetch_add(1, std::memory_order_relaxed);
      if (i) body += ",";
      body += "{\"id\":";
      AppendJsonString((*ids)[i], &body);
      body += dup ? ",\"status\":\"duplicate\",\"decision\":" : ",\"status\":\"stored\",\"decision\":";
      // A duplicate answers with the decision stored with the first copy.
      if (dup) body += outcomes[i].stored_decision.empty() ? std::string("null") : outcomes[i].stored_decision;
      else body += (*shared_decisions)[i];
      body += "}";
    }
    body += "],\"accepted\":" + std::to_string(stored) + ",\"duplicates\":" + std::to_string(dups) + "}";
    metrics->ingest_stored.fetch_add(stored, std::memory_order_relaxed);
    metrics->ingest_duplicate.fetch_add(dups, std::memory_order_relaxed);
    respond(Json(202, std::move(body)));
  });
  };
  if (detector_) detector_->TakeEffects(*pipeline, write);
  else write({}, {});
}

void Api::TickDetector() {
  if (!detector_) return;
  int64_t wall_ms = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  if (!detector_->Tick(wall_ms)) return;
  auto pipeline = pipelines_->Current();
  LiveDetector* detector = detector_;
  detector_->TakeEffects(*pipeline, [&](std::vector<AlertRecord> records, std::vector<IngestItem> items) {
    if (records.empty() && items.empty()) return;
    auto kept_records = std::make_shared<std::vector<AlertRecord>>(records);
    auto kept_items = std::make_shared<std::vector<IngestItem>>(items);
    store_->Ingest(std::move(items), std::move(records), [detector, kept_records, kept_items](Status st, std::vector<IngestResult>) {
      if (!st.ok()) detector->Restore(std::move(*kept_records), std::move(*kept_items));
    });
  });
}

size_t Api::WarmDetector(int64_t window_ms) {
  if (!detector_) return 0;
  std::vector<std::string> lines;
  int64_t wall_ms = WallMs();
  if (!store_->RecentMessages(wall_ms - window_ms, 2'000'000, &lines).ok()) return 0;
  uint64_t generation = 0;
  auto pipeline = pipelines_->Current(&generation);
  ThreadState& ts = StateFor(pipeline);
  if (!ts.scratch) return 0;
  Message msg;
  Decision d;
  size_t n = 0;
  for (const std::string& line : lines) {
    // Alert items are stored beside messages; they are not messages.
    if (line.rfind("{\"type\":\"crisis_alert\"", 0) == 0 || !ts.parser.ParseCopy(line, &msg).ok()) continue;
    msg.thread = ThreadOf(msg);
    if (!pipeline->Decide(msg, ts.scratch.get(), &d).ok()) continue;
    RememberThread(msg, d.verdict.label);
    detector_->Observe(generation, *pipeline, msg, ts.scratch->normalized(), &d, wall_ms);
    ++n;
  }
  // Alerts it re-derives have the ids of the stored ones: records are
  // overwritten with the same content and queue items are duplicates.
  detector_->TakeEffects(*pipeline, [&](std::vector<AlertRecord> records, std::vector<IngestItem> items) {
    std::promise<void> done;
    store_->Ingest(std::move(items), std::move(records), [&](Status, std::vector<IngestResult>) { done.set_value(); });
    done.get_future().wait();
  });
  return n;
}

ThreadContext Api::ThreadOf(const Message& msg) {
  {
    std::lock_guard<std::mutex> l(threads_mu_);
    ThreadContext c = threads_.Lookup(msg);
    if (c.known || msg.in_reply_to.empty()) return c;
  }
  // A reply to a message decided before this daemon started (or forgotten):
  // its stored decision gives the label, its stored line the author.
  StoredMessage stored;
  if (!store_->Get(std::string(msg.in_reply_to), &stored).ok()) return {};
  size_t at = stored.decision.find("\"label\":\"");
  if (at == std::string::npos) return {};
  at += 9;
  auto label = ParseLabel(std::string_view(stored.decision).substr(at, stored.decision.find('"', at) - at));
  if (!label) return {};
  thread_local ArchiveParser parser;
  Message earlier;
  std::string_view author;
  if (parser.ParseCopy(stored.raw, &earlier).ok()) author = earlier.author.id;
  std::lock_guard<std::mutex> l(threads_mu_);
  threads_.Record(msg.in_reply_to, earlier.conversation_id, author, *label);
  return threads_.Lookup(msg);
}

void Api::RememberThread(const Message& msg, Label decided) {
  std::lock_guard<std::mutex> l(threads_mu_);
  threads_.Record(msg, decided);
}

}  // namespace triage
