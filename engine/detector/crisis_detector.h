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
#include <vector>

#include "engine/detector/burst_detector.h"
#include "engine/detector/sentiment.h"
#include "engine/pipeline.h"

namespace triage {

// Two time scales run side by side: a fast one (one-minute buckets, a
// ten-minute window) for outages that explode, and a slow one (ten-minute
// buckets, a one-hour window) for stories that build over hours, such as a
// video being shared. An incident is still one alert: a topic or message
// already in an alert on either scale folds into it.
// Reach and tone: a public message with clearly negative tone from an author
// with a large following (or a verified one) is escalated to urgent on its
// own, before any burst: one journalist can start a crisis.
struct ReachEscalation {
  int64_t min_followers = 50'000;
  bool verified_counts = true;
  double max_compound = -0.5;  // tone at or below this is "clearly negative"
};

struct CrisisDetectorOptions {
  BurstDetectorOptions fast;
  BurstDetectorOptions slow;
  ReachEscalation reach;
  CrisisDetectorOptions() {
    slow.bucket_ms = 10 * 60'000;
    slow.window_buckets = 6;
    slow.min_count = 10;
    slow.floor_rate = 0.2;
  }
};

class CrisisDetector {
 public:
  explicit CrisisDetector(CrisisDetectorOptions options = {})
      : fast_(options.fast), slow_(options.slow), reach_(options.reach) {}

  // Enables reach-and-tone escalation (without a lexicon it is off).
  void set_lexicon(const SentimentLexicon* lexicon) { lexicon_ = lexicon; }

  // Counts `msg` on its topics and marks `d` with an open alert, if any, and
  // with a reach escalation. `normalized` is the message's normalized text
  // (ClassifierScratch::normalized()). Returns the alerts this message opened
  // (indices for alert()).
  std::vector<int> Observe(const Message& msg, const RulePack& pack, std::string_view normalized, Decision* d);

  // Closes alerts whose topics are back at baseline as of `t_ms`.
  void CloseQuiet(int64_t t_ms);
  size_t num_alerts() const { return alerts_.size(); }
  const BurstAlert& alert(int index) const;

  // The topics of a message: "brand:<brand>", "rule:<id>", "tag:<hashtag>".
  static void Topics(const Message& msg, const RulePack& pack, const Verdict& v, std::vector<std::string>* out);


  // One alert as a line: {"type":"crisis_alert","alert":..,"topic":..,
  // "opened_at":..,"closed_at":..|null,"first_message":..,"messages":N,"p_value":..}
  static std::string AlertJson(const BurstAlert& a);

 private:
  int Unified(int scale, int index);  // -1 stays -1

  BurstDetector fast_, slow_;
  ReachEscalation reach_;
  const SentimentLexicon* lexicon_ = nullptr;
  std::vector<std::pair<int, int>> alerts_;  // (scale, index in that detector), in opening order
  std::vector<int> fast_to_unified_, slow_to_unified_;
  std::vector<std::string> topics_;  // reused
  int64_t last_minute_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_CRISIS_DETECTOR_H_
