// SpaceSaving: approximate counts of the most frequent keys of an unbounded
// stream in a fixed number of counters (Metwally, Agrawal, El Abbadi, 2005).
//
// Each counter holds a key, its count and the error it may have inherited.
// A key already held is incremented. A new key takes over the counter with
// the smallest count m (when all are in use) and starts at m + 1 with error
// m. Guarantees: every key seen more than N / capacity times is held, and
// for a held key count - error <= true count <= count. Memory is fixed.
//
// Counts can be halved (count and error both), which keeps the summary
// following recent traffic: a key that stops appearing sinks to the bottom
// and is replaced by newer ones.
//
// The smallest counter is found with an indexed binary min-heap over counter
// slots (each slot knows its heap position, so moving one costs no lookup):
// Add is one hash lookup plus O(log capacity) swaps, Halve O(capacity).
//
// Keys are held as 64-bit hashes, not strings: 24 bytes per counter plus the
// index, and no string copies when a counter changes hands. Two keys with
// the same hash count as one (about 1e-10 likely among 50,000 counters).
#ifndef TRIAGE_ENGINE_DETECTOR_SPACE_SAVING_H_
#define TRIAGE_ENGINE_DETECTOR_SPACE_SAVING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace triage {

class CheckpointReader;
class CheckpointWriter;

class SpaceSaving {
 public:
  explicit SpaceSaving(size_t capacity);

  // Counts one occurrence of `key`; returns its guaranteed count
  // (count - error) afterwards.
  uint64_t Add(std::string_view key) { return AddHash(Hash(key)); }
  // The same for a key already hashed with Hash().
  uint64_t AddHash(uint64_t hash);

  // The guaranteed count of `key`, 0 if not held.
  uint64_t Guaranteed(std::string_view key) const;
  // The (over)estimated count of `key`, 0 if not held.
  uint64_t Estimate(std::string_view key) const;

  static uint64_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

  void Halve();

  size_t size() const { return slots_.size(); }
  size_t capacity() const { return capacity_; }

  // Checkpoint (detector_checkpoint.h): the counters in slot order and the
  // heap's order, so that ties for the smallest count are broken the same
  // way after a restore and the same keys are admitted. At most `capacity`
  // counters: about 20 bytes each. LoadState replaces this summary's state
  // (built with the same capacity); on error it is left empty and the error
  // names what was wrong.
  void SaveState(CheckpointWriter* w) const;
  Status LoadState(CheckpointReader* r);

 private:
  struct Slot {
    uint64_t key = 0;
    uint64_t count = 0;
    uint64_t error = 0;
    uint32_t heap_pos = 0;
  };
  uint64_t CountAt(size_t heap_pos) const { return slots_[heap_[heap_pos]].count; }
  void Swap(size_t a, size_t b);
  void SiftDown(size_t pos);
  void SiftUp(size_t pos);

  size_t capacity_;
  std::vector<Slot> slots_;     // reserved up front: never reallocates
  std::vector<uint32_t> heap_;  // slot indices, a min-heap on count
  std::unordered_map<uint64_t, uint32_t> where_;  // key hash -> slot
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_SPACE_SAVING_H_
