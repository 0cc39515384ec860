#include "engine/metrics/history.h"

#include <simdjson.h>

#include "format/archive_format.h"
#include "format/alert_line.h"
#include "format/content_event.h"

namespace triage {

namespace od = simdjson::ondemand;

namespace {

// Reads the string and integer fields of a flat JSON object.
bool ReadObject(const std::string& json, const std::vector<std::pair<const char*, std::string*>>& strings,
                const std::vector<std::pair<const char*, int64_t*>>& ints) {
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  if (parser.iterate(padded).get(doc)) return false;
  od::object obj;
  if (doc.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    for (const auto& [name, out] : strings)
      if (key == name) {
        std::string_view v;
        if (field.value().get_string().get(v)) return false;
        *out = std::string(v);
      }
    for (const auto& [name, out] : ints)
      if (key == name) {
        if (field.value().get_int64().get(*out)) return false;
      }
  }
  return true;
}

}  // namespace

bool ToHistoryMessage(const std::string& id, const StoredMessage& stored, HistoryMessage* out, std::string* why) {
  *out = HistoryMessage();
  if (IsAlertLine(stored.raw)) {
    *why = "alert";
    return false;
  }
  ArchiveParser parser;
  Message m;
  Status s = parser.ParseCopy(stored.raw, &m);
  if (!s.ok()) {
    *why = "message '" + id + "': " + s.message();
    return false;
  }
  out->id = id;
  out->conversation = std::string(m.conversation_id);
  out->channel = std::string(m.channel);
  out->brand = std::string(m.brand);
  out->is_public = m.kind == Kind::kPublic;
  out->arrival_ms = m.created_at_ms ? m.created_at_ms : stored.state.received_ms;
  if (!ReadObject(stored.decision, {{"label", &out->label}, {"queue", &out->queue}}, {})) {
    *why = "message '" + id + "': unreadable decision";
    return false;
  }
  for (const std::string& e : stored.events) {
    // Edits and deletes are the platform's doing, not the team's: not part
    // of the response metrics (format/content_event.h).
    if (IsContentEventJson(e)) continue;
    HistoryEvent ev;
    if (Status es = ParseEventJson(e, &ev); !es.ok()) {
      *why = "message '" + id + "': unreadable event (" + es.message() + ")";
      return false;
    }
    out->events.push_back(std::move(ev));
  }
  return true;
}

Status LoadHistory(const QueueStore& store, std::vector<HistoryMessage>* out, size_t* skipped) {
  out->clear();
  size_t bad = 0;
  Status s = store.ForEach([&](const std::string& id, const StoredMessage& stored) {
    HistoryMessage h;
    std::string why;
    if (ToHistoryMessage(id, stored, &h, &why)) out->push_back(std::move(h));
    else if (why != "alert") ++bad;
  });
  if (skipped) *skipped = bad;
  return s;
}

}  // namespace triage
