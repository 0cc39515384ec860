// X: the payload shapes read are listed at its entry point in platforms.h.
#include "connectors/webhooks/platforms.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace triage::webhooks_internal {

namespace {

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
    out->events.push_back({PlatformEvent::Type::kReplied, "x:" + id, reply_to.empty() ? "" : "x:" + reply_to, user_id, text, when, ""});
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

}  // namespace

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
      out->events.push_back({PlatformEvent::Type::kReplied, "x:dm:" + Str(ev, "id"), "", sender, text, when, ""});
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
                           Timestamp(d, "timestamp_ms"), ""});
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
                                   m.created_at, ""});
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

}  // namespace triage::webhooks_internal
