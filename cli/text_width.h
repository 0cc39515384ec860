// Display width of UTF-8 text in a terminal, for aligning columns that hold
// text in any script: combining marks (Devanagari and Bengali vowel signs,
// Arabic harakat) take no column, wide East Asian characters take two, and
// everything else one. Byte counts (printf's %-32s) misalign all of these.
#ifndef TRIAGE_CLI_TEXT_WIDTH_H_
#define TRIAGE_CLI_TEXT_WIDTH_H_

#include <utf8proc.h>

#include <string>
#include <string_view>

namespace triage {

inline size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // invalid byte: count it as one column
      ++width;
      ++p;
      --left;
      continue;
    }
    int w = utf8proc_charwidth(cp);
    width += w > 0 ? static_cast<size_t>(w) : 0;
    p += n;
    left -= n;
  }
  return width;
}

// `s` followed by spaces up to `width` display columns (at least one space).
inline std::string PadRight(std::string_view s, size_t width) {
  std::string out(s);
  size_t w = DisplayWidth(s);
  out.append(w < width ? width - w : 1, ' ');
  return out;
}

}  // namespace triage

#endif  // TRIAGE_CLI_TEXT_WIDTH_H_
