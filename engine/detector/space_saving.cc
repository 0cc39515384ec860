#include "engine/detector/space_saving.h"

#include <algorithm>

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

}  // namespace triage
