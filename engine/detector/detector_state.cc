// The crisis detector's state for its checkpoint (detector_checkpoint.h):
// SaveState and LoadState of SpaceSaving, BurstDetector and CrisisDetector,
// kept together because they are one format: each part reads exactly what
// the matching part wrote, in the same order, and a change to one is a new
// kDetectorCheckpointVersion.
//
// Loading trusts nothing: the envelope's checksum guards against a damaged
// file, not against a bug or a crafted one, so every count is bounded,
// every index is checked against what it points into, and the invariants
// Observe relies on (a window count is its ring's sum, an open alert has
// exactly one topic and one incident) are verified before the state is used.
#include <algorithm>

#include "engine/detector/burst_detector.h"
#include "engine/detector/checkpoint_codec.h"
#include "engine/detector/crisis_detector.h"
#include "engine/detector/space_saving.h"

namespace triage {

void SpaceSaving::SaveState(CheckpointWriter* w) const {
  w->Varint(slots_.size());
  for (const Slot& s : slots_) {
    w->Fixed64(s.key);
    w->Varint(s.count);
    w->Varint(s.error);
  }
  for (uint32_t slot : heap_) w->Varint(slot);
}

Status SpaceSaving::LoadState(CheckpointReader* r) {
  slots_.clear();
  heap_.clear();
  where_.clear();
  auto fail = [&]() {
    slots_.clear();
    heap_.clear();
    where_.clear();
    return Status::Corruption(r->error());
  };
  uint64_t n = 0;
  if (!r->Bounded(&n, capacity_, "term summary: counters")) return fail();
  for (uint64_t i = 0; i < n; ++i) {
    Slot s;
    if (!r->Fixed64(&s.key, "term summary: key") || !r->Varint(&s.count, "term summary: count") ||
        !r->Varint(&s.error, "term summary: error"))
      return fail();
    if (s.error > s.count) return r->Fail("term summary: counter", "error above count"), fail();
    if (!where_.emplace(s.key, static_cast<uint32_t>(i)).second)
      return r->Fail("term summary: counter", "a key held twice"), fail();
    slots_.push_back(s);
  }
  std::vector<bool> placed(n, false);
  for (uint64_t pos = 0; pos < n; ++pos) {
    uint64_t slot = 0;
    if (!r->Bounded(&slot, n - 1, "term summary: heap")) return fail();
    if (placed[slot]) return r->Fail("term summary: heap", "a counter placed twice"), fail();
    placed[slot] = true;
    heap_.push_back(static_cast<uint32_t>(slot));
    slots_[slot].heap_pos = static_cast<uint32_t>(pos);
  }
  // A heap out of order would not crash, but would admit the wrong keys.
  for (size_t pos = 1; pos < heap_.size(); ++pos)
    if (CountAt((pos - 1) / 2) > CountAt(pos)) return r->Fail("term summary: heap", "not a min-heap"), fail();
  return Status::OK();
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

void CrisisDetector::SaveState(CheckpointWriter* w, std::vector<int>* renumbered) const {
  w->Signed(first_event_ms_);
  w->Signed(last_minute_);
  w->Signed(last_halving_);
  terms_.SaveState(w);
  // Which incidents a restored detector still needs: the open ones and
  // those with a change not yet taken.
  std::vector<int> fresh(incidents_.size(), -1);
  std::vector<int> keep_burst[2];
  int kept = 0;
  for (size_t u = 0; u < incidents_.size(); ++u) {
    if (!incidents_[u].changed && !alert_open(static_cast<int>(u)) &&
        std::find(open_incidents_.begin(), open_incidents_.end(), static_cast<int>(u)) == open_incidents_.end())
      continue;
    fresh[u] = kept++;
    keep_burst[incidents_[u].scale].push_back(incidents_[u].index);
  }
  // Burst alerts are renumbered by the detector of their scale in index
  // order; incidents of one scale were made in that order too.
  for (auto& k : keep_burst) std::sort(k.begin(), k.end());
  fast_.SaveState(w, keep_burst[0]);
  slow_.SaveState(w, keep_burst[1]);
  auto burst_index = [&](const Incident& inc) {
    const std::vector<int>& k = keep_burst[inc.scale];
    return std::lower_bound(k.begin(), k.end(), inc.index) - k.begin();
  };
  w->Varint(static_cast<uint64_t>(kept));
  for (size_t u = 0; u < incidents_.size(); ++u) {
    if (fresh[u] < 0) continue;
    const Incident& inc = incidents_[u];
    w->Varint(static_cast<uint64_t>(inc.scale));
    w->Varint(static_cast<uint64_t>(burst_index(inc)));
    w->Signed(inc.messages);
    w->Bool(inc.changed);
    w->Varint(inc.links.size());
    for (uint64_t h : inc.links) w->Fixed64(h);
    std::vector<uint64_t> touched(inc.touched.begin(), inc.touched.end());
    std::sort(touched.begin(), touched.end());
    w->Varint(touched.size());
    for (uint64_t h : touched) w->Fixed64(h);
  }
  auto save_list = [&](const std::vector<int>& list) {
    w->Varint(list.size());
    for (int u : list) w->Varint(static_cast<uint64_t>(fresh[static_cast<size_t>(u)]));
  };
  save_list(open_incidents_);
  save_list(changed_);
  std::vector<std::pair<uint64_t, int>> linked(linked_.begin(), linked_.end());
  std::sort(linked.begin(), linked.end());
  w->Varint(linked.size());
  for (const auto& [h, u] : linked) {
    w->Fixed64(h);
    w->Varint(static_cast<uint64_t>(fresh[static_cast<size_t>(u)]));
  }
  std::vector<std::pair<uint64_t, int>> suppressed(suppressed_.begin(), suppressed_.end());
  std::sort(suppressed.begin(), suppressed.end());
  w->Varint(suppressed.size());
  for (const auto& [h, n] : suppressed) {
    w->Fixed64(h);
    w->Varint(static_cast<uint64_t>(n));
  }
  if (renumbered) *renumbered = std::move(fresh);
}

void CrisisDetector::Reset() {
  fast_ = BurstDetector(fast_.options());
  slow_ = BurstDetector(slow_.options());
  terms_ = SpaceSaving(options_.terms.capacity);
  incidents_.clear();
  fast_to_unified_.clear();
  slow_to_unified_.clear();
  open_incidents_.clear();
  changed_.clear();
  linked_.clear();
  suppressed_.clear();
  first_event_ms_ = last_minute_ = last_halving_ = 0;
}

Status CrisisDetector::LoadState(CheckpointReader* r) {
  Reset();
  Status s;
  if (!r->Signed(&first_event_ms_, "first event time") || !r->Signed(&last_minute_, "last minute") ||
      !r->Signed(&last_halving_, "last halving"))
    s = Status::Corruption(r->error());
  if (s.ok()) s = terms_.LoadState(r);
  if (s.ok()) {
    s = fast_.LoadState(r);
    if (!s.ok()) s = Status::Corruption("fast scale: " + s.message());
  }
  if (s.ok()) {
    s = slow_.LoadState(r);
    if (!s.ok()) s = Status::Corruption("slow scale: " + s.message());
  }
  if (s.ok()) s = LoadIncidents(r);
  if (!s.ok()) Reset();
  return s;
}

Status CrisisDetector::LoadIncidents(CheckpointReader* r) {
  auto fail = [&]() { return Status::Corruption("incidents: " + r->error()); };
  fast_to_unified_.assign(fast_.num_alerts(), -1);
  slow_to_unified_.assign(slow_.num_alerts(), -1);
  uint64_t n = 0;
  if (!r->Bounded(&n, fast_.num_alerts() + slow_.num_alerts(), "incident count")) return fail();
  for (uint64_t u = 0; u < n; ++u) {
    Incident inc;
    uint64_t scale = 0, index = 0, links = 0, touched = 0;
    if (!r->Bounded(&scale, 1, "incident scale")) return fail();
    std::vector<int>& map = scale == 0 ? fast_to_unified_ : slow_to_unified_;
    if (map.empty()) return r->Fail("incident alert", "its scale has no alerts"), fail();
    if (!r->Bounded(&index, map.size() - 1, "incident alert") || !r->Signed(&inc.messages, "incident messages") ||
        !r->Bool(&inc.changed, "incident changed") || !r->Bounded(&links, r->remaining() / 8, "incident brands"))
      return fail();
    if (map[index] >= 0) return r->Fail("incident alert", "two incidents on one alert"), fail();
    map[index] = static_cast<int>(u);
    inc.scale = static_cast<int>(scale);
    inc.index = static_cast<int>(index);
    inc.links.resize(links);
    for (uint64_t& h : inc.links)
      if (!r->Fixed64(&h, "incident brand")) return fail();
    if (!r->Bounded(&touched, kMaxTouched, "incident topics")) return fail();
    for (uint64_t k = 0; k < touched; ++k) {
      uint64_t h = 0;
      if (!r->Fixed64(&h, "incident topic")) return fail();
      inc.touched.insert(h);
    }
    incidents_.push_back(std::move(inc));
  }
  // Every burst alert belongs to an incident (Unified makes one as the
  // alert opens).
  for (const auto* map : {&fast_to_unified_, &slow_to_unified_})
    for (int u : *map)
      if (u < 0) return r->Fail("incidents", "an alert without its incident"), fail();
  auto load_list = [&](std::vector<int>* list, const char* what) {
    uint64_t count = 0;
    if (!r->Bounded(&count, n, what)) return false;
    for (uint64_t k = 0; k < count; ++k) {
      uint64_t u = 0;
      if (!r->Bounded(&u, n - 1, what)) return false;
      list->push_back(static_cast<int>(u));
    }
    return true;
  };
  if (!load_list(&open_incidents_, "open incidents") || !load_list(&changed_, "changed incidents")) return fail();
  size_t flagged = 0;
  for (const Incident& inc : incidents_) flagged += inc.changed;
  std::vector<int> sorted = changed_;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end() || flagged != changed_.size())
    return r->Fail("changed incidents", "do not match the incidents' flags"), fail();
  for (int u : changed_)
    if (!incidents_[static_cast<size_t>(u)].changed)
      return r->Fail("changed incidents", "do not match the incidents' flags"), fail();
  uint64_t count = 0;
  if (!r->Bounded(&count, r->remaining() / 9, "linked brands")) return fail();
  for (uint64_t k = 0; k < count; ++k) {
    uint64_t h = 0, u = 0;
    if (n == 0) return r->Fail("linked brands", "no incident to link to"), fail();
    if (!r->Fixed64(&h, "linked brand") || !r->Bounded(&u, n - 1, "linked brand's incident")) return fail();
    linked_[h] = static_cast<int>(u);
  }
  if (!r->Bounded(&count, r->remaining() / 9, "suppressed topics")) return fail();
  for (uint64_t k = 0; k < count; ++k) {
    uint64_t h = 0, times = 0;
    if (!r->Fixed64(&h, "suppressed topic") || !r->Bounded(&times, INT32_MAX, "suppressed topic's incidents"))
      return fail();
    suppressed_[h] = static_cast<int>(times);
  }
  return Status::OK();
}

}  // namespace triage
