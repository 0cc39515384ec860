#include "engine/store/redaction.h"

#include <simdjson.h>

#include <functional>

#include "base/json_writer.h"

namespace triage {

namespace {

namespace dom = simdjson::dom;

// What to do with one field: write `replacement` (raw JSON) instead of the
// value, drop the field, or keep it.
struct FieldAction {
  enum Kind { kKeep, kReplace, kDrop } kind = kKeep;
  std::string replacement;
};

// Rewrites the top-level object `json` field by field. Fields named in
// `add_if_missing` that were never seen are appended with their replacement.
Status Rewrite(std::string_view json, const std::function<FieldAction(std::string_view key, dom::element v)>& act,
               std::string_view add_key, std::string_view add_value, std::string* out, bool* changed = nullptr) {
  dom::parser parser;
  dom::element root;
  dom::object obj;
  simdjson::padded_string padded(json);
  if (parser.parse(padded).get(root) || root.get_object().get(obj)) return Status::Corruption("not a JSON object");
  out->clear();
  out->push_back('{');
  bool first = true, seen_add = add_key.empty(), any = false;
  for (dom::key_value_pair kv : obj) {
    FieldAction a = act(kv.key, kv.value);
    if (kv.key == add_key) seen_add = true;
    if (a.kind == FieldAction::kDrop) {
      any = true;
      continue;
    }
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(kv.key, out);
    out->push_back(':');
    if (a.kind == FieldAction::kReplace) {
      out->append(a.replacement);
      any = true;
    } else {
      out->append(simdjson::minify(kv.value));
    }
  }
  if (!seen_add) {
    if (!first) out->push_back(',');
    AppendJsonString(add_key, out);
    out->push_back(':');
    out->append(add_value);
    any = true;
  }
  out->push_back('}');
  if (changed) *changed = any;
  return Status::OK();
}

std::string Quoted(std::string_view s) {
  std::string q;
  AppendJsonString(s, &q);
  return q;
}

}  // namespace

Status ReplaceMessageText(std::string_view raw, std::string_view text, std::string* out) {
  std::string quoted = Quoted(text);
  return Rewrite(
      raw,
      [&](std::string_view key, dom::element) {
        return key == "text" ? FieldAction{FieldAction::kReplace, quoted} : FieldAction{};
      },
      "text", quoted, out);
}

Status RedactMessageLine(std::string_view raw, std::string_view author_id, std::string* out) {
  return Rewrite(
      raw,
      [&](std::string_view key, dom::element v) {
        if (key == "text") return FieldAction{FieldAction::kReplace, "\"\""};
        if (key == "author") return FieldAction{FieldAction::kReplace, "{\"id\":\"\",\"handle\":\"\"}"};
        if (key == "lang") return FieldAction{FieldAction::kDrop, ""};
        std::string_view conv;
        if (key == "conversation_id" && !author_id.empty() && !v.get_string().get(conv) &&
            conv.find(author_id) != std::string_view::npos) {
          std::string c(conv);
          for (size_t at = c.find(author_id); at != std::string::npos; at = c.find(author_id, at + 6))
            c.replace(at, author_id.size(), "erased");
          return FieldAction{FieldAction::kReplace, Quoted(c)};
        }
        return FieldAction{};
      },
      "text", "\"\"", out);
}

Status ScrubEventJson(std::string_view json, std::string* out, bool* changed) {
  return Rewrite(
      json,
      [](std::string_view key, dom::element) {
        return key == "note" || key == "previous_text" ? FieldAction{FieldAction::kDrop, ""} : FieldAction{};
      },
      "", "", out, changed);
}

bool ReadAuthor(std::string_view raw, std::string* channel, std::string* author_id, std::string* text) {
  channel->clear();
  author_id->clear();
  dom::parser parser;
  dom::element root;
  simdjson::padded_string padded(raw);
  if (parser.parse(padded).get(root) || !root.is_object()) return false;
  std::string_view v;
  if (!root["channel"].get_string().get(v)) *channel = std::string(v);
  if (!root.at_pointer("/author/id").get_string().get(v)) *author_id = std::string(v);
  if (text) {
    text->clear();
    if (!root["text"].get_string().get(v)) *text = std::string(v);
  }
  return true;
}

}  // namespace triage
