// Small helpers for writing JSON output by hand on the hot path (decisions,
// eval reports): no DOM, no allocation beyond the output string's growth.
#ifndef TRIAGE_BASE_JSON_WRITER_H_
#define TRIAGE_BASE_JSON_WRITER_H_

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace triage {

// Appends `s` as a quoted JSON string. `s` must be valid UTF-8; bytes >= 0x80
// are copied as they are, control characters are escaped.
inline void AppendJsonString(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

// Shortest round-trip representation ("7.5", "0", "-2").
inline void AppendJsonNumber(double v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// At most four significant digits ("11.95", "0.8", "6.527e-06"): scores,
// probabilities and rates a person reads, where more digits only add noise
// (and are not reproducible across compilers and machines anyway).
//
// The bytes are exactly std::to_chars(general, 4)'s (printf's "%.4g"); it
// costs about 500 instructions a call, eight calls a decision line, so the
// common case - a magnitude in [0.0001, 10000), not within 1e-6 of a
// rounding tie - is formatted here with one multiplication (why that is
// exact: AppendJsonScoreFast). Everything else goes to std::to_chars.
bool AppendJsonScoreFast(double v, std::string* out);
inline void AppendJsonScore(double v, std::string* out) {
  if (v == 0) v = 0;  // no "-0"
  if (AppendJsonScoreFast(v, out)) return;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 4);
  out->append(buf, r.ptr);
}

inline void AppendJsonInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

}  // namespace triage

#endif  // TRIAGE_BASE_JSON_WRITER_H_
