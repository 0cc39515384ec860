#include "format/event.h"

#include <simdjson.h>

#include "base/json_writer.h"

namespace triage {

std::string EventTypeList() {
  std::string out;
  for (size_t i = 0; i < kAllEventTypes.size(); ++i) {
    if (i) out += i + 1 == kAllEventTypes.size() ? " or " : ", ";
    out += EventTypeName(kAllEventTypes[i]);
  }
  return out;
}

Status CheckEventLimits(const Event& e, std::string_view time_field, std::string* field) {
  auto too_long = [field](const char* name, size_t size, size_t limit) {
    *field = name;
    return Status::InvalidArgument(std::to_string(size) + " bytes, over the limit of " + std::to_string(limit));
  };
  if (e.agent.size() > kMaxAgentBytes) return too_long("agent", e.agent.size(), kMaxAgentBytes);
  if (e.to_queue.size() > kMaxQueueNameBytes) return too_long("to_queue", e.to_queue.size(), kMaxQueueNameBytes);
  if (e.note.size() > kMaxNoteBytes) return too_long("note", e.note.size(), kMaxNoteBytes);
  if (e.at_ms < kMinEventMs || e.at_ms > kMaxEventMs) {
    *field = std::string(time_field);
    return Status::InvalidArgument("must lie from 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z (at_ms " +
                                   std::to_string(kMinEventMs) + " to " + std::to_string(kMaxEventMs) + ")");
  }
  return Status::OK();
}

void AppendEventJson(const Event& e, int64_t recorded_ms, std::string_view from_queue, std::string* json) {
  *json += "{\"type\":";
  AppendJsonString(EventTypeName(e.type), json);
  *json += ",\"agent\":";
  AppendJsonString(e.agent, json);
  *json += ",\"at_ms\":";
  AppendJsonInt(e.at_ms, json);
  *json += ",\"recorded_ms\":";
  AppendJsonInt(recorded_ms, json);
  if (!e.to_queue.empty()) {
    *json += ",\"from_queue\":";
    AppendJsonString(from_queue, json);
    *json += ",\"to_queue\":";
    AppendJsonString(e.to_queue, json);
  }
  if (!e.note.empty()) {
    *json += ",\"note\":";
    AppendJsonString(e.note, json);
  }
  *json += "}";
}

Status ParseEventJson(std::string_view json, Event* out) {
  *out = Event();
  simdjson::padded_string padded(json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return Status::Corruption("event: not a JSON object");
  bool has_type = false;
  for (auto field : obj) {
    std::string_view key, v;
    if (field.unescaped_key().get(key)) return Status::Corruption("event: invalid JSON");
    if (key == "type") {
      if (field.value().get_string().get(v)) return Status::Corruption("event: 'type' is not a string");
      auto t = ParseEventType(v);
      if (!t) return Status::Corruption("event: unknown type '" + std::string(v) + "'");
      out->type = *t;
      has_type = true;
    } else if (key == "agent" || key == "to_queue" || key == "note") {
      if (field.value().get_string().get(v)) return Status::Corruption("event: '" + std::string(key) + "' is not a string");
      (key == "agent" ? out->agent : key == "to_queue" ? out->to_queue : out->note) = std::string(v);
    } else if (key == "at_ms") {
      if (field.value().get_int64().get(out->at_ms)) return Status::Corruption("event: 'at_ms' is not an integer");
    }
  }
  if (!has_type) return Status::Corruption("event: no 'type'");
  return Status::OK();
}

}  // namespace triage
