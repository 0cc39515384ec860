// CrisisDetector: the streaming stage after classification. Each message is
// counted on its topics (its brand, each rule that fired, each hashtag) in a
// BurstDetector; when a topic bursts, one alert opens for it (bursts on the
// other topics of messages already in an alert are folded in), and every
// message on an alerted topic carries the alert id and at least high
// priority, while keeping its own label (each person still needs help).
//
// Event time only (Message::created_at): replaying an archive gives the same
// alerts. Messages without created_at are not counted.
#ifndef TRIAGE_ENGINE_DETECTOR_CRISIS_DETECTOR_H_
#define TRIAGE_ENGINE_DETECTOR_CRISIS_DETECTOR_H_

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/detector_options.h"
#include "engine/detector/space_saving.h"

#include "engine/detector/burst_detector.h"
#include "engine/detector/sentiment.h"
#include "engine/pipeline.h"
#include "engine/processor.h"

namespace triage {

// Two time scales run side by side: a fast one (one-minute buckets, a
// ten-minute window) for outages that explode, and a slow one (ten-minute
// buckets, a one-hour window) for stories that build over hours, such as a
// video being shared. An incident is still one alert: a topic or message
// already in an alert on either scale folds into it.
//
// Topics: "brand:<brand>" and "rule:<id>" are a closed vocabulary, kept
// exactly; "tag:<hashtag>" and "term:<word>" (words of the normalized text,
// any script, minus stopwords, short words, numbers and symbols) are open,
// and pass through a Space-Saving summary first (see TermOptions), so memory
// stays bounded however many distinct words flow by.
class CrisisDetector {
 public:
  explicit CrisisDetector(const CrisisDetectorOptions& options = CrisisDetectorOptions());

  // Enables reach-and-tone escalation (without a lexicon it is off).
  void set_lexicon(const SentimentLexicon* lexicon) { lexicon_ = lexicon; }

  // Counts `msg` on its topics and marks `d` with the open alert it belongs
  // to, if any, and with a reach escalation. `normalized` is the message's
  // normalized text (ClassifierScratch::normalized()). Returns the alert the
  // message carries (an index for alert()), or -1; alerts this message
  // opened are appended to *opened.
  int Observe(const Message& msg, const RulePack& pack, std::string_view normalized, Decision* d,
              std::vector<int>* opened = nullptr);

  // Closes alerts whose topics are back at baseline as of `t_ms`.
  void CloseQuiet(int64_t t_ms);

  // Alerts, in opening order. alert(i) is the burst that opened alert i;
  // alert_messages(i) counts the messages that carried it.
  size_t num_alerts() const { return incidents_.size(); }
  const BurstAlert& alert(int index) const;
  int64_t alert_messages(int index) const { return incidents_[static_cast<size_t>(index)].messages; }
  bool alert_open(int index) const { return alert(index).closed_at_ms == 0; }

  // Alerts opened, closed or carried by a message since the last call, in
  // index order (the daemon stores these after each batch).
  std::vector<int> TakeChanged();

  // Every candidate topic of a message, before ignore rules and admission.
  void Topics(const Message& msg, const RulePack& pack, const Verdict& v, std::string_view normalized,
              std::vector<std::string>* out) const;

  // One alert as a line: {"type":"crisis_alert","alert":..,"topic":..,
  // "opened_at":..,"closed_at":..|null,"first_message":..,"messages":N,...}
  std::string AlertJson(int index) const;

  struct Stats {
    size_t topics = 0;            // with burst state, both scales
    size_t evictable_topics = 0;  // of which open-vocabulary (bounded)
    size_t terms_held = 0;        // Space-Saving counters in use
    size_t open_alerts = 0;
  };
  Stats stats() const;
  const CrisisDetectorOptions& options() const { return options_; }

  // Checkpoint (detector_checkpoint.h has the envelope, the bound and why):
  // everything Observe and CloseQuiet read, so that a detector restored
  // with LoadState and fed the rest of a stream derives the same alerts,
  // with the same ids, as one that saw the whole stream. Alerts that closed
  // and whose change was taken (TakeChanged) are left out: nothing reads
  // them again, and keeping them would grow the state with every alert
  // ever opened. The alerts kept are renumbered in order; *renumbered (if
  // given) gets, for each alert index now, its index after a restore or -1.
  void SaveState(CheckpointWriter* w, std::vector<int>* renumbered = nullptr) const;
  // Replaces the state of this detector, which must be built with the same
  // options (the envelope's settings fingerprint checks that), with what
  // SaveState wrote. On error the detector is as freshly constructed and the
  // error names the part and field that was wrong.
  Status LoadState(CheckpointReader* r);

 private:
  struct Incident {
    int scale = 0;  // 0 fast, 1 slow
    int index = 0;  // in that scale's BurstDetector
    int64_t messages = 0;
    bool changed = false;
    std::vector<uint64_t> links;  // brand topics (hashes) folded into it while open
    std::unordered_set<uint64_t> touched;  // topics its messages counted on (at most kMaxTouched)
  };
  static constexpr size_t kMaxTouched = 10'000;
  int Unified(int scale, int index);  // -1 stays -1
  void MarkChanged(int incident);
  void SweepClosed(int64_t t_ms);
  bool Ignored(std::string_view topic) const;
  void Reset();
  Status LoadIncidents(CheckpointReader* r);

  CrisisDetectorOptions options_;
  BurstDetector fast_, slow_;
  SpaceSaving terms_;
  const SentimentLexicon* lexicon_ = nullptr;
  std::vector<std::string> ignore_exact_, ignore_prefix_;
  std::unordered_set<uint64_t> stopwords_;  // hashes of the words (std::hash)
  std::vector<Incident> incidents_;
  std::vector<int> fast_to_unified_, slow_to_unified_;
  std::vector<int> open_incidents_, changed_;
  std::unordered_map<uint64_t, int> linked_;  // brand topic hash -> open incident it belongs to
  std::unordered_map<uint64_t, int> suppressed_;  // topic hash -> open incidents that touched it
  mutable std::vector<std::string> topics_;  // reused
  std::vector<size_t> active_;               // reused: indices of counted topics
  std::vector<uint64_t> hashes_;             // reused: BurstDetector::HashTopic of each topic
  int64_t first_event_ms_ = 0, last_minute_ = 0, last_halving_ = 0;
};

// A CrisisDetector as the Processor's detect stage (replay, eval, the Kafka
// bridge outside serve, bench). Single-threaded, like the detector.
class CrisisDetectStage : public DetectStage {
 public:
  explicit CrisisDetectStage(CrisisDetector* detector) : detector_(detector) {}
  void Observe(const Pipeline& pipeline, const Message& msg, std::string_view normalized, Decision* d) override {
    opened_.clear();
    detector_->Observe(msg, pipeline.pack(), normalized, d, &opened_);
  }
  // The alerts the last message opened.
  const std::vector<int>& opened() const { return opened_; }
  CrisisDetector& detector() { return *detector_; }

 private:
  CrisisDetector* detector_;
  std::vector<int> opened_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_CRISIS_DETECTOR_H_
