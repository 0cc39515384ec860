#include "format/archive_format.h"

#include <cstring>
#include <string>

namespace triage {

namespace od = simdjson::ondemand;

namespace {

Status FieldError(std::string_view field, const char* expected) {
  return Status::InvalidArgument("field '" + std::string(field) + "': expected " + expected);
}

Status JsonError(simdjson::error_code e) {
  if (e == simdjson::UTF8_ERROR) return Status::InvalidArgument("invalid UTF-8");
  return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
}

// A string field, or null (left empty).
Status GetString(od::value& v, std::string_view field, std::string_view* out) {
  auto e = v.get_string().get(*out);
  if (!e) return Status::OK();
  if (e == simdjson::INCORRECT_TYPE) {
    bool is_null = false;
    if (!v.is_null().get(is_null) && is_null) {
      *out = {};
      return Status::OK();
    }
    return FieldError(field, "a string");
  }
  return JsonError(e);
}

Status ParseAuthor(od::value& v, Author* a) {
  od::json_type t;
  if (auto e = v.type().get(t)) return JsonError(e);
  if (t == od::json_type::null) return Status::OK();
  if (t != od::json_type::object) return FieldError("author", "an object");
  od::object obj;
  if (auto e = v.get_object().get(obj)) return JsonError(e);
  for (auto field : obj) {
    od::raw_json_string key;
    if (auto e = field.key().get(key)) return JsonError(e);
    od::value fv;
    if (auto e = field.value().get(fv)) return JsonError(e);
    if (key == "id") {
      if (Status s = GetString(fv, "author.id", &a->id); !s.ok()) return s;
    } else if (key == "handle") {
      if (Status s = GetString(fv, "author.handle", &a->handle); !s.ok()) return s;
    } else if (key == "followers") {
      od::json_type ft;
      if (auto e = fv.type().get(ft)) return JsonError(e);
      if (ft == od::json_type::null) continue;
      int64_t n;
      if (ft != od::json_type::number || fv.get_int64().get(n) || n < 0)
        return FieldError("author.followers", "a non-negative integer");
      a->followers = n;
    } else if (key == "verified") {
      od::json_type ft;
      if (auto e = fv.type().get(ft)) return JsonError(e);
      if (ft == od::json_type::null) continue;
      bool b;
      if (ft != od::json_type::boolean || fv.get_bool().get(b)) return FieldError("author.verified", "true or false");
      a->verified = b;
    }
  }
  return Status::OK();
}

// "attachments": null or [{"type": str, "count": int >= 1}, ...]. Checked and
// not kept: the classifier reads text only, and the stored line keeps the
// field for people to see.
Status CheckAttachments(od::value& v) {
  od::json_type t;
  if (auto e = v.type().get(t)) return JsonError(e);
  if (t == od::json_type::null) return Status::OK();
  od::array list;
  if (t != od::json_type::array || v.get_array().get(list)) return FieldError("attachments", "a list");
  size_t i = 0;
  for (auto item : list) {
    const std::string at = "attachments[" + std::to_string(i++) + "]";
    od::object obj;
    if (auto e = item.get_object().get(obj))
      return e == simdjson::INCORRECT_TYPE ? FieldError(at, "an object with type and count") : JsonError(e);
    bool has_type = false, has_count = false;
    for (auto field : obj) {
      od::raw_json_string key;
      if (auto e = field.key().get(key)) return JsonError(e);
      od::value fv;
      if (auto e = field.value().get(fv)) return JsonError(e);
      if (key == "type") {
        std::string_view type;
        if (fv.get_string().get(type) || type.empty()) return FieldError(at + ".type", "a non-empty string");
        has_type = true;
      } else if (key == "count") {
        int64_t n;
        if (fv.get_int64().get(n) || n < 1) return FieldError(at + ".count", "a positive integer");
        has_count = true;
      }
    }
    if (!has_type) return FieldError(at + ".type", "a non-empty string");
    if (!has_count) return FieldError(at + ".count", "a positive integer");
  }
  return Status::OK();
}

}  // namespace


Status ArchiveParser::ParseCopy(std::string_view line, Message* msg) {
  copy_ = simdjson::padded_string(line);
  return Parse(std::string_view(copy_.data(), copy_.size()), copy_.size() + simdjson::SIMDJSON_PADDING, msg);
}

Status ArchiveParser::Parse(std::string_view line, size_t capacity, Message* msg) {
  *msg = Message();
  od::document doc;
  if (auto e = parser_.iterate(line.data(), line.size(), capacity).get(doc)) return JsonError(e);
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) return Status::InvalidArgument("invalid JSON: the line is not a JSON object");
    return JsonError(e);
  }
  bool has_id = false, has_channel = false, has_text = false;
  for (auto field : obj) {
    // Keys are compared as written (raw): the format's keys need no escapes.
    od::raw_json_string key;
    if (auto e = field.key().get(key)) return JsonError(e);
    od::value v;
    if (auto e = field.value().get(v)) return JsonError(e);
    Status s;
    if (key == "id") {
      s = GetString(v, "id", &msg->id);
      has_id = !msg->id.empty();
    } else if (key == "channel") {
      s = GetString(v, "channel", &msg->channel);
      has_channel = !msg->channel.empty();
    } else if (key == "text") {
      auto e = v.get_string().get(msg->text);
      has_text = !e;
      if (e == simdjson::INCORRECT_TYPE) {
        bool is_null = false;
        if (v.is_null().get(is_null) || !is_null) s = FieldError("text", "a string");
      } else if (e) {
        s = JsonError(e);
      }
    } else if (key == "kind") {
      std::string_view k;
      s = GetString(v, "kind", &k);
      if (s.ok()) {
        if (k == "public") msg->kind = Kind::kPublic;
        else if (k == "private") msg->kind = Kind::kPrivate;
        else if (!k.empty()) s = FieldError("kind", "\"public\" or \"private\"");
      }
    } else if (key == "conversation_id") {
      s = GetString(v, "conversation_id", &msg->conversation_id);
    } else if (key == "in_reply_to") {
      s = GetString(v, "in_reply_to", &msg->in_reply_to);
    } else if (key == "author") {
      s = ParseAuthor(v, &msg->author);
    } else if (key == "brand") {
      s = GetString(v, "brand", &msg->brand);
    } else if (key == "lang") {
      s = GetString(v, "lang", &msg->lang);
    } else if (key == "created_at") {
      s = GetString(v, "created_at", &msg->created_at);
      if (s.ok() && !msg->created_at.empty() && !ParseRfc3339(msg->created_at, &msg->created_at_ms))
        s = FieldError("created_at", "an RFC 3339 timestamp");
    } else if (key == "label") {
      s = GetString(v, "label", &msg->label);
    } else if (key == "incident") {
      s = GetString(v, "incident", &msg->incident);
    } else if (key == "attachments") {
      s = CheckAttachments(v);
    }
    if (!s.ok()) return s;
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return Status::InvalidArgument("invalid JSON: trailing content after the object");
  if (!has_id) return Status::InvalidArgument("missing required field 'id'");
  if (!has_channel) return Status::InvalidArgument("missing required field 'channel'");
  if (!has_text) return Status::InvalidArgument("missing required field 'text'");
  return Status::OK();
}

}  // namespace triage
