#include "engine/model/feature_hasher.h"

#include <cstring>

namespace triage {

namespace {

// Hashes bytes eight at a time (little-endian loads; the model file is
// little-endian too): features are short (n-grams of a few code points,
// words), so this is one or two multiplications per feature, not a loop per
// byte. Index() takes the top bits of a final multiplication (Fibonacci
// hashing), which are the well-mixed ones.
// `limit` is the end of the buffer `p` points into: when 8 bytes fit
// before it, the tail is one masked load instead of a byte loop.
inline uint64_t HashBytes(uint64_t seed, char ns, const char* p, size_t len, const char* limit) {
  uint64_t h = seed ^ (static_cast<uint64_t>(static_cast<unsigned char>(ns)) << 56) ^ len;
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x9fb21c651e98df25ull;
    h ^= h >> 29;
    p += 8;
    len -= 8;
  }
  uint64_t w = 0;
  if (len && limit - p >= 8) {
    std::memcpy(&w, p, 8);
    w &= ~0ull >> (8 * (8 - len));
  } else {
    for (size_t i = 0; i < len; ++i) w |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  h = (h ^ w) * 0x9fb21c651e98df25ull;
  h ^= h >> 32;
  return h * 0x9e3779b97f4a7c15ull;
}

inline bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

uint32_t FeatureHasher::Index(char ns, std::string_view value) const {
  return static_cast<uint32_t>(HashBytes(options_.seed, ns, value.data(), value.size(), value.data() + value.size()) >>
                               (64 - options_.dim_bits));
}

uint32_t FeatureHasher::IndexIn(char ns, std::string_view value, const char* limit) const {
  return static_cast<uint32_t>(HashBytes(options_.seed, ns, value.data(), value.size(), limit) >>
                               (64 - options_.dim_bits));
}

void FeatureHasher::ExtractText(std::string_view t, std::vector<uint32_t>* out) const {
  const char* end = t.data() + t.size();
  // Words and word pairs. The normalized text is " w1 w2 ... wn ".
  size_t prev_begin = std::string_view::npos;
  size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && t[i] == ' ') ++i;
    if (i >= t.size()) break;
    size_t b = i;
    while (i < t.size() && t[i] != ' ') ++i;
    std::string_view word = t.substr(b, i - b);
    out->push_back(IndexIn('w', word, end));
    if (options_.word_bigrams && prev_begin != std::string_view::npos)
      out->push_back(IndexIn('b', t.substr(prev_begin, i - prev_begin), end));  // "w1 w2", the space included
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
      out->push_back(IndexIn('c', t.substr(from, p - from), end));
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
