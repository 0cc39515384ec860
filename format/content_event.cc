#include "format/content_event.h"

#include <simdjson.h>

#include "base/json_writer.h"

namespace triage {

void AppendContentEventJson(ContentEventType t, std::string_view agent, int64_t at_ms, int64_t recorded_ms,
                            const std::string* previous_text, std::string* out) {
  *out += "{\"type\":";
  AppendJsonString(ContentEventName(t), out);
  *out += ",\"agent\":";
  AppendJsonString(agent, out);
  *out += ",\"at_ms\":";
  AppendJsonInt(at_ms, out);
  *out += ",\"recorded_ms\":";
  AppendJsonInt(recorded_ms, out);
  if (previous_text) {
    *out += ",\"previous_text\":";
    AppendJsonString(*previous_text, out);
  }
  *out += "}";
}

bool IsContentEventJson(std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view type;
  if (parser.parse(padded).get(root) || root["type"].get_string().get(type)) return false;
  return type == ContentEventName(ContentEventType::kEdited) || type == ContentEventName(ContentEventType::kDeleted);
}

}  // namespace triage
