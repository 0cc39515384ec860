// zendesk: one ticket per conversation (per alert, for alerts), found by
// its external_id, so a retry never makes a second one:
//
//   1. GET  {url}/api/v2/tickets.json?external_id=<conversation>
//   2a. none: POST {url}/api/v2/tickets.json
//        {"ticket": {subject, comment: {body}, priority, tags, external_id, group_id}}
//   2b. found: GET {url}/api/v2/tickets/{id}/comments.json, and unless a
//       comment already names this delivery,
//       PUT {url}/api/v2/tickets/{id}.json {"ticket": {"comment": {"body"}}}
//
// Every comment body ends with "triage delivery <idempotency key>", which is
// how 2b recognises a comment an earlier attempt already added.
// Auth: API token, Basic base64("{email}/token:{api_token}") (settings.email,
// secret or secret_env). url: https://{subdomain}.zendesk.com.
//
// Request shapes, from Zendesk's documentation:
//   Tickets (create, update, list with external_id):
//     https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
//   Ticket comments: https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/
//   API token authentication: https://developer.zendesk.com/api-reference/introduction/security-and-auth/
//   external_id on tickets: https://support.zendesk.com/hc/en-us/articles/4408819890330
#include <simdjson.h>

#include "base/json_writer.h"
#include "connectors/webhooks/signature.h"
#include "runtime/outbound/sink.h"

namespace triage {

namespace {

class ZendeskSink : public Sink {
 public:
  explicit ZendeskSink(const SinkConfig& c)
      : config_(c),
        client_(ClientOptions(c)),
        base_(TrimSlash(c.url)),
        auth_("Basic " + Base64Encode(c.Setting("email") + "/token:" + c.secret)) {}

  DeliveryOutcome Deliver(const OutboxEntry& e) override {
    const EntryView v = ViewOf(e);
    const std::string marker = "triage delivery " + e.delivery_id;
    const std::string body_text = Body(e, v) + "\n\n" + marker;

    HttpResponse r;
    std::string list_url = base_ + "/api/v2/tickets.json?external_id=" + PercentEncode(e.conversation);
    DeliveryOutcome o = Call("GET", list_url, "", e, &r);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    int64_t ticket = 0;
    if (!FirstId(r.body, "tickets", &ticket))
      return Failed("GET " + list_url + ": the answer is not a ticket list");

    if (ticket == 0) {
      std::string b = "{\"ticket\":{\"subject\":";
      AppendJsonString(TitleOf(e, v) + (v.author.empty() ? "" : " from " + v.author), &b);
      b += ",\"comment\":{\"body\":";
      AppendJsonString(body_text, &b);
      b += "},\"priority\":";
      AppendJsonString(PriorityName(e.priority), &b);
      b += ",\"tags\":[\"triage\"";
      for (const std::string& t : Tags(e, v)) {
        b += ",";
        AppendJsonString(t, &b);
      }
      b += "],\"external_id\":";
      AppendJsonString(e.conversation, &b);
      if (std::string g = config_.Setting("group_id"); !g.empty()) b += ",\"group_id\":" + g;
      b += "}}";
      return Call("POST", base_ + "/api/v2/tickets.json", b, e, &r);
    }
    // The conversation has its ticket: this delivery is a comment on it, once.
    std::string comments_url = base_ + "/api/v2/tickets/" + std::to_string(ticket) + "/comments.json";
    o = Call("GET", comments_url, "", e, &r);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    if (Mentions(r.body, marker)) return o;  // an earlier attempt added it
    std::string b = "{\"ticket\":{\"comment\":{\"body\":";
    AppendJsonString(body_text, &b);
    b += "}}}";
    return Call("PUT", base_ + "/api/v2/tickets/" + std::to_string(ticket) + ".json", b, e, &r);
  }

 private:
  DeliveryOutcome Call(const std::string& method, const std::string& url, std::string body, const OutboxEntry& e,
                       HttpResponse* r) {
    HttpRequest req;
    req.method = method;
    req.url = url;
    req.body = std::move(body);
    req.headers = {{"Authorization", auth_}, {"X-Triage-Delivery", e.delivery_id}, {"Accept", "application/json"}};
    if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    Status s = HttpCall(req, client_, r);
    return OutcomeOf(s, *r, method + " " + url);
  }

  static DeliveryOutcome Failed(std::string why) {
    DeliveryOutcome o;
    o.kind = DeliveryOutcome::Kind::kRetry;
    o.error = std::move(why);
    return o;
  }

  // The id of the first object of array `key` in `json` (0: the array is
  // empty). False when `json` has no such array.
  static bool FirstId(const std::string& json, const char* key, int64_t* id) {
    simdjson::dom::parser parser;
    simdjson::dom::array list;
    if (parser.parse(simdjson::padded_string(json))[key].get(list)) return false;
    *id = 0;
    for (simdjson::dom::element t : list) {
      int64_t n;
      if (!t["id"].get_int64().get(n)) {
        *id = n;
        break;
      }
    }
    return true;
  }

  static std::string Body(const OutboxEntry& e, const EntryView& v) {
    if (e.kind == "alert")
      return "Crisis alert " + e.event + " on topic " + v.topic + ": " + std::to_string(v.messages) +
             " messages, " + std::to_string(v.window_count) + " in the window; first message " + v.first_message +
             ".";
    std::string s = v.text.empty() ? "(no text)" : v.text;
    s += "\n\n" + v.platform + (v.author.empty() ? "" : " / " + v.author) + ", message " + e.subject +
         ", routed to " + e.queue + " (" + std::string(PriorityName(e.priority)) + ")";
    return s;
  }

  static std::vector<std::string> Tags(const OutboxEntry& e, const EntryView& v) {
    std::vector<std::string> t;
    if (!e.queue.empty()) t.push_back("triage_" + e.queue);
    if (!v.label.empty()) t.push_back("triage_" + v.label);
    if (e.kind == "alert") t.push_back("triage_crisis_alert");
    return t;
  }

  const SinkConfig config_;
  const HttpClientOptions client_;
  const std::string base_;
  const std::string auth_;
};

}  // namespace

std::unique_ptr<Sink> NewZendeskSink(const SinkConfig& c) { return std::make_unique<ZendeskSink>(c); }

}  // namespace triage
