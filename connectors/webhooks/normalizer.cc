#include "connectors/webhooks/normalizer.h"

#include <simdjson.h>

#include "format/archive_format.h"
#include "base/json_writer.h"
#include "connectors/webhooks/platforms.h"

namespace triage {

namespace dom = simdjson::dom;

// The field readers (payload_reader.h) and the per-platform entry points
// (platforms.h) live in webhooks_internal; detection and dispatch use them here.
using webhooks_internal::Has;
using webhooks_internal::Ignore;
using webhooks_internal::IsObj;
using webhooks_internal::NormalizeChatwoot;
using webhooks_internal::NormalizeMastodon;
using webhooks_internal::NormalizeMeta;
using webhooks_internal::NormalizeReddit;
using webhooks_internal::NormalizeSlack;
using webhooks_internal::NormalizeTelegram;
using webhooks_internal::NormalizeX;
using webhooks_internal::Obj;
using webhooks_internal::Str;

std::string_view PlatformName(Platform p) {
  switch (p) {
    case Platform::kMeta: return "meta";
    case Platform::kX: return "x";
    case Platform::kSlack: return "slack";
    case Platform::kTelegram: return "telegram";
    case Platform::kMastodon: return "mastodon";
    case Platform::kReddit: return "reddit";
    case Platform::kChatwoot: return "chatwoot";
  }
  return "";
}

std::optional<Platform> ParsePlatform(std::string_view name) {
  for (Platform p : {Platform::kMeta, Platform::kX, Platform::kSlack, Platform::kTelegram, Platform::kMastodon,
                     Platform::kReddit, Platform::kChatwoot})
    if (PlatformName(p) == name) return p;
  return std::nullopt;
}

std::string_view PlatformEventName(PlatformEvent::Type t) {
  switch (t) {
    case PlatformEvent::Type::kEdited: return "edited";
    case PlatformEvent::Type::kDeleted: return "deleted";
    case PlatformEvent::Type::kReplied: return "replied";
  }
  return "";
}

namespace {

Status Parse(dom::parser& parser, std::string_view payload, dom::element* root) {
  auto e = parser.parse(payload.data(), payload.size()).get(*root);
  if (e == simdjson::UTF8_ERROR) return Status::InvalidArgument("invalid UTF-8");
  if (e) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
  return Status::OK();
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  std::string out;
  size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, end - i - 1);
      if (tag.rfind("br", 0) == 0 || tag == "/p") out += "\n";
      // Mastodon hides the protocol and tail of links in spans; keep the text.
      i = end + 1;
      continue;
    }
    if (c == '&') {
      size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 8) {
        std::string_view ent = html.substr(i + 1, semi - i - 1);
        const char* rep = ent == "amp" ? "&" : ent == "lt" ? "<" : ent == "gt" ? ">" : ent == "quot" ? "\"" :
                          ent == "#39" || ent == "apos" ? "'" : ent == "nbsp" ? " " : nullptr;
        if (rep) {
          out += rep;
          i = semi + 1;
          continue;
        }
      }
    }
    out += c;
    ++i;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string NormalizedMessage::ToArchiveLine(std::string_view brand) const {
  std::string o = "{\"id\":";
  AppendJsonString(id, &o);
  o += ",\"channel\":";
  AppendJsonString(channel, &o);
  if (!kind.empty()) {
    o += ",\"kind\":";
    AppendJsonString(kind, &o);
  }
  if (!conversation_id.empty()) {
    o += ",\"conversation_id\":";
    AppendJsonString(conversation_id, &o);
  }
  o += ",\"in_reply_to\":";
  if (in_reply_to.empty()) o += "null";
  else AppendJsonString(in_reply_to, &o);
  o += ",\"author\":{\"id\":";
  AppendJsonString(author_id, &o);
  o += ",\"handle\":";
  AppendJsonString(author_handle, &o);
  if (followers >= 0) {
    o += ",\"followers\":";
    AppendJsonInt(followers, &o);
  }
  if (verified >= 0) o += verified ? ",\"verified\":true" : ",\"verified\":false";
  o += "}";
  if (!brand.empty()) {
    o += ",\"brand\":";
    AppendJsonString(brand, &o);
  }
  o += ",\"text\":";
  AppendJsonString(text, &o);
  if (!lang.empty()) {
    o += ",\"lang\":";
    AppendJsonString(lang, &o);
  }
  if (!created_at.empty()) {
    o += ",\"created_at\":";
    AppendJsonString(created_at, &o);
  }
  if (!attachments.empty()) {
    o += ",\"attachments\":[";
    for (size_t i = 0; i < attachments.size(); ++i) {
      o += i ? ",{\"type\":" : "{\"type\":";
      AppendJsonString(attachments[i].type, &o);
      o += ",\"count\":";
      AppendJsonInt(attachments[i].count, &o);
      o += "}";
    }
    o += "]";
  }
  o += "}";
  return o;
}

void NormalizedMessage::AddAttachment(std::string_view type) {
  if (type.empty()) type = "attachment";
  for (AttachmentCount& a : attachments)
    if (a.type == type) {
      ++a.count;
      return;
    }
  attachments.push_back({std::string(type), 1});
}

bool IsOneJsonValue(std::string_view text) {
  dom::parser parser;
  dom::element root;
  return Parse(parser, text, &root).ok();
}

std::optional<Platform> DetectPlatform(std::string_view payload) {
  dom::parser parser;
  dom::element root;
  if (!Parse(parser, payload, &root).ok() || !IsObj(root)) return std::nullopt;
  if (Has(root, "object") && Has(root, "entry")) return Platform::kMeta;
  if (Has(root, "for_user_id") || Has(root, "tweet_create_events") || Has(root, "direct_message_events") ||
      Has(root, "user_event") || Str(Obj(root, "event"), "type") == "message_create" ||
      (Has(root, "id_str") && Has(root, "user")))
    return Platform::kX;
  if (Has(root, "update_id")) return Platform::kTelegram;
  if (Str(root, "event") == "message_created" && IsObj(Obj(root, "conversation"))) return Platform::kChatwoot;
  std::string type = Str(root, "type");
  if ((type == "event_callback" || type == "url_verification" || Has(root, "api_app_id")) &&
      (Has(root, "event") || Has(root, "challenge")))
    return Platform::kSlack;
  std::string kind = Str(root, "kind");
  if (kind == "Listing" || kind == "t1" || kind == "t4") return Platform::kReddit;
  if ((Has(root, "content") && Has(root, "visibility")) || (Has(root, "event") && Has(root, "object")) ||
      (Has(root, "type") && IsObj(Obj(root, "status")) && Has(root, "account")))
    return Platform::kMastodon;
  if (Has(root, "data")) return Platform::kX;
  return std::nullopt;
}

namespace {

Status NormalizeRoot(Platform platform, dom::element root, NormalizeResult* out) {
  switch (platform) {
    case Platform::kMeta: return NormalizeMeta(root, out);
    case Platform::kX: return NormalizeX(root, out);
    case Platform::kSlack: return NormalizeSlack(root, out);
    case Platform::kTelegram: return NormalizeTelegram(root, out);
    case Platform::kMastodon: return NormalizeMastodon(root, out);
    case Platform::kReddit: return NormalizeReddit(root, out);
    case Platform::kChatwoot: return NormalizeChatwoot(root, out);
  }
  return Status::InvalidArgument("unknown platform");
}

}  // namespace

Status Normalize(Platform platform, std::string_view payload, NormalizeResult* out) {
  dom::parser parser;
  dom::element root;
  if (Status s = Parse(parser, payload, &root); !s.ok()) return s;
  if (!IsObj(root)) return Status::InvalidArgument("the payload must be a JSON object");
  size_t before = out->messages.size();
  Status s = NormalizeRoot(platform, root, out);
  // A message whose platform id is missing ("x:", "tg:1:") cannot be
  // deduplicated or answered: counted, not stored.
  auto& msgs = out->messages;
  for (size_t i = msgs.size(); i-- > before;) {
    if (!msgs[i].id.empty() && msgs[i].id.back() != ':') continue;
    Ignore(out, msgs[i].channel + ".without_id");
    msgs.erase(msgs.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return s;
}

}  // namespace triage
