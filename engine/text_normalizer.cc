#include "engine/text_normalizer.h"

#include <utf8proc.h>

#include <array>

namespace triage {

namespace {

// ASCII: lower-case letters and digits are kept, everything else is a
// separator (0).
constexpr std::array<char, 128> MakeAsciiTable() {
  std::array<char, 128> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c - 'A' + 'a');
  return t;
}
constexpr std::array<char, 128> kAscii = MakeAsciiTable();

// What one output code point is, for the separator and accent logic.
enum Kind : uint8_t {
  kLetter,     // letters and digits: part of a word
  kMark,       // combining mark (Mc, Me, or Mn on a non-Latin base)
  kLatinMark,  // Mn: dropped after a Latin/Greek/Cyrillic letter, kept otherwise
  kSymbol,     // So: a word of its own
  kSeparator,
  kDrop,
};

int32_t FoldDigit(int32_t cp) {
  static constexpr int32_t kZeros[] = {0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0BE6, 0x0E50, 0xFF10};
  for (int32_t z : kZeros)
    if (cp >= z && cp <= z + 9) return '0' + (cp - z);
  return cp;
}

// Classifies one decomposed, case-folded code point, applying the script
// folds documented in the header.
Kind Classify(int32_t* cp) {
  switch (*cp) {
    case 0x0643: *cp = 0x06A9; return kLetter;  // Arabic kaf -> keheh (Urdu/Persian form)
    case 0x064A: *cp = 0x06CC; return kLetter;  // Arabic yeh -> Farsi yeh
    case 0x0649: *cp = 0x06CC; return kLetter;  // alef maqsura -> Farsi yeh
    case 0x0629: *cp = 0x0647; return kLetter;  // ta marbuta -> heh
    case 0x06C1: *cp = 0x0647; return kLetter;  // heh goal -> heh
    case 0x06C3: *cp = 0x0647; return kLetter;  // ta marbuta goal -> heh
    case 0x0640: return kDrop;                  // tatweel (elongation)
    case 0x093C: return kDrop;                  // Devanagari nukta
    case 0x09BC: return kDrop;                  // Bengali nukta
    case 0x0901: *cp = 0x0902; return kMark;    // chandrabindu -> anusvara
    case 0x0981: *cp = 0x0982; return kMark;    // Bengali chandrabindu -> anusvara
    case 0x200C: case 0x200D: case 0x2060: case 0xFEFF: return kDrop;  // joiners
    default: break;
  }
  int32_t c = *cp;
  if (c >= 0xFE00 && c <= 0xFE0F) return kDrop;    // variation selectors
  if (c >= 0x1F3FB && c <= 0x1F3FF) return kDrop;  // skin-tone modifiers
  if (c >= 0x064B && c <= 0x065F) return kDrop;    // Arabic harakat and hamza marks
  if (c == 0x0670) return kDrop;                   // superscript alef
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return kLetter;
    case UTF8PROC_CATEGORY_ND:
      *cp = FoldDigit(c);
      return kLetter;
    case UTF8PROC_CATEGORY_MN:
      return kLatinMark;
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
      return kMark;
    case UTF8PROC_CATEGORY_SO:
      return kSymbol;
    default:
      return kSeparator;
  }
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
inline size_t DecodeUtf8(const unsigned char* s, size_t n, size_t i, int32_t* cp) {
  utf8proc_int32_t c;
  auto len = utf8proc_iterate(s + i, static_cast<utf8proc_ssize_t>(n - i), &c);
  if (len <= 0) return 0;
  *cp = c;
  return static_cast<size_t>(len);
}

inline void AppendUtf8(int32_t cp, std::string* out) {
  uint8_t buf[4];
  auto n = utf8proc_encode_char(cp, buf);
  out->append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

struct TextNormalizer::Mapping {
  static constexpr int kMax = 4;
  int32_t key = -1;
  uint8_t n = 0;
  int32_t cp[kMax];
  uint8_t ccc[kMax];  // canonical combining class, for reordering marks
  Kind kind[kMax];
};

TextNormalizer::TextNormalizer() : cache_(new Mapping[kCacheSize]) {}
TextNormalizer::~TextNormalizer() = default;

const TextNormalizer::Mapping& TextNormalizer::Lookup(int32_t cp) {
  Mapping& m = cache_[static_cast<size_t>(cp) & (kCacheSize - 1)];
  if (m.key == cp) return m;
  utf8proc_int32_t buf[32];
  const auto options =
      static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STABLE);
  auto n = utf8proc_decompose_char(cp, buf, 32, options, nullptr);
  if (n < 0 || n > 32) n = 0;
  // Rare long decompositions (ligatures such as U+FDFA) keep their first
  // kMax code points; none of them is a word a rule would name.
  m.key = cp;
  m.n = 0;
  for (utf8proc_ssize_t i = 0; i < n && m.n < Mapping::kMax; ++i) {
    int32_t c = buf[i];
    Kind k = Classify(&c);
    if (k == kDrop) continue;
    m.cp[m.n] = c;
    m.kind[m.n] = k;
    m.ccc[m.n] = static_cast<uint8_t>(utf8proc_get_property(c)->combining_class);
    ++m.n;
  }
  return m;
}

void TextNormalizer::Normalize(std::string_view utf8, std::string* out) {
  out->clear();
  out->reserve(utf8.size() + 2);
  out->push_back(' ');
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  size_t i = 0;
  // ASCII until the first non-ASCII byte.
  for (; i < n && s[i] < 0x80; ++i) {
    char m = kAscii[s[i]];
    if (m != 0) {
      out->push_back(m);
    } else if (out->back() != ' ') {
      out->push_back(' ');
    }
  }
  if (i < n) NormalizeUnicode(utf8.substr(i), out);
  if (out->back() != ' ') out->push_back(' ');
}

void TextNormalizer::NormalizeUnicode(std::string_view utf8, std::string* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  // The last letter kept decides whether a following non-spacing mark is an
  // accent to drop (Latin, Greek, Cyrillic) or part of the letter.
  int32_t base = 0;
  // Marks kept since the last letter, with their combining classes, so they
  // can be put in canonical order before they are written.
  int32_t marks[16];
  uint8_t marks_ccc[16];
  int num_marks = 0;
  auto flush_marks = [&] {
    // Insertion sort by combining class (stable): canonical ordering.
    for (int a = 1; a < num_marks; ++a)
      for (int b = a; b > 0 && marks_ccc[b - 1] > marks_ccc[b] && marks_ccc[b] != 0; --b) {
        std::swap(marks[b - 1], marks[b]);
        std::swap(marks_ccc[b - 1], marks_ccc[b]);
      }
    for (int a = 0; a < num_marks; ++a) AppendUtf8(marks[a], out);
    num_marks = 0;
  };
  auto separator = [&] {
    flush_marks();
    if (out->back() != ' ') out->push_back(' ');
  };

  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      char m = kAscii[c];
      if (m != 0) {
        flush_marks();
        out->push_back(m);
        base = m;
      } else {
        separator();
      }
      ++i;
      continue;
    }
    int32_t cp;
    size_t len = DecodeUtf8(s, n, i, &cp);
    if (len == 0) {  // invalid byte: contract broken by the caller; treat as a separator
      separator();
      ++i;
      continue;
    }
    i += len;
    const Mapping& m = Lookup(cp);
    for (int k = 0; k < m.n; ++k) {
      switch (m.kind[k]) {
        case kLetter:
          flush_marks();
          AppendUtf8(m.cp[k], out);
          base = m.cp[k];
          break;
        case kLatinMark:
          if (base < 0x0590) break;  // an accent: dropped
          [[fallthrough]];
        case kMark:
          if (num_marks < 16) {
            marks[num_marks] = m.cp[k];
            marks_ccc[num_marks] = m.ccc[k];
            ++num_marks;
          }
          break;
        case kSymbol:
          separator();
          AppendUtf8(m.cp[k], out);
          out->push_back(' ');
          break;
        case kSeparator:
          separator();
          break;
        case kDrop:
          break;
      }
    }
  }
  flush_marks();
}

}  // namespace triage
