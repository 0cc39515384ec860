#include "format/archive_format.h"

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

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

Status DuplicateError(std::string_view field) {
  return Status::InvalidArgument("field '" + std::string(field) + "': given twice");
}

Status TooLong(std::string_view field, size_t size, size_t limit) {
  return Status::InvalidArgument("field '" + std::string(field) + "': " + std::to_string(size) +
                                 " bytes, over the limit of " + std::to_string(limit));
}

// Marks `bit` seen; false if it already was (the key is repeated).
bool FirstTime(uint32_t bit, uint32_t* seen) {
  if (*seen & bit) return false;
  *seen |= bit;
  return true;
}

// The key of an object field. Compared as written (no copy) unless it holds
// an escape, which the format's keys never need; such a key is unescaped,
// so that "i\u0064" is the key id (and is caught if id is there too) and not
// an unknown field that another JSON reader would take for id.
Status FieldKey(od::field& field, std::string_view* key) {
  const char* begin = field.key().raw();
  const char* end = begin;
  while (*end != '"' && *end != '\\') ++end;  // the buffer holds the closing quote
  if (*end == '"') {
    *key = std::string_view(begin, static_cast<size_t>(end - begin));
    return Status::OK();
  }
  if (auto e = field.unescaped_key().get(*key)) return JsonError(e);
  return Status::OK();
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
  uint32_t seen = 0;
  for (auto item : obj) {
    od::field field;
    if (auto e = std::move(item).get(field)) return JsonError(e);
    std::string_view key;
    if (Status s = FieldKey(field, &key); !s.ok()) return s;
    od::value& fv = field.value();
    if (key == "id") {
      if (!FirstTime(1, &seen)) return DuplicateError("author.id");
      if (Status s = GetString(fv, "author.id", &a->id); !s.ok()) return s;
    } else if (key == "handle") {
      if (!FirstTime(2, &seen)) return DuplicateError("author.handle");
      if (Status s = GetString(fv, "author.handle", &a->handle); !s.ok()) return s;
    } else if (key == "followers") {
      if (!FirstTime(4, &seen)) return DuplicateError("author.followers");
      od::json_type ft;
      if (auto e = fv.type().get(ft)) return JsonError(e);
      if (ft == od::json_type::null) continue;
      int64_t n;
      if (ft != od::json_type::number || fv.get_int64().get(n) || n < 0)
        return FieldError("author.followers", "a non-negative integer");
      a->followers = n;
    } else if (key == "verified") {
      if (!FirstTime(8, &seen)) return DuplicateError("author.verified");
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
    for (auto entry : obj) {
      od::field field;
      if (auto e = std::move(entry).get(field)) return JsonError(e);
      std::string_view key;
      if (Status s = FieldKey(field, &key); !s.ok()) return s;
      od::value& fv = field.value();
      if (key == "type") {
        if (has_type) return DuplicateError(at + ".type");
        std::string_view type;
        if (fv.get_string().get(type) || type.empty()) return FieldError(at + ".type", "a non-empty string");
        if (type.size() > kMaxFieldBytes) return TooLong(at + ".type", type.size(), kMaxFieldBytes);
        has_type = true;
      } else if (key == "count") {
        if (has_count) return DuplicateError(at + ".count");
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

Status CheckMessageLimits(const Message& m) {
  struct Limit {
    const char* field;
    std::string_view value;
    size_t max;
  };
  const Limit limits[] = {
      {"id", m.id, kMaxIdBytes},
      {"channel", m.channel, kMaxChannelBytes},
      {"conversation_id", m.conversation_id, kMaxIdBytes},
      {"in_reply_to", m.in_reply_to, kMaxIdBytes},
      {"author.id", m.author.id, kMaxIdBytes},
      {"author.handle", m.author.handle, kMaxFieldBytes},
      {"brand", m.brand, kMaxFieldBytes},
      {"text", m.text, kMaxTextBytes},
      {"lang", m.lang, kMaxLangBytes},
      {"created_at", m.created_at, kMaxFieldBytes},
      {"label", m.label, kMaxFieldBytes},
      {"incident", m.incident, kMaxFieldBytes},
  };
  for (const Limit& l : limits)
    if (l.value.size() > l.max) return TooLong(l.field, l.value.size(), l.max);
  return Status::OK();
}

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
  // The fields of the format, by position; a field given twice is an error
  // (a line must not mean one thing here and another to a reader that keeps
  // the last value), checked with one bit per field.
  enum Field : uint32_t {
    kId, kChannel, kText, kKind, kConversationId, kInReplyTo, kAuthor, kBrand, kLang, kCreatedAt, kLabel, kIncident,
    kAttachments, kUnknown
  };
  static constexpr std::string_view kNames[] = {"id",     "channel", "text",  "kind",       "conversation_id",
                                                "in_reply_to", "author", "brand", "lang", "created_at",
                                                "label",  "incident", "attachments"};
  static_assert(std::size(kNames) == kUnknown);
  uint32_t seen = 0;
  for (auto item : obj) {
    od::field field;
    if (auto e = std::move(item).get(field)) return JsonError(e);
    std::string_view key;
    if (Status s = FieldKey(field, &key); !s.ok()) return s;
    uint32_t f = 0;
    while (f < kUnknown && key != kNames[f]) ++f;
    if (f == kUnknown) continue;  // unknown fields are skipped unread
    if (!FirstTime(uint32_t{1} << f, &seen)) return DuplicateError(key);
    od::value& v = field.value();
    Status s;
    switch (static_cast<Field>(f)) {
      case kId:
        s = GetString(v, "id", &msg->id);
        has_id = !msg->id.empty();
        break;
      case kChannel:
        s = GetString(v, "channel", &msg->channel);
        has_channel = !msg->channel.empty();
        break;
      case kText: {
        auto e = v.get_string().get(msg->text);
        has_text = !e;
        if (e == simdjson::INCORRECT_TYPE) {
          bool is_null = false;
          if (v.is_null().get(is_null) || !is_null) s = FieldError("text", "a string");
        } else if (e) {
          s = JsonError(e);
        }
        break;
      }
      case kKind: {
        std::string_view k;
        s = GetString(v, "kind", &k);
        if (s.ok()) {
          if (k == "public") msg->kind = Kind::kPublic;
          else if (k == "private") msg->kind = Kind::kPrivate;
          else if (!k.empty()) s = FieldError("kind", "\"public\" or \"private\"");
        }
        break;
      }
      case kConversationId: s = GetString(v, "conversation_id", &msg->conversation_id); break;
      case kInReplyTo: s = GetString(v, "in_reply_to", &msg->in_reply_to); break;
      case kAuthor: s = ParseAuthor(v, &msg->author); break;
      case kBrand: s = GetString(v, "brand", &msg->brand); break;
      case kLang: s = GetString(v, "lang", &msg->lang); break;
      case kCreatedAt:
        s = GetString(v, "created_at", &msg->created_at);
        if (s.ok() && !msg->created_at.empty() && !ParseRfc3339(msg->created_at, &msg->created_at_ms))
          s = FieldError("created_at", "an RFC 3339 timestamp");
        break;
      case kLabel: s = GetString(v, "label", &msg->label); break;
      case kIncident: s = GetString(v, "incident", &msg->incident); break;
      case kAttachments: s = CheckAttachments(v); break;
      case kUnknown: break;
    }
    if (!s.ok()) return s;
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return Status::InvalidArgument("invalid JSON: trailing content after the object");
  if (!has_id) return Status::InvalidArgument("missing required field 'id'");
  if (!has_channel) return Status::InvalidArgument("missing required field 'channel'");
  if (!has_text) return Status::InvalidArgument("missing required field 'text'");
  return CheckMessageLimits(*msg);
}

}  // namespace triage
