// KafkaBridge: one stateless-routing instance of triage on Kafka.
//
//   inbound topic(s), consumer group  --decode--> Message --Pipeline--> Decision
//     --> <prefix>.queue.<queue>   {"message":<archive line>,"decision":<decision line>}
//     --> <prefix>.alerts          crisis alerts this instance's detector opened or changed
//     --> <prefix>.events          archive event lines (replied, resolved, ...), and the
//                                  platform's edits and deletes ({"type":"event","event":
//                                  "edited"|"deleted","message":id,...}) to apply downstream
//     --> <prefix>.dead-letter     payloads that could not be decoded, with the error
//
// At least once, end to end: RunOnce() consumes a batch and produces every
// output with an idempotent producer (acks=all); a batch's offsets are
// committed only once the brokers acknowledged all its outputs and those of
// every older batch. Up to KafkaOptions::in_flight_batches batches await
// their acks at once (runtime/kafka/in_flight_batches.h: the next batch is
// decided during the broker round trip). If any output fails, nothing more
// is committed and the consumer seeks back to the first offsets of the
// batches in flight, so they are processed again (their outputs that did
// arrive arrive twice; the message id in every output lets downstream
// deduplicate). A crash between produce and commit has the same effect.
//
// A payload that cannot be decoded goes to the dead-letter topic with the
// error in a header and counts as processed: it never blocks its partition.
//
// Every message goes through the engine's Processor (context, decide,
// detect, decision line). Standalone, the bridge has its own crisis detector
// and thread tracker: producers should key inbound messages by brand, so one
// brand's messages reach one partition and so one instance; after a
// rebalance a partition's new owner learns its brands' baseline afresh (the
// detector's warm-up). Inside `triage serve --kafka` it uses the daemon's
// (KafkaEngine): one pipeline, reloaded by SIGHUP for HTTP and Kafka alike,
// and one detector, so a burst is counted once whichever way it arrives.
//
// Standalone, the bridge keeps no messages: its queue topics are its whole
// output. Inside the daemon it also stores each batch's decided messages
// through the daemon's ingest (KafkaEngine::store), after producing them and
// before committing: the messages join the daemon's queues, its author index
// and its outbound sinks' outboxes exactly as if they had been posted to
// POST /v1/messages, and a failed store gives the batch up like a failed
// output (read again; the ids stored the first time are duplicates then, so
// each message is stored, and owed to each sink, once).
#ifndef TRIAGE_RUNTIME_KAFKA_KAFKA_BRIDGE_H_
#define TRIAGE_RUNTIME_KAFKA_KAFKA_BRIDGE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <functional>

#include "base/status.h"
#include "connectors/inbound_decoder.h"
#include "engine/detector/crisis_detector.h"
#include "engine/pipeline.h"
#include "engine/processor.h"
#include "engine/store/queue_store.h"
#include "format/label.h"

namespace triage {

struct KafkaOptions {
  std::string brokers;                                // bootstrap.servers
  std::string group = "triage";                       // group.id
  std::vector<std::string> topics = {"triage.inbound"};
  std::string prefix = "triage";                      // output topics: <prefix>.queue.<name>, .alerts, .events, .dead-letter
  // Input format when a message has no "triage-format" header: archive, auto,
  // or a platform (meta, x, slack, telegram, mastodon, reddit).
  std::string format = "archive";
  size_t batch_messages = 1000;  // at most this many inbound messages per batch
  int batch_wait_ms = 200;       // and no longer than this to fill it
  int ack_timeout_ms = 30000;    // wait this long for the brokers' acks before giving the batch up (and re-reading it)
  // Batches whose outputs may await the brokers' acks at once: batch N+1 is
  // decided while N's acks are outstanding; offsets are still committed in
  // order, each only after its outputs and all older ones were acknowledged.
  // 1: each batch is committed before the next is read.
  int in_flight_batches = 4;
  bool detector = true;
  // Passed to librdkafka as is (security.protocol, sasl.*, ssl.*,
  // session.timeout.ms, ...), for consumer and producer alike.
  std::map<std::string, std::string> librdkafka;
};

struct KafkaStats {
  uint64_t consumed = 0;         // inbound messages read
  uint64_t decided = 0;          // messages classified and routed
  uint64_t events = 0;           // event lines passed on
  uint64_t dead_lettered = 0;    // payloads sent to the dead-letter topic
  uint64_t produced = 0;         // outputs acknowledged by the brokers
  uint64_t delivery_failures = 0;
  uint64_t batches_committed = 0;
  uint64_t messages_committed = 0;  // inbound records in committed batches
  uint64_t batches_in_flight = 0;   // gauge: produced, awaiting acks or commit
  uint64_t batches_retried = 0;  // given up after a failed output or commit: re-read from their first offset
  uint64_t messages_reread = 0;  // inbound messages in those batches (each may be output twice)
  uint64_t dropped_on_revoke = 0;  // read from a partition taken away before its batch was committed
  uint64_t rebalances = 0;       // assign and revoke callbacks
  uint64_t partitions = 0;       // inbound partitions assigned now
  uint64_t alerts = 0;           // alert records produced
  uint64_t stored = 0;           // messages stored (serve --kafka; KafkaEngine::store)
  uint64_t already_stored = 0;   // ... answered as duplicates: stored by an earlier read of their batch
};

// One batch's decided messages, for KafkaEngine::store: each as
// POST /v1/messages would store it, with its label (for the daemon's
// metrics).
struct KafkaDecided {
  std::vector<IngestItem> items;
  std::vector<Label> labels;
};

// What the bridge decides with, when it is not on its own.
struct KafkaEngine {
  // The pipeline and its generation: a new generation (a reload) makes the
  // bridge build its Processor again, between batches.
  std::function<std::shared_ptr<const Pipeline>(uint64_t* generation)> pipeline;
  // The detect stage for a pipeline generation (null: the bridge's own
  // CrisisDetector when KafkaOptions::detector is set).
  std::function<std::unique_ptr<DetectStage>(uint64_t generation)> detector;
  // Thread context (null: the bridge's own ThreadTracker). Must be thread-safe.
  ThreadContextSource* threads = nullptr;
  // Stores a batch's decided messages (triage serve --kafka: the daemon's
  // ingest, so queue, outbox, author index and dedupe by id all apply).
  // Called once per batch that decided any message, on the consumer thread,
  // while the batch's outputs are in flight and before its offsets are
  // committed; returns once the messages are durable, with *duplicates set
  // to how many ids were stored already. An error gives the batch up: it is
  // not committed and is read again. Null: nothing is stored (the
  // standalone bridge).
  std::function<Status(KafkaDecided decided, uint64_t* duplicates)> store;
};

class KafkaBridge {
 public:
  ~KafkaBridge();
  KafkaBridge(const KafkaBridge&) = delete;
  KafkaBridge& operator=(const KafkaBridge&) = delete;

  // Connects and subscribes. Errors name the bad option. `pipeline` must
  // outlive the bridge (standalone: its own detector and thread tracker).
  static Status Create(const KafkaOptions& options, const Pipeline* pipeline, std::unique_ptr<KafkaBridge>* out);
  // The same, deciding with `engine` (triage serve --kafka).
  static Status Create(const KafkaOptions& options, KafkaEngine engine, std::unique_ptr<KafkaBridge>* out);

  // Queues an alert record made elsewhere (the daemon's detector) for
  // <prefix>.alerts; produced with the next batch. Thread-safe.
  void PublishAlert(std::string topic, std::string json);

  // One batch: consume, decide, produce; then commit the batches in flight
  // whose acks arrived, waiting for the oldest only while in_flight_batches
  // are outstanding. *processed is the number of inbound messages the batch
  // held (0 when the topics are idle: the call still commits what was
  // acknowledged meanwhile). An error is returned when batches were given up
  // (they will be read again); the bridge stays usable.
  Status RunOnce(size_t* processed = nullptr);

  // Commits the batches in flight whose acks arrive before their deadline,
  // then leaves the group. Anything consumed but not committed is read again
  // by the partition's next owner.
  void Close();

  // A snapshot as of the end of the last RunOnce() or Close(); safe to call
  // from any thread (the HTTP server's /metrics reads it while the consumer
  // thread runs batches).
  KafkaStats stats() const {
    std::lock_guard<std::mutex> lock(published_mu_);
    return published_;
  }
  // Whether the brokers answered the last check (RunOnce() asks them for
  // metadata every few seconds); when not, *why says so. Any thread.
  bool Ready(std::string* why) const;

  std::string QueueTopic(std::string_view queue) const { return options_.prefix + ".queue." + std::string(queue); }
  std::string AlertsTopic() const { return options_.prefix + ".alerts"; }
  std::string EventsTopic() const { return options_.prefix + ".events"; }
  std::string DeadLetterTopic() const { return options_.prefix + ".dead-letter"; }

  struct Impl;

 private:
  KafkaBridge() = default;
  Status RunBatch(size_t* processed);
  void Publish() {
    std::lock_guard<std::mutex> lock(published_mu_);
    published_ = stats_;
  }

  KafkaOptions options_;
  KafkaStats stats_;  // the consumer thread's own, updated as it goes
  mutable std::mutex published_mu_;
  // Broker reachability, checked by RunOnce() (the consumer thread).
  std::atomic<bool> brokers_ok_{true};
  std::chrono::steady_clock::time_point last_broker_check_{};
  std::string broker_error_;  // guarded by published_mu_
  KafkaStats published_;
  std::unique_ptr<Impl> impl_;
};

// Appends `stats` in the Prometheus text format (triage_kafka_* counters and
// the assigned-partitions gauge), for GET /metrics of `triage serve --kafka`.
void AppendKafkaMetrics(const KafkaStats& stats, std::string* out);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_KAFKA_KAFKA_BRIDGE_H_
