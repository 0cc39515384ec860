// Reddit: the payload shapes read are listed at its entry point in platforms.h.
#include "connectors/webhooks/platforms.h"

#include <string>
#include <utility>

namespace triage::webhooks_internal {

namespace {

void RedditThing(dom::element thing, NormalizeResult* out) {
  std::string kind = Str(thing, "kind");
  dom::element d = Obj(thing, "data");
  if (kind != "t1" && kind != "t4") return Ignore(out, "reddit." + (kind.empty() ? std::string("unknown") : kind));
  if (Str(d, "author") == "[deleted]" || Str(d, "body") == "[deleted]" || Str(d, "body") == "[removed]")
    return out->events.push_back({PlatformEvent::Type::kDeleted, "rd:" + Str(d, "name"), "", "", "", "", ""});
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

}  // namespace

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

}  // namespace triage::webhooks_internal
