#include "connectors/webhooks/normalizer.h"

#include <simdjson.h>

#include <cmath>
#include <ctime>

#include "format/archive_format.h"
#include "base/json_writer.h"

namespace triage {

namespace dom = simdjson::dom;

// ---------------------------------------------------------------------------
// Shared helpers

std::string_view PlatformName(Platform p) {
  switch (p) {
    case Platform::kMeta: return "meta";
    case Platform::kX: return "x";
    case Platform::kSlack: return "slack";
    case Platform::kTelegram: return "telegram";
    case Platform::kMastodon: return "mastodon";
    case Platform::kReddit: return "reddit";
  }
  return "";
}

std::optional<Platform> ParsePlatform(std::string_view name) {
  for (Platform p : {Platform::kMeta, Platform::kX, Platform::kSlack, Platform::kTelegram, Platform::kMastodon,
                     Platform::kReddit})
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

// Field access that tolerates absence and type surprises: a webhook payload
// is never trusted to have the documented shape.
std::string Str(dom::element e, std::string_view key) {
  dom::element v;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v)) return "";
  std::string_view s;
  if (!v.get_string().get(s)) return std::string(s);
  int64_t i;
  if (!v.get_int64().get(i)) return std::to_string(i);
  uint64_t u;
  if (!v.get_uint64().get(u)) return std::to_string(u);
  return "";
}

bool Has(dom::element e, std::string_view key) {
  dom::element v;
  return e.type() == dom::element_type::OBJECT && !e[key].get(v);
}

// A default-constructed dom::element points at no document, so a missing
// object is represented by a shared, parsed, empty object instead.
dom::element EmptyObject() {
  static dom::parser* parser = new dom::parser();
  static dom::element empty = [] {
    dom::element e;
    if (parser->parse(std::string_view("{}")).get(e)) std::abort();
    return e;
  }();
  return empty;
}

dom::element Obj(dom::element e, std::string_view key) {
  dom::element v;
  if (e.type() == dom::element_type::OBJECT && !e[key].get(v) && v.type() == dom::element_type::OBJECT) return v;
  return EmptyObject();
}

// A present, non-empty object (an absent one is the empty sentinel).
bool IsObj(dom::element e) {
  dom::object o;
  return e.type() == dom::element_type::OBJECT && !e.get_object().get(o) && o.begin() != o.end();
}

std::vector<dom::element> Arr(dom::element e, std::string_view key) {
  std::vector<dom::element> out;
  dom::element v;
  dom::array a;
  if (e.type() == dom::element_type::OBJECT && !e[key].get(v) && !v.get_array().get(a))
    for (dom::element x : a) out.push_back(x);
  return out;
}

int64_t Int(dom::element e, std::string_view key, int64_t fallback = -1) {
  dom::element v;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v)) return fallback;
  int64_t i;
  if (!v.get_int64().get(i)) return i;
  uint64_t u;
  if (!v.get_uint64().get(u)) return static_cast<int64_t>(u);
  double d;
  if (!v.get_double().get(d)) return std::isfinite(d) && std::fabs(d) < 9e18 ? static_cast<int64_t>(d) : fallback;
  std::string_view s;
  if (!v.get_string().get(s)) {
    try {
      return std::stoll(std::string(s));
    } catch (...) {
    }
  }
  return fallback;
}

int Bool(dom::element e, std::string_view key) {
  dom::element v;
  bool b;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v) || v.get_bool().get(b)) return -1;
  return b ? 1 : 0;
}

// Seconds or milliseconds since the epoch: values above 1e11 are taken as
// milliseconds. Out-of-range or non-finite values give "".
std::string FromEpochNumber(double v) {
  if (!std::isfinite(v) || std::fabs(v) > 1e15) return "";
  return FormatRfc3339(std::fabs(v) > 1e11 ? static_cast<int64_t>(v) : static_cast<int64_t>(std::llround(v * 1000)));
}

// A timestamp field: a number or numeric string (see FromEpochNumber), or an
// ISO 8601 / RFC 3339 / X v1.1 date string.
std::string Timestamp(dom::element e, std::string_view key) {
  dom::element v;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v)) return "";
  std::string_view s;
  if (!v.get_string().get(s)) {
    bool numeric = !s.empty() && s.size() < 32;
    for (char c : s) numeric = numeric && ((c >= '0' && c <= '9') || c == '.');
    if (numeric) {
      std::string copy(s);
      char* end = nullptr;
      double d = std::strtod(copy.c_str(), &end);
      return end == copy.c_str() ? "" : FromEpochNumber(d);
    }
    // ISO 8601 with "+0000" offsets (Meta) -> RFC 3339.
    std::string iso(s);
    if (iso.size() >= 5 && (iso[iso.size() - 5] == '+' || iso[iso.size() - 5] == '-') && iso.find(':', iso.size() - 5) == std::string::npos)
      iso.insert(iso.size() - 2, ":");
    int64_t ms;
    if (ParseRfc3339(iso, &ms)) return FormatRfc3339(ms);
    // X v1.1: "Mon May 19 14:01:46 +0000 2025"
    std::tm tm{};
    if (strptime(iso.c_str(), "%a %b %d %H:%M:%S +0000 %Y", &tm)) {
      int64_t secs = static_cast<int64_t>(timegm(&tm));
      if (secs > -62135596800LL && secs < 253402300800LL) return FormatRfc3339(secs * 1000);
    }
    return "";
  }
  double d;
  if (!v.get_double().get(d)) return FromEpochNumber(d);
  int64_t i;
  if (!v.get_int64().get(i)) return FromEpochNumber(static_cast<double>(i));
  return "";
}

void AppendPart(std::string* text, std::string_view part) {
  if (part.empty()) return;
  if (!text->empty()) *text += "\n";
  *text += part;
}

void Ignore(NormalizeResult* out, const std::string& kind) { ++out->ignored[kind]; }

Status Parse(dom::parser& parser, std::string_view payload, dom::element* root) {
  auto e = parser.parse(payload.data(), payload.size()).get(*root);
  if (e == simdjson::UTF8_ERROR) return Status::InvalidArgument("invalid UTF-8");
  if (e) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Meta: Messenger, Instagram, WhatsApp

void MetaMessaging(dom::element item, bool instagram, NormalizeResult* out) {
  const std::string prefix = instagram ? "ig:" : "fb:";
  std::string sender = Str(Obj(item, "sender"), "id");
  std::string recipient = Str(Obj(item, "recipient"), "id");
  std::string when = Timestamp(item, "timestamp");
  dom::element msg = Obj(item, "message");
  if (Has(item, "message_edit")) {
    dom::element edit = Obj(item, "message_edit");
    out->events.push_back({PlatformEvent::Type::kEdited, prefix + Str(edit, "mid"), "", sender, Str(edit, "text"), when});
    return;
  }
  if (!IsObj(msg)) {
    for (const char* kind : {"delivery", "read", "postback", "reaction", "optin", "referral", "account_linking"})
      if (Has(item, kind)) return Ignore(out, std::string(instagram ? "instagram." : "messenger.") + kind);
    return Ignore(out, instagram ? "instagram.unknown" : "messenger.unknown");
  }
  std::string mid = Str(msg, "mid");
  if (Bool(msg, "is_deleted") == 1) {
    out->events.push_back({PlatformEvent::Type::kDeleted, prefix + mid, "", sender, "", when});
    return;
  }
  if (Bool(msg, "is_echo") == 1) {
    // The brand's own reply, sent from the page or app: a `replied` event.
    std::string replied_to = Str(Obj(msg, "reply_to"), "mid");
    // The page is the sender and the customer the recipient: the conversation
    // is the one the customer's messages carry (user first, then page).
    out->events.push_back({PlatformEvent::Type::kReplied, prefix + mid, replied_to.empty() ? "" : prefix + replied_to,
                           Str(msg, "app_id").empty() ? sender : Str(msg, "app_id"), Str(msg, "text"), when,
                           (instagram ? "ig-dm-" : "fb-dm-") + recipient + "-" + sender});
    return;
  }
  NormalizedMessage m;
  m.id = prefix + mid;
  m.channel = instagram ? "instagram" : "facebook";
  m.kind = "private";
  m.conversation_id = (instagram ? "ig-dm-" : "fb-dm-") + sender + "-" + recipient;
  m.author_id = sender;
  m.created_at = when;
  m.text = Str(msg, "text");
  dom::element reply_to = Obj(msg, "reply_to");
  if (IsObj(reply_to) && !Str(reply_to, "mid").empty()) m.in_reply_to = prefix + Str(reply_to, "mid");
  for (dom::element att : Arr(msg, "attachments")) {
    AppendPart(&m.text, Str(Obj(att, "payload"), "title"));
    m.AddAttachment(Str(att, "type"));  // image, video, audio, file, share, story_mention, ...
  }
  out->messages.push_back(std::move(m));
}

// Page feed (Facebook comments and posts) and Instagram comments/mentions.
void MetaChange(dom::element change, bool instagram, NormalizeResult* out) {
  std::string field = Str(change, "field");
  dom::element v = Obj(change, "value");
  if (!IsObj(v)) return Ignore(out, "meta.change." + field);
  if (instagram && (field == "comments" || field == "live_comments" || field == "mentions")) {
    NormalizedMessage m;
    std::string id = field == "mentions" ? Str(v, "comment_id") : Str(v, "id");
    if (id.empty()) id = Str(v, "media_id");
    m.id = "ig:" + id;
    m.channel = "instagram";
    m.kind = "public";
    dom::element from = Obj(v, "from");
    m.author_id = Str(from, "id");
    m.author_handle = Str(from, "username");
    std::string media = Str(Obj(v, "media"), "id");
    if (media.empty()) media = Str(v, "media_id");
    m.conversation_id = "ig-media-" + (media.empty() ? id : media);
    if (!Str(v, "parent_id").empty()) m.in_reply_to = "ig:" + Str(v, "parent_id");
    m.text = Str(v, "text");
    m.created_at = Timestamp(v, "timestamp");
    out->messages.push_back(std::move(m));
    return;
  }
  if (!instagram && field == "feed") {
    std::string item = Str(v, "item"), verb = Str(v, "verb");
    std::string id = item == "comment" ? Str(v, "comment_id") : Str(v, "post_id");
    if (item != "comment" && item != "post" && item != "status") return Ignore(out, "facebook.feed." + item);
    if (verb == "remove") {
      out->events.push_back({PlatformEvent::Type::kDeleted, "fb:" + id, "", Str(Obj(v, "from"), "id"), "", Timestamp(v, "created_time")});
      return;
    }
    if (verb == "edited") {
      out->events.push_back({PlatformEvent::Type::kEdited, "fb:" + id, "", Str(Obj(v, "from"), "id"), Str(v, "message"),
                             Timestamp(v, "created_time")});
      return;
    }
    if (verb != "add") return Ignore(out, "facebook.feed." + verb);
    NormalizedMessage m;
    m.id = "fb:" + id;
    m.channel = "facebook";
    m.kind = "public";
    m.author_id = Str(Obj(v, "from"), "id");
    m.author_handle = Str(Obj(v, "from"), "name");
    m.conversation_id = "fb-post-" + Str(v, "post_id");
    std::string parent = Str(v, "parent_id");
    if (!parent.empty() && parent != Str(v, "post_id")) m.in_reply_to = "fb:" + parent;
    m.text = Str(v, "message");
    m.created_at = Timestamp(v, "created_time");
    out->messages.push_back(std::move(m));
    return;
  }
  Ignore(out, std::string(instagram ? "instagram." : "facebook.") + field);
}

std::string WhatsAppText(dom::element msg, const std::string& type) {
  dom::element body = Obj(msg, type);
  if (type == "text") return Str(body, "body");
  if (type == "image" || type == "video" || type == "document" || type == "sticker" || type == "audio") {
    std::string t = Str(body, "caption");
    if (type == "document" && t.empty()) t = Str(body, "filename");
    return t;
  }
  if (type == "button") return Str(body, "text");
  if (type == "interactive") {
    dom::element reply = Obj(body, "button_reply");
    if (!IsObj(reply)) reply = Obj(body, "list_reply");
    std::string t = Str(reply, "title");
    AppendPart(&t, Str(reply, "description"));
    return t;
  }
  if (type == "location") {
    std::string t = Str(body, "name");
    AppendPart(&t, Str(body, "address"));
    return t;
  }
  return "";
}

void WhatsAppChange(dom::element change, NormalizeResult* out) {
  dom::element v = Obj(change, "value");
  if (Str(change, "field") != "messages" || !IsObj(v)) return Ignore(out, "whatsapp." + Str(change, "field"));
  std::map<std::string, std::string> names;
  for (dom::element c : Arr(v, "contacts")) names[Str(c, "wa_id")] = Str(Obj(c, "profile"), "name");
  for (size_t i = 0; i < Arr(v, "statuses").size(); ++i) Ignore(out, "whatsapp.status");
  for (dom::element msg : Arr(v, "messages")) {
    std::string type = Str(msg, "type");
    std::string from = Str(msg, "from");
    std::string when = Timestamp(msg, "timestamp");
    if (type == "edit") {
      dom::element edit = Obj(msg, "edit");
      dom::element inner = Obj(edit, "message");
      out->events.push_back({PlatformEvent::Type::kEdited, "wa:" + Str(edit, "original_message_id"), "", from,
                             WhatsAppText(inner, Str(inner, "type")), when});
      continue;
    }
    if (type == "revoke") {
      out->events.push_back({PlatformEvent::Type::kDeleted, "wa:" + Str(Obj(msg, "revoke"), "original_message_id"), "",
                             from, "", when});
      continue;
    }
    if (type == "reaction" || type == "system" || type == "unsupported" || type == "request_welcome" || type.empty()) {
      Ignore(out, "whatsapp.message." + (type.empty() ? std::string("untyped") : type));
      continue;
    }
    NormalizedMessage m;
    m.id = "wa:" + Str(msg, "id");
    m.channel = "whatsapp";
    m.kind = "private";
    m.author_id = from;
    m.author_handle = names.count(from) ? names[from] : "";
    m.followers = 0;
    m.conversation_id = "wa-conv-" + from;
    dom::element context = Obj(msg, "context");
    if (IsObj(context) && !Str(context, "id").empty()) m.in_reply_to = "wa:" + Str(context, "id");
    m.text = WhatsAppText(msg, type);
    if (type == "image" || type == "video" || type == "document" || type == "sticker" || type == "audio")
      m.AddAttachment(type);  // the media itself is fetched by id; only a caption is text
    m.created_at = when;
    out->messages.push_back(std::move(m));
  }
}

Status NormalizeMeta(dom::element root, NormalizeResult* out) {
  std::string object = Str(root, "object");
  if (object.empty()) return Status::InvalidArgument("field 'object': expected page, instagram or whatsapp_business_account");
  if (!Has(root, "entry")) return Status::InvalidArgument("field 'entry': missing");
  for (dom::element entry : Arr(root, "entry")) {
    if (object == "whatsapp_business_account") {
      for (dom::element change : Arr(entry, "changes")) WhatsAppChange(change, out);
      continue;
    }
    if (object != "page" && object != "instagram") {
      Ignore(out, "meta.object." + object);
      continue;
    }
    bool instagram = object == "instagram";
    for (dom::element item : Arr(entry, "messaging")) MetaMessaging(item, instagram, out);
    for (dom::element item : Arr(entry, "standby")) {  // handover protocol: another app owns the thread
      (void)item;
      Ignore(out, instagram ? "instagram.standby" : "messenger.standby");
    }
    for (dom::element change : Arr(entry, "changes")) MetaChange(change, instagram, out);
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// X

void XTweetV1(dom::element t, const std::string& brand_user, NormalizeResult* out) {
  std::string id = Str(t, "id_str");
  if (id.empty()) id = Str(t, "id");
  if (Has(t, "retweeted_status")) return Ignore(out, "x.retweet");
  dom::element user = Obj(t, "user");
  std::string user_id = Str(user, "id_str").empty() ? Str(user, "id") : Str(user, "id_str");
  std::string text = Str(Obj(t, "extended_tweet"), "full_text");
  if (text.empty()) text = Str(t, "full_text");
  if (text.empty()) text = Str(t, "text");
  dom::element quoted = Obj(t, "quoted_status");
  if (IsObj(quoted)) {
    std::string q = Str(Obj(quoted, "extended_tweet"), "full_text");
    AppendPart(&text, q.empty() ? Str(quoted, "text") : q);
  }
  std::string reply_to = Str(t, "in_reply_to_status_id_str");
  std::string when = Timestamp(t, "created_at");
  if (!brand_user.empty() && user_id == brand_user) {
    out->events.push_back({PlatformEvent::Type::kReplied, "x:" + id, reply_to.empty() ? "" : "x:" + reply_to, user_id, text, when});
    return;
  }
  NormalizedMessage m;
  m.id = "x:" + id;
  m.channel = "x";
  m.kind = "public";
  m.author_id = user_id;
  m.author_handle = Str(user, "screen_name");
  m.followers = Int(user, "followers_count", -1);
  m.verified = Bool(user, "verified");
  m.in_reply_to = reply_to.empty() ? "" : "x:" + reply_to;
  m.conversation_id = "x-conv-" + (reply_to.empty() ? id : reply_to);
  m.text = text;
  std::string lang = Str(t, "lang");
  if (lang != "und") m.lang = lang;
  m.created_at = when;
  out->messages.push_back(std::move(m));
}

Status NormalizeX(dom::element root, NormalizeResult* out) {
  std::string brand = Str(root, "for_user_id");
  bool any = false;
  for (dom::element t : Arr(root, "tweet_create_events")) {
    any = true;
    XTweetV1(t, brand, out);
  }
  dom::element users = Obj(root, "users");
  std::vector<dom::element> dm_events = Arr(root, "direct_message_events");
  // A single v1.1 DM event, as the REST API returns it: {"event": {...}}.
  if (Str(Obj(root, "event"), "type") == "message_create") dm_events.push_back(Obj(root, "event"));
  // A bare v1.1 Tweet object, as archived from the REST API.
  if (Has(root, "id_str") && Has(root, "user") && Has(root, "created_at")) {
    any = true;
    XTweetV1(root, brand, out);
  }
  for (dom::element ev : dm_events) {
    any = true;
    if (Str(ev, "type") != "message_create") {
      Ignore(out, "x.dm." + Str(ev, "type"));
      continue;
    }
    dom::element mc = Obj(ev, "message_create");
    std::string sender = Str(mc, "sender_id");
    std::string recipient = Str(Obj(mc, "target"), "recipient_id");
    std::string text = Str(Obj(mc, "message_data"), "text");
    std::string when = Timestamp(ev, "created_timestamp");
    if (!brand.empty() && sender == brand) {
      out->events.push_back({PlatformEvent::Type::kReplied, "x:dm:" + Str(ev, "id"), "", sender, text, when});
      continue;
    }
    NormalizedMessage m;
    m.id = "x:dm:" + Str(ev, "id");
    m.channel = "x";
    m.kind = "private";
    m.author_id = sender;
    dom::element u;
    if (IsObj(users) && !users[sender].get(u) && u.type() == dom::element_type::OBJECT) {
      m.author_handle = Str(u, "screen_name");
      m.followers = Int(u, "followers_count", -1);
      m.verified = Bool(u, "verified");
    }
    m.conversation_id = "x-dm-" + sender + "-" + recipient;
    m.text = text;
    m.created_at = when;
    out->messages.push_back(std::move(m));
  }
  for (dom::element d : Arr(root, "tweet_delete_events")) {
    any = true;
    dom::element status = Obj(d, "status");
    out->events.push_back({PlatformEvent::Type::kDeleted, "x:" + Str(status, "id"), "", Str(status, "user_id"), "",
                           Timestamp(d, "timestamp_ms")});
  }
  for (const char* kind : {"favorite_events", "follow_events", "unfollow_events", "block_events", "unblock_events",
                           "mute_events", "unmute_events", "user_event", "direct_message_indicate_typing_events",
                           "direct_message_mark_read_events", "tweet_delete_events_compliance"}) {
    // (user_event is an object, not a list: counted once.)
    if (Has(root, kind)) {
      any = true;
      size_t n = std::max<size_t>(1, Arr(root, kind).size());
      for (size_t i = 0; i < n; ++i) Ignore(out, std::string("x.") + kind);
    }
  }
  // X API v2: {"data": tweet | [tweets] | [dm events], "includes": {"users": [...]}}
  dom::element data;
  if (IsObj(root) && !root["data"].get(data)) {
    any = true;
    std::map<std::string, dom::element> users_v2;
    for (dom::element u : Arr(Obj(root, "includes"), "users")) users_v2[Str(u, "id")] = u;
    std::vector<dom::element> items;
    dom::array a;
    if (!data.get_array().get(a)) {
      for (dom::element x : a) items.push_back(x);
    } else if (IsObj(data)) {
      items.push_back(data);
    }
    for (dom::element t : items) {
      std::string event_type = Str(t, "event_type");
      if (!event_type.empty() && event_type != "MessageCreate") {
        Ignore(out, "x.dm." + event_type);
        continue;
      }
      NormalizedMessage m;
      m.channel = "x";
      m.text = Str(t, "text");
      m.created_at = Timestamp(t, "created_at");
      if (event_type == "MessageCreate") {
        m.id = "x:dm:" + Str(t, "id");
        m.kind = "private";
        m.author_id = Str(t, "sender_id");
        m.conversation_id = "x-dm-" + (Str(t, "dm_conversation_id").empty() ? Str(t, "id") : Str(t, "dm_conversation_id"));
      } else {
        std::vector<dom::element> history = Arr(t, "edit_history_tweet_ids");
        std::string id = Str(t, "id");
        if (history.size() > 1) {
          std::string_view first;
          if (!history.front().get_string().get(first) && first != id) {
            out->events.push_back({PlatformEvent::Type::kEdited, "x:" + std::string(first), "", Str(t, "author_id"), m.text,
                                   m.created_at});
            continue;
          }
        }
        m.id = "x:" + id;
        m.kind = "public";
        m.author_id = Str(t, "author_id");
        m.conversation_id = "x-conv-" + (Str(t, "conversation_id").empty() ? id : Str(t, "conversation_id"));
        for (dom::element ref : Arr(t, "referenced_tweets"))
          if (Str(ref, "type") == "replied_to") m.in_reply_to = "x:" + Str(ref, "id");
        std::string lang = Str(t, "lang");
        if (lang != "und") m.lang = lang;
      }
      auto u = users_v2.find(m.author_id);
      if (u != users_v2.end()) {
        m.author_handle = Str(u->second, "username");
        m.followers = Int(Obj(u->second, "public_metrics"), "followers_count", -1);
        m.verified = Bool(u->second, "verified");
      }
      if (m.id.size() <= 2 || m.id == "x:dm:") {
        Ignore(out, "x.v2.without_id");
        continue;
      }
      out->messages.push_back(std::move(m));
    }
  }
  if (!any) return Status::InvalidArgument("not an X payload: no tweet_create_events, direct_message_events or data");
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Slack

// Slack files carry a MIME type, not a kind: image, video and audio by their
// top-level type, anything else "file".
std::string SlackFileType(std::string_view mime) {
  std::string_view top = mime.substr(0, mime.find('/'));
  if (top == "image" || top == "video" || top == "audio") return std::string(top);
  return "file";
}

Status NormalizeSlack(dom::element root, NormalizeResult* out) {
  std::string type = Str(root, "type");
  if (type == "url_verification") {
    Ignore(out, "slack.url_verification");
    return Status::OK();
  }
  if (type != "event_callback" && !(type.empty() && IsObj(Obj(root, "event")))) {
    if (type.empty()) return Status::InvalidArgument("field 'type': expected event_callback or url_verification");
    Ignore(out, "slack." + type);
    return Status::OK();
  }
  dom::element ev = Obj(root, "event");
  if (!IsObj(ev)) return Status::InvalidArgument("field 'event': expected an object");
  std::string etype = Str(ev, "type"), subtype = Str(ev, "subtype");
  std::string channel = Str(ev, "channel");
  std::string when = Timestamp(ev, "ts");
  if (etype != "message" && etype != "app_mention") {
    Ignore(out, "slack.event." + etype);
    return Status::OK();
  }
  if (subtype == "message_changed") {
    dom::element m = Obj(ev, "message");
    out->events.push_back({PlatformEvent::Type::kEdited, "slack:" + channel + ":" + Str(m, "ts"), "", Str(m, "user"),
                           Str(m, "text"), when});
    return Status::OK();
  }
  if (subtype == "message_deleted") {
    out->events.push_back({PlatformEvent::Type::kDeleted, "slack:" + channel + ":" + Str(ev, "deleted_ts"), "", "", "", when});
    return Status::OK();
  }
  if (Str(ev, "ts").empty() || channel.empty()) {
    Ignore(out, "slack.message.without_ts_or_channel");
    return Status::OK();
  }
  if (subtype == "bot_message" || !Str(ev, "bot_id").empty()) {
    std::string thread = Str(ev, "thread_ts");
    out->events.push_back({PlatformEvent::Type::kReplied, "slack:" + channel + ":" + Str(ev, "ts"),
                           thread.empty() ? "" : "slack:" + channel + ":" + thread,
                           Str(ev, "bot_id").empty() ? Str(ev, "user") : Str(ev, "bot_id"), Str(ev, "text"), when});
    return Status::OK();
  }
  if (!subtype.empty() && subtype != "file_share" && subtype != "thread_broadcast") {
    Ignore(out, "slack.message." + subtype);
    return Status::OK();
  }
  NormalizedMessage m;
  m.id = "slack:" + channel + ":" + Str(ev, "ts");
  m.channel = "slack";
  std::string ctype = Str(ev, "channel_type");
  m.kind = ctype == "im" || ctype == "mpim" ? "private" : "public";
  m.author_id = Str(ev, "user");
  std::string thread = Str(ev, "thread_ts");
  m.conversation_id = "slack-" + channel + "-" + (thread.empty() ? Str(ev, "ts") : thread);
  if (!thread.empty() && thread != Str(ev, "ts")) m.in_reply_to = "slack:" + channel + ":" + thread;
  m.text = Str(ev, "text");
  for (dom::element f : Arr(ev, "files")) {
    AppendPart(&m.text, Str(f, "title"));
    m.AddAttachment(SlackFileType(Str(f, "mimetype")));
  }
  m.created_at = when;
  out->messages.push_back(std::move(m));
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Telegram

Status NormalizeTelegram(dom::element root, NormalizeResult* out) {
  if (!Has(root, "update_id")) return Status::InvalidArgument("field 'update_id': missing (not a Telegram update)");
  for (const char* key : {"edited_message", "edited_channel_post"}) {
    dom::element e = Obj(root, key);
    if (IsObj(e)) {
      std::string chat = Str(Obj(e, "chat"), "id");
      std::string text = Str(e, "text").empty() ? Str(e, "caption") : Str(e, "text");
      out->events.push_back({PlatformEvent::Type::kEdited, "tg:" + chat + ":" + Str(e, "message_id"), "",
                             Str(Obj(e, "from"), "id"), text, Timestamp(e, "edit_date")});
      return Status::OK();
    }
  }
  dom::element msg = Obj(root, "message");
  if (!IsObj(msg)) msg = Obj(root, "channel_post");
  if (!IsObj(msg)) {
    for (const char* kind : {"callback_query", "inline_query", "my_chat_member", "chat_member", "poll", "poll_answer",
                             "chosen_inline_result", "shipping_query", "pre_checkout_query", "message_reaction"})
      if (Has(root, kind)) {
        Ignore(out, std::string("telegram.") + kind);
        return Status::OK();
      }
    Ignore(out, "telegram.unknown");
    return Status::OK();
  }
  dom::element from = Obj(msg, "from");
  if (Bool(from, "is_bot") == 1) {
    out->events.push_back({PlatformEvent::Type::kReplied, "tg:" + Str(Obj(msg, "chat"), "id") + ":" + Str(msg, "message_id"),
                           "", Str(from, "id"), Str(msg, "text"), Timestamp(msg, "date")});
    return Status::OK();
  }
  dom::element chat = Obj(msg, "chat");
  std::string chat_id = Str(chat, "id");
  NormalizedMessage m;
  m.id = "tg:" + chat_id + ":" + Str(msg, "message_id");
  m.channel = "telegram";
  m.kind = Str(chat, "type") == "private" ? "private" : "public";
  m.author_id = Str(from, "id");
  m.author_handle = Str(from, "username");
  m.followers = 0;
  m.conversation_id = "tg-chat-" + chat_id;
  dom::element reply = Obj(msg, "reply_to_message");
  if (IsObj(reply)) m.in_reply_to = "tg:" + chat_id + ":" + Str(reply, "message_id");
  m.text = Str(msg, "text");
  AppendPart(&m.text, Str(msg, "caption"));
  dom::element loc = Obj(msg, "venue");
  if (IsObj(loc)) AppendPart(&m.text, Str(loc, "title"));
  // Media fields, by the Bot API's own names. `photo` lists sizes of ONE
  // photo; an animation also fills `document` (for old clients): counted once.
  for (const char* kind : {"photo", "animation", "document", "audio", "voice", "video", "video_note", "sticker"}) {
    if (std::string_view(kind) == "document" && Has(msg, "animation")) continue;
    if (Has(msg, kind)) m.AddAttachment(kind);
  }
  m.created_at = Timestamp(msg, "date");
  // language_code is the user's interface language, not the message's: left
  // out, so the engine detects the message's own language.
  out->messages.push_back(std::move(m));
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Mastodon

void MastodonStatus(dom::element s, NormalizeResult* out) {
  if (IsObj(Obj(s, "reblog"))) return Ignore(out, "mastodon.reblog");
  NormalizedMessage m;
  std::string id = Str(s, "id");
  m.id = "ma:" + id;
  m.channel = "mastodon";
  std::string vis = Str(s, "visibility");
  m.kind = vis == "direct" || vis == "private" ? "private" : "public";
  dom::element account = Obj(s, "account");
  m.author_id = Str(account, "id");
  m.author_handle = Str(account, "acct");
  m.followers = Int(account, "followers_count", -1);
  std::string reply = Str(s, "in_reply_to_id");
  m.in_reply_to = reply.empty() ? "" : "ma:" + reply;
  m.conversation_id = "ma-conv-" + (reply.empty() ? id : reply);
  m.text = Str(s, "spoiler_text");
  AppendPart(&m.text, HtmlToText(Str(s, "content")));
  for (dom::element media : Arr(s, "media_attachments")) {
    AppendPart(&m.text, Str(media, "description"));
    m.AddAttachment(Str(media, "type"));  // image, gifv, video, audio, unknown
  }
  m.lang = Str(s, "language");
  m.created_at = Timestamp(s, "created_at");
  if (Bool(account, "bot") == 1) return Ignore(out, "mastodon.bot");
  out->messages.push_back(std::move(m));
}

Status NormalizeMastodon(dom::element root, NormalizeResult* out) {
  std::string event = Str(root, "event");
  dom::element object = Obj(root, "object");
  if (!event.empty()) {  // webhook {"event": ..., "object": ...}
    if (event == "status.created" && IsObj(object)) {
      MastodonStatus(object, out);
      return Status::OK();
    }
    if (event == "status.updated" && IsObj(object)) {
      out->events.push_back({PlatformEvent::Type::kEdited, "ma:" + Str(object, "id"), "", Str(Obj(object, "account"), "id"),
                             HtmlToText(Str(object, "content")), Timestamp(object, "edited_at")});
      return Status::OK();
    }
    Ignore(out, "mastodon." + event);
    return Status::OK();
  }
  if (!Str(root, "type").empty() && IsObj(Obj(root, "status"))) {  // a notification (mention)
    MastodonStatus(Obj(root, "status"), out);
    return Status::OK();
  }
  if (Has(root, "content") && Has(root, "id")) {  // a bare status entity (streaming "update")
    MastodonStatus(root, out);
    return Status::OK();
  }
  return Status::InvalidArgument("not a Mastodon status, notification or webhook");
}

// ---------------------------------------------------------------------------
// Reddit

void RedditThing(dom::element thing, NormalizeResult* out) {
  std::string kind = Str(thing, "kind");
  dom::element d = Obj(thing, "data");
  if (kind != "t1" && kind != "t4") return Ignore(out, "reddit." + (kind.empty() ? std::string("unknown") : kind));
  if (Str(d, "author") == "[deleted]" || Str(d, "body") == "[deleted]" || Str(d, "body") == "[removed]")
    return out->events.push_back({PlatformEvent::Type::kDeleted, "rd:" + Str(d, "name"), "", "", "", ""});
  NormalizedMessage m;
  std::string name = Str(d, "name").empty() ? kind + "_" + Str(d, "id") : Str(d, "name");
  m.id = "rd:" + name;
  m.channel = "reddit";
  m.kind = kind == "t4" ? "private" : "public";
  m.author_id = Str(d, "author_fullname").empty() ? Str(d, "author") : Str(d, "author_fullname");
  m.author_handle = Str(d, "author");
  std::string parent = Str(d, "parent_id");
  if (!parent.empty()) m.in_reply_to = "rd:" + parent;
  std::string conv = kind == "t1" ? Str(d, "link_id") : Str(d, "first_message_name");
  m.conversation_id = "rd-conv-" + (conv.empty() ? name : conv);
  if (kind == "t4") m.text = Str(d, "subject");
  AppendPart(&m.text, Str(d, "body"));
  m.created_at = Timestamp(d, "created_utc");
  out->messages.push_back(std::move(m));
}

Status NormalizeReddit(dom::element root, NormalizeResult* out) {
  std::string kind = Str(root, "kind");
  if (kind == "Listing") {
    for (dom::element child : Arr(Obj(root, "data"), "children")) RedditThing(child, out);
    return Status::OK();
  }
  if (kind.empty()) return Status::InvalidArgument("field 'kind': expected Listing, t1 or t4");
  RedditThing(root, out);
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
