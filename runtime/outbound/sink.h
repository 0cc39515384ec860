// Sink: one destination of outbound deliveries (a webhook URL, a Slack or
// Teams channel, a Zendesk or Chatwoot account). Deliver sends one outbox
// entry and says what became of it; the delivery worker (delivery.h) does
// the retrying, ordering and dead-lettering, so a sink only translates an
// entry into the vendor's requests and their answers into an outcome.
//
// Every request a sink sends carries X-Triage-Delivery: <delivery_id> (the
// idempotency key, outbox.h), and a sink whose vendor can look things up
// first (Zendesk's external_id) does so, so a retry never creates twice.
//
// Deliver is called from several delivery threads at once (up to the sink's
// concurrency): a sink keeps no mutable state, or guards it.
#ifndef TRIAGE_RUNTIME_OUTBOUND_SINK_H_
#define TRIAGE_RUNTIME_OUTBOUND_SINK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "engine/store/outbox.h"
#include "runtime/outbound/http_client.h"
#include "runtime/outbound/outbound_config.h"

namespace triage {

struct DeliveryOutcome {
  enum class Kind : uint8_t {
    kDelivered,  // the receiver has it
    kRetry,      // a failure that may pass (network, timeout, 408, 429, 5xx)
    kReject,     // a failure that will not (another 4xx, a payload the sink cannot send): dead-letter now
  };
  Kind kind = Kind::kDelivered;
  int64_t retry_after_ms = -1;  // the receiver's Retry-After (429, 503), if it said
  std::string error;            // what failed, for the dead letter and the log
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual DeliveryOutcome Deliver(const OutboxEntry& e) = 0;
};

// The sink of `config.type`. `config` must have passed ReadOutboundConfig.
Status MakeSink(const SinkConfig& config, std::unique_ptr<Sink>* out);

// Each type's sink, in its own file.
std::unique_ptr<Sink> NewWebhookSink(const SinkConfig& c);   // webhook_sink.cc
std::unique_ptr<Sink> NewSlackSink(const SinkConfig& c);     // chat_sinks.cc
std::unique_ptr<Sink> NewTeamsSink(const SinkConfig& c);     // chat_sinks.cc
std::unique_ptr<Sink> NewZendeskSink(const SinkConfig& c);   // zendesk_sink.cc
std::unique_ptr<Sink> NewChatwootSink(const SinkConfig& c);  // chatwoot_sink.cc

// Helpers shared by the sinks (sink.cc).
HttpClientOptions ClientOptions(const SinkConfig& c);
// The outcome of one HTTP exchange: 2xx delivered; 408, 429, 5xx and no
// answer at all retried (honouring Retry-After in seconds); other statuses
// rejected. `what` names the request in the error.
DeliveryOutcome OutcomeOf(const Status& call, const HttpResponse& r, const std::string& what);
// RFC 3986 percent-encoding of everything but unreserved characters.
std::string PercentEncode(std::string_view s);
// The console link of the chat sinks: settings.console_url + "/console", or "".
std::string ConsoleLink(const SinkConfig& c);
// The base URL without a trailing slash.
std::string TrimSlash(std::string url);
// Whether `marker` ("triage delivery <key>") occurs in `text` not followed
// by another digit (so "s:9" is not found in "s:90"): how the ticket sinks
// recognise what an earlier attempt of a delivery already added.
bool Mentions(const std::string& text, const std::string& marker);

// The parts of an outbox entry's payload the chat and ticket sinks show.
struct EntryView {
  std::string text;          // the message's text (messages)
  std::string platform;      // the message's platform
  std::string author;        // the message's author handle or name
  std::string author_id;     // the message's author id on its platform
  std::string label;         // the decision's label
  std::string topic;         // the alert's topic (alerts)
  int64_t messages = 0;      // the alert's message count
  int64_t window_count = 0;  // the alert's count in its window
  std::string first_message; // the alert's first message id
  std::string opened_at, closed_at;
};
// Reads `e.payload`; fields it lacks stay empty.
EntryView ViewOf(const OutboxEntry& e);
// A one-line title: "Crisis alert opened: <topic>", "Urgent message for <queue>".
std::string TitleOf(const OutboxEntry& e, const EntryView& v);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_OUTBOUND_SINK_H_
