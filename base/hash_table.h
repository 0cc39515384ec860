// U64HashTable: an open-addressing hash table from 64-bit keys to small,
// trivially copyable values, for hot paths that look up millions of entries
// (the thread tracker remembers the last million messages).
//
// Why not std::unordered_map: every entry there is a separately allocated
// node, so an insert is a malloc, an erase a free, and a lookup follows two
// pointers; with a million entries each of those is a cache miss. Here the
// slots are one array: a lookup is one hash and, almost always, one cache
// line; inserts and erases allocate nothing except when the table doubles.
//
// Linear probing at a load factor of at most 1/2, and backward-shift
// deletion (no tombstones, so a long-running table never degrades). Keys are
// hashes the caller computes (StringHash64 below); key 0 is reserved for an
// empty slot, so callers map a zero hash to another value (NonZeroKey).
// Not thread-safe. Iteration order is not part of the interface.
#ifndef TRIAGE_BASE_HASH_TABLE_H_
#define TRIAGE_BASE_HASH_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

namespace triage {

// A 64-bit hash of `s`: FNV-1a over the bytes, then MurmurHash3's fmix64
// finalizer so that the low bits (the slot index) depend on every byte.
// Fixed across runs and machines, so whatever is built on it stays
// deterministic.
inline uint64_t StringHash64(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// `h`, or 1 when `h` is 0 (the table's empty-slot marker).
inline uint64_t NonZeroKey(uint64_t h) { return h ? h : 1; }

template <typename V>
class U64HashTable {
  static_assert(std::is_trivially_copyable_v<V>, "values are moved by copying slots");

 public:
  explicit U64HashTable(size_t initial_slots = 1024) {
    size_t n = 16;
    while (n < initial_slots) n *= 2;
    slots_.assign(n, Slot{});
    mask_ = n - 1;
  }

  size_t size() const { return size_; }
  // Slots allocated (a power of two, at least twice size()).
  size_t slot_count() const { return slots_.size(); }

  // The value under `key` (non-zero), or null.
  const V* Find(uint64_t key) const {
    for (size_t i = key & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == 0) return nullptr;
    }
  }
  V* Find(uint64_t key) { return const_cast<V*>(static_cast<const U64HashTable*>(this)->Find(key)); }

  // Sets the value under `key` (non-zero). Returns true if the key was new.
  bool Put(uint64_t key, const V& value) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    for (size_t i = key & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == key) {
        s.value = value;
        return false;
      }
      if (s.key == 0) {
        s.key = key;
        s.value = value;
        ++size_;
        return true;
      }
    }
  }

  // Removes `key` if present. Returns true if it was.
  bool Erase(uint64_t key) {
    size_t i = key & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == 0) return false;
    }
    // Backward shift: move later members of the probe run into the hole
    // while that keeps each reachable from its home slot.
    size_t hole = i;
    for (size_t j = (hole + 1) & mask_; slots_[j].key != 0; j = (j + 1) & mask_) {
      const size_t home = slots_[j].key & mask_;
      // Movable when home is not cyclically inside (hole, j].
      const bool inside = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (inside) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

 private:
  struct Slot {
    uint64_t key = 0;
    V value{};
  };

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.key == 0) continue;
      size_t i = s.key & mask_;
      while (slots_[i].key != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_BASE_HASH_TABLE_H_
