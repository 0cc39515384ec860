#include "engine/detector/space_saving.h"

#include <algorithm>

#include "engine/detector/checkpoint_codec.h"

namespace triage {

SpaceSaving::SpaceSaving(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
  slots_.reserve(capacity_);
  heap_.reserve(capacity_);
  where_.reserve(capacity_);
}

void SpaceSaving::Swap(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  slots_[heap_[a]].heap_pos = static_cast<uint32_t>(a);
  slots_[heap_[b]].heap_pos = static_cast<uint32_t>(b);
}

void SpaceSaving::SiftDown(size_t pos) {
  const size_t n = heap_.size();
  for (;;) {
    size_t l = 2 * pos + 1, r = l + 1, m = pos;
    if (l < n && CountAt(l) < CountAt(m)) m = l;
    if (r < n && CountAt(r) < CountAt(m)) m = r;
    if (m == pos) return;
    Swap(pos, m);
    pos = m;
  }
}

void SpaceSaving::SiftUp(size_t pos) {
  while (pos > 0 && CountAt((pos - 1) / 2) > CountAt(pos)) {
    Swap(pos, (pos - 1) / 2);
    pos = (pos - 1) / 2;
  }
}

uint64_t SpaceSaving::AddHash(uint64_t key) {
  auto it = where_.find(key);
  if (it != where_.end()) {
    // Counts only grow between halvings, so a counter only moves down.
    Slot& s = slots_[it->second];
    ++s.count;
    uint64_t g = s.count - s.error;
    SiftDown(s.heap_pos);
    return g;
  }
  if (slots_.size() < capacity_) {
    auto index = static_cast<uint32_t>(slots_.size());
    slots_.push_back(Slot{key, 1, 0, static_cast<uint32_t>(heap_.size())});
    heap_.push_back(index);
    where_.emplace(key, index);
    SiftUp(heap_.size() - 1);  // after a halving, older counters can hold 0
    return 1;
  }
  // Take over the smallest counter (the heap's root).
  uint32_t index = heap_[0];
  Slot& s = slots_[index];
  where_.erase(s.key);
  s.error = s.count;
  ++s.count;
  s.key = key;
  where_.emplace(key, index);
  SiftDown(0);
  return 1;
}

uint64_t SpaceSaving::Guaranteed(std::string_view key) const {
  auto it = where_.find(Hash(key));
  if (it == where_.end()) return 0;
  const Slot& s = slots_[it->second];
  return s.count - s.error;
}

uint64_t SpaceSaving::Estimate(std::string_view key) const {
  auto it = where_.find(Hash(key));
  return it == where_.end() ? 0 : slots_[it->second].count;
}

void SpaceSaving::Halve() {
  // Halving every count keeps the heap order (x <= y implies x/2 <= y/2).
  for (Slot& s : slots_) {
    s.count /= 2;
    s.error /= 2;
  }
}

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
    return Status::Corruption("term summary: " + r->error());
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

}  // namespace triage
