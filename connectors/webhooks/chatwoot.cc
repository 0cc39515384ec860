// Chatwoot: the payload shapes read are listed at its entry point in platforms.h.
// Shape from Chatwoot's documentation of its webhooks (message_created with
// id, content, message_type, private, sender, conversation and account):
//   https://www.chatwoot.com/hc/user-guide/articles/1677693021-how-to-use-webhooks
#include "connectors/webhooks/platforms.h"

#include <string>
#include <utility>

namespace triage::webhooks_internal {

Status NormalizeChatwoot(dom::element root, NormalizeResult* out) {
  if (!Has(root, "event")) return Status::InvalidArgument("field 'event': missing (not a Chatwoot webhook)");
  const std::string event = Str(root, "event");
  if (event != "message_created") {
    // Kinds by a fixed name: the payload's own string is not a key to keep.
    Ignore(out, event == "conversation_created" || event == "conversation_updated" ||
                        event == "conversation_status_changed" || event == "message_updated"
                    ? "chatwoot." + event
                    : std::string("chatwoot.other_event"));
    return Status::OK();
  }
  if (Bool(root, "private") == 1) {  // an agent's note, never seen by the customer
    Ignore(out, "chatwoot.private_note");
    return Status::OK();
  }
  const std::string account = Str(Obj(root, "account"), "id");
  const std::string conversation = Str(Obj(root, "conversation"), "id");
  const std::string id = "cw:" + account + ":" + Str(root, "id");
  dom::element sender = Obj(root, "sender");
  const std::string type = Str(root, "message_type");
  if (type == "outgoing" || type == "template") {
    // An agent's or a bot's answer: a reply on the conversation.
    out->events.push_back({PlatformEvent::Type::kReplied, id, "", Str(sender, "name"), Str(root, "content"),
                           Timestamp(root, "created_at"), ""});
    return Status::OK();
  }
  if (type != "incoming") {
    Ignore(out, "chatwoot.other_message_type");
    return Status::OK();
  }
  NormalizedMessage m;
  m.id = id;
  m.channel = "chatwoot";
  m.kind = "private";
  m.author_id = Str(sender, "id");
  m.author_handle = Str(sender, "name");
  // The id the chatwoot outbound sink updates (runtime/outbound/chatwoot_sink.cc).
  m.conversation_id = conversation.empty() ? "" : "chatwoot:" + conversation;
  m.text = Str(root, "content");
  for (dom::element a : Arr(root, "attachments")) m.AddAttachment(Str(a, "file_type"));
  m.created_at = Timestamp(root, "created_at");
  out->messages.push_back(std::move(m));
  return Status::OK();
}

}  // namespace triage::webhooks_internal
