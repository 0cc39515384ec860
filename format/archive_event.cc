#include "format/archive_event.h"

#include <simdjson.h>

#include "base/rfc3339.h"

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
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::InvalidArgument("invalid JSON");
    std::string_view v;
    std::string* dest = key == "type" ? &type
                        : key == "message" ? &out->message
                        : key == "event" ? &event
                        : key == "agent" ? &e.agent
                        : key == "at" ? &at
                        : key == "to_queue" ? &e.to_queue
                        : key == "note" ? &e.note
                                        : nullptr;
    if (!dest) continue;  // unknown fields are allowed, as in message lines
    if (field.value().get_string().get(v)) {
      if (key == "type") return Status::NotFound("not an event line");
      return Status::InvalidArgument("field '" + std::string(key) + "': expected a string");
    }
    *dest = std::string(v);
  }
  if (type != "event") return Status::NotFound("not an event line");
  if (out->message.empty()) return Status::InvalidArgument("field 'message': missing (the id of the message)");
  auto t = ParseEventType(event);
  if (!t) return Status::InvalidArgument("field 'event': '" + event + "' is not " + EventTypeList());
  e.type = *t;
  if (!ParseRfc3339(at, &e.at_ms)) return Status::InvalidArgument("field 'at': expected an RFC 3339 time");
  if (e.type == EventType::kRerouted && e.to_queue.empty())
    return Status::InvalidArgument("field 'to_queue': required for rerouted");
  return Status::OK();
}

}  // namespace triage
