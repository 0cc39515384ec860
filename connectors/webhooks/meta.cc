// Meta: Messenger, Instagram, WhatsApp: the payload shapes read are listed at its entry point in platforms.h.
#include "connectors/webhooks/platforms.h"

#include <map>
#include <string>
#include <utility>

namespace triage::webhooks_internal {

namespace {

void MetaMessaging(dom::element item, bool instagram, NormalizeResult* out) {
  const std::string prefix = instagram ? "ig:" : "fb:";
  std::string sender = Str(Obj(item, "sender"), "id");
  std::string recipient = Str(Obj(item, "recipient"), "id");
  std::string when = Timestamp(item, "timestamp");
  dom::element msg = Obj(item, "message");
  if (Has(item, "message_edit")) {
    dom::element edit = Obj(item, "message_edit");
    out->events.push_back({PlatformEvent::Type::kEdited, prefix + Str(edit, "mid"), "", sender, Str(edit, "text"), when, ""});
    return;
  }
  if (!IsObj(msg)) {
    for (const char* kind : {"delivery", "read", "postback", "reaction", "optin", "referral", "account_linking"})
      if (Has(item, kind)) return Ignore(out, std::string(instagram ? "instagram." : "messenger.") + kind);
    return Ignore(out, instagram ? "instagram.unknown" : "messenger.unknown");
  }
  std::string mid = Str(msg, "mid");
  if (Bool(msg, "is_deleted") == 1) {
    out->events.push_back({PlatformEvent::Type::kDeleted, prefix + mid, "", sender, "", when, ""});
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
      out->events.push_back({PlatformEvent::Type::kDeleted, "fb:" + id, "", Str(Obj(v, "from"), "id"), "", Timestamp(v, "created_time"), ""});
      return;
    }
    if (verb == "edited") {
      out->events.push_back({PlatformEvent::Type::kEdited, "fb:" + id, "", Str(Obj(v, "from"), "id"), Str(v, "message"),
                             Timestamp(v, "created_time"), ""});
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
                             WhatsAppText(inner, Str(inner, "type")), when, ""});
      continue;
    }
    if (type == "revoke") {
      out->events.push_back({PlatformEvent::Type::kDeleted, "wa:" + Str(Obj(msg, "revoke"), "original_message_id"), "",
                             from, "", when, ""});
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

}  // namespace

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

}  // namespace triage::webhooks_internal
