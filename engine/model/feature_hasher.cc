#include "engine/model/feature_hasher.h"

namespace triage {

namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

inline uint64_t Fnv(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

inline uint64_t Start(uint64_t seed, char ns) {
  uint64_t h = kFnvOffset ^ seed;
  h ^= static_cast<unsigned char>(ns);
  h *= kFnvPrime;
  return h;
}

// FNV's low bits mix poorly for short keys; fold the high half in before
// taking the modulus.
inline uint32_t Fold(uint64_t h, uint32_t bits) {
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h & ((1ull << bits) - 1));
}

inline bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

uint32_t FeatureHasher::Index(char ns, std::string_view value) const {
  return Fold(Fnv(Start(options_.seed, ns), value), options_.dim_bits);
}

void FeatureHasher::ExtractText(std::string_view t, std::vector<uint32_t>* out) const {
  // Words and word pairs. The normalized text is " w1 w2 ... wn ".
  size_t prev_begin = std::string_view::npos;
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && t[i] == ' ') ++i;
    if (i >= t.size()) break;
    size_t b = i;
    while (i < t.size() && t[i] != ' ') ++i;
    std::string_view word = t.substr(b, i - b);
    out->push_back(Index('w', word));
    if (options_.word_bigrams && prev_begin != std::string_view::npos)
      out->push_back(Index('b', t.substr(prev_begin, i - prev_begin)));  // "w1 w2", the space included
    prev_begin = b;
  }

  // Character n-grams over code points: starts[k] is the byte offset of the
  // k-th code point; a ring of the last char_max starts is enough.
  if (options_.char_max == 0 || options_.char_min > options_.char_max) return;
  constexpr uint32_t kMaxN = 8;
  uint32_t nmax = options_.char_max < kMaxN ? options_.char_max : kMaxN;
  size_t starts[kMaxN + 1];
  uint32_t seen = 0;  // code points so far
  for (size_t p = 0; p <= t.size(); ++p) {
    if (p < t.size() && IsContinuation(static_cast<unsigned char>(t[p]))) continue;
    // p is the start of a code point (or the end): every n-gram ending here.
    for (uint32_t n = options_.char_min; n <= nmax && n <= seen; ++n) {
      size_t from = starts[(seen - n) % (kMaxN + 1)];
      out->push_back(Index('c', t.substr(from, p - from)));
    }
    if (p == t.size()) break;
    starts[seen % (kMaxN + 1)] = p;
    ++seen;
  }
}

void FeatureHasher::ExtractContext(const Context& c, std::vector<uint32_t>* out) const {
  out->push_back(Index('h', c.channel));
  out->push_back(Index('k', c.kind == Kind::kPublic ? "public" : c.kind == Kind::kPrivate ? "private" : "unknown"));
  out->push_back(Index('l', c.lang));
  char reach = '0';
  for (int64_t f = c.followers; f >= 10 && reach < '9'; f /= 10) ++reach;
  out->push_back(Index('f', std::string_view(&reach, 1)));
  if (c.verified) out->push_back(Index('v', "1"));
}

}  // namespace triage
