// chatwoot: the decision applied to the Chatwoot conversation a message came
// from, as Chatwoot's triage bot would: its labels (the queue and the
// label), its team (settings.team_id) and its priority.
//
//   POST {url}/api/v1/accounts/{account_id}/conversations/{id}/labels       {"labels": [queue, label]}
//   POST {url}/api/v1/accounts/{account_id}/conversations/{id}/assignments  {"team_id": N}
//   POST {url}/api/v1/accounts/{account_id}/conversations/{id}/toggle_priority {"priority": ...}
//
// Each call states the result wanted (the label list, the team, the
// priority), so repeating a delivery changes nothing: idempotent by shape.
// Auth: the api_access_token header (secret or secret_env). The conversation
// id is the message's conversation id: a number, or "chatwoot:<number>".
// Messages of other platforms have no Chatwoot conversation and are
// rejected (dead letters), so subscribe a chatwoot sink to the queues that
// Chatwoot's messages reach.
//
// Request shapes, from Chatwoot's documentation:
//   Conversation labels, assignments, toggle priority (Application API):
//     https://www.chatwoot.com/developers/api/#tag/Conversation-Labels
//     https://developers.chatwoot.com/api-reference/conversations/update-conversation.md
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

class ChatwootSink : public Sink {
 public:
  explicit ChatwootSink(const SinkConfig& c)
      : config_(c),
        client_(ClientOptions(c)),
        base_(TrimSlash(c.url) + "/api/v1/accounts/" + c.Setting("account_id") + "/conversations/") {}

  DeliveryOutcome Deliver(const OutboxEntry& e) override {
    std::string id = e.conversation;
    if (id.rfind("chatwoot:", 0) == 0) id = id.substr(9);
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || e.kind != "message") {
      DeliveryOutcome o;
      o.kind = DeliveryOutcome::Kind::kReject;
      o.error = "'" + e.conversation + "' is not a Chatwoot conversation id";
      return o;
    }
    const EntryView v = ViewOf(e);
    const std::string at = base_ + id;
    std::string labels = "{\"labels\":[";
    AppendJsonString(e.queue, &labels);
    if (!v.label.empty()) {
      labels += ",";
      AppendJsonString(v.label, &labels);
    }
    labels += "]}";
    DeliveryOutcome o = Call(at + "/labels", labels, e);
    if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    if (std::string team = config_.Setting("team_id"); !team.empty()) {
      o = Call(at + "/assignments", "{\"team_id\":" + team + "}", e);
      if (o.kind != DeliveryOutcome::Kind::kDelivered) return o;
    }
    return Call(at + "/toggle_priority", "{\"priority\":\"" + std::string(ChatwootPriority(e.priority)) + "\"}", e);
  }

 private:
  DeliveryOutcome Call(const std::string& url, std::string body, const OutboxEntry& e) {
    HttpRequest req;
    req.url = url;
    req.body = std::move(body);
    req.headers = {{"Content-Type", "application/json"},
                   {"api_access_token", config_.secret},
                   {"X-Triage-Delivery", e.delivery_id}};
    HttpResponse r;
    Status s = HttpCall(req, client_, &r);
    return OutcomeOf(s, r, "POST " + url);
  }

  const SinkConfig config_;
  const HttpClientOptions client_;
  const std::string base_;
};

}  // namespace

std::unique_ptr<Sink> NewChatwootSink(const SinkConfig& c) { return std::make_unique<ChatwootSink>(c); }

}  // namespace triage
