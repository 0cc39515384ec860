#include "runtime/outbound/sink.h"

#include <simdjson.h>

#include <charconv>

namespace triage {

Status MakeSink(const SinkConfig& c, std::unique_ptr<Sink>* out) {
  if (c.type == "webhook") *out = NewWebhookSink(c);
  else if (c.type == "slack") *out = NewSlackSink(c);
  else if (c.type == "teams") *out = NewTeamsSink(c);
  else if (c.type == "zendesk") *out = NewZendeskSink(c);
  else if (c.type == "chatwoot") *out = NewChatwootSink(c);
  else return Status::InvalidArgument("outbound sink '" + c.name + "': unknown type '" + c.type + "'");
  return Status::OK();
}

HttpClientOptions ClientOptions(const SinkConfig& c) {
  HttpClientOptions o;
  o.timeout_ms = static_cast<int64_t>(c.timeout_seconds) * 1000;
  o.verify_tls = c.tls_verify;
  o.ca_file = c.ca_file;
  return o;
}

DeliveryOutcome OutcomeOf(const Status& call, const HttpResponse& r, const std::string& what) {
  DeliveryOutcome o;
  if (!call.ok()) {
    o.kind = call.code() == Status::Code::kInvalidArgument ? DeliveryOutcome::Kind::kReject
                                                             : DeliveryOutcome::Kind::kRetry;
    o.error = call.message();
    return o;
  }
  if (r.status >= 200 && r.status < 300) return o;
  o.error = what + ": HTTP " + std::to_string(r.status);
  if (!r.body.empty()) o.error += ": " + r.body.substr(0, 200);
  const bool transient = r.status == 408 || r.status == 429 || r.status >= 500;
  o.kind = transient ? DeliveryOutcome::Kind::kRetry : DeliveryOutcome::Kind::kReject;
  // Retry-After in seconds (the HTTP-date form is rare from these receivers;
  // it falls back to the backoff).
  int64_t seconds = -1;
  const std::string& ra = r.retry_after;
  if (!ra.empty()) {
    auto [p, ec] = std::from_chars(ra.data(), ra.data() + ra.size(), seconds);
    if (ec != std::errc() || p != ra.data() + ra.size() || seconds < 0) seconds = -1;
  }
  if (transient && seconds >= 0) o.retry_after_ms = seconds * 1000;
  return o;
}

std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string ConsoleLink(const SinkConfig& c) {
  std::string base = TrimSlash(c.Setting("console_url"));
  return base.empty() ? "" : base + "/console";
}

std::string TitleOf(const OutboxEntry& e, const EntryView& v) {
  if (e.kind == "alert") return "Crisis alert " + e.event + ": " + (v.topic.empty() ? e.subject : v.topic);
  std::string p(PriorityName(e.priority));
  if (!p.empty()) p[0] = static_cast<char>(p[0] - 'a' + 'A');
  return p + " message for " + e.queue;
}

bool Mentions(const std::string& text, const std::string& marker) {
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    size_t end = at + marker.size();
    if (end == text.size() || !(text[end] >= '0' && text[end] <= '9')) return true;
  }
  return false;
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

EntryView ViewOf(const OutboxEntry& e) {
  EntryView v;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(e.payload)).get(root)) return v;
  auto str = [](simdjson::dom::element el, const char* key, std::string* out) {
    std::string_view s;
    if (!el[key].get_string().get(s)) *out = std::string(s);
  };
  auto num = [](simdjson::dom::element el, const char* key, int64_t* out) {
    int64_t n;
    if (!el[key].get_int64().get(n)) *out = n;
  };
  if (e.kind == "alert") {
    str(root, "topic", &v.topic);
    str(root, "first_message", &v.first_message);
    str(root, "opened_at", &v.opened_at);
    str(root, "closed_at", &v.closed_at);
    num(root, "messages", &v.messages);
    num(root, "window_count", &v.window_count);
    return v;
  }
  simdjson::dom::element msg, decision;
  if (!root["message"].get(msg)) {
    str(msg, "text", &v.text);
    str(msg, "channel", &v.platform);
    simdjson::dom::element author;
    if (!msg["author"].get(author)) {
      str(author, "handle", &v.author);
      if (v.author.empty()) str(author, "name", &v.author);
      str(author, "id", &v.author_id);
    }
    // An alert's queue item carries the alert line as its message.
    str(msg, "topic", &v.topic);
  }
  if (!root["decision"].get(decision)) str(decision, "label", &v.label);
  return v;
}

}  // namespace triage
