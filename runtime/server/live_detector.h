// LiveDetector: the crisis detector as `triage serve` runs it.
//
// One CrisisDetector for the whole daemon, behind a mutex: a burst is seen
// only when every message on a topic is counted, whichever connection or
// webhook brought it. Event time drives it, as in replay; two things are
// particular to a daemon:
//
//  - Retries. A client that resends a batch (after a 503 or a timeout) must
//    not double a topic's count, so the ids of the last kRecentIds observed
//    messages are remembered and a repeat is not counted again.
//  - Silence. Alerts close as event time moves on; when nothing arrives at
//    all, Tick() moves event time on by the wall time that passed since the
//    last message (after a minute of silence), so an alert does not stay
//    open all night because the storm ended with the last message.
//
// Effects: each alert that opens becomes one item on the crisis route's
// queue (comms acts once), and each alert that opened, closed or carried a
// message since the last call becomes an AlertRecord; both are written with
// the batch that caused them (TakeEffects).
//
// Restarts: Checkpoint() writes the detector's state (bounded, see
// engine/detector/detector_checkpoint.h) and RestoreCheckpoint() reads it
// back, so a restarted daemon replays only the messages stored after the
// checkpoint (runtime/server/detector_checkpoints.h). Without a usable
// checkpoint the daemon replays the messages of the last hours instead;
// either way alert ids are deterministic, so alerts re-derived are the ones
// already stored.
#ifndef TRIAGE_RUNTIME_SERVER_LIVE_DETECTOR_H_
#define TRIAGE_RUNTIME_SERVER_LIVE_DETECTOR_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/detector/crisis_detector.h"
#include "engine/detector/detector_checkpoint.h"
#include "engine/detector/sentiment.h"
#include "engine/pipeline.h"
#include "engine/processor.h"
#include "engine/store/queue_store.h"

namespace triage {

class LiveDetector {
 public:
  static constexpr size_t kRecentIds = 1 << 18;
  static constexpr int64_t kIdleMs = 60'000;

  // `lexicon` (may be null: no reach-and-tone escalation) must outlive this.
  explicit LiveDetector(const SentimentLexicon* lexicon) : lexicon_(lexicon) {}

  // Everything below is thread-safe.

  // Counts one decided message and marks `d` (alert id, priority,
  // escalation). `generation` identifies the pipeline (PipelineHolder): a
  // reload whose pack changes the detector settings starts a new detector.
  void Observe(uint64_t generation, const Pipeline& p, const Message& msg, std::string_view normalized,
               Decision* d, int64_t wall_ms);

  // Alert records and the queue items of newly opened alerts, for everything
  // since the last call (plus anything handed back with Restore), passed to
  // `submit` while the detector is locked, so records reach the store in the
  // order they were taken and a newer state never lands under an older one.
  using Submit = std::function<void(std::vector<AlertRecord> records, std::vector<IngestItem> items)>;
  void TakeEffects(const Pipeline& p, const Submit& submit);
  // Hands effects back after their write failed, to go with the next batch.
  // Safe to call from inside `submit`.
  void Restore(std::vector<AlertRecord> records, std::vector<IngestItem> items);

  // Told of every alert that opened, closed or carried a message, as
  // TakeEffects takes it: its topic and its alert line (the Kafka bridge
  // produces it to <prefix>.alerts). Set before the detector is used.
  using AlertListener = std::function<void(const std::string& topic, const std::string& alert_line)>;
  void set_alert_listener(AlertListener listener) { listener_ = std::move(listener); }

  // Closes alerts during silence (see above). Returns true if any closed.
  bool Tick(int64_t wall_ms);

  // The state as a checkpoint blob covering every message observed so far,
  // tagged with `position` (the daemon: the store's next arrival sequence
  // number, read before this call, so every message stored below it was
  // observed first). It holds the detector (CrisisDetector::SaveState), the
  // last event time, which alerts have had their queue item, and the ids of
  // the last kRecentIds messages observed: a message observed before the
  // checkpoint but stored after it (in flight) is replayed after a restart,
  // and must be taken for the repeat it is. False when there is no state
  // yet (nothing observed or restored since start). The detector is locked
  // while the state is copied (milliseconds for a typical state, tens of
  // them at the bound), not while it is written anywhere.
  bool Checkpoint(uint64_t position, int64_t wall_ms, std::string* blob);
  // Replaces the state with the checkpoint's, for pipeline `p` (a checkpoint
  // made with other detector settings is refused: its baselines and
  // thresholds mean something else). All or nothing: on error nothing
  // changes and the error says why, in words for the log. Downtime is not
  // taken for silence (Tick counts from `wall_ms`): clients may hold
  // messages back while the daemon is down and send them now. A checkpoint
  // whose position is past `max_position` covers messages the store does
  // not have (the store was restored from an older backup, or is another
  // one) and is refused.
  Status RestoreCheckpoint(const Pipeline& p, std::string_view blob, uint64_t max_position, int64_t wall_ms,
                           DetectorCheckpointHeader* header);
  // Grows with every change of state (a message counted, event time moved
  // on); a checkpoint is due only when it moved.
  uint64_t changes() const;

  struct Stats {
    uint64_t observed = 0, repeats = 0, opened = 0, closed = 0, escalated_reach = 0, carried_alert = 0;
    CrisisDetector::Stats detector;
  };
  Stats stats() const;

  // The decision line of an alert's queue item (exposed for tests).
  static std::string AlertDecision(const BurstAlert& a, const Routing& r);

 private:
  void SyncLocked(uint64_t generation, const Pipeline& p);
  bool SeenLocked(std::string_view id);

  const SentimentLexicon* lexicon_;
  AlertListener listener_;
  mutable std::mutex mu_;
  std::unique_ptr<CrisisDetector> detector_;
  uint64_t generation_ = 0;
  std::string settings_;  // the pack's detector section the detector was built from
  std::unordered_set<uint64_t> recent_;
  std::deque<uint64_t> recent_order_;
  int64_t last_event_ms_ = 0, last_wall_ms_ = 0;
  int next_unannounced_ = 0;  // alerts below this index have had their queue item taken
  uint64_t changes_ = 0;
  std::mutex retry_mu_;  // after mu_ when both are held
  std::vector<AlertRecord> retry_records_;
  std::vector<IngestItem> retry_items_;
  Stats stats_;
};

// The Processor's detection stage for one ingest thread: the shared
// LiveDetector, told the pipeline generation the thread decides with and the
// wall time (set per request with set_wall_ms, or read from `clock` for each
// message when one is given: the Kafka bridge's batches).
class LiveDetectStage : public DetectStage {
 public:
  LiveDetectStage(LiveDetector* detector, uint64_t generation, std::function<int64_t()> clock = nullptr)
      : detector_(detector), generation_(generation), clock_(std::move(clock)) {}
  void set_wall_ms(int64_t wall_ms) { wall_ms_ = wall_ms; }
  void Observe(const Pipeline& p, const Message& msg, std::string_view normalized, Decision* d) override {
    detector_->Observe(generation_, p, msg, normalized, d, clock_ ? clock_() : wall_ms_);
  }

 private:
  LiveDetector* detector_;
  uint64_t generation_;
  std::function<int64_t()> clock_;
  int64_t wall_ms_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_LIVE_DETECTOR_H_
