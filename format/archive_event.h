// An event line of an archive: what the team did about a message, so a
// replayed history carries its responses too:
//   {"type":"event","message":"x:1","event":"replied","agent":"alice",
//    "at":"2026-10-01T10:05:00Z","to_queue":"sales","note":"..."}
// `event` is one of format/event.h's names; rerouted needs to_queue.
#ifndef TRIAGE_FORMAT_ARCHIVE_EVENT_H_
#define TRIAGE_FORMAT_ARCHIVE_EVENT_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "format/event.h"

namespace triage {

struct ArchiveEvent {
  std::string message;  // the id of the message it concerns
  Event event;
};

// Parses an event line. NotFound: the line is not an event line (a message,
// say); InvalidArgument names the field that is wrong.
Status ParseArchiveEvent(std::string_view line, ArchiveEvent* out);

}  // namespace triage

#endif  // TRIAGE_FORMAT_ARCHIVE_EVENT_H_
