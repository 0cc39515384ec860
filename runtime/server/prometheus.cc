#include "runtime/server/api.h"

#include "base/json_writer.h"
#include "runtime/server/request.h"

namespace triage {

void Api::Metrics(Respond respond) {
  std::string out;
  auto counter = [&](const char* name, const char* help, const std::string& labels, uint64_t v) {
    if (!help[0]) {
      out += std::string(name) + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(v) + "\n";
      return;
    }
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    out += std::string(name) + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(v) + "\n";
  };
  const ServerMetrics& m = *metrics_;
  counter("triage_ingest_messages_total", "Messages stored by the ingest (POST /v1/messages, webhooks, serve --kafka), by outcome", "outcome=\"stored\"",
          m.ingest_stored.load());
  counter("triage_ingest_messages_total", "", "outcome=\"duplicate\"", m.ingest_duplicate.load());
  counter("triage_ingest_rejected_requests_total", "Ingest requests refused for a malformed line", "",
          m.ingest_rejected_lines.load());
  for (Label l : kAllLabels)
    counter("triage_messages_labeled_total", l == Label::kLead ? "Stored messages by label" : "",
            "label=\"" + std::string(LabelName(l)) + "\"", m.labeled[static_cast<int>(l)].load());
  for (int e = 0; e < kNumEndpoints; ++e)
    counter("triage_http_requests_total", e == 0 ? "HTTP requests by endpoint" : "",
            "endpoint=\"" + std::string(EndpointName(static_cast<Endpoint>(e))) + "\"", m.requests[e].load());
  for (int c = 1; c < 6; ++c)
    counter("triage_http_responses_total", c == 1 ? "HTTP responses by status class" : "",
            "code=\"" + std::to_string(c) + "xx\"", m.responses_by_class[c].load());
  counter("triage_rejected_busy_total", "Requests answered 503 because the store's write queue was full", "",
          m.rejected_busy.load());
  counter("triage_rejected_connections_total", "Connections refused over max_connections", "",
          m.rejected_connections.load());
  for (int i = 1; i < kNumAuthFailures; ++i)
    counter("triage_auth_failures_total", i == 1 ? "API requests refused by authentication, by reason" : "",
            "reason=\"" + std::string(AuthFailureName(static_cast<AuthFailure>(i))) + "\"",
            m.auth_failures[i].load());
  counter("triage_tls_handshake_failures_total", "TLS connections that failed before a request (plain HTTP included)",
          "", m.tls_handshake_failures.load());
  for (int i = 0; i < kNumAcceptErrors; ++i)
    counter("triage_accept_errors_total", i == 0 ? "accept() failures by reason (the listener backs off after each)" : "",
            "reason=\"" + std::string(AcceptErrorName(static_cast<AcceptError>(i))) + "\"", m.accept_errors[i].load());
  counter("triage_accept_shed_connections_total",
          "Connections answered 503 and closed because the process was out of file descriptors", "",
          m.accept_shed.load());
  counter("triage_rules_reloads_total", "Rule pack reloads (SIGHUP) by result", "result=\"ok\"", m.reloads_ok.load());
  counter("triage_rules_reloads_total", "", "result=\"failed\"", m.reloads_failed.load());
  static const char* kPlatforms[] = {"meta", "x", "slack", "telegram", "mastodon", "reddit", "archive", "chatwoot", "other"};
  for (int i = 0; i < 9; ++i)
    counter("triage_webhook_rejected_total", i == 0 ? "Webhook requests refused (401/403) by platform" : "",
            std::string("platform=\"") + kPlatforms[i] + "\"", m.webhook_rejected[i].load());
  counter("triage_webhook_platform_events_total", "Recognised platform events that are not new messages",
          "type=\"edited\"", m.webhook_edits.load());
  counter("triage_webhook_platform_events_total", "", "type=\"deleted\"", m.webhook_deletes.load());
  counter("triage_webhook_platform_events_total", "", "type=\"echo\"", m.webhook_echoes.load());
  counter("triage_webhook_unattributed_replies_total",
          "Brand replies by webhook that name no stored message and whose conversation has none open", "",
          m.webhook_unattributed.load());
  counter("triage_webhook_ignored_items_total", "Webhook payload items without a customer message", "",
          m.webhook_ignored.load());
  if (detector_) {
    LiveDetector::Stats d = detector_->stats();
    counter("triage_alerts_opened_total", "Crisis alerts opened", "", d.opened);
    counter("triage_alerts_closed_total", "Crisis alerts closed", "", d.closed);
    counter("triage_detector_messages_total", "Messages counted by the crisis detector, by outcome",
            "outcome=\"counted\"", d.observed);
    counter("triage_detector_messages_total", "", "outcome=\"repeat\"", d.repeats);
    counter("triage_messages_escalated_total", "Messages whose priority the detector raised, by reason",
            "reason=\"alert\"", d.carried_alert);
    counter("triage_messages_escalated_total", "", "reason=\"reach\"", d.escalated_reach);
    out += "# HELP triage_alerts_open Crisis alerts open now\n# TYPE triage_alerts_open gauge\n";
    out += "triage_alerts_open " + std::to_string(d.detector.open_alerts) + "\n";
    out += "# HELP triage_detector_topics Topics with burst state (both time scales), by kind\n# TYPE "
           "triage_detector_topics gauge\n";
    out += "triage_detector_topics{kind=\"exact\"} " + std::to_string(d.detector.topics - d.detector.evictable_topics) + "\n";
    out += "triage_detector_topics{kind=\"bounded\"} " + std::to_string(d.detector.evictable_topics) + "\n";
    out += "# HELP triage_detector_terms_tracked Space-Saving counters in use for hashtags and words\n# TYPE "
           "triage_detector_terms_tracked gauge\n";
    out += "triage_detector_terms_tracked " + std::to_string(d.detector.terms_held) + "\n";
  }
  out += "# HELP triage_connections_open Open client connections\n# TYPE triage_connections_open gauge\n";
  out += "triage_connections_open " + std::to_string(m.connections_open.load()) + "\n";
  out += "# HELP triage_store_pending_writes Operations waiting for the store's writer\n# TYPE "
         "triage_store_pending_writes gauge\n";
  out += "triage_store_pending_writes " + std::to_string(store_->pending_ops()) + "\n";
  const StoreHealthInfo health = store_->health();
  out += "# HELP triage_store_mode The store's mode: writable, or read-only after a write failure (1 for the "
         "current one)\n# TYPE triage_store_mode gauge\n";
  out += std::string("triage_store_mode{mode=\"writable\"} ") + (health.writable ? "1" : "0") + "\n";
  out += std::string("triage_store_mode{mode=\"read_only\"} ") + (health.writable ? "0" : "1") + "\n";
  counter("triage_store_write_failures_total", "Group commits the database refused (the store turned read-only)", "",
          health.write_failures);
  counter("triage_store_recoveries_total", "Times the store became writable again after a write failure", "",
          health.recoveries);
  out += "# HELP triage_queue_depth Messages ready to claim\n# TYPE triage_queue_depth gauge\n";
  auto queues = store_->Queues(KnownQueues());
  for (const auto& q : queues) out += "triage_queue_depth{queue=\"" + q.name + "\"} " + std::to_string(q.depth) + "\n";
  out += "# HELP triage_queue_claimed Messages under an agent's lease\n# TYPE triage_queue_claimed gauge\n";
  for (const auto& q : queues)
    out += "triage_queue_claimed{queue=\"" + q.name + "\"} " + std::to_string(q.claimed) + "\n";
  out += "# HELP triage_queue_assigned Messages pushed to an agent and not closed\n# TYPE triage_queue_assigned gauge\n";
  for (const auto& q : queues)
    out += "triage_queue_assigned{queue=\"" + q.name + "\"} " + std::to_string(q.assigned) + "\n";
  out += "# HELP triage_queue_oldest_age_seconds Age of the oldest ready message\n# TYPE "
         "triage_queue_oldest_age_seconds gauge\n";
  for (const auto& q : queues) {
    out += "triage_queue_oldest_age_seconds{queue=\"" + q.name + "\"} ";
    AppendJsonNumber(static_cast<double>(q.oldest_age_ms) / 1000.0, &out);
    out += "\n";
  }
  m.responses.Render(&out);
  for (const auto& render : m.sources) render(&out);
  out += "# HELP triage_http_request_duration_seconds Request latency by endpoint\n# TYPE "
         "triage_http_request_duration_seconds histogram\n";
  for (int e = 0; e < kNumEndpoints; ++e)
    m.latency[e].Render("triage_http_request_duration_seconds",
                        "endpoint=\"" + std::string(EndpointName(static_cast<Endpoint>(e))) + "\"", &out);
  ApiResponse r;
  r.status = 200;
  r.body = std::move(out);
  r.content_type = "text/plain; version=0.0.4";
  respond(std::move(r));
}

}  // namespace triage
