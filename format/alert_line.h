// An alert's line: how the crisis detector writes an alert, and how the store
// keeps an alert's queue item beside the messages it holds ("raw" of an
// alert item is its alert line, not an archive line). Readers of stored
// items tell the two apart with IsAlertLine, never by parsing and failing.
#ifndef TRIAGE_FORMAT_ALERT_LINE_H_
#define TRIAGE_FORMAT_ALERT_LINE_H_

#include <string_view>

namespace triage {

// Every alert line starts with exactly this. The daemon refuses a message
// whose line starts so (400), so no stored message line does.
inline constexpr std::string_view kAlertLinePrefix = "{\"type\":\"crisis_alert\"";

inline bool IsAlertLine(std::string_view raw) { return raw.substr(0, kAlertLinePrefix.size()) == kAlertLinePrefix; }

}  // namespace triage

#endif  // TRIAGE_FORMAT_ALERT_LINE_H_
