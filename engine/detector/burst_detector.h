// BurstDetector: finds topics whose message volume rises far above their own
// baseline, on event time (message created_at), so replaying an archive gives
// the same alerts every time.
//
// Per topic (a brand, a rule, a hashtag, a term): a ring of per-bucket counts
// (default: ten one-minute buckets) and a slowly adapting baseline rate, an
// exponentially weighted moving average of the per-bucket count with a time
// constant of hours, so the daily rhythm is absorbed into the baseline. A
// bucket enters the average when it leaves the window, so a burst is never
// part of the baseline it is judged against. The average is normalized by the
// weight of the history it has (bias-corrected, as in Adam), so a young topic
// is not underestimated while history builds; a topic with no history yet,
// such as a hashtag born in a burst, is judged against `floor_rate`.
//
// Surprise score: the Poisson upper tail P(X >= window count | rate x window),
// widened to a negative binomial by how little history the rate rests on
// (see Observe in the .cc).
// Why Poisson and not a z-score: per-topic counts are small integers (a brand
// gets a few messages an hour), where the normal approximation behind a
// z-score is badly wrong in exactly the tail we care about; the Poisson tail is
// exact for rare independent arrivals, needs only the rate we already track,
// and its p-value reads the same for a quiet topic and a busy one. Kleinberg's
// burst automaton would need a state sequence per topic and a batch pass; the
// tail test is O(1) per message and streams.
//
// An alert opens when the tail probability is below `p_value` and the window
// holds at least `min_count` messages; it closes (hysteresis) once the window
// count falls back to at most `close_ratio` times the expected count; a topic
// then stays quiet for `cooldown` before it can alert again. A topic never seen
// before starts from `floor_rate`, a small prior, so its first messages are
// not all "infinitely surprising"; and for its first `young_ms` it needs
// `young_min_count` messages in the window (three times min_count by
// default): a new brand's first nine messages, or a word the term summary
// admitted late, are new, not anomalous. A new hashtag that explodes still
// alerts.
//
// Memory is bounded: topics under a pinned prefix (brands, rules: a closed
// vocabulary) are kept exactly; of the others at most `max_topics` are kept,
// and when a new one arrives at the limit the least recently active one
// without an open alert is evicted (its baseline is forgotten, as an idle
// topic's would decay anyway). Per-topic overrides replace min_count and
// p_value for named topics.
#ifndef TRIAGE_ENGINE_DETECTOR_BURST_DETECTOR_H_
#define TRIAGE_ENGINE_DETECTOR_BURST_DETECTOR_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/detector_options.h"

namespace triage {

class CheckpointReader;
class CheckpointWriter;

struct BurstAlert {
  std::string id;            // "alert:<opened_at_ms>:<topic>", stable across replays
  std::string topic;
  int64_t opened_at_ms = 0;
  int64_t closed_at_ms = 0;  // 0 while open
  std::string first_message; // the message that opened it
  int64_t messages = 0;      // messages on the topic while it was open
  double p_value = 1.0;      // tail probability when it opened
  double expected = 0;       // expected window count at opening
  int64_t window_count = 0;  // window count at opening
};

// P(X >= k) for X ~ Poisson(lambda), computed in log space.
double PoissonUpperTail(int64_t k, double lambda);
// P(X >= k) for X negative binomial with the given mean and shape r
// (variance mean + mean^2 / r); a Poisson for r >= 1e7.
double NegBinomialUpperTail(int64_t k, double mean, double shape);

class BurstDetector {
 public:
  explicit BurstDetector(BurstDetectorOptions options = {});

  // Counts one message on `topic` at event time `t_ms`. Returns the index of
  // the topic's open alert (see alert()), or -1. When this message opens the
  // alert, *opened is set to true. Messages should arrive in roughly
  // increasing event time: a late one is counted in its own bucket if that is
  // still in the window, and not counted at all if it is older.
  // With allow_open false the message is counted but cannot open an alert
  // (used to fold a burst into an alert already open on a related topic).
  int Observe(std::string_view topic, int64_t t_ms, std::string_view message_id, bool* opened = nullptr,
              bool allow_open = true) {
    return Observe(topic, HashTopic(topic), t_ms, message_id, opened, allow_open);
  }
  // The same with the topic's HashTopic() computed once by the caller (the
  // crisis detector hashes each topic once for both scales). Topics are
  // keyed by this 64-bit hash: two names colliding would share state, which
  // at 64 bits is a risk of about 1e-10 for 100,000 topics.
  int Observe(std::string_view topic, uint64_t hash, int64_t t_ms, std::string_view message_id,
              bool* opened = nullptr, bool allow_open = true);

  static uint64_t HashTopic(std::string_view topic) { return std::hash<std::string_view>{}(topic); }

  // Keeps the topic from opening an alert before `until_ms` (no-op for an
  // unknown topic).
  void Quiet(uint64_t hash, int64_t until_ms) {
    if (auto it = topics_.find(hash); it != topics_.end())
      it->second.quiet_until_ms = std::max(it->second.quiet_until_ms, until_ms);
  }

  // Whether the topic has burst state. Changes nothing.
  bool HasTopic(uint64_t hash) const { return topics_.find(hash) != topics_.end(); }
  bool HasTopic(std::string_view topic) const { return HasTopic(HashTopic(topic)); }

  // The open alert on the topic, or -1. Changes nothing.
  int OpenAlertOf(uint64_t hash) const;
  int OpenAlertOf(std::string_view topic) const { return OpenAlertOf(HashTopic(topic)); }

  // Advances every topic with an open alert to `t_ms` and closes those back
  // at baseline; returns the indices of the alerts it closed. Cheap (only
  // open alerts are visited): call it as event time advances.
  std::vector<int> CloseQuiet(int64_t t_ms);

  const BurstAlert& alert(int index) const { return alerts_[static_cast<size_t>(index)]; }
  size_t num_alerts() const { return alerts_.size(); }
  size_t num_topics() const { return topics_.size(); }
  bool has_open_alerts() const { return !open_.empty(); }
  size_t num_evictable_topics() const { return lru_size_; }
  const BurstDetectorOptions& options() const { return options_; }

  // Checkpoint (detector_checkpoint.h). Every topic (name, baseline bits,
  // ring, window count, cooldown, thresholds), the evictable ones in their
  // recency order so that the same topic is evicted next after a restore,
  // the open alerts in opening order, and of the alerts only those in
  // `keep_alerts` (ascending indices; it must hold every open alert): they
  // are renumbered 0, 1, ... in that order, so the state stays bounded
  // however many alerts opened and closed before. Bounded by the settings:
  // brands and rules, plus at most max_topics other topics (more only while
  // each of the extra ones holds an open alert).
  void SaveState(CheckpointWriter* w, const std::vector<int>& keep_alerts) const;
  // Replaces this detector's state with what SaveState wrote, for a detector
  // built with the same options (the envelope checks that). On error the
  // detector is left empty and the error names the field.
  Status LoadState(CheckpointReader* r);

 private:
  struct Topic {
    std::string name;
    double rate = 0;           // decayed sum of bucket counts (weights 1 - decay)
    double weight = 0;         // decayed sum of the weights: rate / weight is the mean
    int64_t bucket = -1;       // index of the newest bucket in the ring
    int64_t born = 0;          // index of the first bucket
    std::vector<uint32_t> ring;
    int64_t window_count = 0;
    int alert = -1;
    int64_t quiet_until_ms = 0;  // cooldown
    int min_count = 0;
    double p_value = 0;
    bool pinned = false;
    uint64_t hash = 0;
    Topic* lru_prev = nullptr;  // evictable topics only: towards the most recent
    Topic* lru_next = nullptr;  // towards the least recent
  };

  void AdvanceTo(Topic* t, int64_t bucket);
  void Feed(Topic* t, uint32_t count, int64_t n) const;
  bool MaybeClose(Topic* t, int64_t t_ms);
  double Expected(const Topic& t) const;
  Topic* Find(std::string_view name, uint64_t hash);
  void LruUnlink(Topic* t);
  void LruPushFront(Topic* t);
  void Clear();
  bool LoadTopic(CheckpointReader* r, Topic* t);  // its alert is checked by the caller

  BurstDetectorOptions options_;
  double decay_;  // per bucket
  // By hash; nodes do not move, so Topic pointers stay valid until erased.
  std::unordered_map<uint64_t, Topic> topics_;
  // Evictable topics in an intrusive list, most recently active first.
  Topic* lru_head_ = nullptr;
  Topic* lru_tail_ = nullptr;
  size_t lru_size_ = 0;
  std::vector<Topic*> open_;  // topics with an open alert (few), in opening order
  std::vector<BurstAlert> alerts_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_BURST_DETECTOR_H_
