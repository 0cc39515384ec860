// webhook: a POST of the entry's JSON to any URL, signed like GitHub's and
// Meta's webhooks (so a receiver can reuse a verifier it has):
//
//   X-Triage-Signature-256: sha256=<hex HMAC-SHA256 of the body, keyed with the secret>
//   X-Triage-Delivery: <idempotency key>     (the same on every retry)
//   X-Triage-Event: message.routed | alert.opened | alert.updated | alert.closed
//
// Body: {"message": <archive line>, "decision": <decision>} for a routed
// message, the alert's JSON for an alert change.
#include "connectors/webhooks/signature.h"
#include "runtime/outbound/sink.h"

namespace triage {

namespace {

class WebhookSink : public Sink {
 public:
  explicit WebhookSink(const SinkConfig& c) : config_(c), client_(ClientOptions(c)) {}

  DeliveryOutcome Deliver(const OutboxEntry& e) override {
    HttpRequest req;
    req.url = config_.url;
    req.body = e.payload;
    req.headers = {{"Content-Type", "application/json"},
                   {"X-Triage-Delivery", e.delivery_id},
                   {"X-Triage-Event", e.kind + "." + e.event},
                   {"X-Triage-Signature-256", "sha256=" + HexEncode(HmacSha256(config_.secret, req.body))}};
    HttpResponse resp;
    Status s = HttpCall(req, client_, &resp);
    return OutcomeOf(s, resp, "POST " + config_.url);
  }

 private:
  const SinkConfig config_;
  const HttpClientOptions client_;
};

}  // namespace

std::unique_ptr<Sink> NewWebhookSink(const SinkConfig& c) { return std::make_unique<WebhookSink>(c); }

}  // namespace triage
