#include "runtime/server/api.h"

#include <simdjson.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>

#include "format/archive_format.h"
#include "connectors/webhooks/normalizer.h"
#include "connectors/webhooks/signature.h"
#include "base/json_writer.h"
#include "engine/metrics/history.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/maturity_html.h"

namespace triage {

namespace od = simdjson::ondemand;

namespace {

using Clock = std::chrono::steady_clock;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Per-thread classification state, rebuilt when the pipeline is reloaded.
struct ThreadState {
  std::shared_ptr<const Pipeline> pipeline;
  std::unique_ptr<ClassifierScratch> scratch;
  std::unique_ptr<DecisionWriter> writer;
  ArchiveParser parser;
};

ThreadState& StateFor(const std::shared_ptr<const Pipeline>& p) {
  thread_local ThreadState ts;
  if (ts.pipeline != p) {
    ts.scratch.reset();
    ts.pipeline = p;
    if (!p->NewScratch(&ts.scratch).ok()) ts.scratch.reset();
    ts.writer = std::make_unique<DecisionWriter>(p->pack());
  }
  return ts;
}

bool HasControlChars(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

ApiResponse Json(unsigned status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Reads a small JSON object body into key -> (string or int) fields.
struct JsonFields {
  std::map<std::string, std::string, std::less<>> strings;
  std::map<std::string, int64_t, std::less<>> ints;
  std::map<std::string, std::vector<std::string>, std::less<>> lists;  // arrays of strings
};

Status ParseFields(const std::string& body, JsonFields* out, std::string* bad_field) {
  simdjson::padded_string padded(body);
  od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(padded).get(doc)) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
  od::object obj;
  if (doc.get_object().get(obj)) return Status::InvalidArgument("the body must be a JSON object");
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
    od::value v;
    if (field.value().get(v)) return Status::InvalidArgument("invalid JSON");
    od::json_type t;
    if (auto e = v.type().get(t)) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
    std::string k(key);
    if (t == od::json_type::string) {
      std::string_view s;
      if (v.get_string().get(s)) {
        *bad_field = k;
        return Status::InvalidArgument("invalid string");
      }
      out->strings[k] = std::string(s);
    } else if (t == od::json_type::number) {
      int64_t n;
      if (v.get_int64().get(n)) {
        *bad_field = k;
        return Status::InvalidArgument("'" + k + "' must be an integer");
      }
      out->ints[k] = n;
    } else if (t == od::json_type::array) {
      od::array arr;
      if (v.get_array().get(arr)) return Status::InvalidArgument("invalid JSON");
      std::vector<std::string> items;
      for (auto el : arr) {
        std::string_view item;
        if (el.get_string().get(item)) {
          *bad_field = k;
          return Status::InvalidArgument("'" + k + "' must be a list of strings");
        }
        items.emplace_back(item);
      }
      out->lists[k] = std::move(items);
    } else if (t != od::json_type::null) {
      *bad_field = k;
      return Status::InvalidArgument("'" + k + "' must be a string, an integer or a list of strings");
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return Status::InvalidArgument("invalid JSON: trailing content after the object");
  return Status::OK();
}

// The answer for a store operation that failed: 503 with Retry-After when
// the write queue is full (the client should retry), else 500.
ApiResponse StoreFailure(const Status& st, ServerMetrics* metrics) {
  if (QueueStore::IsBusy(st)) {
    metrics->rejected_busy.fetch_add(1, std::memory_order_relaxed);
    ApiResponse r = Api::Error(503, "the store is busy; retry: " + st.message());
    r.retry_after_seconds = 1;
    return r;
  }
  return Api::Error(500, "not stored: " + st.message());
}

// Appends [{"id":..,"decision":{..}},..] for (id, decision line) pairs.
void AppendIdDecisions(const std::vector<std::pair<std::string, std::string>>& items, std::string* out) {
  *out += "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) *out += ",";
    *out += "{\"id\":";
    AppendJsonString(items[i].first, out);
    *out += ",\"decision\":" + (items[i].second.empty() ? std::string("null") : items[i].second) + "}";
  }
  *out += "]";
}

std::string_view QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? "" : kv.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// ?limit=N: `fallback` when absent; false when not an integer in [1, max].
bool LimitParam(std::string_view query, size_t fallback, long long max, size_t* out) {
  std::string_view l = QueryParam(query, "limit");
  *out = fallback;
  if (l.empty()) return true;
  try {
    size_t used = 0;
    long long v = std::stoll(std::string(l), &used);
    if (used != l.size() || v < 1 || v > max) return false;
    *out = static_cast<size_t>(v);
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

bool UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

ApiResponse Api::Error(unsigned status, std::string_view message, std::string_view field, int64_t line) {
  std::string body = "{\"error\":";
  AppendJsonString(message, &body);
  if (!field.empty()) {
    body += ",\"field\":";
    AppendJsonString(field, &body);
  }
  if (line > 0) {
    body += ",\"line\":";
    AppendJsonInt(line, &body);
  }
  body += "}";
  return Json(status, std::move(body));
}

std::vector<std::string> Api::KnownQueues() const {
  std::vector<std::string> q;
  for (const auto& c : config_.queues) q.push_back(c.name);
  auto p = pipelines_->Current();
  for (auto& r : p->routes().Queues()) q.push_back(r);
  std::sort(q.begin(), q.end());
  q.erase(std::unique(q.begin(), q.end()), q.end());
  return q;
}

bool Api::KnownQueue(const std::string& name) const {
  for (const auto& q : KnownQueues())
    if (q == name) return true;
  for (const auto& q : store_->Queues({}))
    if (q.name == name) return true;
  return false;
}

const QueueConfig* Api::QueueSettings(const std::string& q) const {
  for (const auto& c : config_.queues)
    if (c.name == q) return &c;
  return nullptr;
}

void Api::Handle(std::string_view method, std::string_view target, const Headers& headers, std::string body,
                 Respond respond) {
  auto start = Clock::now();
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query = target.size() > path.size() ? target.substr(path.size() + 1) : std::string_view();
  // `finish` may run after Handle returns (once a write is durable), so the
  // endpoint it records is shared, not a reference to this frame.
  auto endpoint_ref = std::make_shared<Endpoint>(Endpoint::kOther);
  Endpoint& endpoint = *endpoint_ref;
  auto finish = [this, start, endpoint_ref, respond = std::move(respond)](ApiResponse r) mutable {
    metrics_->RecordResponse(*endpoint_ref, r.status, std::chrono::duration<double>(Clock::now() - start).count());
    respond(std::move(r));
  };
  // Each branch sets `endpoint` before calling `finish`, directly or later.
  auto segments = [&](std::string_view p) {
    std::vector<std::string_view> s;
    while (!p.empty()) {
      if (p.front() == '/') {
        p.remove_prefix(1);
        continue;
      }
      size_t slash = p.find('/');
      s.push_back(p.substr(0, slash));
      if (slash == std::string_view::npos) break;
      p.remove_prefix(slash);
    }
    return s;
  }(path);

  auto method_not_allowed = [&](std::string_view allowed) {
    ApiResponse r = Error(405, "method " + std::string(method) + " not allowed; use " + std::string(allowed));
    finish(std::move(r));
  };

  if (path == "/healthz") {
    endpoint = Endpoint::kHealth;
    finish(Json(200, "{\"status\":\"ok\"}"));
    return;
  }
  if (path == "/readyz") {
    endpoint = Endpoint::kHealth;
    if (draining_) finish(Json(503, "{\"status\":\"draining\"}"));
    else if (!store_->healthy()) finish(Json(503, "{\"status\":\"store failed; restart to recover\"}"));
    else {
      for (const auto& check : readiness_) {
        std::string why = check();
        if (!why.empty()) {
          std::string out = "{\"status\":";
          AppendJsonString(why, &out);
          return finish(Json(503, out + "}"));
        }
      }
      finish(Json(200, "{\"status\":\"ready\"}"));
    }
    return;
  }
  if (path == "/metrics") {
    endpoint = Endpoint::kMetrics;
    Metrics([&](ApiResponse r) { finish(std::move(r)); });
    return;
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "messages") {
    if (segments.size() == 2) {
      endpoint = Endpoint::kIngest;
      if (method != "POST") return method_not_allowed("POST");
      // (While draining, a request that reached this point was already being
      // read when the drain began: it is finished, not refused.)
      Ingest(std::move(body), std::move(finish));
      return;
    }
    std::string id;
    if (!UrlDecode(segments[2], &id) || id.empty()) {
      endpoint = Endpoint::kGet;
      return finish(Error(400, "bad message id in the path", "id"));
    }
    if (segments.size() == 3) {
      endpoint = Endpoint::kGet;
      if (method != "GET") return method_not_allowed("GET");
      GetMessage(id, std::move(finish));
      return;
    }
    if (segments.size() == 4 && segments[3] == "events") {
      endpoint = Endpoint::kEvent;
      if (method != "POST") return method_not_allowed("POST");
      AddEvent(id, std::move(body), std::move(finish));
      return;
    }
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "queues") {
    if (segments.size() == 2) {
      endpoint = Endpoint::kQueues;
      if (method != "GET") return method_not_allowed("GET");
      ListQueues(std::move(finish));
      return;
    }
    std::string queue;
    if (!UrlDecode(segments[2], &queue) || queue.empty()) return finish(Error(400, "bad queue name in the path", "queue"));
    if (segments.size() == 4 && segments[3] == "messages") {
      endpoint = Endpoint::kPeek;
      if (method != "GET") return method_not_allowed("GET");
      Peek(queue, query, std::move(finish));
      return;
    }
    if (segments.size() == 4 && segments[3] == "claim") {
      endpoint = Endpoint::kClaim;
      if (method != "POST") return method_not_allowed("POST");
      Claim(queue, std::move(body), std::move(finish));
      return;
    }
  }
  if (segments.size() == 3 && segments[0] == "v1" && segments[1] == "metrics" && segments[2] == "summary") {
    endpoint = Endpoint::kReports;
    if (method != "GET") return method_not_allowed("GET");
    Report(/*maturity=*/false, query, std::move(finish));
    return;
  }
  if (segments.size() == 2 && segments[0] == "v1" && segments[1] == "maturity") {
    endpoint = Endpoint::kReports;
    if (method != "GET") return method_not_allowed("GET");
    Report(/*maturity=*/true, query, std::move(finish));
    return;
  }
  if (segments.size() == 2 && segments[0] == "v1" && segments[1] == "alerts") {
    endpoint = Endpoint::kAlerts;
    if (method != "GET") return method_not_allowed("GET");
    ListAlerts(query, std::move(finish));
    return;
  }
  if (segments.size() == 2 && segments[0] == "webhooks") {
    endpoint = Endpoint::kWebhook;
    Webhook(method, std::string(segments[1]), query, headers, std::move(body), std::move(finish));
    return;
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "agents") {
    endpoint = Endpoint::kAgents;
    if (segments.size() == 2) {
      if (method != "GET") return method_not_allowed("GET");
      ListAgents(std::move(finish));
      return;
    }
    std::string agent;
    if (!UrlDecode(segments[2], &agent) || agent.empty() || HasControlChars(agent))
      return finish(Error(400, "bad agent id in the path", "agent"));
    if (segments.size() == 4 && segments[3] == "heartbeat") {
      if (method != "POST") return method_not_allowed("POST");
      Heartbeat(agent, std::move(body), std::move(finish));
      return;
    }
    if (segments.size() == 4 && segments[3] == "messages") {
      if (method != "GET") return method_not_allowed("GET");
      AgentMessages(agent, std::move(finish));
      return;
    }
  }
  finish(Error(404, "no such endpoint: " + std::string(method) + " " + std::string(path)));
}

namespace {

int PlatformSlot(std::string_view p) {
  static constexpr std::string_view kSlots[] = {"meta", "x", "slack", "telegram", "mastodon", "reddit", "archive"};
  for (int i = 0; i < 7; ++i)
    if (kSlots[i] == p) return i;
  return 7;
}

std::string UrlDecodedParam(std::string_view query, std::string_view name) {
  std::string out;
  if (!UrlDecode(QueryParam(query, name), &out)) out.clear();
  return out;
}

}  // namespace

// Platform webhooks: the platform's handshake (GET), then on POST its
// signature over the raw body, normalization, and the same durable ingest as
// POST /v1/messages. Platforms want a 200 quickly; the answer comes once the
// messages are durable, as for the API.
void Api::Webhook(std::string_view method, const std::string& platform, std::string_view query,
                  const Headers& headers, std::string body, Respond respond) {
  const WebhookSecrets& w = config_.webhooks;
  ServerMetrics* metrics = metrics_;
  const bool bearer = platform == "reddit" || platform == "archive";
  auto reject = [&](SignatureCheck c) {
    metrics->webhook_rejected[PlatformSlot(platform)].fetch_add(1, std::memory_order_relaxed);
    // Bearer-token endpoints have a token, not a signature: say so.
    std::string why = !bearer ? std::string(SignatureCheckName(c))
                      : c == SignatureCheck::kMismatch      ? "wrong bearer token"
                      : c == SignatureCheck::kMissingHeader ? "no Authorization: Bearer header"
                      : c == SignatureCheck::kMalformed     ? "the Authorization header is not 'Bearer <token>'"
                                                            : std::string(SignatureCheckName(c));
    respond(Error(401, "webhook not authenticated: " + why));
  };

  // Handshakes.
  if (method == "GET") {
    if (platform == "meta") {
      std::string token = UrlDecodedParam(query, "hub.verify_token");
      if (UrlDecodedParam(query, "hub.mode") != "subscribe" || w.meta_verify_token.empty() ||
          !ConstantTimeEquals(HmacSha256("verify", token), HmacSha256("verify", w.meta_verify_token))) {
        metrics->webhook_rejected[PlatformSlot(platform)].fetch_add(1, std::memory_order_relaxed);
        return respond(Error(403, "subscription verification failed"));
      }
      ApiResponse r;
      r.status = 200;
      r.content_type = "text/plain";
      r.body = UrlDecodedParam(query, "hub.challenge");
      return respond(std::move(r));
    }
    if (platform == "x") {
      std::string crc = UrlDecodedParam(query, "crc_token");
      if (crc.empty()) return respond(Error(400, "crc_token is required", "crc_token"));
      if (w.x_consumer_secret.empty()) return reject(SignatureCheck::kNoSecret);
      std::string out = "{\"response_token\":";
      AppendJsonString(XCrcResponseToken(w.x_consumer_secret, crc), &out);
      out += "}";
      return respond(Json(200, std::move(out)));
    }
    return respond(Error(405, "method GET not allowed; use POST"));
  }
  if (method != "POST") return respond(Error(405, "method " + std::string(method) + " not allowed; use POST"));

  // Authentication, on the raw bytes.
  SignatureCheck check = SignatureCheck::kMismatch;
  std::optional<Platform> p;
  if (platform == "meta") {
    check = VerifyHubSignature256(w.meta_app_secret, body, headers("x-hub-signature-256"));
    p = Platform::kMeta;
  } else if (platform == "x") {
    check = VerifyXSignature(w.x_consumer_secret, body, headers("x-twitter-webhooks-signature"));
    p = Platform::kX;
  } else if (platform == "slack") {
    int64_t now = now_seconds_ ? now_seconds_()
                               : std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count();
    check = VerifySlackSignature(w.slack_signing_secret, body, headers("x-slack-request-timestamp"),
                                 headers("x-slack-signature"), now, w.slack_window_seconds);
    p = Platform::kSlack;
  } else if (platform == "telegram") {
    check = VerifyTelegramSecret(w.telegram_secret_token, headers("x-telegram-bot-api-secret-token"));
    p = Platform::kTelegram;
  } else if (platform == "mastodon") {
    check = VerifyHubSignature256(w.mastodon_secret, body, headers("x-hub-signature"));
    p = Platform::kMastodon;
  } else if (platform == "reddit" || platform == "archive") {
    std::string auth = headers("authorization");
    if (w.bearer_token.empty()) check = SignatureCheck::kNoSecret;
    else if (auth.empty()) check = SignatureCheck::kMissingHeader;
    else if (auth.rfind("Bearer ", 0) != 0) check = SignatureCheck::kMalformed;
    else check = ConstantTimeEquals(HmacSha256("bearer", auth.substr(7)), HmacSha256("bearer", w.bearer_token))
                     ? SignatureCheck::kValid
                     : SignatureCheck::kMismatch;
    if (platform == "reddit") p = Platform::kReddit;
  } else {
    return respond(Error(404, "no webhook for platform '" + platform + "'"));
  }
  if (check != SignatureCheck::kValid) return reject(check);

  // The generic archive endpoint is POST /v1/messages behind a bearer token.
  auto ok200 = [respond](ApiResponse r) mutable {
    if (r.status == 202) r.status = 200;  // platforms expect 200
    respond(std::move(r));
  };
  if (!p) return Ingest(std::move(body), std::move(ok200));

  NormalizeResult result;
  Status s = Normalize(*p, body, &result);
  if (!s.ok()) return respond(Error(400, std::string(PlatformName(*p)) + " payload: " + s.message()));
  // The brand's own replies become `replied` events on the message they
  // answer: the one the platform names, else the newest open message of the
  // conversation (Messenger and Instagram page replies name none).
  auto replies = std::make_shared<std::vector<std::pair<PlatformEvent, Event>>>();
  for (const PlatformEvent& e : result.events) {
    switch (e.type) {
      case PlatformEvent::Type::kEdited: metrics->webhook_edits.fetch_add(1, std::memory_order_relaxed); break;
      case PlatformEvent::Type::kDeleted: metrics->webhook_deletes.fetch_add(1, std::memory_order_relaxed); break;
      case PlatformEvent::Type::kReplied: {
        metrics->webhook_echoes.fetch_add(1, std::memory_order_relaxed);
        if (e.in_reply_to.empty() && e.conversation_id.empty()) break;
        int64_t at_ms = 0;
        ParseRfc3339(e.created_at, &at_ms);
        replies->emplace_back(e, Event{EventType::kReplied, e.agent.empty() ? platform : e.agent, at_ms, "", ""});
        break;
      }
    }
  }
  metrics->webhook_ignored.fetch_add(static_cast<uint64_t>(result.ignored_total()), std::memory_order_relaxed);
  if (platform == "slack") {
    // Slack's URL verification handshake arrives as a signed POST.
    simdjson::padded_string padded(body);
    simdjson::dom::parser dp;
    simdjson::dom::element root;
    std::string_view type, challenge;
    if (!dp.parse(padded).get(root) && !root["type"].get_string().get(type) && type == "url_verification" &&
        !root["challenge"].get_string().get(challenge)) {
      std::string out = "{\"challenge\":";
      AppendJsonString(challenge, &out);
      out += "}";
      return respond(Json(200, std::move(out)));
    }
  }
  // Messages first, then the replies, and the answer only once both are
  // durable: a platform that got its 200 does not send the payload again.
  const size_t n_events = result.events.size();
  const int n_ignored = result.ignored_total();
  QueueStore* store = store_;
  auto record_replies = [store, replies, metrics, respond](ApiResponse answer) mutable {
    if (answer.status >= 300 || replies->empty()) {
      if (answer.status == 202) answer.status = 200;  // platforms expect 200
      return respond(std::move(answer));
    }
    struct Join {
      std::mutex mu;
      size_t left;
      Status failure;
      ApiResponse answer;
      Api::Respond respond;
    };
    auto join = std::make_shared<Join>();
    join->left = replies->size();
    join->answer = std::move(answer);
    join->respond = std::move(respond);
    auto one_done = [join, metrics](Status st) {
      std::lock_guard<std::mutex> l(join->mu);
      // A reply to a message we never stored (or to a conversation with
      // nothing open) is not an error: it is counted and dropped.
      if (st.code() == Status::Code::kNotFound) metrics->webhook_unattributed.fetch_add(1, std::memory_order_relaxed);
      else if (!st.ok() && join->failure.ok()) join->failure = st;
      if (--join->left > 0) return;
      if (!join->failure.ok()) return join->respond(StoreFailure(join->failure, metrics));
      if (join->answer.status == 202) join->answer.status = 200;
      join->respond(std::move(join->answer));
    };
    for (auto& [pe, ev] : *replies) {
      if (!pe.in_reply_to.empty()) store->AddEvent(pe.in_reply_to, std::move(ev), one_done);
      else store->AddEventToConversation(pe.conversation_id, std::move(ev), one_done);
    }
  };
  if (result.messages.empty()) {
    return record_replies(Json(200, "{\"results\":[],\"accepted\":0,\"duplicates\":0,\"events\":" +
                                        std::to_string(n_events) + ",\"ignored\":" + std::to_string(n_ignored) + "}"));
  }
  std::string lines;
  for (const NormalizedMessage& m : result.messages) lines += m.ToArchiveLine() + "\n";
  Ingest(std::move(lines), std::move(record_replies));
}

void Api::Heartbeat(const std::string& agent, std::string body, Respond respond) {
  JsonFields f;
  std::string bad;
  if (Status s = ParseFields(body, &f, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  auto queues = f.lists.find("queues");
  if (queues == f.lists.end() || queues->second.empty())
    return respond(Error(400, "'queues' is required: the queues this agent works on", "queues"));
  for (const auto& q : queues->second)
    if (!KnownQueue(q)) return respond(Error(400, "no queue '" + q + "'", "queues"));
  store_->Heartbeat(agent, queues->second,
                    [respond = std::move(respond), agent, metrics = metrics_](Status st, QueueStore::AgentStatus a) {
                      if (!st.ok()) return respond(StoreFailure(st, metrics));
                      std::string out = "{\"agent\":";
                      AppendJsonString(agent, &out);
                      out += ",\"online_until_ms\":" + std::to_string(a.online_until) +
                             ",\"open_conversations\":" + std::to_string(a.open_conversations) +
                             ",\"newly_assigned\":" + std::to_string(a.newly_assigned) + "}";
                      respond(Json(200, std::move(out)));
                    });
}

void Api::ListAgents(Respond respond) {
  std::string out = "{\"agents\":[";
  bool first = true;
  for (const auto& a : store_->Agents()) {
    if (!first) out += ",";
    first = false;
    out += "{\"agent\":";
    AppendJsonString(a.name, &out);
    out += ",\"online_until_ms\":" + std::to_string(a.online_until) +
           ",\"open_conversations\":" + std::to_string(a.open_conversations) + ",\"queues\":[";
    for (size_t i = 0; i < a.queues.size(); ++i) {
      if (i) out += ",";
      AppendJsonString(a.queues[i], &out);
    }
    out += "]}";
  }
  out += "]}";
  respond(Json(200, std::move(out)));
}

void Api::AgentMessages(const std::string& agent, Respond respond) {
  std::string out = "{\"agent\":";
  AppendJsonString(agent, &out);
  out += ",\"messages\":";
  AppendIdDecisions(store_->AssignedTo(agent), &out);
  out += "}";
  respond(Json(200, std::move(out)));
}

void Api::Ingest(std::string body, Respond respond) {
  uint64_t generation = 0;
  auto pipeline = pipelines_->Current(&generation);
  const int64_t wall_ms = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  ThreadState& ts = StateFor(pipeline);
  if (!ts.scratch) return respond(Error(500, "could not allocate classifier scratch"));

  std::vector<IngestItem> items;
  std::vector<std::string> decisions;
  std::vector<Label> labels;
  Message msg;
  Decision d;
  const bool with_context = pipeline->classifier().model() != nullptr;
  auto take = [&](std::string_view line) -> Status {
    if (with_context) msg.thread = ThreadOf(msg);
    if (Status s = pipeline->Decide(msg, ts.scratch.get(), &d); !s.ok()) return s;
    if (with_context) RememberThread(msg, d.verdict.label);
    if (detector_) detector_->Observe(generation, *pipeline, msg, ts.scratch->normalized(), &d, wall_ms);
    std::string decision;
    ts.writer->Append(msg, d, &decision);
    decision.pop_back();  // newline
    IngestItem item;
    item.id = std::string(msg.id);
    item.raw = std::string(line);
    item.decision = decision;
    item.queue = std::string(d.routing.queue);
    item.priority = d.routing.priority;
    item.conversation_id = std::string(msg.conversation_id);
    labels.push_back(d.verdict.label);
    decisions.push_back(std::move(decision));
    items.push_back(std::move(item));
    return Status::OK();
  };
  // A classifier failure (a Hyperscan scan error) stores nothing and says so.
  auto not_decided = [&](const Status& s) { return respond(Error(500, s.message() + "; nothing from this request was stored")); };

  // NDJSON lines; a body that is one pretty-printed object is one message.
  size_t pos = 0;
  int64_t line_no = 0;
  Status first_error;
  int64_t first_error_line = 0;
  while (pos <= body.size() && first_error.ok()) {
    size_t nl = body.find('\n', pos);
    std::string_view line(body.data() + pos, (nl == std::string::npos ? body.size() : nl) - pos);
    pos = nl == std::string::npos ? body.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (items.size() >= config_.max_batch_messages) {
      return respond(Error(413, "batch exceeds max_batch_messages (" + std::to_string(config_.max_batch_messages) + ")"));
    }
    Status s = ts.parser.ParseCopy(line, &msg);
    if (!s.ok()) {
      first_error = s;
      first_error_line = line_no;
      break;
    }
    if (HasControlChars(msg.id)) {
      first_error = Status::InvalidArgument("field 'id': control characters are not allowed");
      first_error_line = line_no;
      break;
    }
    if (Status s = take(line); !s.ok()) return not_decided(s);
  }
  if (!first_error.ok()) {
    // Maybe the whole body is one (multi-line) JSON object.
    items.clear();
    decisions.clear();
    labels.clear();
    bool multi_line = body.find('\n') != std::string::npos;
    if (multi_line && ts.parser.ParseCopy(body, &msg).ok() && !HasControlChars(msg.id)) {
      std::string compact;  // stored as one line, as in an archive
      simdjson::padded_string padded(body);
      simdjson::dom::parser dp;
      simdjson::dom::element el;
      if (!dp.parse(padded).get(el)) compact = simdjson::minify(el);
      if (Status s = take(compact.empty() ? std::string_view(body) : std::string_view(compact)); !s.ok())
        return not_decided(s);
      if (!compact.empty()) items.back().raw = compact;
    } else {
      metrics_->ingest_rejected_lines.fetch_add(1, std::memory_order_relaxed);
      return respond(Error(400, "line " + std::to_string(first_error_line) + ": " + first_error.message() +
                                    "; nothing from this request was stored",
                           "", first_error_line));
    }
  }
  if (items.empty()) return respond(Error(400, "the body holds no messages"));

  auto shared_decisions = std::make_shared<std::vector<std::string>>(std::move(decisions));
  auto ids = std::make_shared<std::vector<std::string>>();
  for (const auto& it : items) ids->push_back(it.id);
  ServerMetrics* metrics = metrics_;
  LiveDetector* detector = detector_;
  const size_t n_client = items.size();
  auto write = [&](std::vector<AlertRecord> records, std::vector<IngestItem> alert_items) {
    // The alerts this batch opened or changed are written with it, atomically.
    std::shared_ptr<std::vector<AlertRecord>> kept_records;
    std::shared_ptr<std::vector<IngestItem>> kept_items;
    if (!records.empty() || !alert_items.empty()) {
      kept_records = std::make_shared<std::vector<AlertRecord>>(records);
      kept_items = std::make_shared<std::vector<IngestItem>>(alert_items);
    }
    for (auto& a : alert_items) items.push_back(std::move(a));
    store_->Ingest(std::move(items), std::move(records),
                   [respond = std::move(respond), shared_decisions, ids, labels = std::move(labels), metrics, n_client,
                    detector, kept_records, kept_items](Status st, std::vector<IngestResult> outcomes) {
    if (!st.ok()) {
      if (detector && kept_records) detector->Restore(std::move(*kept_records), std::move(*kept_items));
      return respond(StoreFailure(st, metrics));
    }
    size_t stored = 0, dups = 0;
    std::string body = "{\"results\":[";
    for (size_t i = 0; i < n_client && i < outcomes.size(); ++i) {
      bool dup = outcomes[i].outcome == IngestOutcome::kDuplicate;
      dup ? ++dups : ++stored;
      if (!dup) metrics->labeled[static_cast<int>(labels[i])].fetch_add(1, std::memory_order_relaxed);
      if (i) body += ",";
      body += "{\"id\":";
      AppendJsonString((*ids)[i], &body);
      body += dup ? ",\"status\":\"duplicate\",\"decision\":" : ",\"status\":\"stored\",\"decision\":";
      // A duplicate answers with the decision stored with the first copy.
      if (dup) body += outcomes[i].stored_decision.empty() ? std::string("null") : outcomes[i].stored_decision;
      else body += (*shared_decisions)[i];
      body += "}";
    }
    body += "],\"accepted\":" + std::to_string(stored) + ",\"duplicates\":" + std::to_string(dups) + "}";
    metrics->ingest_stored.fetch_add(stored, std::memory_order_relaxed);
    metrics->ingest_duplicate.fetch_add(dups, std::memory_order_relaxed);
    respond(Json(202, std::move(body)));
  });
  };
  if (detector_) detector_->TakeEffects(*pipeline, write);
  else write({}, {});
}

void Api::TickDetector() {
  if (!detector_) return;
  int64_t wall_ms = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  if (!detector_->Tick(wall_ms)) return;
  auto pipeline = pipelines_->Current();
  LiveDetector* detector = detector_;
  detector_->TakeEffects(*pipeline, [&](std::vector<AlertRecord> records, std::vector<IngestItem> items) {
    if (records.empty() && items.empty()) return;
    auto kept_records = std::make_shared<std::vector<AlertRecord>>(records);
    auto kept_items = std::make_shared<std::vector<IngestItem>>(items);
    store_->Ingest(std::move(items), std::move(records), [detector, kept_records, kept_items](Status st, std::vector<IngestResult>) {
      if (!st.ok()) detector->Restore(std::move(*kept_records), std::move(*kept_items));
    });
  });
}

size_t Api::WarmDetector(int64_t window_ms) {
  if (!detector_) return 0;
  std::vector<std::string> lines;
  int64_t wall_ms = WallMs();
  if (!store_->RecentMessages(wall_ms - window_ms, 2'000'000, &lines).ok()) return 0;
  uint64_t generation = 0;
  auto pipeline = pipelines_->Current(&generation);
  ThreadState& ts = StateFor(pipeline);
  if (!ts.scratch) return 0;
  Message msg;
  Decision d;
  size_t n = 0;
  for (const std::string& line : lines) {
    // Alert items are stored beside messages; they are not messages.
    if (line.rfind("{\"type\":\"crisis_alert\"", 0) == 0 || !ts.parser.ParseCopy(line, &msg).ok()) continue;
    msg.thread = ThreadOf(msg);
    if (!pipeline->Decide(msg, ts.scratch.get(), &d).ok()) continue;
    RememberThread(msg, d.verdict.label);
    detector_->Observe(generation, *pipeline, msg, ts.scratch->normalized(), &d, wall_ms);
    ++n;
  }
  // Alerts it re-derives have the ids of the stored ones: records are
  // overwritten with the same content and queue items are duplicates.
  detector_->TakeEffects(*pipeline, [&](std::vector<AlertRecord> records, std::vector<IngestItem> items) {
    std::promise<void> done;
    store_->Ingest(std::move(items), std::move(records), [&](Status, std::vector<IngestResult>) { done.set_value(); });
    done.get_future().wait();
  });
  return n;
}

ThreadContext Api::ThreadOf(const Message& msg) {
  {
    std::lock_guard<std::mutex> l(threads_mu_);
    ThreadContext c = threads_.Lookup(msg);
    if (c.known || msg.in_reply_to.empty()) return c;
  }
  // A reply to a message decided before this daemon started (or forgotten):
  // its stored decision gives the label, its stored line the author.
  StoredMessage stored;
  if (!store_->Get(std::string(msg.in_reply_to), &stored).ok()) return {};
  size_t at = stored.decision.find("\"label\":\"");
  if (at == std::string::npos) return {};
  at += 9;
  auto label = ParseLabel(std::string_view(stored.decision).substr(at, stored.decision.find('"', at) - at));
  if (!label) return {};
  thread_local ArchiveParser parser;
  Message earlier;
  std::string_view author;
  if (parser.ParseCopy(stored.raw, &earlier).ok()) author = earlier.author.id;
  std::lock_guard<std::mutex> l(threads_mu_);
  threads_.Record(msg.in_reply_to, earlier.conversation_id, author, *label);
  return threads_.Lookup(msg);
}

void Api::RememberThread(const Message& msg, Label decided) {
  std::lock_guard<std::mutex> l(threads_mu_);
  threads_.Record(msg, decided);
}

void Api::Report(bool maturity, std::string_view query, Respond respond) {
  // Period: ?from=YYYY-MM-DD&to=YYYY-MM-DD (or RFC 3339 times); default the
  // last 28 days. "Now" for targets not yet due is the wall clock.
  const int64_t now = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  auto parse_time = [](std::string_view v, int64_t* ms) {
    std::string s(v);
    if (s.size() == 10) s += "T00:00:00Z";
    return ParseRfc3339(s, ms);
  };
  int64_t to = now, from = now - 28 * 86'400'000LL;
  std::string_view f = QueryParam(query, "from"), t = QueryParam(query, "to");
  if (!f.empty() && !parse_time(f, &from)) return respond(Error(400, "from must be YYYY-MM-DD or RFC 3339", "from"));
  if (!t.empty() && !parse_time(t, &to)) return respond(Error(400, "to must be YYYY-MM-DD or RFC 3339", "to"));
  if (to <= from) return respond(Error(400, "to must be after from", "to"));
  std::string_view format = QueryParam(query, "format");
  if (format.empty()) format = "json";
  if (format != "json" && (!maturity || format != "html"))
    return respond(Error(400, maturity ? "format must be json or html" : "format must be json", "format"));
  std::string_view conversations = QueryParam(query, "conversations");
  if (!conversations.empty() && conversations != "true" && conversations != "false")
    return respond(Error(400, "conversations must be true or false", "conversations"));
  std::vector<HistoryMessage> history;
  if (Status s = LoadHistory(*store_, &history); !s.ok()) return respond(Error(500, s.message()));
  MetricsSummary summary = ComputeMetrics(history, config_.MetricsOptionsFor(now), from, to);
  if (!maturity) return respond(Json(200, summary.ToJson(conversations == "true")));
  MaturityReport report = AssessMaturity(summary, config_.maturity);
  if (format == "html") {
    ApiResponse r;
    r.status = 200;
    r.body = MaturityHtml(report);
    r.content_type = "text/html; charset=utf-8";
    return respond(std::move(r));
  }
  respond(Json(200, report.ToJson()));
}

void Api::ListAlerts(std::string_view query, Respond respond) {
  std::string_view state = QueryParam(query, "state");
  if (state.empty()) state = "all";
  if (state != "all" && state != "open" && state != "closed")
    return respond(Error(400, "state must be open, closed or all", "state"));
  size_t limit = 0;
  if (!LimitParam(query, 100, 10000, &limit))
    return respond(Error(400, "limit must be an integer from 1 to 10000", "limit"));
  std::vector<std::string> all = store_->Alerts();
  std::string body = "{\"alerts\":[";
  size_t n = 0;
  // Ids begin with the opening time, so the last ones are the newest.
  for (auto it = all.rbegin(); it != all.rend() && n < limit; ++it) {
    bool open = it->find("\"closed_at\":null") != std::string::npos;
    if ((state == "open" && !open) || (state == "closed" && open)) continue;
    if (n++) body += ",";
    body += *it;
  }
  body += "]}";
  respond(Json(200, std::move(body)));
}

void Api::ListQueues(Respond respond) {
  std::string body = "{\"queues\":[";
  bool first = true;
  for (const QueueInfo& q : store_->Queues(KnownQueues())) {
    if (!first) body += ",";
    first = false;
    body += "{\"name\":";
    AppendJsonString(q.name, &body);
    body += ",\"depth\":" + std::to_string(q.depth) + ",\"claimed\":" + std::to_string(q.claimed) +
            ",\"oldest_age_seconds\":";
    AppendJsonNumber(static_cast<double>(q.oldest_age_ms) / 1000.0, &body);
    const QueueConfig* qc = QueueSettings(q.name);
    body += ",\"assigned\":" + std::to_string(q.assigned) + ",\"sla_seconds\":" +
            std::to_string(qc ? qc->sla_seconds : 0) + ",\"assignment\":\"" + (qc ? qc->assignment : "pull") + "\"}";
  }
  body += "]}";
  respond(Json(200, std::move(body)));
}

void Api::Peek(const std::string& queue, std::string_view query, Respond respond) {
  if (!KnownQueue(queue)) return respond(Error(404, "no queue '" + queue + "'", "queue"));
  size_t limit = 0;
  if (!LimitParam(query, 20, 100000, &limit))
    return respond(Error(400, "limit must be an integer from 1 to 100000", "limit"));
  std::string body = "{\"queue\":";
  AppendJsonString(queue, &body);
  body += ",\"messages\":";
  AppendIdDecisions(store_->Peek(queue, limit), &body);
  body += "}";
  respond(Json(200, std::move(body)));
}

void Api::Claim(const std::string& queue, std::string body, Respond respond) {
  if (!KnownQueue(queue)) return respond(Error(404, "no queue '" + queue + "'", "queue"));
  // A push queue hands its messages to agents itself: a claim would take them
  // from under the assignment.
  if (const QueueConfig* qc = QueueSettings(queue); qc && qc->assignment != "pull")
    return respond(Error(409, "queue '" + queue + "' assigns its messages to agents (" + qc->assignment +
                                  "); agents send heartbeats and read GET /v1/agents/{agent}/messages",
                         "queue"));
  JsonFields f;
  std::string bad;
  if (Status s = ParseFields(body, &f, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  auto agent = f.strings.find("agent");
  if (agent == f.strings.end() || agent->second.empty() || HasControlChars(agent->second))
    return respond(Error(400, "'agent' is required: a non-empty string without control characters", "agent"));
  int64_t lease = config_.default_lease_seconds;
  if (auto it = f.ints.find("lease_seconds"); it != f.ints.end()) lease = it->second;
  if (lease < 1 || lease > config_.max_lease_seconds)
    return respond(Error(400, "'lease_seconds' must be from 1 to " + std::to_string(config_.max_lease_seconds),
                         "lease_seconds"));
  int64_t max = 1;
  if (auto it = f.ints.find("max"); it != f.ints.end()) max = it->second;
  if (max < 1 || max > static_cast<int64_t>(config_.max_claim))
    return respond(Error(400, "'max' must be from 1 to " + std::to_string(config_.max_claim), "max"));
  store_->Claim(queue, agent->second, static_cast<size_t>(max), lease * 1000,
                [respond = std::move(respond), metrics = metrics_](Status st, std::vector<ClaimedMessage> got) {
                  if (!st.ok()) return respond(StoreFailure(st, metrics));
                  std::string body = "{\"messages\":[";
                  for (size_t i = 0; i < got.size(); ++i) {
                    if (i) body += ",";
                    body += "{\"id\":";
                    AppendJsonString(got[i].id, &body);
                    body += ",\"lease_until_ms\":" + std::to_string(got[i].lease_until) + ",\"message\":" +
                            (got[i].raw.empty() ? "null" : got[i].raw) +
                            ",\"decision\":" + (got[i].decision.empty() ? "null" : got[i].decision) + "}";
                  }
                  body += "]}";
                  respond(Json(200, std::move(body)));
                });
}

void Api::AddEvent(const std::string& id, std::string body, Respond respond) {
  JsonFields f;
  std::string bad;
  if (Status s = ParseFields(body, &f, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  Event e;
  auto type = ParseEventType(f.strings.count("type") ? f.strings["type"] : "");
  if (!type) return respond(Error(400, "'type' must be " + EventTypeList(), "type"));
  e.type = *type;
  e.agent = f.strings.count("agent") ? f.strings["agent"] : "";
  if (e.agent.empty() || HasControlChars(e.agent))
    return respond(Error(400, "'agent' is required: a non-empty string without control characters", "agent"));
  if (auto it = f.ints.find("at_ms"); it != f.ints.end()) {
    e.at_ms = it->second;
  } else if (auto at = f.strings.find("at"); at != f.strings.end()) {
    if (!ParseRfc3339(at->second, &e.at_ms)) return respond(Error(400, "'at' must be an RFC 3339 timestamp", "at"));
  } else {
    // Not given: it happened now (the time the daemon records it).
    e.at_ms = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  }
  if (e.type == EventType::kRerouted) {
    e.to_queue = f.strings.count("to_queue") ? f.strings["to_queue"] : "";
    if (e.to_queue.empty() || !KnownQueue(e.to_queue))
      return respond(Error(400, "'to_queue' must name a known queue for a reroute", "to_queue"));
  }
  if (auto n = f.strings.find("note"); n != f.strings.end()) e.note = n->second;
  // Response-time histograms: the first reply and the first resolution of a
  // message, timed from its arrival (created_at, or when it was stored).
  std::string histogram_kind, histogram_queue;
  double histogram_seconds = 0;
  if (e.type == EventType::kReplied || e.type == EventType::kResolved) {
    StoredMessage stored;
    HistoryMessage h;
    std::string why;
    if (store_->Get(id, &stored).ok() && ToHistoryMessage(id, stored, &h, &why)) {
      bool first = std::none_of(h.events.begin(), h.events.end(), [&](const HistoryEvent& x) { return x.type == e.type; });
      if (first) {
        histogram_kind = e.type == EventType::kReplied ? "first_response" : "resolution";
        histogram_queue = h.queue;
        histogram_seconds = static_cast<double>(std::max<int64_t>(0, e.at_ms - h.arrival_ms)) / 1000.0;
      }
    }
  }
  store_->AddEvent(id, std::move(e), [respond = std::move(respond), id, metrics = metrics_, histogram_kind,
                                      histogram_queue, histogram_seconds](Status st) {
    if (st.code() == Status::Code::kNotFound) return respond(Error(404, st.message(), "id"));
    if (!st.ok()) return respond(StoreFailure(st, metrics));
    if (!histogram_kind.empty()) metrics->responses.Observe(histogram_kind, histogram_queue, histogram_seconds);
    std::string body = "{\"id\":";
    AppendJsonString(id, &body);
    body += ",\"status\":\"recorded\"}";
    respond(Json(201, std::move(body)));
  });
}

void Api::GetMessage(const std::string& id, Respond respond) {
  StoredMessage m;
  Status s = store_->Get(id, &m);
  if (s.code() == Status::Code::kNotFound) return respond(Error(404, "message '" + id + "' not found", "id"));
  if (!s.ok()) return respond(Error(500, s.message()));
  std::string body = "{\"id\":";
  AppendJsonString(id, &body);
  body += ",\"message\":" + m.raw + ",\"decision\":" + (m.decision.empty() ? "null" : m.decision) + ",\"state\":{\"queue\":";
  AppendJsonString(m.state.queue, &body);
  body += ",\"priority\":\"" + std::string(PriorityName(m.state.priority)) + "\",\"status\":\"" +
          std::string(MessageStatusName(m.state.status)) + "\",\"agent\":";
  AppendJsonString(m.state.agent, &body);
  body += ",\"lease_until_ms\":" + std::to_string(m.state.lease_until) +
          ",\"received_ms\":" + std::to_string(m.state.received_ms) + "},\"events\":[";
  for (size_t i = 0; i < m.events.size(); ++i) body += (i ? "," : "") + m.events[i];
  body += "]}";
  respond(Json(200, std::move(body)));
}

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
  counter("triage_ingest_messages_total", "Messages received by POST /v1/messages, by outcome", "outcome=\"stored\"",
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
  counter("triage_rules_reloads_total", "Rule pack reloads (SIGHUP) by result", "result=\"ok\"", m.reloads_ok.load());
  counter("triage_rules_reloads_total", "", "result=\"failed\"", m.reloads_failed.load());
  static const char* kPlatforms[] = {"meta", "x", "slack", "telegram", "mastodon", "reddit", "archive", "other"};
  for (int i = 0; i < 8; ++i)
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
