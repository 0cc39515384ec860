// TextNormalizer: turns message text (and rule phrases) into the canonical
// form that the pattern database scans.
//
// Canonical form:
//   - Unicode compatibility decomposition and full case folding (utf8proc),
//     so caseless matching works in every script. Decomposed (NFKD) rather
//     than recomposed (NFKC): two strings have the same NFKC form exactly when
//     they have the same NFKD form, so matching is the same, and skipping the
//     recomposition pass keeps the hot path cheap;
//   - accents on Latin, Greek and Cyrillic letters and Arabic short vowels
//     (harakat) are dropped, because people type "devolucion" for
//     "devolución" and rarely write vowel marks; marks that carry meaning in
//     Indic scripts (matras) are kept, except the nukta, which is optional in
//     everyday Hindi and Bengali typing;
//   - Arabic-script letters that differ only by regional keyboard (Arabic kaf
//     and yeh vs the Urdu/Persian forms, ta marbuta, heh goal) fold to one form,
//     so one rule matches Arabic and Urdu spellings;
//   - decimal digits of any script become ASCII digits;
//   - every run of characters that are not letters, marks or digits becomes a
//     single space, and the text starts and ends with a space. Each emoji or
//     other symbol is a word of its own.
//
// So " refund " matches the word "refund" at a word boundary in any script,
// " refund" matches every word starting with it, and rule phrases go through
// the same function, which makes matching symmetric by construction.
//
// Input must be valid UTF-8 (the archive parser guarantees it); an invalid
// byte is treated as a separator.
#ifndef TRIAGE_ENGINE_TEXT_NORMALIZER_H_
#define TRIAGE_ENGINE_TEXT_NORMALIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace triage {

class TextNormalizer {
 public:
  TextNormalizer();
  ~TextNormalizer();
  TextNormalizer(const TextNormalizer&) = delete;
  TextNormalizer& operator=(const TextNormalizer&) = delete;

  // Writes the canonical form of `utf8` into *out (replacing its contents).
  // Allocation-free once *out has grown to the largest text seen. Not
  // thread-safe; use one per thread.
  void Normalize(std::string_view utf8, std::string* out);

 private:
  struct Mapping;
  const Mapping& Lookup(int32_t cp);
  void NormalizeUnicode(std::string_view utf8, std::string* out);

  // Direct-mapped cache of per-code-point results: the scripts of one inbox
  // use a few hundred code points, so almost every lookup hits.
  static constexpr size_t kCacheSize = 4096;
  std::unique_ptr<Mapping[]> cache_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_TEXT_NORMALIZER_H_
