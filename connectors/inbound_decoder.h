// InboundDecoder: one payload of any supported format in, typed items out.
// The one place that tells an archive line from an event line from a
// platform webhook payload, for every way messages arrive: archive files
// (ArchiveSource), HTTP ingest and webhooks, and Kafka.
//
//   archive line      -> one message (the engine's own format), or
//   event line        -> one ArchiveEvent ({"type":"event",...})
//   platform payload  -> its messages, its platform events (edits, deletes,
//                        the brand's own replies) and what it held that is
//                        neither (receipts, reactions, ...: counted by kind)
//
// No JSON round trip: a platform payload's messages reach the engine as
// views of the normalized fields; their archive line (what the store keeps)
// is written once and never parsed back. All views stay valid until the next
// Decode() on the same decoder. One decoder per thread.
#ifndef TRIAGE_CONNECTORS_INBOUND_DECODER_H_
#define TRIAGE_CONNECTORS_INBOUND_DECODER_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/webhooks/normalizer.h"
#include "format/archive_event.h"
#include "format/archive_format.h"
#include "format/message.h"

namespace triage {

// The format of a payload: the engine's archive lines, one platform's raw
// payloads, or "auto" (the platform guessed from each payload's shape).
struct ArchiveFormat {
  enum class Kind { kArchive, kPlatform, kAuto };
  Kind kind = Kind::kArchive;
  Platform platform = Platform::kMeta;
  // "archive", "auto" or a platform name (meta, x, slack, telegram, mastodon, reddit).
  static std::optional<ArchiveFormat> Parse(std::string_view name);
};

struct DecodedMessage {
  Message msg;
  std::string_view line;  // the archive line that stores it (the payload itself, or the normalized line)
};

struct DecodedPayload {
  std::vector<DecodedMessage> messages;
  std::vector<ArchiveEvent> events;             // archive event lines
  std::vector<PlatformEvent> platform_events;   // platform payloads: edits, deletes, brand replies
  std::map<std::string, int> ignored;           // platform payloads: items that are neither, by kind
  std::optional<Platform> platform;             // set for a platform payload
  std::string_view skipped_message;             // a normalized message that was invalid, if any (see below)

  void Clear();
};

class InboundDecoder {
 public:
  // Decodes `payload` as `format`. Errors name the field ("field 'id': ...")
  // or the platform ("slack payload: ..."); on error *out holds nothing.
  // `capacity` is how many bytes are readable from payload.data() (when at
  // least payload.size() + SIMDJSON_PADDING, an archive line is parsed in
  // place; pass 0 when unknown).
  Status Decode(std::string_view payload, size_t capacity, const ArchiveFormat& format, DecodedPayload* out);
  Status Decode(std::string_view payload, const ArchiveFormat& format, DecodedPayload* out) {
    return Decode(payload, 0, format, out);
  }

 private:
  ArchiveParser parser_;
  NormalizeResult normalized_;
  std::vector<std::string> lines_;  // the archive lines of normalized_.messages
};

// The message model's view of a normalized platform message (no copy; valid
// while `m` and `brand` are). Checks what the archive parser would: an id,
// a channel, created_at, and the field size limits (CheckMessageLimits).
Status ToMessage(const NormalizedMessage& m, std::string_view brand, Message* out);

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_INBOUND_DECODER_H_
