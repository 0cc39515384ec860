// Event: what a person did with a message, typed. The five kinds, their names
// on the wire (the API, archive event lines, the store, Kafka) and what each
// does to the message are defined here once.
//
//   replied, resolved, moved_private, escalated_offchannel   close the message
//   rerouted (with to_queue)                                  moves it to another queue
//
// Stored as one JSON object per event (see AppendEventJson), read back by
// ParseEventJson (reports, training from history).
#ifndef TRIAGE_FORMAT_EVENT_H_
#define TRIAGE_FORMAT_EVENT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace triage {

enum class EventType : uint8_t { kReplied = 0, kResolved, kRerouted, kMovedPrivate, kEscalatedOffchannel };

inline constexpr std::array<EventType, 5> kAllEventTypes = {EventType::kReplied, EventType::kResolved,
                                                             EventType::kRerouted, EventType::kMovedPrivate,
                                                             EventType::kEscalatedOffchannel};

constexpr std::string_view EventTypeName(EventType t) {
  constexpr std::string_view kNames[] = {"replied", "resolved", "rerouted", "moved_private", "escalated_offchannel"};
  return kNames[static_cast<int>(t)];
}

constexpr std::optional<EventType> ParseEventType(std::string_view s) {
  for (EventType t : kAllEventTypes)
    if (EventTypeName(t) == s) return t;
  return std::nullopt;
}

// "replied, resolved, rerouted, moved_private or escalated_offchannel", for
// error messages.
std::string EventTypeList();

// Whether the event closes the message (a person handled it); a reroute
// moves it instead.
constexpr bool ClosesMessage(EventType t) { return t != EventType::kRerouted; }

struct Event {
  EventType type = EventType::kReplied;
  std::string agent;
  int64_t at_ms = 0;     // when it happened, ms since the epoch
  std::string to_queue;  // rerouted only
  std::string note;
};

// Limits on an event, the same for POST /v1/messages/{id}/events and for
// archive event lines (replay, Kafka), so that nothing over them is stored.
// Agent and queue names are identifiers people type, and path segments
// (/v1/agents/{agent}, /v1/queues/{queue}); a note is a remark, not a
// transcript. The time must lie from 2000-01-01T00:00:00Z to
// 2100-01-01T00:00:00Z (both included): anything else is a unit mistake
// (seconds given as milliseconds) or garbage, and far-off values overflow
// the response-time sums (at_ms minus the message's arrival).
inline constexpr size_t kMaxAgentBytes = 128;
inline constexpr size_t kMaxQueueNameBytes = 128;
inline constexpr size_t kMaxNoteBytes = 4096;
inline constexpr int64_t kMinEventMs = 946'684'800'000;    // 2000-01-01T00:00:00Z
inline constexpr int64_t kMaxEventMs = 4'102'444'800'000;  // 2100-01-01T00:00:00Z

// Checks e.agent, e.to_queue, e.note and e.at_ms against the limits above.
// InvalidArgument, with *field set to the field over its limit ("agent",
// "to_queue", "note", or `time_field`: the name the time was given under,
// "at" or "at_ms"); the message says what is wrong with it, and callers
// put the field's name in front.
Status CheckEventLimits(const Event& e, std::string_view time_field, std::string* field);

// The stored form: {"type":..,"agent":..,"at_ms":..,"recorded_ms":..} plus
// "from_queue" and "to_queue" for a reroute (from_queue: the queue the
// message was on) and "note" when there is one.
void AppendEventJson(const Event& e, int64_t recorded_ms, std::string_view from_queue, std::string* out);

// Reads a stored event back (unknown fields are ignored).
Status ParseEventJson(std::string_view json, Event* out);

}  // namespace triage

#endif  // TRIAGE_FORMAT_EVENT_H_
