// Telegram: the payload shapes read are listed at its entry point in platforms.h.
#include "connectors/webhooks/platforms.h"

#include <string>
#include <string_view>
#include <utility>

namespace triage::webhooks_internal {

Status NormalizeTelegram(dom::element root, NormalizeResult* out) {
  if (!Has(root, "update_id")) return Status::InvalidArgument("field 'update_id': missing (not a Telegram update)");
  for (const char* key : {"edited_message", "edited_channel_post"}) {
    dom::element e = Obj(root, key);
    if (IsObj(e)) {
      std::string chat = Str(Obj(e, "chat"), "id");
      std::string text = Str(e, "text").empty() ? Str(e, "caption") : Str(e, "text");
      out->events.push_back({PlatformEvent::Type::kEdited, "tg:" + chat + ":" + Str(e, "message_id"), "",
                             Str(Obj(e, "from"), "id"), text, Timestamp(e, "edit_date"), ""});
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
                           "", Str(from, "id"), Str(msg, "text"), Timestamp(msg, "date"), ""});
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

}  // namespace triage::webhooks_internal
