#include "runtime/server/api.h"

#include <simdjson.h>

#include <mutex>

#include "base/json_writer.h"
#include "base/rfc3339.h"
#include "connectors/webhooks/signature.h"
#include "format/archive_format.h"
#include "runtime/server/request.h"

namespace triage {

namespace {

int PlatformSlot(std::string_view p) {
  static constexpr std::string_view kSlots[] = {"meta", "x", "slack", "telegram", "mastodon", "reddit", "archive", "chatwoot"};
  for (int i = 0; i < 8; ++i)
    if (kSlots[i] == p) return i;
  return 8;
}

std::string UrlDecodedParam(std::string_view query, std::string_view name) {
  std::string out;
  if (!UrlDecode(QueryParam(query, name), &out)) out.clear();
  return out;
}

// X's CRC answer is sha256=base64(HMAC(consumer secret, crc_token)), which
// is also the signature X puts on a POST whose body is crc_token: answering
// any token would sign any body an attacker chooses (a JSON payload of
// tweets, say). So only what X sends is answered: a short token in the
// base64/base64url alphabet, which can never be a JSON payload.
constexpr size_t kMaxCrcTokenBytes = 128;

bool IsXCrcToken(std::string_view t) {
  if (t.empty() || t.size() > kMaxCrcTokenBytes) return false;
  for (char c : t) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              c == '=' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Platforms retry a delivery on any 5xx but know nothing of 507: a store
// that is full answers them 503 with Retry-After, like one that is busy.
ApiResponse ForPlatform(ApiResponse r) {
  if (r.status == 507) {
    r.status = 503;
    r.retry_after_seconds = 5;
  }
  if (r.status == 202) r.status = 200;  // platforms expect 200
  return r;
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
      // Checked before anything is signed (see IsXCrcToken).
      if (!IsXCrcToken(crc))
        return respond(Error(400,
                             "crc_token must be at most " + std::to_string(kMaxCrcTokenBytes) +
                                 " bytes of A-Z a-z 0-9 + / = _ -",
                             "crc_token"));
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
  } else if (platform == "chatwoot") {
    // The token rides in the URL Chatwoot is given (/webhooks/chatwoot?token=...).
    std::string token = UrlDecodedParam(query, "token");
    if (w.chatwoot_token.empty()) check = SignatureCheck::kNoSecret;
    else if (token.empty()) check = SignatureCheck::kMissingHeader;
    else check = ConstantTimeEquals(HmacSha256("chatwoot", token), HmacSha256("chatwoot", w.chatwoot_token))
                     ? SignatureCheck::kValid
                     : SignatureCheck::kMismatch;
    p = Platform::kChatwoot;
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
  auto ok200 = [respond](ApiResponse r) mutable { respond(ForPlatform(std::move(r))); };
  if (!p) return Ingest(std::move(body), std::move(ok200));

  PendingIngest batch;
  if (Status s = BeginIngest(&batch); !s.ok()) return respond(Error(500, s.message()));
  ArchiveFormat format;
  format.kind = ArchiveFormat::Kind::kPlatform;
  format.platform = *p;
  DecodedPayload& result = *batch.decoded;
  if (Status s = batch.decoder->Decode(body, format, &result); !s.ok()) return respond(Error(400, s.message()));
  // The brand's own replies become `replied` events on the message they
  // answer: the one the platform names, else the newest open message of the
  // conversation (Messenger and Instagram page replies name none).
  // Edits and deletes change the stored message (engine/store/erasure.h).
  auto replies = std::make_shared<std::vector<std::pair<PlatformEvent, Event>>>();
  auto changes = std::make_shared<std::vector<ContentChange>>();
  for (const PlatformEvent& e : result.platform_events) {
    switch (e.type) {
      case PlatformEvent::Type::kEdited:
      case PlatformEvent::Type::kDeleted: {
        const bool edit = e.type == PlatformEvent::Type::kEdited;
        (edit ? metrics->webhook_edits : metrics->webhook_deletes).fetch_add(1, std::memory_order_relaxed);
        // An id that ends in its namespace ("x:") names nothing.
        if (e.message_id.empty() || e.message_id.back() == ':') break;
        if (edit && e.text.size() > kMaxTextBytes)
          return respond(Error(400, std::string(PlatformName(*p)) + " payload: field 'text' of an edit: " +
                                        std::to_string(e.text.size()) + " bytes, over the limit of " +
                                        std::to_string(kMaxTextBytes), "text"));
        int64_t at_ms = 0;
        ParseRfc3339(e.created_at, &at_ms);
        changes->push_back(ContentChange{edit ? ContentChange::Type::kEdit : ContentChange::Type::kDelete,
                                         e.message_id, edit ? e.text : "", e.agent, at_ms});
        break;
      }
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
  int n_ignored = 0;
  for (const auto& [kind, n] : result.ignored) n_ignored += n;
  metrics->webhook_ignored.fetch_add(static_cast<uint64_t>(n_ignored), std::memory_order_relaxed);
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
  // Messages first, then the replies, edits and deletes, and the answer only
  // once all are durable: a platform that got its 200 does not send the
  // payload again (and expects a deletion honoured). A store that is busy or
  // read-only gets the platform to retry (503); the replies recorded before a
  // failure are not recorded twice on the retry, each being stored at most
  // once under its platform id (dedupe key).
  const size_t n_events = result.platform_events.size();
  QueueStore* store = store_;
  auto record_replies = [store, replies, changes, metrics, respond](ApiResponse answer) mutable {
    if (answer.status >= 300 || (replies->empty() && changes->empty()))
      return respond(ForPlatform(std::move(answer)));
    struct Join {
      std::mutex mu;
      size_t left;
      Status failure;
      ApiResponse answer;
      Api::Respond respond;
    };
    auto join = std::make_shared<Join>();
    join->left = replies->size() + (changes->empty() ? 0 : 1);
    join->answer = std::move(answer);
    join->respond = std::move(respond);
    auto one_done = [join, metrics](Status st) {
      std::lock_guard<std::mutex> l(join->mu);
      // A reply to a message we never stored (or to a conversation with
      // nothing open) is not an error: it is counted and dropped. Asking
      // the platform to retry would not make the message appear (a thread
      // older than the integration, a message refused as malformed).
      if (st.code() == Status::Code::kNotFound) metrics->webhook_unattributed.fetch_add(1, std::memory_order_relaxed);
      else if (!st.ok() && join->failure.ok()) join->failure = st;
      if (--join->left > 0) return;
      if (!join->failure.ok()) return join->respond(ForPlatform(StoreFailure(join->failure, metrics)));
      join->respond(ForPlatform(std::move(join->answer)));
    };
    if (!changes->empty())
      store->ApplyContentChanges(std::move(*changes), [one_done, metrics](Status st, std::vector<ContentOutcome> out) {
        // An edit of a message never stored is counted and dropped, as a
        // reply to one is; a delete of one leaves a tombstone.
        for (ContentOutcome o : out)
          if (o == ContentOutcome::kUnknown) metrics->webhook_unattributed.fetch_add(1, std::memory_order_relaxed);
        one_done(st);
      });
    for (auto& [pe, ev] : *replies) {
      if (!pe.in_reply_to.empty()) store->AddEvent(pe.in_reply_to, std::move(ev), pe.message_id, one_done);
      else store->AddEventToConversation(pe.conversation_id, std::move(ev), pe.message_id, one_done);
    }
  };
  if (result.messages.empty()) {
    return record_replies(Json(200, "{\"results\":[],\"accepted\":0,\"duplicates\":0,\"events\":" +
                                        std::to_string(n_events) + ",\"ignored\":" + std::to_string(n_ignored) + "}"));
  }
  // The normalized messages go to the engine as they are; their archive line
  // is what the store keeps.
  for (DecodedMessage& m : result.messages) {
    if (batch.items.size() >= config_.max_batch_messages)
      return respond(Error(413, "payload exceeds max_batch_messages (" + std::to_string(config_.max_batch_messages) + ")"));
    Status s = AddToIngest(&m.msg, m.line, &batch);
    if (s.code() == Status::Code::kInvalidArgument)
      return respond(Error(400, std::string(PlatformName(*p)) + " payload: " + s.message()));
    if (!s.ok()) return respond(Error(500, s.message() + "; nothing from this request was stored"));
  }
  CommitIngest(std::move(batch), std::move(record_replies));
}

}  // namespace triage
