// FeatureHasher: turns a message into the sparse feature vector of the
// learned classifier (LinearModel), by the hashing trick: every feature is a
// string, and its index is a 64-bit hash of that string taken modulo
// 2^dim_bits. No vocabulary is stored, so a word never seen in training
// costs nothing and any script works the same way.
//
// Features, all from the normalized text (TextNormalizer: case-folded,
// accents dropped, words separated by single spaces, a space at each end):
//   - words and pairs of adjacent words;
//   - character n-grams of char_min..char_max code points, spaces included,
//     so word beginnings and endings are n-grams of their own. They carry
//     Hindi, Arabic and Bengali inflections, romanized spellings and typos
//     that whole words miss;
//   - the channel, the kind (public/private), the language in effect, the
//     author's reach (followers, by power of ten) and verification;
//   - the id of every rule that fired, so the model learns how far to trust
//     each rule.
// Each kind of feature has its own one-byte namespace in the hash, so the
// word "x" and the channel "x" are different features.
//
// The hash is stable across runs and builds (a model file stays valid): a
// multiply-mix hash over the bytes read eight at a time as little-endian
// words, with the namespace and the configured seed.
// Extract() is allocation-free once `out` has grown.
#ifndef TRIAGE_ENGINE_MODEL_FEATURE_HASHER_H_
#define TRIAGE_ENGINE_MODEL_FEATURE_HASHER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/message.h"

namespace triage {

struct FeatureOptions {
  uint32_t dim_bits = 17;  // 2^17 feature slots
  uint32_t char_min = 3;   // character n-grams, in code points
  uint32_t char_max = 3;
  bool word_bigrams = true;
  uint64_t seed = 0;  // mixed into every hash
};

class FeatureHasher {
 public:
  explicit FeatureHasher(const FeatureOptions& options) : options_(options) {}

  // Context a message brings beside its text.
  struct Context {
    std::string_view channel;
    Kind kind = Kind::kUnknown;
    std::string_view lang;
    int64_t followers = 0;
    bool verified = false;
  };
  static Context ContextOf(const Message& m, std::string_view lang_in_effect) {
    return Context{m.channel, m.kind, lang_in_effect, m.author.followers, m.author.verified};
  }

  // Appends the feature indices of `normalized` text, `context` and the ids
  // of the fired rules to *out (cleared first). An index may repeat: a word
  // said twice counts twice.
  template <typename RuleIds>
  void Extract(std::string_view normalized, const Context& context, const RuleIds& fired_rule_ids,
               std::vector<uint32_t>* out) const {
    out->clear();
    ExtractText(normalized, out);
    ExtractContext(context, out);
    for (std::string_view id : fired_rule_ids) out->push_back(Index('r', id));
  }

  void ExtractText(std::string_view normalized, std::vector<uint32_t>* out) const;
  void ExtractContext(const Context& context, std::vector<uint32_t>* out) const;

  // The index of feature `value` in namespace `ns`.
  uint32_t Index(char ns, std::string_view value) const;

  const FeatureOptions& options() const { return options_; }
  uint32_t dim() const { return 1u << options_.dim_bits; }

 private:
  // Index() of a value inside a buffer that ends at `limit` (may read, and
  // mask off, bytes past the value but before `limit`).
  uint32_t IndexIn(char ns, std::string_view value, const char* limit) const;

  FeatureOptions options_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_MODEL_FEATURE_HASHER_H_
