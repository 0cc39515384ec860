// A message text shortened for one line of a report: newlines and tabs become
// spaces, and the cut never splits a UTF-8 sequence.
#ifndef TRIAGE_CLI_SNIPPET_H_
#define TRIAGE_CLI_SNIPPET_H_

#include <string>
#include <string_view>

namespace triage {

inline std::string Snippet(std::string_view text, size_t max_bytes) {
  std::string s;
  for (char c : text) s.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

}  // namespace triage

#endif  // TRIAGE_CLI_SNIPPET_H_
