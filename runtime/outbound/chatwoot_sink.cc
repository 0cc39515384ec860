// chatwoot: the decision applied to a Chatwoot conversation, as Chatwoot's
// triage bot would: its labels (the queue and the label), its team
// (settings.team_id) and its priority. {base} is
// {url}/api/v1/accounts/{account_id}.
//
// A message that came from Chatwoot (conversation id "chatwoot:<n>", or a
// number) is decided in place:
//
//   POST {base}/conversations/{id}/labels          {"labels": [queue, label]}
//   POST {base}/conversations/{id}/assignments     {"team_id": N}
//   POST {base}/conversations/{id}/toggle_priority {"priority": urgent|high|medium|low}
//
// A message from any other platform is first carried into Chatwoot, in the
// inbox settings.inbox_id (an API channel inbox): one Chatwoot conversation
// per triage conversation, made once and found again, then the three calls
// above on it:
//
//   1. GET  {base}/contacts/search?q=<identifier>&page=N   the contact whose identifier is
//                                                          exactly "<channel>:<author id>"
//                                                          (pages until meta.count is read)
//   2. none: POST {base}/contacts {"inbox_id", "name", "identifier"}
//   3. GET  {base}/contacts/{contact}/conversations        the one whose custom attribute
//                                                          triage_conversation is the triage conversation id
//   4. none: POST {base}/conversations {"inbox_id", "contact_id", "source_id", "status": "open",
//                                       "custom_attributes": {"triage_conversation": ...}}
//   5. GET  {base}/conversations/{id}/messages, and unless one names this delivery,
//      POST {base}/conversations/{id}/messages {"content", "message_type": "incoming", "private": false}
//
// Why a retry never makes anything twice: the contact is found by its
// identifier (Chatwoot keeps identifiers unique in an account, so a create
// that lost a race to another delivery thread is a 422 and the contact is
// looked up again); the conversation by its custom attribute, written in
// the same request that creates it; the message by the line it ends with,
// "triage delivery <idempotency key>", as the zendesk sink does. The
// deliveries of one conversation reach a sink one at a time, in order
// (delivery.h), so only a retry of the same delivery can meet its own
// earlier attempt. The three decision calls state the result wanted, so
// repeating them changes nothing.
//
// Auth: the api_access_token header (secret or secret_env). Without
// settings.inbox_id, messages of other platforms are rejected (dead
// letters) and only Chatwoot's own conversations are decided.
//
// Request shapes, from Chatwoot's documentation (Application API):
//   Conversation labels, assignments, toggle priority:
//     https://www.chatwoot.com/developers/api/#tag/Conversation-Labels
//     https://developers.chatwoot.com/api-reference/conversations/update-conversation.md
//   Search contacts (q matches name, identifier, email or phone; paged):
//     https://developers.chatwoot.com/api-reference/contacts/search-contacts
//   Create contact (inbox_id, name, identifier):
//     https://developers.chatwoot.com/api-reference/contacts/create-contact
//   Contact conversations: https://developers.chatwoot.com/api-reference/contacts/contact-conversations
//   Create new conversation (source_id, inbox_id, contact_id, custom_attributes, status):
//     https://developers.chatwoot.com/api-reference/conversations/create-new-conversation
//     (with contact_id and inbox_id Chatwoot finds or makes the contact inbox
//     itself: https://github.com/orgs/chatwoot/discussions/2198)
//   Messages (get, create with message_type incoming):
//     https://developers.chatwoot.com/api-reference/messages/get-messages
//     https://developers.chatwoot.com/api-reference/messages/create-new-message
#include <simdjson.h>

#include <charconv>

#include "base/json_writer.h"
#include "runtime/outbound/sink.h"

namespace triage {

namespace {

// Chatwoot's priorities are urgent, high, medium and low.
std::string_view ChatwootPriority(Priority p) {
  switch (p) {
    case Priority::kUrgent: return "urgent";
    case Priority::kHigh: return "high";
    case Priority::kNormal: return "medium";
    default: return "low";
  }
}

// A numeric setting (ReadOutboundConfig checked its digits); 0 when unset.
int64_t NumberSetting(const SinkConfig& c, const std::string& key) {
  const std::string v = c.Setting(key);
  int64_t n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

// Contact search pages read before giving up on an identifier (the search
// matches substrings, 15 contacts a page: "x:1" also finds "x:10").
constexpr int kSearchPages = 20;

std::string StringField(simdjson::dom::element el, const char* key) {
  std::string_view s;
  return el[key].get_string().get(s) ? std::string() : std::string(s);
}

int64_t IdField(simdjson::dom::element el, const char* key = "id") {
  int64_t n = 0;
  return el[key].get_int64().get(n) ? 0 : n;
}

// The list of `root`: its "payload" array, or `root` itself when an array
// (the documentation shows both shapes for some endpoints).
bool ListOf(simdjson::dom::element root, simdjson::dom::array* list) {
  if (!root["payload"].get_array().get(*list)) return true;
  return !root.get_array().get(*list);
}

// A contact of a search or create answer: the object itself, or the
// "contact" inside its "payload" (older answers nest it).
simdjson::dom::element ContactOf(simdjson::dom::element el) {
  simdjson::dom::element inner;
  if (!el["payload"]["contact"].get(inner)) return inner;
  if (!el["contact"].get(inner)) return inner;
  return el;
}

// The source id of `contact`'s contact inbox for `inbox` ("" if none).
std::string SourceIdFor(simdjson::dom::element contact, int64_t inbox) {
  simdjson::dom::array inboxes;
  if (contact["contact_inboxes"].get_array().get(inboxes)) return "";
  for (simdjson::dom::element ci : inboxes) {
    simdjson::dom::element in;
    if (!ci["inbox"].get(in) && IdField(in) == inbox) return StringField(ci, "source_id");
  }
  return "";
}

class ChatwootSink : public Sink {
 public:
  explicit ChatwootSink(const SinkConfig& c)
      : config_(c),
        client_(ClientOptions(c)),
        base_(TrimSlash(c.url) + "/api/v1/accounts/" + c.Setting("account_id")),
        inbox_(NumberSetting(c, "inbox_id")) {}

  DeliveryOutcome Deliver(const OutboxEntry& e) override {
    if (e.kind != "message") return Reject("a chatwoot sink delivers messages only, not " + e.kind + "s");
    const EntryView v = ViewOf(e);
    std::string id = e.conversation;
    if (id.rfind("chatwoot:", 0) == 0) id = id.substr(9);
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      // Not one of Chatwoot's: carried into settings.inbox_id.
      if (inbox_ == 0)
        return Reject("'" + e.conversation + "' is not a Chatwoot conversation id, and settings.inbox_id is not set " +
                      "(the inbox that messages of other platforms are carried into)");
      int64_t conversation = 0;
      if (DeliveryOutcome o = Carry(e, v, &conversation); o.kind != DeliveryOutcome::Kind::kDelivered) return o;
      id = std::to_string(conversation);
    }
    return Decide(e, v, base_ + "/conversations/" + id);
  }

 private:
  // Labels, team and priority of the conversation at `at`.
  DeliveryOutcome Decide(const OutboxEntry& e, const EntryView& v, const std::string& at) {
    std::string labels = "{\"labels\":[";
    AppendJsonString(e.queue, &labels);
    if (!v.label.empty()) {
      labels += ",";
      AppendJsonString(v.label, &labels);
    }
    labels += "]}";
    HttpResponse r;
    DeliveryOutcome o = Call("POST", at + "/labels", labels, e, &r);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    if (std::string team = config_.Setting("team_id"); !team.empty()) {
      o = Call("POST", at + "/assignments", "{\"team_id\":" + team + "}", e, &r);
      if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    }
    return Call("POST", at + "/toggle_priority", "{\"priority\":\"" + std::string(ChatwootPriority(e.priority)) + "\"}",
                e, &r);
  }

  // Steps 1 to 5 of the top of the file: *conversation is the Chatwoot
  // conversation that holds the message once this is delivered.
  DeliveryOutcome Carry(const OutboxEntry& e, const EntryView& v, int64_t* conversation) {
    const std::string identifier =
        (v.platform.empty() ? std::string("unknown") : v.platform) + ":" +
        (v.author_id.empty() ? "conversation:" + e.conversation : v.author_id);
    int64_t contact = 0;
    std::string source_id;
    DeliveryOutcome o = FindContact(e, identifier, &contact, &source_id);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    if (contact == 0) {
      std::string b = "{\"inbox_id\":" + std::to_string(inbox_) + ",\"name\":";
      AppendJsonString(v.author.empty() ? identifier : v.author, &b);
      b += ",\"identifier\":";
      AppendJsonString(identifier, &b);
      b += "}";
      HttpResponse r;
      o = Call("POST", base_ + "/contacts", b, e, &r);
      if (o.kind == DeliveryOutcome::Kind::kDelivered) {
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        if (!parser.parse(simdjson::padded_string(r.body)).get(root)) {
          simdjson::dom::element c = ContactOf(root);
          contact = IdField(c);
          source_id = SourceIdFor(c, inbox_);
          simdjson::dom::element ci;
          if (source_id.empty() && !root["payload"]["contact_inbox"].get(ci)) source_id = StringField(ci, "source_id");
        }
      }
      // Made meanwhile by another delivery of the same author (a 422: the
      // identifier is taken), or made and its answer lost: look again.
      if (contact == 0) {
        DeliveryOutcome again = FindContact(e, identifier, &contact, &source_id);
        if (again.kind != DeliveryOutcome::Kind::kDelivered) return again;
        if (contact == 0)
          return o.kind == DeliveryOutcome::Kind::kDelivered
                     ? Retry("POST " + base_ + "/contacts: the answer names no contact id")
                     : o;
      }
    }

    o = FindConversation(e, contact, conversation);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    bool created = false;
    if (*conversation == 0) {
      std::string b = "{\"inbox_id\":" + std::to_string(inbox_) + ",\"contact_id\":" + std::to_string(contact);
      if (!source_id.empty()) {
        b += ",\"source_id\":";
        AppendJsonString(source_id, &b);
      }
      b += ",\"status\":\"open\",\"custom_attributes\":{\"triage_conversation\":";
      AppendJsonString(e.conversation, &b);
      b += "}}";
      HttpResponse r;
      o = Call("POST", base_ + "/conversations", b, e, &r);
      if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
      simdjson::dom::parser parser;
      simdjson::dom::element root;
      if (!parser.parse(simdjson::padded_string(r.body)).get(root)) *conversation = IdField(root);
      if (*conversation == 0) return Retry("POST " + base_ + "/conversations: the answer names no conversation id");
      created = true;
    }

    // The message, once: an earlier attempt may have added it already.
    const std::string at = base_ + "/conversations/" + std::to_string(*conversation) + "/messages";
    const std::string marker = "triage delivery " + e.delivery_id;
    HttpResponse r;
    if (!created) {
      o = Call("GET", at, "", e, &r);
      if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
      if (Mentions(r.body, marker)) return o;
    }
    std::string b = "{\"content\":";
    AppendJsonString(Content(e, v) + "\n\n" + marker, &b);
    b += ",\"message_type\":\"incoming\",\"private\":false}";
    return Call("POST", at, b, e, &r);
  }

  // Step 1: the contact with exactly `identifier` (*contact 0: none).
  DeliveryOutcome FindContact(const OutboxEntry& e, const std::string& identifier, int64_t* contact,
                              std::string* source_id) {
    *contact = 0;
    uint64_t seen = 0;
    for (int page = 1; page <= kSearchPages; ++page) {
      const std::string url =
          base_ + "/contacts/search?q=" + PercentEncode(identifier) + "&page=" + std::to_string(page);
      simdjson::dom::parser parser;
      simdjson::dom::element root;
      simdjson::dom::array list;
      DeliveryOutcome o = GetList(url, "contact", e, &parser, &root, &list);
      if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
      if (list.size() == 0) return o;
      seen += list.size();
      for (simdjson::dom::element el : list) {
        simdjson::dom::element c = ContactOf(el);
        if (StringField(c, "identifier") != identifier) continue;
        *contact = IdField(c);
        if (*contact == 0) continue;
        *source_id = SourceIdFor(c, inbox_);
        return o;
      }
      // meta.count: how many contacts match in all; past them, no more pages.
      int64_t count = 0;
      if (!root["meta"]["count"].get_int64().get(count) && seen >= static_cast<uint64_t>(count)) return o;
    }
    DeliveryOutcome o;
    return o;  // not among the first kSearchPages pages: made anew (a taken identifier is a 422, dead-lettered)
  }

  // Step 3: the contact's conversation for e.conversation (*id 0: none).
  DeliveryOutcome FindConversation(const OutboxEntry& e, int64_t contact, int64_t* id) {
    *id = 0;
    const std::string url = base_ + "/contacts/" + std::to_string(contact) + "/conversations";
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::array list;
    DeliveryOutcome o = GetList(url, "conversation", e, &parser, &root, &list);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    for (simdjson::dom::element c : list) {
      simdjson::dom::element attrs;
      if (!c["custom_attributes"].get(attrs) && StringField(attrs, "triage_conversation") == e.conversation) {
        *id = IdField(c);
        if (*id != 0) break;
      }
    }
    return o;
  }

  // What the agent reads: the text, then where it came from.
  static std::string Content(const OutboxEntry& e, const EntryView& v) {
    std::string s = v.text.empty() ? "(no text)" : v.text;
    s += "\n\n" + (v.platform.empty() ? std::string("unknown platform") : v.platform) +
         (v.author.empty() ? "" : " / " + v.author) + ", message " + e.subject + ", routed to " + e.queue + " (" +
         std::string(PriorityName(e.priority)) + ")";
    return s;
  }

  DeliveryOutcome Call(const std::string& method, const std::string& url, std::string body, const OutboxEntry& e,
                       HttpResponse* r) {
    HttpRequest req;
    req.method = method;
    req.url = url;
    req.body = std::move(body);
    req.headers = {{"api_access_token", config_.secret}, {"X-Triage-Delivery", e.delivery_id},
                   {"Accept", "application/json"}};
    if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    Status s = HttpCall(req, client_, r);
    return OutcomeOf(s, *r, method + " " + url);
  }

  static DeliveryOutcome Reject(std::string why) {
    DeliveryOutcome o;
    o.kind = DeliveryOutcome::Kind::kReject;
    o.error = std::move(why);
    return o;
  }
  // GET `url` and its answer as a list of `what` (ListOf: the payload's
  // array); an answer that is not one is retried. `parser` owns *root and *list.
  DeliveryOutcome GetList(const std::string& url, const char* what, const OutboxEntry& e,
                          simdjson::dom::parser* parser, simdjson::dom::element* root, simdjson::dom::array* list) {
    HttpResponse r;
    DeliveryOutcome o = Call("GET", url, "", e, &r);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    if (parser->parse(simdjson::padded_string(r.body)).get(*root) || !ListOf(*root, list))
      return Retry("GET " + url + ": the answer is not a " + what + " list");
    return o;
  }

  static DeliveryOutcome Retry(std::string why) {
    DeliveryOutcome o;
    o.kind = DeliveryOutcome::Kind::kRetry;
    o.error = std::move(why);
    return o;
  }

  const SinkConfig config_;
  const HttpClientOptions client_;
  const std::string base_;
  const int64_t inbox_;  // settings.inbox_id; 0: not set
};

}  // namespace

std::unique_ptr<Sink> NewChatwootSink(const SinkConfig& c) { return std::make_unique<ChatwootSink>(c); }

}  // namespace triage
