// Redaction: the rewrites of stored JSON that take a person's content out,
// for platform edits and deletes and for erasure (erasure.h). Pure functions
// over one line each; the rest of the line is kept byte for byte (each
// field re-serialized minified, in its order), so that what metrics need
// (id, channel, kind, conversation, times, attachments counts) survives.
//
// The decision line needs nothing: it holds the id, label, queue, priority,
// scores, rule ids and alert id, never text.
#ifndef TRIAGE_ENGINE_STORE_REDACTION_H_
#define TRIAGE_ENGINE_STORE_REDACTION_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace triage {

// The archive line `raw` with its "text" replaced by `text` (added when it
// had none). Corruption when `raw` is not a JSON object.
Status ReplaceMessageText(std::string_view raw, std::string_view text, std::string* out);

// The archive line `raw` with nothing of its author's left: "text" empty,
// "author" {"id":"","handle":""} (followers and verified dropped), "lang"
// dropped, and `author_id` (when not empty) replaced by "erased" inside
// conversation_id (WhatsApp's conversation ids are the customer's phone
// number). Corruption when `raw` is not a JSON object.
Status RedactMessageLine(std::string_view raw, std::string_view author_id, std::string* out);

// A stored event without its free text ("note", "previous_text"). *changed
// says whether there was any (when not, *out is `json` as it was).
Status ScrubEventJson(std::string_view json, std::string* out, bool* changed);

// The channel, author id and (when `text` is not null) text of an archive
// line ("" for what it does not have). False when it is not a JSON object.
bool ReadAuthor(std::string_view raw, std::string* channel, std::string* author_id, std::string* text = nullptr);

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_REDACTION_H_
