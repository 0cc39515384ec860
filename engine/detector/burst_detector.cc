#include "engine/detector/burst_detector.h"

#include <algorithm>
#include <cmath>

namespace triage {

double PoissonUpperTail(int64_t k, double lambda) {
  if (k <= 0) return 1.0;
  if (lambda <= 0) return 0.0;
  if (static_cast<double>(k) <= lambda) {
    // At or below the mean the tail is large; sum the lower part exactly.
    double term = std::exp(-lambda), cdf = 0;
    for (int64_t i = 0; i < k; ++i) {
      cdf += term;
      term *= lambda / static_cast<double>(i + 1);
    }
    return std::max(0.0, 1.0 - cdf);
  }
  // Above the mean the terms fall off at least geometrically: sum from k up.
  double log_term = -lambda + static_cast<double>(k) * std::log(lambda) - std::lgamma(static_cast<double>(k) + 1);
  double term = std::exp(log_term), sum = 0;
  for (int64_t i = k; i < k + 1000 && term > sum * 1e-15; ++i) {
    sum += term;
    term *= lambda / static_cast<double>(i + 1);
  }
  return std::min(1.0, sum);
}

double NegBinomialUpperTail(int64_t k, double mean, double shape) {
  if (k <= 0) return 1.0;
  if (mean <= 0) return 0.0;
  if (!(shape < 1e7)) return PoissonUpperTail(k, mean);
  // X ~ NB(r = shape, p = r / (r + mean)): P(X = j) = C(j + r - 1, j) p^r (1 - p)^j.
  const double r = shape, q = mean / (r + mean);  // q = 1 - p
  auto log_pmf = [&](double j) {
    return std::lgamma(j + r) - std::lgamma(r) - std::lgamma(j + 1) + r * std::log1p(-q) + j * std::log(q);
  };
  const double kd = static_cast<double>(k);
  if (kd <= mean) {
    double cdf = 0;
    for (int64_t j = 0; j < k; ++j) cdf += std::exp(log_pmf(static_cast<double>(j)));
    return std::max(0.0, 1.0 - cdf);
  }
  // Above the mean the ratio P(j+1)/P(j) = (j + r) q / (j + 1) is below 1
  // and falling: sum from k up.
  double term = std::exp(log_pmf(kd)), sum = 0;
  for (int64_t j = k; j < k + 100000 && term > sum * 1e-15; ++j) {
    sum += term;
    term *= (static_cast<double>(j) + r) * q / static_cast<double>(j + 1);
  }
  return std::min(1.0, sum);
}

BurstDetector::BurstDetector(BurstDetectorOptions options)
    : options_(options), decay_(std::exp(-static_cast<double>(options.bucket_ms) / options.baseline_tau_ms)) {
  options_.window_buckets = std::max(1, options_.window_buckets);
  options_.max_topics = std::max<size_t>(1, options_.max_topics);
}

double BurstDetector::Expected(const Topic& t) const {
  double rate = t.weight > 0 ? t.rate / t.weight : 0;
  return std::max(rate, options_.floor_rate) * options_.window_buckets;
}

void BurstDetector::Feed(Topic* t, uint32_t count, int64_t n) const {
  // n buckets of `count` each (n > 1 only for empty ones).
  double k = n == 1 ? decay_ : std::pow(decay_, static_cast<double>(n));
  t->rate = t->rate * k + static_cast<double>(count) * (1 - k);
  t->weight = t->weight * k + (1 - k);
}

void BurstDetector::AdvanceTo(Topic* t, int64_t bucket) {
  if (t->bucket < 0) {
    t->bucket = bucket;
    t->born = bucket;
    return;
  }
  const int64_t w = options_.window_buckets;
  // A bucket joins the baseline when it leaves the window, not when it
  // completes: a burst never raises the baseline it is judged against, and a
  // topic born in a burst is judged against the floor until its first
  // buckets age out. Buckets from before the topic was born are not history.
  while (t->bucket < bucket) {
    ++t->bucket;
    uint32_t& slot = t->ring[static_cast<size_t>(t->bucket % w)];
    if (t->bucket - w >= t->born) Feed(t, slot, 1);
    t->window_count -= slot;
    slot = 0;
    if (t->window_count == 0 && bucket - t->bucket > w) {
      // Nothing in the window: every bucket from here to `bucket` is empty.
      // Those that leave the window meanwhile feed zeros, all at once.
      int64_t first = std::max(t->born, t->bucket + 1 - w), last = bucket - w;
      if (last >= first) Feed(t, 0, last - first + 1);
      t->bucket = bucket;
    }
  }
}

void BurstDetector::LruUnlink(Topic* t) {
  (t->lru_prev ? t->lru_prev->lru_next : lru_head_) = t->lru_next;
  (t->lru_next ? t->lru_next->lru_prev : lru_tail_) = t->lru_prev;
  t->lru_prev = t->lru_next = nullptr;
  --lru_size_;
}

void BurstDetector::LruPushFront(Topic* t) {
  t->lru_prev = nullptr;
  t->lru_next = lru_head_;
  (lru_head_ ? lru_head_->lru_prev : lru_tail_) = t;
  lru_head_ = t;
  ++lru_size_;
}

BurstDetector::Topic* BurstDetector::Find(std::string_view name, uint64_t hash) {
  auto it = topics_.find(hash);
  if (it != topics_.end()) {
    Topic* t = &it->second;
    if (!t->pinned && t != lru_head_) {
      LruUnlink(t);
      LruPushFront(t);
    }
    return t;
  }
  bool pinned = false;
  for (const std::string& prefix : options_.pinned_prefixes)
    if (name.substr(0, prefix.size()) == prefix) pinned = true;
  if (!pinned && lru_size_ >= options_.max_topics) {
    // Evict the least recently active topic that has no open alert.
    for (Topic* victim = lru_tail_; victim; victim = victim->lru_prev) {
      if (victim->alert >= 0) continue;
      LruUnlink(victim);
      topics_.erase(victim->hash);
      break;
    }
  }
  Topic& t = topics_[hash];
  t.name = std::string(name);
  t.hash = hash;
  t.ring.assign(static_cast<size_t>(options_.window_buckets), 0);
  t.min_count = options_.min_count;
  t.p_value = options_.p_value;
  if (auto o = options_.overrides.find(name); o != options_.overrides.end()) {
    if (o->second.min_count) t.min_count = *o->second.min_count;
    if (o->second.p_value) t.p_value = *o->second.p_value;
  }
  t.pinned = pinned;
  if (!pinned) LruPushFront(&t);
  return &t;
}

bool BurstDetector::MaybeClose(Topic* t, int64_t t_ms) {
  if (t->alert < 0) return false;
  BurstAlert& a = alerts_[static_cast<size_t>(t->alert)];
  // Hysteresis: at least one full window after opening, and back near baseline.
  if (t_ms - a.opened_at_ms < options_.bucket_ms * options_.window_buckets) return false;
  if (static_cast<double>(t->window_count) > options_.close_ratio * Expected(*t)) return false;
  a.closed_at_ms = t_ms;
  t->alert = -1;
  open_.erase(std::find(open_.begin(), open_.end(), t));
  t->quiet_until_ms = t_ms + options_.cooldown_ms;
  return true;
}

int BurstDetector::OpenAlertOf(uint64_t hash) const {
  auto it = topics_.find(hash);
  return it == topics_.end() ? -1 : it->second.alert;
}

int BurstDetector::Observe(std::string_view topic, uint64_t hash, int64_t t_ms, std::string_view message_id,
                           bool* opened, bool allow_open) {
  if (opened) *opened = false;
  if (t_ms < 0) return -1;  // buckets are indices from the epoch
  Topic* t = Find(topic, hash);
  int64_t bucket = t_ms / options_.bucket_ms;
  AdvanceTo(t, std::max(bucket, t->bucket));
  // Close first if the topic had gone quiet before this message arrived.
  MaybeClose(t, t_ms);
  // A message later than the whole window (a slow connector, a backfill)
  // belongs to a period already judged: counting it now would make a burst
  // of old news. Within the window it counts in its own bucket.
  if (bucket <= t->bucket - options_.window_buckets) return t->alert;
  ++t->ring[static_cast<size_t>(bucket % options_.window_buckets)];
  ++t->window_count;
  if (t->alert >= 0) {
    ++alerts_[static_cast<size_t>(t->alert)].messages;
    return t->alert;
  }
  if (!allow_open || t->window_count < t->min_count || t_ms < t->quiet_until_ms) return -1;
  // Young topics need a burst well past min_count (see young_ms).
  if ((bucket - t->born) * options_.bucket_ms < options_.young_ms &&
      t->window_count < (options_.young_min_count > 0 ? options_.young_min_count : 3 * t->min_count))
    return -1;
  double expected = Expected(*t);
  // How sure the baseline is: the buckets of history behind it (at most
  // tau / bucket). The window count is Poisson given the true rate, and the
  // rate is only estimated: with a Gamma posterior of shape expected-rate x
  // history, the count is negative binomial, whose tail is heavier when the
  // history is short. With a plain Poisson on the point estimate, thousands
  // of words whose baselines came out low by chance raise false alarms
  // (bench/detector_load showed it); a topic with no history is judged
  // against the floor, which is a rate assumed, not estimated (Poisson).
  double shape = t->weight > 0 ? expected / options_.window_buckets * (t->weight / (1 - decay_)) : 1e300;
  double variance = expected + (shape < 1e300 ? expected * expected / shape : 0);
  // Cheap screen before the tail: for an expected count of at least 1, below
  // mean + 4 sd + 4 the Poisson tail stays above 1e-6 (tested), so with
  // p_value <= 1e-6 nothing that could alert is skipped, and busy topics at
  // their usual volume cost no lgamma/exp. (Below 1 the screen is not safe:
  // P(X >= 3 | 0.01) is 1.7e-7.)
  if (t->p_value <= 1e-6 && expected >= 1.0 &&
      static_cast<double>(t->window_count) < expected + 4 * std::sqrt(variance) + 4)
    return -1;
  double p = NegBinomialUpperTail(t->window_count, expected, shape);
  if (p >= t->p_value) return -1;
  BurstAlert a;
  a.id = "alert:" + std::to_string(t_ms) + ":" + t->name;
  a.topic = t->name;
  a.opened_at_ms = t_ms;
  a.first_message = std::string(message_id);
  a.messages = 1;
  a.p_value = p;
  a.expected = expected;
  a.window_count = t->window_count;
  alerts_.push_back(std::move(a));
  t->alert = static_cast<int>(alerts_.size() - 1);
  open_.push_back(t);
  if (opened) *opened = true;
  return t->alert;
}

std::vector<int> BurstDetector::CloseQuiet(int64_t t_ms) {
  std::vector<int> closed;
  std::vector<Topic*> open = open_;  // MaybeClose edits open_
  for (Topic* t : open) {
    AdvanceTo(t, std::max(t_ms / options_.bucket_ms, t->bucket));
    int index = t->alert;
    if (MaybeClose(t, t_ms)) closed.push_back(index);
  }
  std::sort(closed.begin(), closed.end());
  return closed;
}

}  // namespace triage
