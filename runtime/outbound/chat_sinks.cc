// slack and teams: a notification card in a channel, through the channel's
// incoming webhook URL (the URL is the credential: keep it out of the
// repository, e.g. url from a private config file). Both show the title
// (alert change or urgent message), the counts or the message's fields, the
// first message, and a button to the console (settings.console_url +
// "/console").
//
// Request shapes, from the vendors' documentation:
//   Slack incoming webhooks, {"text", "blocks"}: https://api.slack.com/messaging/webhooks
//   Slack Block Kit (header, section fields, actions/button): https://api.slack.com/block-kit
//   Teams incoming webhook, MessageCard (title, sections/facts, potentialAction
//   OpenUri): https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
// Neither checks an idempotency key; X-Triage-Delivery is sent anyway for
// proxies and logs, and a repeat shows as a second card at worst.
#include "base/json_writer.h"
#include "runtime/outbound/sink.h"

namespace triage {

namespace {

// Slack's mrkdwn reserves &, < and > (links and mentions).
std::string SlackEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out.push_back(c);
  }
  return out;
}

std::string Clip(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return s.substr(0, cut) + "…";
}

// (name, value) pairs both cards show.
std::vector<std::pair<std::string, std::string>> Facts(const OutboxEntry& e, const EntryView& v) {
  if (e.kind == "alert") {
    std::vector<std::pair<std::string, std::string>> f = {{"Topic", v.topic},
                                                          {"Messages", std::to_string(v.messages)},
                                                          {"In the window", std::to_string(v.window_count)},
                                                          {"Opened", v.opened_at}};
    if (!v.closed_at.empty()) f.emplace_back("Closed", v.closed_at);
    if (!v.first_message.empty()) f.emplace_back("First message", v.first_message);
    return f;
  }
  return {{"Queue", e.queue}, {"Priority", std::string(PriorityName(e.priority))}, {"Label", v.label},
          {"Platform", v.platform}, {"Author", v.author}, {"Message", e.subject}};
}

DeliveryOutcome Post(const SinkConfig& c, const HttpClientOptions& client, const OutboxEntry& e, std::string body) {
  HttpRequest req;
  req.url = c.url;
  req.body = std::move(body);
  req.headers = {{"Content-Type", "application/json"}, {"X-Triage-Delivery", e.delivery_id}};
  HttpResponse resp;
  Status s = HttpCall(req, client, &resp);
  return OutcomeOf(s, resp, c.type + " webhook");
}

class SlackSink : public Sink {
 public:
  explicit SlackSink(const SinkConfig& c) : config_(c), client_(ClientOptions(c)) {}

  DeliveryOutcome Deliver(const OutboxEntry& e) override {
    const EntryView v = ViewOf(e);
    const std::string title = TitleOf(e, v);
    std::string b = "{\"text\":";
    AppendJsonString(title, &b);
    b += ",\"blocks\":[{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":";
    AppendJsonString(Clip(title, 150), &b);
    b += "}},{\"type\":\"section\",\"fields\":[";
    bool first = true;
    for (const auto& [name, value] : Facts(e, v)) {
      if (value.empty()) continue;
      if (!first) b += ",";
      first = false;
      b += "{\"type\":\"mrkdwn\",\"text\":";
      AppendJsonString("*" + name + "*\n" + SlackEscape(Clip(value, 200)), &b);
      b += "}";
    }
    b += "]}";
    if (!v.text.empty()) {
      b += ",{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":";
      AppendJsonString("> " + SlackEscape(Clip(v.text, 1000)), &b);
      b += "}}";
    }
    if (std::string link = ConsoleLink(config_); !link.empty()) {
      b += ",{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":{\"type\":\"plain_text\",\"text\":"
           "\"Open the console\"},\"url\":";
      AppendJsonString(link, &b);
      b += "}]}";
    }
    b += "]}";
    return Post(config_, client_, e, std::move(b));
  }

 private:
  const SinkConfig config_;
  const HttpClientOptions client_;
};

class TeamsSink : public Sink {
 public:
  explicit TeamsSink(const SinkConfig& c) : config_(c), client_(ClientOptions(c)) {}

  DeliveryOutcome Deliver(const OutboxEntry& e) override {
    const EntryView v = ViewOf(e);
    const std::string title = TitleOf(e, v);
    std::string b = "{\"@type\":\"MessageCard\",\"@context\":\"https://schema.org/extensions\",\"summary\":";
    AppendJsonString(title, &b);
    b += ",\"themeColor\":";
    b += e.kind == "alert" && e.event != "closed" ? "\"D70000\"" : "\"0076D7\"";
    b += ",\"title\":";
    AppendJsonString(title, &b);
    b += ",\"sections\":[{\"facts\":[";
    bool first = true;
    for (const auto& [name, value] : Facts(e, v)) {
      if (value.empty()) continue;
      if (!first) b += ",";
      first = false;
      b += "{\"name\":";
      AppendJsonString(name, &b);
      b += ",\"value\":";
      AppendJsonString(Clip(value, 200), &b);
      b += "}";
    }
    b += "]";
    if (!v.text.empty()) {
      b += ",\"text\":";
      AppendJsonString(Clip(v.text, 1000), &b);
    }
    b += "}]";
    if (std::string link = ConsoleLink(config_); !link.empty()) {
      b += ",\"potentialAction\":[{\"@type\":\"OpenUri\",\"name\":\"Open the console\",\"targets\":[{\"os\":"
           "\"default\",\"uri\":";
      AppendJsonString(link, &b);
      b += "}]}]";
    }
    b += "}";
    return Post(config_, client_, e, std::move(b));
  }

 private:
  const SinkConfig config_;
  const HttpClientOptions client_;
};

}  // namespace

std::unique_ptr<Sink> NewSlackSink(const SinkConfig& c) { return std::make_unique<SlackSink>(c); }
std::unique_ptr<Sink> NewTeamsSink(const SinkConfig& c) { return std::make_unique<TeamsSink>(c); }

}  // namespace triage
