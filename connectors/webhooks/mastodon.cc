// Mastodon: the payload shapes read are listed at its entry point in platforms.h.
#include "connectors/webhooks/platforms.h"

#include <string>
#include <utility>

namespace triage::webhooks_internal {

namespace {

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

}  // namespace

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
                             HtmlToText(Str(object, "content")), Timestamp(object, "edited_at"), ""});
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

}  // namespace triage::webhooks_internal
