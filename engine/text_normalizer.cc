#include "engine/text_normalizer.h"

#include <utf8proc.h>

#include <array>

namespace triage {
namespace {

// ASCII fast path: lower-case letters and digits are kept, everything else is
// a separator (0).
constexpr std::array<char, 128> MakeAsciiTable() {
  std::array<char, 128> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c - 'A' + 'a');
  return t;
}
constexpr std::array<char, 128> kAscii = MakeAsciiTable();

constexpr int32_t kSeparator = ' ';
constexpr int32_t kDrop = -1;

// Zero of each script's decimal digits that people use in our languages.
int32_t FoldDigit(int32_t cp) {
  static constexpr int32_t kZeros[] = {0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0BE6, 0x0E50, 0xFF10};
  for (int32_t z : kZeros)
    if (cp >= z && cp <= z + 9) return '0' + (cp - z);
  return cp;
}

// Maps one decomposed, case-folded code point. `base` is the last letter
// kept, used to decide whether a combining mark is an accent to drop.
int32_t MapCodepoint(int32_t cp, int32_t base) {
  switch (cp) {
    case 0x0643: return 0x06A9;  // Arabic kaf -> keheh (Urdu/Persian form)
    case 0x064A: return 0x06CC;  // Arabic yeh -> Farsi yeh
    case 0x0649: return 0x06CC;  // alef maqsura -> Farsi yeh
    case 0x0629: return 0x0647;  // ta marbuta -> heh
    case 0x06C1: return 0x0647;  // heh goal -> heh
    case 0x06C3: return 0x0647;  // ta marbuta goal -> heh
    case 0x0640: return kDrop;   // tatweel (elongation)
    case 0x093C: return kDrop;   // Devanagari nukta
    case 0x09BC: return kDrop;   // Bengali nukta
    case 0x0901: return 0x0902;  // chandrabindu -> anusvara
    case 0x0981: return 0x0982;  // Bengali chandrabindu -> anusvara
    case 0x200C: case 0x200D: case 0x2060: case 0xFEFF: return kDrop;  // joiners
    default: break;
  }
  if (cp >= 0xFE00 && cp <= 0xFE0F) return kDrop;    // variation selectors
  if (cp >= 0x1F3FB && cp <= 0x1F3FF) return kDrop;  // skin-tone modifiers
  if (cp >= 0x064B && cp <= 0x065F) return kDrop;    // Arabic harakat and hamza marks
  if (cp == 0x0670) return kDrop;                    // superscript alef

  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
      return cp;
    case UTF8PROC_CATEGORY_ND:
      return FoldDigit(cp);
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return cp;
    case UTF8PROC_CATEGORY_MN:
      // Accents on Latin/Greek/Cyrillic letters are dropped; marks on other
      // scripts are part of the letter.
      return base < 0x0590 ? kDrop : cp;
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
      return cp;
    default:
      return kSeparator;
  }
}

bool IsSymbolWord(int32_t cp) {
  auto c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_SO;
}

void AppendUtf8(int32_t cp, std::string* out) {
  uint8_t buf[4];
  auto n = utf8proc_encode_char(cp, buf);
  out->append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

void TextNormalizer::Normalize(std::string_view utf8, std::string* out) {
  out->clear();
  for (unsigned char c : utf8) {
    if (c >= 0x80) {
      NormalizeUnicode(utf8, out);
      return;
    }
  }
  out->reserve(utf8.size() + 2);
  out->push_back(' ');
  for (unsigned char c : utf8) {
    char m = kAscii[c];
    if (m != 0) {
      out->push_back(m);
    } else if (out->back() != ' ') {
      out->push_back(' ');
    }
  }
  if (out->back() != ' ') out->push_back(' ');
}

void TextNormalizer::NormalizeUnicode(std::string_view utf8, std::string* out) {
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                                       UTF8PROC_STABLE);
  const auto* src = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  if (cps_.size() < utf8.size() + 16) cps_.resize(utf8.size() * 2 + 16);
  utf8proc_ssize_t n = utf8proc_decompose(src, static_cast<utf8proc_ssize_t>(utf8.size()), cps_.data(),
                                          static_cast<utf8proc_ssize_t>(cps_.size()), options);
  if (n > static_cast<utf8proc_ssize_t>(cps_.size())) {
    cps_.resize(static_cast<size_t>(n));
    n = utf8proc_decompose(src, static_cast<utf8proc_ssize_t>(utf8.size()), cps_.data(), n, options);
  }
  if (n < 0) {  // invalid UTF-8: the caller broke the contract; scan nothing
    out->assign(" ");
    return;
  }
  // Map into mapped_: symbols become words of their own (" <symbol> "),
  // separators are collapsed when encoding.
  if (mapped_.size() < static_cast<size_t>(n) * 3) mapped_.resize(static_cast<size_t>(n) * 3);
  size_t w = 0;
  int32_t base = 0;
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    int32_t cp = cps_[i];
    int32_t m = MapCodepoint(cp, base);
    if (m == kDrop) continue;
    if (m == kSeparator && cp != kSeparator && IsSymbolWord(cp)) {
      mapped_[w++] = kSeparator;
      mapped_[w++] = cp;
      mapped_[w++] = kSeparator;
      continue;
    }
    if (m != kSeparator && utf8proc_category(m) != UTF8PROC_CATEGORY_MN) base = m;
    mapped_[w++] = m;
  }
  n = utf8proc_normalize_utf32(mapped_.data(), static_cast<utf8proc_ssize_t>(w),
                               static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
  if (n < 0) n = 0;
  out->reserve(static_cast<size_t>(n) * 3 + 2);
  out->push_back(' ');
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    int32_t cp = mapped_[i];
    if (cp == kSeparator) {
      if (out->back() != ' ') out->push_back(' ');
    } else if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else {
      AppendUtf8(cp, out);
    }
  }
  if (out->back() != ' ') out->push_back(' ');
}

}  // namespace triage
