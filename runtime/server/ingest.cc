#include "runtime/server/api.h"

#include <simdjson.h>

#include <future>

#include "base/json_writer.h"
#include "format/alert_line.h"
#include "runtime/server/request.h"

namespace triage {

namespace {

// What each ingest thread keeps: its Processor for the current pipeline
// (rebuilt after a reload), the detector stage it plugs in, and a decoder.
struct IngestThread {
  const void* api = nullptr;
  std::shared_ptr<const Pipeline> pipeline;
  std::unique_ptr<LiveDetectStage> detect;
  std::unique_ptr<Processor> processor;
  InboundDecoder decoder;
  DecodedPayload decoded;
};

}  // namespace

Status Api::BeginIngest(PendingIngest* batch) {
  uint64_t generation = 0;
  batch->pipeline = pipelines_->Current(&generation);
  thread_local IngestThread t;
  if (t.api != this || t.pipeline != batch->pipeline || !t.processor) {
    t.api = this;
    t.pipeline = batch->pipeline;
    t.processor.reset();
    t.detect = detector_ ? std::make_unique<LiveDetectStage>(detector_, generation) : nullptr;
    Processor::Stages stages;
    // Thread context is the model's input: without a model it changes nothing.
    if (t.pipeline->classifier().model()) stages.threads = &threads_;
    stages.detector = t.detect.get();
    if (Status s = Processor::Create(t.pipeline, stages, &t.processor); !s.ok()) {
      t.pipeline.reset();
      return Status::Internal("could not allocate classifier scratch: " + s.message());
    }
  }
  if (t.detect) t.detect->set_wall_ms(now_seconds_ ? now_seconds_() * 1000 : WallMs());
  batch->processor = t.processor.get();
  batch->decoder = &t.decoder;
  batch->decoded = &t.decoded;
  return Status::OK();
}

Status Api::AddToIngest(Message* msg, std::string_view line, PendingIngest* batch) {
  if (HasControlChars(msg->id)) return Status::InvalidArgument("field 'id': control characters are not allowed");
  if (IsAlertLine(line))
    return Status::InvalidArgument("field 'type': \"crisis_alert\" lines are written by the detector, not ingested");
  Decision d;
  std::string decision;
  if (Status s = batch->processor->Process(msg, &d, &decision); !s.ok())
    return s.code() == Status::Code::kInvalidArgument ? Status::Internal(s.message()) : s;
  decision.pop_back();  // newline
  IngestItem item;
  item.id = std::string(msg->id);
  item.raw = std::string(line);
  item.decision = decision;
  item.queue = std::string(d.routing.queue);
  item.priority = d.routing.priority;
  item.conversation_id = std::string(msg->conversation_id);
  item.channel = std::string(msg->channel);  // the author index (engine/store/erasure.h)
  item.author_id = std::string(msg->author.id);
  batch->labels.push_back(d.verdict.label);
  batch->channels.emplace_back(msg->channel);
  batch->decisions.push_back(std::move(decision));
  batch->items.push_back(std::move(item));
  return Status::OK();
}

void Api::Ingest(std::string body, Respond respond) {
  PendingIngest batch;
  if (Status s = BeginIngest(&batch); !s.ok()) return respond(Error(500, s.message()));
  // A classifier failure (a Hyperscan scan error) stores nothing and says so.
  auto not_decided = [&](const Status& s) { return respond(Error(500, s.message() + "; nothing from this request was stored")); };
  auto add = [&](std::string_view payload, std::string_view stored_line, Status* refused) -> Status {
    if (Status s = batch.decoder->Decode(payload, ArchiveFormat{}, batch.decoded); !s.ok()) {
      *refused = s;
      return Status::OK();
    }
    if (batch.decoded->messages.empty()) {
      *refused = Status::InvalidArgument("an event line; events go to POST /v1/messages/{id}/events");
      return Status::OK();
    }
    Status s = AddToIngest(&batch.decoded->messages[0].msg, stored_line.empty() ? payload : stored_line, &batch);
    if (s.code() == Status::Code::kInvalidArgument) *refused = s;
    return s.code() == Status::Code::kInvalidArgument ? Status::OK() : s;
  };

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
    if (batch.items.size() >= config_.max_batch_messages) {
      return respond(Error(413, "batch exceeds max_batch_messages (" + std::to_string(config_.max_batch_messages) + ")"));
    }
    if (Status s = add(line, {}, &first_error); !s.ok()) return not_decided(s);
    if (!first_error.ok()) first_error_line = line_no;
  }
  if (!first_error.ok()) {
    // Maybe the whole body is one (multi-line) JSON object, stored as one
    // line as in an archive.
    std::string compact;
    if (body.find('\n') != std::string::npos) {
      simdjson::padded_string padded(body);
      simdjson::dom::parser dp;
      simdjson::dom::element el;
      if (!dp.parse(padded).get(el) && el.is_object()) compact = simdjson::minify(el);
    }
    Status refused;
    batch.items.clear();
    batch.decisions.clear();
    batch.labels.clear();
    batch.channels.clear();
    if (!compact.empty()) {
      if (Status s = add(body, compact, &refused); !s.ok()) return not_decided(s);
    }
    if (!compact.empty() && !refused.ok()) {
      // One JSON object over several lines: its own error, not line 1's.
      metrics_->ingest_rejected_lines.fetch_add(1, std::memory_order_relaxed);
      return respond(Error(400, "the body (one JSON object): " + refused.message() +
                                    "; nothing from this request was stored"));
    }
    if (compact.empty()) {
      metrics_->ingest_rejected_lines.fetch_add(1, std::memory_order_relaxed);
      return respond(Error(400, "line " + std::to_string(first_error_line) + ": " + first_error.message() +
                                    "; nothing from this request was stored",
                           "", first_error_line));
    }
  }
  if (batch.items.empty()) return respond(Error(400, "the body holds no messages"));
  CommitIngest(std::move(batch), std::move(respond));
}

void Api::CommitIngest(PendingIngest batch, Respond respond) {
  auto shared_decisions = std::make_shared<std::vector<std::string>>(std::move(batch.decisions));
  auto ids = std::make_shared<std::vector<std::string>>();
  for (const auto& it : batch.items) ids->push_back(it.id);
  std::vector<IngestItem>& items = batch.items;
  std::vector<Label>& labels = batch.labels;
  std::vector<std::string>& channels = batch.channels;
  const int64_t arrived_ms = NowMs();
  const std::shared_ptr<const Pipeline>& pipeline = batch.pipeline;
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
                   [respond = std::move(respond), shared_decisions, ids, labels = std::move(labels),
                    channels = std::move(channels), arrived_ms, metrics, n_client,
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
      if (!dup) {
        metrics->labeled[static_cast<int>(labels[i])].fetch_add(1, std::memory_order_relaxed);
        if (i < channels.size()) metrics->arrivals.Record(arrived_ms, labels[i], channels[i]);
      }
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
  if (detector_->Tick(wall_ms)) StoreDetectorEffects();
}

void Api::StoreDetectorEffects() {
  if (!detector_) return;
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

Status Api::StoreDecided(std::vector<IngestItem> items, const std::vector<Label>& labels, uint64_t* duplicates) {
  *duplicates = 0;
  if (items.empty()) return Status::OK();
  const size_t n = items.size();
  std::vector<std::string> channels;
  for (const IngestItem& it : items) channels.push_back(it.channel);
  // Shared with the callback: the writer thread may still be inside
  // set_value when this thread wakes and returns.
  auto written = std::make_shared<std::promise<std::pair<Status, std::vector<IngestResult>>>>();
  std::shared_ptr<std::vector<AlertRecord>> kept_records;
  std::shared_ptr<std::vector<IngestItem>> kept_items;
  auto write = [&](std::vector<AlertRecord> records, std::vector<IngestItem> alert_items) {
    if (!records.empty() || !alert_items.empty()) {
      kept_records = std::make_shared<std::vector<AlertRecord>>(records);
      kept_items = std::make_shared<std::vector<IngestItem>>(alert_items);
    }
    for (auto& a : alert_items) items.push_back(std::move(a));
    // Submitted under the detector's lock (its effects keep their order);
    // waited for after it, so HTTP ingest is not held up by this fsync.
    store_->Ingest(std::move(items), std::move(records), [written](Status st, std::vector<IngestResult> results) {
      written->set_value({std::move(st), std::move(results)});
    });
  };
  auto pipeline = pipelines_->Current();
  if (detector_) detector_->TakeEffects(*pipeline, write);
  else write({}, {});
  auto [st, results] = written->get_future().get();
  if (!st.ok()) {
    if (detector_ && kept_records) detector_->Restore(std::move(*kept_records), std::move(*kept_items));
    if (QueueStore::IsBusy(st)) metrics_->rejected_busy.fetch_add(1, std::memory_order_relaxed);
    return st;
  }
  const int64_t arrived_ms = NowMs();
  uint64_t stored = 0;
  for (size_t i = 0; i < n && i < results.size(); ++i) {
    if (results[i].outcome == IngestOutcome::kDuplicate) {
      ++*duplicates;
      continue;
    }
    ++stored;
    if (i < labels.size()) {
      metrics_->labeled[static_cast<int>(labels[i])].fetch_add(1, std::memory_order_relaxed);
      metrics_->arrivals.Record(arrived_ms, labels[i], channels[i]);
    }
  }
  metrics_->ingest_stored.fetch_add(stored, std::memory_order_relaxed);
  metrics_->ingest_duplicate.fetch_add(*duplicates, std::memory_order_relaxed);
  return Status::OK();
}

size_t Api::WarmDetector(int64_t window_ms) {
  if (!detector_) return 0;
  std::vector<std::string> lines;
  if (!store_->RecentMessages(WallMs() - window_ms, 2'000'000, &lines).ok()) return 0;
  return ReplayIntoDetector(lines);
}

size_t Api::WarmDetectorFrom(uint64_t first_seq) {
  if (!detector_ || first_seq >= store_->next_seq()) return 0;
  std::vector<std::string> lines;
  if (!store_->MessagesFrom(first_seq, 2'000'000, &lines).ok()) return 0;
  return ReplayIntoDetector(lines);
}

size_t Api::ReplayIntoDetector(const std::vector<std::string>& lines) {
  PendingIngest batch;
  if (!BeginIngest(&batch).ok()) return 0;
  Decision d;
  size_t n = 0;
  for (const std::string& line : lines) {
    // Alert items are stored beside messages; they are not messages.
    if (IsAlertLine(line) || !batch.decoder->Decode(line, ArchiveFormat{}, batch.decoded).ok() ||
        batch.decoded->messages.empty())
      continue;
    if (!batch.processor->Process(&batch.decoded->messages[0].msg, &d).ok()) continue;
    ++n;
  }
  // Alerts it re-derives have the ids of the stored ones: records are
  // overwritten with the same content and queue items are duplicates.
  detector_->TakeEffects(*batch.pipeline, [&](std::vector<AlertRecord> records, std::vector<IngestItem> items) {
    std::promise<void> done;
    store_->Ingest(std::move(items), std::move(records), [&](Status, std::vector<IngestResult>) { done.set_value(); });
    done.get_future().wait();
  });
  return n;
}

}  // namespace triage
