// Content events: what happened to a message's content rather than what a
// person on the team did with it (format/event.h). Recorded among the
// message's events in the store, shown by GET /v1/messages/{id}, and skipped
// by the reports (they neither close nor move a message):
//
//   edited    the platform says the author changed the text
//             {"type":"edited","agent":..,"at_ms":..,"recorded_ms":..,
//              "previous_text":..}   (previous_text only with keep_edit_history)
//   deleted   the platform says the message was deleted (or unsent, revoked);
//             its text and author are gone from the store
//             {"type":"deleted","agent":..,"at_ms":..,"recorded_ms":..}
//
// They are not Event types: an agent cannot post them (POST
// /v1/messages/{id}/events accepts only format/event.h's five).
#ifndef TRIAGE_FORMAT_CONTENT_EVENT_H_
#define TRIAGE_FORMAT_CONTENT_EVENT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace triage {

enum class ContentEventType : uint8_t { kEdited, kDeleted };

constexpr std::string_view ContentEventName(ContentEventType t) {
  return t == ContentEventType::kEdited ? "edited" : "deleted";
}

// The stored form (above). `previous_text` is written when non-null.
void AppendContentEventJson(ContentEventType t, std::string_view agent, int64_t at_ms, int64_t recorded_ms,
                            const std::string* previous_text, std::string* out);

// Whether a stored event is a content event (its "type" is one of the names
// above). Anything unreadable is not.
bool IsContentEventJson(std::string_view json);

}  // namespace triage

#endif  // TRIAGE_FORMAT_CONTENT_EVENT_H_
