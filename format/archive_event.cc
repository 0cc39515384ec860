#include "format/archive_event.h"

#include <simdjson.h>

#include <iterator>

#include "base/rfc3339.h"
#include "format/archive_format.h"

namespace triage {

Status ParseArchiveEvent(std::string_view line, ArchiveEvent* out) {
  *out = ArchiveEvent();
  simdjson::padded_string padded(line);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return Status::NotFound("not an event line");
  std::string type, event, at;
  Event& e = out->event;
  // The fields, by position; one given twice is an error (as in message lines).
  static constexpr std::string_view kKeys[] = {"type", "message", "event", "agent", "at", "to_queue", "note"};
  std::string* const dests[] = {&type, &out->message, &event, &e.agent, &at, &e.to_queue, &e.note};
  uint32_t seen = 0;
  std::string duplicate;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::InvalidArgument("invalid JSON");
    size_t i = 0;
    while (i < std::size(kKeys) && key != kKeys[i]) ++i;
    if (i == std::size(kKeys)) continue;  // unknown fields are allowed, as in message lines
    if (seen & (1u << i)) {
      // Reported once the line is known to be an event line.
      if (duplicate.empty()) duplicate = std::string(key);
      continue;
    }
    seen |= 1u << i;
    std::string_view v;
    if (field.value().get_string().get(v)) {
      if (key == "type") return Status::NotFound("not an event line");
      return Status::InvalidArgument("field '" + std::string(key) + "': expected a string");
    }
    *dests[i] = std::string(v);
  }
  if (type != "event") return Status::NotFound("not an event line");
  if (!duplicate.empty()) return Status::InvalidArgument("field '" + duplicate + "': given twice");
  if (out->message.size() > kMaxIdBytes)
    return Status::InvalidArgument("field 'message': " + std::to_string(out->message.size()) +
                                   " bytes, over the limit of " + std::to_string(kMaxIdBytes));
  if (out->message.empty()) return Status::InvalidArgument("field 'message': missing (the id of the message)");
  auto t = ParseEventType(event);
  if (!t) return Status::InvalidArgument("field 'event': '" + event + "' is not " + EventTypeList());
  e.type = *t;
  if (!ParseRfc3339(at, &e.at_ms)) return Status::InvalidArgument("field 'at': expected an RFC 3339 time");
  if (e.type == EventType::kRerouted && e.to_queue.empty())
    return Status::InvalidArgument("field 'to_queue': required for rerouted");
  std::string field;
  if (Status s = CheckEventLimits(e, "at", &field); !s.ok())
    return Status::InvalidArgument("field '" + field + "': " + s.message());
  return Status::OK();
}

}  // namespace triage
