// FeatureHasher: turns a message into the sparse features of the learned
// classifier (LinearModel). Every feature is a string in a one-byte
// namespace, hashed to a 32-bit key; the model keeps the keys it learned
// (a vocabulary of hashes) and ignores the others. Any script works the same
// way, and a word never seen in training costs one failed lookup.
//
// Features come in three blocks that the model weighs and normalizes apart
// (TF-IDF within each text block, so a long post does not outvote a short
// one):
//   words   words and pairs of adjacent words of the normalized text
//           (TextNormalizer: case-folded, accents dropped, a space at each
//           end), with digits folded to 0 so "order 48213" and "order 99107"
//           are the same evidence;
//   chars   character n-grams of char_min..char_max code points inside each
//           space-padded word (" ref", "efu", "und "): they carry Hindi,
//           Arabic and Bengali inflections, romanized spellings and typos
//           that whole words miss;
//   flags   what the message brings beside its text: channel, kind, language,
//           reach (followers by power of ten), verification, whether it is a
//           reply; its shape in the raw text (a question mark, an
//           exclamation, a long number, shouting in capitals, length); the
//           conversation's earlier message (its decided label, same author or
//           not, and the two together); and the id of every rule that fired,
//           so the model learns how far to trust each rule.
//
// The hash is stable across runs and builds (a model file stays valid): a
// multiply-mix over the bytes read eight at a time as little-endian words,
// with the namespace and the configured seed. Extract() is allocation-free
// once the FeatureVector has grown.
#ifndef TRIAGE_ENGINE_MODEL_FEATURE_HASHER_H_
#define TRIAGE_ENGINE_MODEL_FEATURE_HASHER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/message.h"

namespace triage {

struct FeatureOptions {
  uint32_t char_min = 3;  // character n-grams, in code points
  uint32_t char_max = 3;
  bool word_bigrams = true;
  uint64_t seed = 0;  // mixed into every hash
};

// The features of one message: keys in three consecutive blocks. A key may
// repeat (a word said twice counts twice).
struct FeatureVector {
  std::vector<uint32_t> keys;
  uint32_t chars_begin = 0;  // keys[0, chars_begin): words and word pairs
  uint32_t flags_begin = 0;  // [chars_begin, flags_begin): character n-grams; the rest: flags
  std::string folded;        // scratch: the text with digits folded
  // When set (explanations only), the readable name of each key, e.g.
  // "w:refund", "c: re", "s:question", "r:refund_request".
  std::vector<std::string>* names = nullptr;

  void Clear() {
    keys.clear();
    if (names) names->clear();
    chars_begin = flags_begin = 0;
  }
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
    bool reply = false;        // it names a message it answers
    ThreadContext thread;      // the conversation's earlier message
    std::string_view raw_text;  // for the shape flags
  };
  static Context ContextOf(const Message& m, std::string_view lang_in_effect) {
    return Context{m.channel, m.kind, lang_in_effect, m.author.followers, m.author.verified,
                   !m.in_reply_to.empty(), m.thread, m.text};
  }

  // Fills *out with the features of `normalized` text, `context` and the ids
  // of the fired rules.
  template <typename RuleIds>
  void Extract(std::string_view normalized, const Context& context, const RuleIds& fired_rule_ids,
               FeatureVector* out) const {
    out->Clear();
    ExtractText(normalized, out);
    ExtractFlags(context, out);
    for (std::string_view id : fired_rule_ids) Emit('r', id, out);
  }

  // The word and character blocks (out must be empty); sets the block
  // boundaries so that what follows is the flags block.
  void ExtractText(std::string_view normalized, FeatureVector* out) const;
  // Appends context, shape and thread flags.
  void ExtractFlags(const Context& context, FeatureVector* out) const;

  // The key of feature `value` in namespace `ns` (never 0).
  uint32_t Key(char ns, std::string_view value) const;
  // Appends the key of (ns, value), and its name when out->names is set.
  void Emit(char ns, std::string_view value, FeatureVector* out) const {
    out->keys.push_back(Key(ns, value));
    if (out->names) [[unlikely]] AddName(ns, value, out);
  }
  // A 64-bit hash of a text (the training-data fingerprint uses it).
  uint64_t TextHash(std::string_view text) const;

  const FeatureOptions& options() const { return options_; }

 private:
  uint32_t KeyIn(char ns, std::string_view value, const char* limit) const;
  void EmitIn(char ns, std::string_view value, const char* limit, FeatureVector* out) const {
    out->keys.push_back(KeyIn(ns, value, limit));
    if (out->names) [[unlikely]] AddName(ns, value, out);
  }
  // Explanations only: kept out of line so that the emitters inline into the
  // extraction loops.
  [[gnu::cold, gnu::noinline]] static void AddName(char ns, std::string_view value, FeatureVector* out);

  FeatureOptions options_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_MODEL_FEATURE_HASHER_H_
