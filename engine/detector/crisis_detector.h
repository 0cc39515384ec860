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
#include "engine/pipeline.h"

namespace triage {

class CrisisDetector {
 public:
  explicit CrisisDetector(BurstDetectorOptions options = {}) : bursts_(options) {}

  // Counts `msg` on its topics and marks `d` with an open alert, if any.
  // Returns the alerts this message opened (indices into bursts()).
  std::vector<int> Observe(const Message& msg, const RulePack& pack, Decision* d);

  // The topics of a message: "brand:<brand>", "rule:<id>", "tag:<hashtag>".
  static void Topics(const Message& msg, const RulePack& pack, const Verdict& v, std::vector<std::string>* out);

  const BurstDetector& bursts() const { return bursts_; }
  BurstDetector& bursts() { return bursts_; }

  // One alert as a line: {"type":"crisis_alert","alert":..,"topic":..,
  // "opened_at":..,"closed_at":..|null,"first_message":..,"messages":N,"p_value":..}
  static std::string AlertJson(const BurstAlert& a);

 private:
  BurstDetector bursts_;
  std::vector<std::string> topics_;  // reused
  int64_t last_bucket_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_CRISIS_DETECTOR_H_
