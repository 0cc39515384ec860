// RFC 3339 timestamps: the one parser and the one formatter of the engine
// (archive lines, webhook payloads, alerts, events, reports).
#ifndef TRIAGE_BASE_RFC3339_H_
#define TRIAGE_BASE_RFC3339_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace triage {

// "2026-10-08T20:00:30Z", with optional fraction (milliseconds kept) and a
// "Z" or "+hh:mm" offset; 't', 'z' and a space for 'T' are accepted. Leap
// second 60 counts as 59. False for anything else, including impossible
// dates. Four-digit years only.
bool ParseRfc3339(std::string_view s, int64_t* epoch_ms);

// UTC, "YYYY-MM-DDThh:mm:ssZ", with ".mmm" only when the milliseconds are not
// zero. Empty outside years 0001..9999 (RFC 3339 has four-digit years).
std::string FormatRfc3339(int64_t epoch_ms);

}  // namespace triage

#endif  // TRIAGE_BASE_RFC3339_H_
