// Slack: the payload shapes read are listed at its entry point in platforms.h.
#include "connectors/webhooks/platforms.h"

#include <string>
#include <string_view>
#include <utility>

namespace triage::webhooks_internal {

namespace {

// Slack files carry a MIME type, not a kind: image, video and audio by their
// top-level type, anything else "file".
std::string SlackFileType(std::string_view mime) {
  std::string_view top = mime.substr(0, mime.find('/'));
  if (top == "image" || top == "video" || top == "audio") return std::string(top);
  return "file";
}

}  // namespace

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
                           Str(m, "text"), when, ""});
    return Status::OK();
  }
  if (subtype == "message_deleted") {
    out->events.push_back({PlatformEvent::Type::kDeleted, "slack:" + channel + ":" + Str(ev, "deleted_ts"), "", "", "", when, ""});
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
                           Str(ev, "bot_id").empty() ? Str(ev, "user") : Str(ev, "bot_id"), Str(ev, "text"), when, ""});
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

}  // namespace triage::webhooks_internal
