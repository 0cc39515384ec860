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

#include <string_view>

#include "format/message.h"
#include "base/rfc3339.h"
#include "base/status.h"

namespace triage {

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
