// Message: one inbound social message, as the engine sees it.
//
// A Message is a set of views into memory owned by someone else (the JSON
// parser's string buffer for an archive line, a request body in the daemon).
// It is valid only as long as that memory is; copy what must outlive it.
//
// The archive format (connectors/archive_format.h) fills every field; only
// id, channel and text are required there, the others default to empty.
#ifndef TRIAGE_FORMAT_MESSAGE_H_
#define TRIAGE_FORMAT_MESSAGE_H_

#include <cstdint>
#include <string_view>

#include "format/label.h"

namespace triage {

enum class Kind : uint8_t { kUnknown = 0, kPublic = 1, kPrivate = 2 };

constexpr std::string_view KindName(Kind k) {
  return k == Kind::kPublic ? "public" : k == Kind::kPrivate ? "private" : "";
}

struct Author {
  std::string_view id;
  std::string_view handle;
  int64_t followers = 0;
  bool verified = false;
};

// What is known of the earlier message this one follows in its conversation
// (the one it replies to, else the conversation's latest): the runtime fills
// it from archive order (replay, eval, train) or from the store (serve), and
// the learned model reads it. "Still nothing." means something after an
// undelivered parcel and nothing on its own.
struct ThreadContext {
  bool known = false;
  Label previous = Label::kNone;  // the label decided for the earlier message
  bool same_author = false;       // a follow-up by the same person, not someone else chiming in
};

struct Message {
  std::string_view id;
  std::string_view channel;
  Kind kind = Kind::kUnknown;
  std::string_view conversation_id;
  std::string_view in_reply_to;  // empty when the message starts a thread
  Author author;
  std::string_view brand;
  std::string_view text;
  std::string_view lang;        // ISO 639-1 as given; empty if absent
  std::string_view created_at;  // RFC 3339 as given
  int64_t created_at_ms = 0;    // event time, milliseconds since the epoch (0 if absent)

  ThreadContext thread;  // not part of the archive line: set by the runtime

  // Ground truth, carried by labeled archives for `triage eval`. The
  // classifier never reads these.
  std::string_view label;
  std::string_view incident;
};

}  // namespace triage

#endif  // TRIAGE_FORMAT_MESSAGE_H_
