#include "runtime/kafka/kafka_bridge.h"

#include "engine/thread_tracker.h"
#include "runtime/kafka/in_flight_batches.h"
#include "runtime/kafka/kafka_clients.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "base/json_writer.h"
#include "format/alert_line.h"
#include "format/archive_format.h"
#include "connectors/webhooks/normalizer.h"

namespace triage {

namespace {

using PartitionKey = InFlightBatches::PartitionKey;

void* SeqOpaque(uint64_t seq) { return reinterpret_cast<void*>(static_cast<uintptr_t>(seq)); }

}  // namespace

struct KafkaBridge::Impl {
  KafkaEngine engine;
  uint64_t generation = 0;
  std::unique_ptr<Processor> processor;
  std::unique_ptr<CrisisDetector> own_detector;  // standalone, with KafkaOptions::detector
  std::unique_ptr<DetectStage> detect;
  ThreadTracker own_threads;                     // standalone
  ArchiveFormat default_format;
  InboundDecoder decoder;
  DecodedPayload decoded;
  Decision decision;
  std::mutex alerts_mu;
  std::vector<std::pair<std::string, std::string>> pending_alerts;  // (topic, json), from PublishAlert
  rd_kafka_t* consumer = nullptr;
  rd_kafka_t* producer = nullptr;
  std::vector<rd_kafka_message_t*> batch;
  KafkaStats* stats = nullptr;
  const KafkaOptions* options = nullptr;
  // Batches produced and not yet committed; their delivery reports are
  // served on this thread (rd_kafka_poll on the producer).
  InFlightBatches in_flight;
  uint64_t producing = 0;  // the batch whose outputs Produce() adds
  std::string decision_line, value;
  KafkaDecided decided;  // this batch's messages, for engine.store

  // The Processor for the engine's current pipeline (rebuilt after a reload).
  Status EnsureProcessor() {
    uint64_t gen = 0;
    std::shared_ptr<const Pipeline> p = engine.pipeline(&gen);
    if (processor && gen == generation) return Status::OK();
    generation = gen;
    Processor::Stages stages;
    // Thread context is the model's input: without a model it changes nothing.
    if (p->classifier().model()) stages.threads = engine.threads ? engine.threads : &own_threads;
    if (engine.detector) {
      detect = engine.detector(gen);
    } else if (options->detector) {
      if (!own_detector) own_detector = std::make_unique<CrisisDetector>(p->pack().detector());
      detect = std::make_unique<CrisisDetectStage>(own_detector.get());
    }
    stages.detector = detect.get();
    return Processor::Create(std::move(p), stages, &processor);
  }

  ~Impl() {
    for (auto* m : batch) rd_kafka_message_destroy(m);
    if (consumer) rd_kafka_destroy(consumer);
    if (producer) {
      rd_kafka_flush(producer, 5000);
      outputs.Clear();  // the handles before their producer
      queue_outputs.Clear();
      rd_kafka_destroy(producer);
    }
  }

  OutputTopics outputs, queue_outputs;  // by suffix (.events, .alerts, .dead-letter); by queue name
  rd_kafka_topic_t* Output(std::string_view suffix) { return outputs.Get(producer, options->prefix, suffix); }
  std::string queue_prefix;  // <prefix>.queue. (set by Create)
  rd_kafka_topic_t* QueueOutput(std::string_view queue) { return queue_outputs.Get(producer, queue_prefix, queue); }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* impl = static_cast<Impl*>(opaque);
    const uint64_t seq = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m->_private));
    if (m->err) {
      ++impl->stats->delivery_failures;
      const std::string error = rd_kafka_err2str(m->err);
      impl->in_flight.Delivered(seq, &error);
    } else {
      ++impl->stats->produced;
      impl->in_flight.Delivered(seq, nullptr);
    }
  }

  // Eager rebalancing: on revoke, what this batch read from the revoked
  // partitions is dropped before anything is produced for it; the next owner
  // reads it from the last committed offset.
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                          void* opaque) {
    auto* impl = static_cast<Impl*>(opaque);
    ++impl->stats->rebalances;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      rd_kafka_assign(rk, parts);
      impl->stats->partitions = static_cast<uint64_t>(parts->cnt);
      return;
    }
    // Batches in flight: committed if their acks arrive in time and the
    // coordinator still takes the commit (one may refuse it once the
    // rebalance has begun), else left to the partitions' next owner, which
    // reads them again from the last commit: at most in_flight_batches
    // batches produced twice per rebalance.
    (void)impl->Settle(0, /*seek=*/false);
    auto revoked = [&](const rd_kafka_message_t* m) {
      for (int i = 0; i < parts->cnt; ++i)
        if (parts->elems[i].partition == m->partition &&
            std::string_view(parts->elems[i].topic) == rd_kafka_topic_name(m->rkt))
          return true;
      return false;
    };
    auto& b = impl->batch;
    auto keep = std::stable_partition(b.begin(), b.end(), [&](rd_kafka_message_t* m) { return !revoked(m); });
    for (auto it = keep; it != b.end(); ++it) {
      rd_kafka_message_destroy(*it);
      ++impl->stats->dropped_on_revoke;
    }
    b.erase(keep, b.end());
    rd_kafka_assign(rk, nullptr);
    impl->stats->partitions = 0;
  }

  bool Produce(rd_kafka_topic_t* topic, std::string_view key, std::string_view value_bytes, std::string_view id,
               const std::vector<std::pair<std::string, std::string>>& extra_headers = {}) {
    if (!topic) {
      ++stats->delivery_failures;
      in_flight.Fail(producing, "outputs not produced: no topic handle (" + std::string(rd_kafka_err2str(rd_kafka_last_error())) + ")");
      return false;
    }
    for (;;) {
      rd_kafka_headers_t* headers = rd_kafka_headers_new(1 + extra_headers.size());
      rd_kafka_header_add(headers, "triage-id", -1, id.data(), static_cast<ssize_t>(id.size()));
      for (const auto& [k, v] : extra_headers)
        rd_kafka_header_add(headers, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
      rd_kafka_resp_err_t e = rd_kafka_producev(
          producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value_bytes.data()), value_bytes.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(SeqOpaque(producing)),
          RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {  // the message owns the headers now
        in_flight.Produced(producing);
        return true;
      }
      rd_kafka_headers_destroy(headers);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer, 100);  // serve delivery reports to make room
        continue;
      }
      ++stats->delivery_failures;
      in_flight.Fail(producing, std::string("outputs not acknowledged: ") + rd_kafka_err2str(e));
      return false;
    }
  }

  void DeadLetter(const rd_kafka_message_t* m, const std::string& error) {
    std::string_view payload(static_cast<const char*>(m->payload), m->len);
    std::string source = std::string(rd_kafka_topic_name(m->rkt)) + "/" + std::to_string(m->partition) + "/" +
                         std::to_string(m->offset);
    std::string_view key = m->key ? std::string_view(static_cast<const char*>(m->key), m->key_len) : "";
    Produce(Output(".dead-letter"), key, payload, source,
            {{"triage-error", error}, {"triage-source", source}});
    ++stats->dead_lettered;
  }

  // One inbound payload: an archive line (message or event), or a platform
  // payload with any number of messages (InboundDecoder).
  void Handle(const rd_kafka_message_t* m) {
    std::string_view payload(static_cast<const char*>(m->payload), m->len);
    ArchiveFormat format = default_format;
    rd_kafka_headers_t* headers = nullptr;
    const void* hv = nullptr;
    size_t hsize = 0;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(headers, "triage-format", &hv, &hsize) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string_view name(static_cast<const char*>(hv), hsize);
      auto f = ArchiveFormat::Parse(name);
      if (!f) return DeadLetter(m, "header triage-format: unknown format '" + std::string(name) + "'");
      format = *f;
    }
    if (Status s = decoder.Decode(payload, format, &decoded); !s.ok()) return DeadLetter(m, s.message());
    for (const ArchiveEvent& ev : decoded.events) {
      Produce(Output(".events"), ev.message, payload, ev.message);
      ++stats->events;
    }
    // A platform's edits and deletes go downstream too: whoever stores the
    // queue outputs must apply them (platform terms require honouring
    // deletions). Keyed by the message id, like the message's own outputs.
    for (const PlatformEvent& pe : decoded.platform_events) {
      if (pe.type == PlatformEvent::Type::kReplied || pe.message_id.empty() || pe.message_id.back() == ':') continue;
      value = "{\"type\":\"event\",\"message\":";
      AppendJsonString(pe.message_id, &value);
      value += ",\"event\":";
      AppendJsonString(PlatformEventName(pe.type), &value);
      value += ",\"agent\":";
      AppendJsonString(pe.agent, &value);
      if (!pe.created_at.empty()) {
        value += ",\"at\":";
        AppendJsonString(pe.created_at, &value);
      }
      if (pe.type == PlatformEvent::Type::kEdited) {
        value += ",\"text\":";
        AppendJsonString(pe.text, &value);
      }
      value += "}";
      Produce(Output(".events"), pe.message_id, value, pe.message_id);
      ++stats->events;
    }
    for (DecodedMessage& dm : decoded.messages) {
      if (engine.store) {
        // What the daemon's POST /v1/messages refuses is not stored from
        // Kafka either (decided before the detector counts it).
        if (IsAlertLine(dm.line)) {
          DeadLetter(m, "field 'type': \"crisis_alert\" lines are written by the detector, not ingested");
          continue;
        }
        if (std::any_of(dm.msg.id.begin(), dm.msg.id.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
          DeadLetter(m, "field 'id': control characters are not allowed");
          continue;
        }
      }
      value.clear();
      value.append("{\"message\":").append(dm.line).append(",\"decision\":");
      if (Status s = processor->Process(&dm.msg, &decision, &value); !s.ok()) {
        DeadLetter(m, "not decided: " + s.message());
        continue;
      }
      value.pop_back();  // the decision line's newline
      value.push_back('}');
      const Message& msg = dm.msg;
      std::string_view key = msg.conversation_id.empty() ? msg.id : msg.conversation_id;
      Produce(QueueOutput(decision.routing.queue), key, value, msg.id);
      ++stats->decided;
      if (engine.store) Keep(dm, msg);
    }
  }

  // The decided message as the daemon's ingest stores it (runtime/server/
  // ingest.cc builds the same item for POST /v1/messages).
  void Keep(const DecodedMessage& dm, const Message& msg) {
    IngestItem item;
    item.id = std::string(msg.id);
    item.raw = std::string(dm.line);
    // value is {"message":<line>,"decision":<decision line>}: the decision line.
    const size_t at = std::string_view("{\"message\":").size() + dm.line.size() + std::string_view(",\"decision\":").size();
    item.decision = value.substr(at, value.size() - at - 1);
    item.queue = std::string(decision.routing.queue);
    item.priority = decision.routing.priority;
    item.conversation_id = std::string(msg.conversation_id);
    item.channel = std::string(msg.channel);
    item.author_id = std::string(msg.author.id);
    decided.items.push_back(std::move(item));
    decided.labels.push_back(decision.verdict.label);
  }

  // Partitions of the batch with their lowest and highest offsets.
  InFlightBatches::Offsets Ranges() const {
    InFlightBatches::Offsets r;
    for (const auto* m : batch) {
      PartitionKey k{rd_kafka_topic_name(m->rkt), m->partition};
      auto it = r.find(k);
      if (it == r.end()) r.emplace(k, std::make_pair(m->offset, m->offset));
      else it->second = {std::min(it->second.first, m->offset), std::max(it->second.second, m->offset)};
    }
    return r;
  }

  static rd_kafka_topic_partition_list_t* OffsetList(const std::map<PartitionKey, int64_t>& offsets) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& [k, offset] : offsets) rd_kafka_topic_partition_list_add(list, k.first.c_str(), k.second)->offset = offset;
    return list;
  }

  // Commits the oldest batches as their acks arrive, waiting until at most
  // `keep` are in flight. The first failure gives every batch in flight up:
  // with `seek`, the consumer reads them again from their lowest offsets;
  // without (the partitions are being revoked), their next owner does.
  Status Settle(size_t keep, bool seek) {
    for (;;) {
      rd_kafka_poll(producer, 0);  // serve delivery reports
      std::map<PartitionKey, int64_t> commit;
      if (size_t n = in_flight.Committable(&commit)) {
        rd_kafka_topic_partition_list_t* list = OffsetList(commit);
        rd_kafka_resp_err_t ce = rd_kafka_commit(consumer, list, 0);
        rd_kafka_topic_partition_list_destroy(list);
        if (ce != RD_KAFKA_RESP_ERR_NO_ERROR) return GiveUp(std::string("commit failed (") + rd_kafka_err2str(ce) + ")", seek);
        stats->messages_committed += in_flight.Committed(n);
        stats->batches_committed += n;
        continue;
      }
      std::string why;
      if (in_flight.Failed(std::chrono::steady_clock::now(), &why)) return GiveUp(why, seek);
      if (in_flight.size() <= keep) return Status::OK();
      rd_kafka_poll(producer, 10);
    }
  }

  Status GiveUp(const std::string& why, bool seek) {
    std::map<PartitionKey, int64_t> from;
    size_t batches = 0;
    const size_t messages = in_flight.GiveUpAll(&from, &batches);
    if (seek) {
      rd_kafka_topic_partition_list_t* list = OffsetList(from);
      rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer, list, 5000);
      if (e) rd_kafka_error_destroy(e);  // a partition no longer ours: its new owner reads from the commit
      rd_kafka_topic_partition_list_destroy(list);
      stats->messages_reread += messages;
      stats->batches_retried += batches;
    } else {
      stats->dropped_on_revoke += messages;
    }
    return Status::IOError("kafka: " + why + "; " + (batches == 1 ? std::string("the batch") : std::to_string(batches) + " batches") +
                           " will be read again");
  }

  void ClearBatch() {
    for (auto* m : batch) rd_kafka_message_destroy(m);
    batch.clear();
    decided = KafkaDecided();
  }
};

KafkaBridge::~KafkaBridge() { Close(); }

Status KafkaBridge::Create(const KafkaOptions& options, const Pipeline* pipeline, std::unique_ptr<KafkaBridge>* out) {
  // A non-owning shared pointer: the caller keeps the pipeline alive.
  std::shared_ptr<const Pipeline> fixed(std::shared_ptr<const Pipeline>(), pipeline);
  KafkaEngine engine;
  engine.pipeline = [fixed](uint64_t* generation) {
    *generation = 0;
    return fixed;
  };
  return Create(options, std::move(engine), out);
}

void KafkaBridge::PublishAlert(std::string topic, std::string json) {
  if (!impl_) return;
  std::lock_guard<std::mutex> lock(impl_->alerts_mu);
  impl_->pending_alerts.emplace_back(std::move(topic), std::move(json));
}

Status KafkaBridge::Create(const KafkaOptions& options, KafkaEngine engine, std::unique_ptr<KafkaBridge>* out) {
  std::unique_ptr<KafkaBridge> b(new KafkaBridge());
  b->options_ = options;
  if (options.brokers.empty()) return Status::InvalidArgument("kafka: brokers: required");
  if (options.topics.empty()) return Status::InvalidArgument("kafka: topics: at least one inbound topic");
  if (options.batch_messages == 0) return Status::InvalidArgument("kafka: batch_messages: must be at least 1");
  auto format = ArchiveFormat::Parse(options.format);
  if (!format)
    return Status::InvalidArgument("kafka: format: '" + options.format +
                                   "' is not archive, auto, meta, x, slack, telegram, mastodon or reddit");
  b->impl_ = std::make_unique<Impl>();
  Impl* impl = b->impl_.get();
  impl->engine = std::move(engine);
  impl->default_format = *format;
  impl->stats = &b->stats_;
  impl->options = &b->options_;
  impl->queue_prefix = options.prefix + ".queue.";
  if (Status s = impl->EnsureProcessor(); !s.ok()) return s;

  if (Status s = NewProducer(options, impl, &Impl::OnDelivery, &impl->producer); !s.ok()) return s;
  if (Status s = NewConsumer(options, impl, &Impl::OnRebalance, &impl->consumer); !s.ok()) return s;
  rd_kafka_poll_set_consumer(impl->consumer);
  rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(static_cast<int>(options.topics.size()));
  for (const auto& t : options.topics) rd_kafka_topic_partition_list_add(subs, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(impl->consumer, subs);
  rd_kafka_topic_partition_list_destroy(subs);
  if (e) return Status::InvalidArgument(std::string("kafka subscribe: ") + rd_kafka_err2str(e));
  *out = std::move(b);
  return Status::OK();
}

Status KafkaBridge::RunOnce(size_t* processed) {
  Status s = RunBatch(processed);
  if (impl_) stats_.batches_in_flight = impl_->in_flight.size();
  Publish();
  // Every few seconds: can the brokers be reached? (/readyz says not ready
  // while they cannot; librdkafka itself keeps retrying quietly.)
  auto now = std::chrono::steady_clock::now();
  if (impl_ && impl_->consumer && now - last_broker_check_ > std::chrono::seconds(3)) {
    last_broker_check_ = now;
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->consumer, 0, nullptr, &md, 2000);
    if (md) rd_kafka_metadata_destroy(md);
    bool ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
    {
      std::lock_guard<std::mutex> lock(published_mu_);
      broker_error_ = ok ? "" : std::string("kafka: brokers ") + options_.brokers + " unreachable: " + rd_kafka_err2str(err);
    }
    brokers_ok_ = ok;
  }
  return s;
}

bool KafkaBridge::Ready(std::string* why) const {
  if (brokers_ok_) return true;
  std::lock_guard<std::mutex> lock(published_mu_);
  if (why) *why = broker_error_;
  return false;
}

Status KafkaBridge::RunBatch(size_t* processed) {
  if (processed) *processed = 0;
  Impl* impl = impl_.get();
  if (!impl || !impl->consumer) return Status::InvalidArgument("kafka: bridge closed");
  const size_t keep = std::max<size_t>(options_.in_flight_batches, 1) - 1;
  // 1. Gather a batch (the batches in flight get their acks meanwhile).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.batch_wait_ms);
  while (impl->batch.size() < options_.batch_messages) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(impl->consumer, static_cast<int>(left.count()));
    if (!m) continue;
    if (m->err) {  // partition EOF and transient broker errors: librdkafka recovers by itself
      rd_kafka_message_destroy(m);
      continue;
    }
    impl->batch.push_back(m);
  }
  if (impl->batch.empty()) return impl->Settle(keep, /*seek=*/true);
  if (processed) *processed = impl->batch.size();
  stats_.consumed += impl->batch.size();

  // 2. Decide and produce every output, tagged with the batch's number.
  if (Status s = impl->EnsureProcessor(); !s.ok()) return s;
  impl->producing = impl->in_flight.Open(impl->Ranges(), impl->batch.size(),
                                         std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.ack_timeout_ms));
  for (const auto* m : impl->batch) impl->Handle(m);
  if (impl->own_detector) {
    for (int i : impl->own_detector->TakeChanged()) {
      std::string json = impl->own_detector->AlertJson(i);
      const std::string& topic = impl->own_detector->alert(i).topic;
      impl->Produce(impl->Output(".alerts"), topic, json, topic);
      ++stats_.alerts;
    }
  }
  {
    std::lock_guard<std::mutex> lock(impl->alerts_mu);
    for (const auto& [topic, json] : impl->pending_alerts) {
      impl->Produce(impl->Output(".alerts"), topic, json, topic);
      ++stats_.alerts;
    }
    impl->pending_alerts.clear();
  }

  // 3. Inside the daemon: store the decided messages while the outputs are
  // in flight (KafkaEngine::store), durably, before anything is committed.
  if (impl->engine.store && !impl->decided.items.empty()) {
    const uint64_t n = impl->decided.items.size();
    uint64_t duplicates = 0;
    Status stored = impl->engine.store(std::move(impl->decided), &duplicates);
    impl->decided = KafkaDecided();
    if (stored.ok()) {
      stats_.stored += n - std::min(n, duplicates);
      stats_.already_stored += duplicates;
    } else {
      impl->in_flight.Fail(impl->producing, "messages not stored: " + stored.message());
    }
  }
  // The outputs hold copies (RD_KAFKA_MSG_F_COPY) and the batch its offsets:
  // the inbound records are no longer needed.
  impl->ClearBatch();

  // 4. Commit, in order, every batch whose outputs are all acknowledged;
  // wait only when the pipeline is full.
  return impl->Settle(keep, /*seek=*/true);
}

void KafkaBridge::Close() {
  if (!impl_) return;
  if (impl_->consumer) {
    impl_->ClearBatch();
    (void)impl_->Settle(0, /*seek=*/false);  // what was acknowledged is committed; the rest is read again
    stats_.batches_in_flight = 0;
    rd_kafka_consumer_close(impl_->consumer);
  }
  impl_.reset();
  Publish();
}

}  // namespace triage
