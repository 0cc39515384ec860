#include "engine/detector/burst_detector.h"

#include <algorithm>
#include <cmath>

#include "engine/detector/checkpoint_codec.h"

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

void BurstDetector::Clear() {
  topics_.clear();
  lru_head_ = lru_tail_ = nullptr;
  lru_size_ = 0;
  open_.clear();
  alerts_.clear();
}

namespace {

void SaveTopicFields(CheckpointWriter* w, const std::string& name, double rate, double weight, int64_t bucket,
                     int64_t born, const std::vector<uint32_t>& ring, int64_t window_count, int alert,
                     int64_t quiet_until_ms, int min_count, double p_value) {
  w->String(name);
  w->Double(rate);
  w->Double(weight);
  w->Signed(bucket);
  w->Signed(born);
  w->Varint(ring.size());
  for (uint32_t c : ring) w->Varint(c);
  w->Signed(window_count);
  w->Signed(alert);
  w->Signed(quiet_until_ms);
  w->Signed(min_count);
  w->Double(p_value);
}

}  // namespace

void BurstDetector::SaveState(CheckpointWriter* w, const std::vector<int>& keep_alerts) const {
  std::vector<int> renumbered(alerts_.size(), -1);
  for (size_t k = 0; k < keep_alerts.size(); ++k) renumbered[static_cast<size_t>(keep_alerts[k])] = static_cast<int>(k);
  auto save = [&](const Topic& t) {
    SaveTopicFields(w, t.name, t.rate, t.weight, t.bucket, t.born, t.ring, t.window_count,
                    t.alert >= 0 ? renumbered[static_cast<size_t>(t.alert)] : -1, t.quiet_until_ms, t.min_count,
                    t.p_value);
  };
  w->Varint(lru_size_);
  for (const Topic* t = lru_head_; t; t = t->lru_next) save(*t);
  // Pinned topics are looked up by hash only: any order restores them, and
  // sorted keeps the bytes of one state the same from save to save.
  std::vector<const Topic*> pinned;
  for (const auto& [hash, t] : topics_)
    if (t.pinned) pinned.push_back(&t);
  std::sort(pinned.begin(), pinned.end(), [](const Topic* a, const Topic* b) { return a->hash < b->hash; });
  w->Varint(pinned.size());
  for (const Topic* t : pinned) save(*t);
  w->Varint(keep_alerts.size());
  for (int i : keep_alerts) {
    const BurstAlert& a = alerts_[static_cast<size_t>(i)];
    w->String(a.id);
    w->String(a.topic);
    w->Signed(a.opened_at_ms);
    w->Signed(a.closed_at_ms);
    w->String(a.first_message);
    w->Signed(a.messages);
    w->Double(a.p_value);
    w->Double(a.expected);
    w->Signed(a.window_count);
  }
  w->Varint(open_.size());
  for (const Topic* t : open_) w->Fixed64(t->hash);
}

bool BurstDetector::LoadTopic(CheckpointReader* r, Topic* t) {
  uint64_t ring_size = 0;
  int64_t alert = -1, min_count = 0;
  if (!r->String(&t->name, "topic name") || !r->Double(&t->rate, "topic baseline") ||
      !r->Double(&t->weight, "topic baseline weight") || !r->Signed(&t->bucket, "topic bucket") ||
      !r->Signed(&t->born, "topic first bucket") || !r->Varint(&ring_size, "topic window"))
    return false;
  if (ring_size != static_cast<uint64_t>(options_.window_buckets))
    return r->Fail("topic window", std::to_string(ring_size) + " buckets where the settings have " +
                                       std::to_string(options_.window_buckets));
  t->ring.assign(ring_size, 0);
  int64_t sum = 0;
  for (uint32_t& c : t->ring) {
    uint64_t v = 0;
    if (!r->Bounded(&v, UINT32_MAX, "topic bucket count")) return false;
    c = static_cast<uint32_t>(v);
    sum += static_cast<int64_t>(v);
  }
  if (!r->Signed(&t->window_count, "topic window count") || !r->Signed(&alert, "topic alert") ||
      !r->Signed(&t->quiet_until_ms, "topic cooldown") || !r->Signed(&min_count, "topic min_count") ||
      !r->Double(&t->p_value, "topic p_value"))
    return false;
  // The invariants Observe relies on: the window count is the ring's sum,
  // and the ring's newest bucket is not before the topic's first.
  if (t->window_count != sum) return r->Fail("topic window count", "not the sum of its buckets");
  if (t->bucket < -1 || (t->bucket >= 0 && t->born > t->bucket)) return r->Fail("topic bucket", "before its first bucket");
  if (alert < -1 || alert > INT32_MAX) return r->Fail("topic alert", "no such alert");
  if (min_count < 0 || min_count > INT32_MAX) return r->Fail("topic min_count", "out of range");
  t->alert = static_cast<int>(alert);
  t->min_count = static_cast<int>(min_count);
  t->hash = HashTopic(t->name);
  return true;
}

Status BurstDetector::LoadState(CheckpointReader* r) {
  Clear();
  auto fail = [&]() {
    Clear();
    return Status::Corruption(r->error());
  };
  // Topics come before the alerts they point to: their alert indices are
  // checked once the alerts are read.
  struct Read {
    Topic t;
    bool pinned;
  };
  std::vector<Read> read;
  for (int pinned = 0; pinned < 2; ++pinned) {
    uint64_t n = 0;
    if (!r->Bounded(&n, r->remaining(), "topic count")) return fail();
    for (uint64_t i = 0; i < n; ++i) {
      Read x;
      x.pinned = pinned == 1;
      if (!LoadTopic(r, &x.t)) return fail();
      read.push_back(std::move(x));
    }
  }
  uint64_t n_alerts = 0;
  if (!r->Bounded(&n_alerts, r->remaining(), "alert count")) return fail();
  for (uint64_t i = 0; i < n_alerts; ++i) {
    BurstAlert a;
    if (!r->String(&a.id, "alert id") || !r->String(&a.topic, "alert topic") ||
        !r->Signed(&a.opened_at_ms, "alert opening") || !r->Signed(&a.closed_at_ms, "alert closing") ||
        !r->String(&a.first_message, "alert first message") || !r->Signed(&a.messages, "alert messages") ||
        !r->Double(&a.p_value, "alert p_value") || !r->Double(&a.expected, "alert expected count") ||
        !r->Signed(&a.window_count, "alert window count"))
      return fail();
    alerts_.push_back(std::move(a));
  }
  std::vector<bool> alert_held(alerts_.size(), false);
  for (Read& x : read) {
    if (x.t.alert >= static_cast<int64_t>(alerts_.size())) return r->Fail("topic alert", "no such alert"), fail();
    if (x.t.alert >= 0) {
      if (alert_held[static_cast<size_t>(x.t.alert)] || alerts_[static_cast<size_t>(x.t.alert)].closed_at_ms != 0)
        return r->Fail("topic alert", "closed, or held by two topics"), fail();
      alert_held[static_cast<size_t>(x.t.alert)] = true;
    }
    auto [it, fresh] = topics_.emplace(x.t.hash, std::move(x.t));
    if (!fresh) return r->Fail("topic name", "a topic held twice"), fail();
    Topic* t = &it->second;
    t->pinned = x.pinned;
    // Read head first: each goes behind the ones before it.
    if (!t->pinned) {
      t->lru_prev = lru_tail_;
      (lru_tail_ ? lru_tail_->lru_next : lru_head_) = t;
      lru_tail_ = t;
      ++lru_size_;
    }
  }
  uint64_t n_open = 0;
  if (!r->Bounded(&n_open, alerts_.size(), "open alert count")) return fail();
  for (uint64_t i = 0; i < n_open; ++i) {
    uint64_t hash = 0;
    if (!r->Fixed64(&hash, "open alert topic")) return fail();
    auto it = topics_.find(hash);
    if (it == topics_.end() || it->second.alert < 0 ||
        std::find(open_.begin(), open_.end(), &it->second) != open_.end())
      return r->Fail("open alert topic", "not a topic with an open alert"), fail();
    open_.push_back(&it->second);
  }
  // Every open alert is held by exactly one topic, and listed once in open_.
  size_t held = 0, open = 0;
  for (bool h : alert_held) held += h;
  for (const BurstAlert& a : alerts_) open += a.closed_at_ms == 0;
  if (held != open_.size() || open != held)
    return r->Fail("open alert topics", "do not match the topics' alerts"), fail();
  return Status::OK();
}

}  // namespace triage
