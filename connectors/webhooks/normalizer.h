// Platform normalizers: each platform's own webhook or API JSON in, the
// engine's archive-format messages out, plus the events that are not new
// messages (edits, deletes, echoes of the brand's own replies).
//
//   meta      Messenger, Instagram (DMs and comments) and WhatsApp Business
//             Cloud API webhooks ({"object": "page"|"instagram"|"whatsapp_business_account"})
//   x         Account Activity API (tweet_create_events, direct_message_events,
//             tweet_delete_events) and X API v2 objects ({"data": ...})
//   slack     Events API event_callback envelopes
//   telegram  Bot API updates
//   mastodon  status entities, streaming "update" payloads and webhooks
//   reddit    comment (t1) and private message (t4) things and listings
//   chatwoot  Chatwoot webhooks (message_created): triage as Chatwoot's triage bot
//
// Ids are namespaced by platform ("fb:", "ig:", "wa:", "x:", "slack:", "tg:",
// "ma:", "rd:", "cw:"). Events a platform sends that carry no customer message
// (deliveries, reads, typing, reactions, unknown types) are not errors: they
// are counted in `ignored`, by kind. A payload that is not JSON, or not the
// platform's shape at all, is an error naming what is wrong. Media (photos,
// voice notes, files, stickers, shares) are not fetched: a message notes them
// by type and count (`attachments`, the archive line's "attachments" field),
// so one that is only a photo is not an empty text with no trace.
#ifndef TRIAGE_CONNECTORS_WEBHOOKS_NORMALIZER_H_
#define TRIAGE_CONNECTORS_WEBHOOKS_NORMALIZER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/rfc3339.h"
#include "base/status.h"

namespace triage {

enum class Platform { kMeta, kX, kSlack, kTelegram, kMastodon, kReddit, kChatwoot };
std::string_view PlatformName(Platform p);
std::optional<Platform> ParsePlatform(std::string_view name);
// Guesses the platform of a payload from its top-level shape; nullopt if none fits.
std::optional<Platform> DetectPlatform(std::string_view payload);

// Media a message carried, by the platform's own type name ("image",
// "audio", "file", "sticker", "share", "story_mention", "photo", "voice",
// ...), counted. The engine classifies text only, so a message that is only
// an attachment has empty text: this is what tells a person there was one.
struct AttachmentCount {
  std::string type;
  int count = 0;
};

struct NormalizedMessage {
  std::string id;
  std::string channel;
  std::string kind;  // "public" or "private"
  std::string conversation_id;
  std::string in_reply_to;
  std::string author_id;
  std::string author_handle;
  int64_t followers = -1;  // -1: the platform did not say
  int verified = -1;       // -1: the platform did not say
  std::string text;
  std::string lang;        // only when the platform states the message's language
  std::string created_at;  // RFC 3339, UTC
  std::vector<AttachmentCount> attachments;  // in the order first seen; empty: none

  // Counts one attachment of `type` ("attachment" when the platform gives none).
  void AddAttachment(std::string_view type);
  // The message as one archive-format line (no newline), with an
  // "attachments" field when it carried any.
  std::string ToArchiveLine(std::string_view brand = {}) const;
};

struct PlatformEvent {
  enum class Type { kEdited, kDeleted, kReplied };
  Type type = Type::kEdited;
  std::string message_id;  // namespaced id of the message it concerns (for kReplied: the reply's own id)
  std::string in_reply_to; // kReplied: the customer message answered, when the platform says
  std::string agent;       // who did it (the brand account or app), when known
  std::string text;        // the new text (kEdited) or the reply's text (kReplied)
  std::string created_at;
  // kReplied without in_reply_to: the conversation it answers (Messenger and
  // Instagram page replies carry no reply_to), in the form the customer's
  // messages carry as conversation_id.
  std::string conversation_id;
};
std::string_view PlatformEventName(PlatformEvent::Type t);

struct NormalizeResult {
  std::vector<NormalizedMessage> messages;
  std::vector<PlatformEvent> events;
  std::map<std::string, int> ignored;  // kind -> count
  int ignored_total() const {
    int n = 0;
    for (const auto& [k, c] : ignored) n += c;
    return n;
  }
};

// Normalizes one payload. On error the result holds what was read before it.
Status Normalize(Platform platform, std::string_view payload, NormalizeResult* out);

// Whether `text` is exactly one JSON value (surrounding whitespace allowed,
// line breaks inside included): how `triage normalize` tells a file holding
// one pretty-printed payload from a file of payloads one per line.
bool IsOneJsonValue(std::string_view text);


// Plain text from Mastodon's HTML content: tags dropped, <br> and </p> as
// line breaks, entities decoded.
std::string HtmlToText(std::string_view html);

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_WEBHOOKS_NORMALIZER_H_
