// The endpoints behind the operator console (console.h): who the token is,
// search over stored messages, the rules playground and the arrivals gauge.
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "base/json_writer.h"
#include "engine/explain.h"
#include "format/archive_format.h"
#include "runtime/server/api.h"
#include "runtime/server/request.h"

namespace triage {

int64_t Api::NowMs() const { return now_seconds_ ? now_seconds_() * 1000 : WallMs(); }

void Api::Whoami(const Principal& who, Respond respond) {
  std::string out = "{\"name\":";
  AppendJsonString(who.name, &out);
  out += who.authenticated ? ",\"auth\":true,\"scopes\":[" : ",\"auth\":false,\"scopes\":[";
  bool first = true;
  for (Scope s : {Scope::kIngest, Scope::kAgent, Scope::kRead, Scope::kMetrics, Scope::kAdmin}) {
    if ((who.scopes & static_cast<Scopes>(s)) == 0) continue;
    if (!first) out += ",";
    first = false;
    AppendJsonString(ScopeName(s), &out);
  }
  out += "],\"agent\":";
  AppendJsonString(who.agent, &out);
  out += "}";
  respond(Json(200, std::move(out)));
}

void Api::Arrivals(std::string_view query, Respond respond) {
  size_t minutes = 0;
  if (!LimitParam(QueryParam(query, "minutes").empty() ? "" : "limit=" + std::string(QueryParam(query, "minutes")), 15,
                  ArrivalCounter::kMinutes, &minutes))
    return respond(Error(400, "minutes must be an integer from 1 to 60", "minutes"));
  respond(Json(200, metrics_->arrivals.ToJson(NowMs(), static_cast<int>(minutes))));
}

namespace {

// A language tag as the archive format carries it: letters, digits and '-'.
bool LangTag(std::string_view s) {
  if (s.empty() || s.size() > kMaxLangBytes) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

bool ContainsFolded(std::string_view hay, std::string_view needle) {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != hay.end();
}

// At most `max` bytes of `s`, cut on a UTF-8 character boundary.
std::string_view Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

struct SearchFilter {
  std::string queue, label, brand, channel, lang, status, review, text, alert;
};

}  // namespace

void Api::Search(std::string_view query, Respond respond) {
  // Every parameter is known and well-formed, or the request is a 400 that
  // names it: a mistyped filter must not silently match everything.
  SearchFilter f;
  std::string cursor;
  size_t limit = 50, scan = 20000;
  static constexpr std::string_view kParams[] = {"queue", "label", "brand",  "channel", "lang", "review",
                                                 "status", "q",    "alert", "limit",  "cursor", "scan"};
  for (std::string_view rest = query; !rest.empty();) {
    std::string_view pair = rest.substr(0, rest.find('&'));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    if (pair.empty()) continue;
    std::string_view key = pair.substr(0, pair.find('='));
    std::string value;
    std::string_view raw_value = key.size() < pair.size() ? pair.substr(key.size() + 1) : std::string_view();
    if (std::find(std::begin(kParams), std::end(kParams), key) == std::end(kParams))
      return respond(Error(400, "unknown search parameter '" + std::string(Prefix(key, 64)) +
                                    "'; use queue, label, brand, channel, lang, review, status, q, alert, limit, cursor or scan",
                           Prefix(key, 64)));
    if (!UrlDecode(raw_value, &value) || HasControlChars(value))
      return respond(Error(400, std::string(key) + " is not percent-encoded text", key));
    if (value.size() > kMaxFieldBytes)
      return respond(Error(400, std::string(key) + " is over " + std::to_string(kMaxFieldBytes) + " bytes", key));
    if (key == "queue") f.queue = value;
    else if (key == "label") f.label = value;
    else if (key == "brand") f.brand = value;
    else if (key == "channel") f.channel = value;
    else if (key == "lang") f.lang = value;
    else if (key == "review") f.review = value;
    else if (key == "status") f.status = value;
    else if (key == "q") f.text = value;
    else if (key == "alert") f.alert = value;
    else if (key == "cursor") cursor = value;
    else if (key == "limit" || key == "scan") {
      long long max = key == "limit" ? 200 : 100000;
      size_t n = 0;
      if (!LimitParam("limit=" + value, 1, max, &n))
        return respond(Error(400, std::string(key) + " must be an integer from 1 to " + std::to_string(max), key));
      (key == "limit" ? limit : scan) = n;
    }
  }
  if (!f.label.empty() && !ParseLabel(f.label))
    return respond(Error(400, "label must be lead, support, feedback, crisis or none", "label"));
  if (!f.status.empty() && f.status != "queued" && f.status != "claimed" && f.status != "assigned" && f.status != "done")
    return respond(Error(400, "status must be queued, claimed, assigned or done", "status"));
  if (!f.review.empty() && f.review != "true" && f.review != "false")
    return respond(Error(400, "review must be true or false", "review"));
  if (!f.lang.empty() && !LangTag(f.lang))
    return respond(Error(400, "lang must be a language tag such as en or pt-BR", "lang"));
  if (cursor.size() > kMaxIdBytes) return respond(Error(400, "cursor is not a message id", "cursor"));

  const bool need_decision = !f.label.empty() || !f.lang.empty() || !f.review.empty() || !f.alert.empty();
  const bool need_message = !f.brand.empty() || !f.channel.empty() || !f.text.empty();
  simdjson::dom::parser decisions;
  ArchiveParser messages;
  std::string body = "{\"messages\":[";
  size_t found = 0, scanned = 0;
  std::string last, raw, decision;
  bool at_end = false;
  Status failed;
  Status s = store_->Scan(cursor, scan, [&](const std::string& id, const MessageState& st, const QueueStore::ScanLines& lines) {
    ++scanned;
    if (!f.queue.empty() && st.queue != f.queue) return true;
    if (!f.status.empty() && MessageStatusName(st.status) != f.status) return true;
    if (Status g = lines(&raw, &decision); !g.ok()) return true;  // written after the scan began
    std::string_view label, lang, alert;
    bool review = false;
    double confidence = 0;
    simdjson::dom::element d;
    bool has_decision = !decision.empty() && !decisions.parse(decision).get(d) && d.is_object();
    if (has_decision) {
      // A field absent (or of another type) reads as empty.
      if (d["label"].get(label) != simdjson::SUCCESS) label = {};
      if (d["lang"].get(lang) != simdjson::SUCCESS) lang = {};
      if (d["review"].get(review) != simdjson::SUCCESS) review = false;
      if (d["confidence"].get(confidence) != simdjson::SUCCESS) confidence = 0;
      if (d["alert"].get(alert) != simdjson::SUCCESS) alert = {};
    }
    if (need_decision && !has_decision) return true;
    if (!f.label.empty() && label != f.label) return true;
    if (!f.lang.empty() && lang != f.lang) return true;
    if (!f.review.empty() && review != (f.review == "true")) return true;
    if (!f.alert.empty() && alert != f.alert) return true;
    Message m;
    bool has_message = messages.ParseCopy(raw, &m).ok();  // alert items are not messages
    if (need_message && !has_message) return true;
    if (!f.brand.empty() && m.brand != f.brand) return true;
    if (!f.channel.empty() && m.channel != f.channel) return true;
    if (!f.text.empty() && !ContainsFolded(m.text, f.text)) return true;
    if (found++) body += ",";
    body += "{\"id\":";
    AppendJsonString(id, &body);
    body += ",\"queue\":";
    AppendJsonString(st.queue, &body);
    body += ",\"status\":\"" + std::string(MessageStatusName(st.status)) + "\",\"priority\":\"" +
            std::string(PriorityName(st.priority)) + "\",\"agent\":";
    AppendJsonString(st.agent, &body);
    body += ",\"received_ms\":";
    AppendJsonInt(st.received_ms, &body);
    body += ",\"label\":";
    AppendJsonString(label, &body);
    body += ",\"lang\":";
    AppendJsonString(lang, &body);
    body += review ? ",\"review\":true,\"confidence\":" : ",\"review\":false,\"confidence\":";
    AppendJsonScore(confidence, &body);
    body += ",\"alert\":";
    AppendJsonString(alert, &body);
    body += ",\"channel\":";
    AppendJsonString(has_message ? m.channel : std::string_view(), &body);
    body += ",\"brand\":";
    AppendJsonString(has_message ? m.brand : std::string_view(), &body);
    body += ",\"created_at\":";
    AppendJsonString(has_message ? m.created_at : std::string_view(), &body);
    body += ",\"text\":";
    AppendJsonString(has_message ? Prefix(m.text, 280) : std::string_view(), &body);
    body += "}";
    return found < limit;
  }, &last, &at_end);
  if (!s.ok()) return respond(Error(500, s.message()));
  body += "],\"scanned\":";
  AppendJsonInt(static_cast<int64_t>(scanned), &body);
  body += ",\"next_cursor\":";
  if (at_end || last.empty()) body += "null";
  else AppendJsonString(last, &body);
  body += "}";
  respond(Json(200, std::move(body)));
}

void Api::Explain(std::string body, Respond respond) {
  JsonFields f;
  std::string bad;
  if (Status s = ParseFields(body, &f, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  if (Status s = CheckFieldTypes(f, FieldTypes{{"text", "lang", "channel", "kind", "after"}, {}, {}}, &bad); !s.ok())
    return respond(Error(400, s.message(), bad));
  auto text = f.strings.find("text");
  if (text == f.strings.end() || text->second.empty())
    return respond(Error(400, "'text' is required: the message to explain", "text"));
  Message m;
  m.id = "explain";
  m.text = text->second;
  m.channel = "x";
  if (auto c = f.strings.find("channel"); c != f.strings.end() && !c->second.empty()) m.channel = c->second;
  if (auto l = f.strings.find("lang"); l != f.strings.end() && !l->second.empty()) {
    if (!LangTag(l->second)) return respond(Error(400, "'lang' must be a language tag such as en or pt-BR", "lang"));
    m.lang = l->second;
  }
  if (auto k = f.strings.find("kind"); k != f.strings.end() && !k->second.empty()) {
    if (k->second != "public" && k->second != "private")
      return respond(Error(400, "'kind' must be public or private", "kind"));
    m.kind = k->second == "public" ? Kind::kPublic : Kind::kPrivate;
  }
  if (auto a = f.strings.find("after"); a != f.strings.end() && !a->second.empty()) {
    auto prev = ParseLabel(a->second);
    if (!prev) return respond(Error(400, "'after' must be lead, support, feedback, crisis or none", "after"));
    m.thread.known = true;
    m.thread.previous = *prev;
    m.thread.same_author = true;
    m.in_reply_to = "earlier";
  }
  if (Status s = CheckMessageLimits(m); !s.ok()) {
    std::string field = s.message().find("'channel'") != std::string::npos ? "channel" : "text";
    return respond(Error(400, s.message(), field));
  }
  Explanation e;
  if (Status s = triage::Explain(*pipelines_->Current(), m, &e); !s.ok()) return respond(Error(500, s.message()));
  // The pack's file by name only: the API does not disclose the server's paths.
  for (auto& r : e.fired) r.file = std::filesystem::path(r.file).filename().string();
  respond(Json(200, e.ToJson()));
}

}  // namespace triage
