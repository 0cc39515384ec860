// ArchiveParser: reads one line of the message archive format into a Message.
//
// The format (the engine's stable interface), one JSON object per line, UTF-8:
//   {"id": str, "channel": str, "kind": "public"|"private",
//    "conversation_id": str, "in_reply_to": str|null,
//    "author": {"id": str, "handle": str, "followers": int, "verified": bool},
//    "brand": str, "text": str, "lang": str, "created_at": RFC 3339,
//    "label": str, "incident": str,
//    "attachments": [{"type": str, "count": int >= 1}, ...]}
// Only id, channel and text are required. null counts as absent. Unknown
// fields are ignored. A field of the wrong type, invalid JSON or invalid UTF-8
// makes the line malformed, with an error that names the field
// ("attachments[0].count").
//
// Strings are limited in size (kMax*Bytes below, counted after JSON
// unescaping), and a key given twice is an error naming it: a line over a
// limit or with a repeated field is malformed like any other. Repeated keys
// are caught for the fields the format defines (unknown fields are skipped
// unread, and stay unchecked); a key written with escapes ("i\u0064") is
// that key.
//
// `attachments` (optional) notes the media a message carried, by the
// platform's type name ("image", "audio", "file", "sticker", "photo", ...)
// and count, as the webhook normalizers write it: a DM that is only a photo
// has empty text, and this field is what shows a person there was one. The
// parser checks it and does not keep it (the classifier reads text only);
// the stored line keeps it.
//
// The parser is simdjson On Demand over the caller's buffer: strings are
// unescaped into the parser's own buffer and the Message views point there,
// valid until the next Parse(). One parser per thread.
#ifndef TRIAGE_FORMAT_ARCHIVE_FORMAT_H_
#define TRIAGE_FORMAT_ARCHIVE_FORMAT_H_

#include <simdjson.h>

#include <cstddef>
#include <string_view>

#include "format/message.h"
#include "base/rfc3339.h"
#include "base/status.h"

namespace triage {

// Field size limits, in bytes (after JSON unescaping). Every way a message
// arrives (POST /v1/messages, webhooks, Kafka, replay) is held to them, so
// what one line can make the store keep, the engine scan and an agent's
// screen show is bounded, and every stored message can be fetched again.
//
// Ids (id, conversation_id, in_reply_to, author.id): the message id is a
// store key and a URL path segment (GET /v1/messages/{id}, whose request
// header is limited to 16 KiB, so up to 3 x 256 bytes once percent-encoded
// fits easily); platform ids are well under 100 bytes.
inline constexpr size_t kMaxIdBytes = 256;
// channel: a platform name ("x", "facebook", "whatsapp", "email", ...).
inline constexpr size_t kMaxChannelBytes = 64;
// lang: a BCP 47 tag; RFC 5646 (4.4.1) asks implementations to take 35
// characters, more than any registered tag needs.
inline constexpr size_t kMaxLangBytes = 35;
// text: the longest posts the platforms allow are about 40,000 characters
// (Reddit, Slack; X's long posts 25,000); 64 KiB holds that in ASCII and
// anything a person types into a DM or comment, and keeps one message far
// below max_body_bytes. (Such a post in a 3-byte script would be refused.)
inline constexpr size_t kMaxTextBytes = 64 * 1024;
// Every other string (author.handle, brand, created_at, label, incident,
// attachments[].type): names and tags.
inline constexpr size_t kMaxFieldBytes = 256;

// The limits above on a message however it was decoded (the parser calls
// it; so does the webhook path, whose messages never pass the parser).
// InvalidArgument naming the field ("field 'text': 70000 bytes, over the
// limit of 65536").
Status CheckMessageLimits(const Message& m);

class ArchiveParser {
 public:
  // `capacity` is the number of readable bytes from line.data(); it must be
  // at least line.size() + SIMDJSON_PADDING (LineReader guarantees it). Use
  // ParseCopy when the line has no padding.
  Status Parse(std::string_view line, size_t capacity, Message* msg);
  // Copies the line into an internal padded buffer first.
  Status ParseCopy(std::string_view line, Message* msg);

 private:
  simdjson::ondemand::parser parser_;
  simdjson::padded_string copy_;
};


}  // namespace triage

#endif  // TRIAGE_FORMAT_ARCHIVE_FORMAT_H_
