// Settings of the crisis detector, as read from a rule pack's `detector:`
// section (see engine/rule_pack.h for the YAML form). Plain data: the rule
// pack fills it, CrisisDetector and BurstDetector read it.
#ifndef TRIAGE_ENGINE_DETECTOR_OPTIONS_H_
#define TRIAGE_ENGINE_DETECTOR_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace triage {

// Per-topic thresholds that replace the scale's own (per-brand overrides).
struct TopicThresholds {
  std::optional<int> min_count;
  std::optional<double> p_value;
};

// One time scale of burst detection. See burst_detector.h for the model.
struct BurstDetectorOptions {
  int64_t bucket_ms = 60'000;
  int window_buckets = 10;
  double baseline_tau_ms = 6.0 * 3600 * 1000;
  double p_value = 1e-6;
  int min_count = 8;
  double floor_rate = 0.02;  // least expected messages per bucket (a topic without history has this)
  // A topic seen for less than young_ms has no baseline of its own, only the
  // floor: being new is no anomaly (a brand's first messages, a word the
  // term summary admitted late), so it alerts only from young_min_count
  // messages in the window (0: 3 x min_count).
  int64_t young_ms = 3600'000;
  int young_min_count = 0;
  double close_ratio = 2.0;
  int64_t cooldown_ms = 3600'000;
  // Bound on topics that may be evicted (those not under a pinned prefix).
  size_t max_topics = 100'000;
  // Topics whose name starts with one of these are kept exactly and never
  // evicted (brands and rules: a closed vocabulary).
  std::vector<std::string> pinned_prefixes;
  // Thresholds for named topics ("brand:Acme").
  std::map<std::string, TopicThresholds, std::less<>> overrides;
};

// Reach and tone: a public message with clearly negative tone from an author
// with a large following (or a verified one) is escalated to urgent on its
// own, before any burst: one journalist can start a crisis.
struct ReachEscalation {
  int64_t min_followers = 50'000;
  bool verified_counts = true;
  double max_compound = -0.5;  // tone at or below this is "clearly negative"
};

// Open-vocabulary topics (hashtags and free-text terms). Every candidate is
// counted in a Space-Saving summary of `capacity` counters; only a term the
// summary guarantees has been seen at least `admit_count` times becomes a
// topic with burst state, so a stream of one-off words never pushes real
// topics out. Counts are halved every `halve_every_ms` of event time, so the
// summary follows what is being said now.
struct TermOptions {
  bool enabled = true;
  size_t capacity = 50'000;
  int admit_count = 3;
  int min_codepoints = 3;  // shorter words are not terms
  int64_t halve_every_ms = 3600'000;
  std::vector<std::string> stopwords;  // normalized (TextNormalizer), without spaces
};

struct CrisisDetectorOptions {
  bool enabled = true;
  // No alert opens during the first `warmup_ms` of event time the detector
  // sees: at the start of a stream every topic is new, and a word in every
  // message is not a burst. Counting goes on, so baselines are ready after.
  int64_t warmup_ms = 2 * 3600'000;
  BurstDetectorOptions fast;  // outages that explode in minutes
  BurstDetectorOptions slow;  // stories that build over an hour
  ReachEscalation reach;
  TermOptions terms;
  // Topics never counted: exact names ("tag:giveaway") or prefixes ending in
  // '*' ("term:*" turns free-text terms off).
  std::vector<std::string> ignore;
  // Per-brand thresholds, by brand name as in messages; both scales.
  std::map<std::string, TopicThresholds, std::less<>> brands;

  CrisisDetectorOptions() {
    slow.bucket_ms = 10 * 60'000;
    slow.window_buckets = 6;
    slow.min_count = 10;
    slow.floor_rate = 0.2;
  }
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_OPTIONS_H_
