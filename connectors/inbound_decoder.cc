#include "connectors/inbound_decoder.h"

#include <simdjson.h>

#include "base/rfc3339.h"

namespace triage {

std::optional<ArchiveFormat> ArchiveFormat::Parse(std::string_view name) {
  ArchiveFormat f;
  if (name == "archive") return f;
  if (name == "auto") {
    f.kind = Kind::kAuto;
    return f;
  }
  auto p = ParsePlatform(name);
  if (!p) return std::nullopt;
  f.kind = Kind::kPlatform;
  f.platform = *p;
  return f;
}

void DecodedPayload::Clear() {
  messages.clear();
  events.clear();
  platform_events.clear();
  ignored.clear();
  platform.reset();
  skipped_message = {};
}

Status ToMessage(const NormalizedMessage& m, std::string_view brand, Message* out) {
  *out = Message();
  if (m.id.empty()) return Status::InvalidArgument("field 'id': missing");
  if (m.channel.empty()) return Status::InvalidArgument("field 'channel': missing");
  out->id = m.id;
  out->channel = m.channel;
  out->kind = m.kind == "public" ? Kind::kPublic : m.kind == "private" ? Kind::kPrivate : Kind::kUnknown;
  out->conversation_id = m.conversation_id;
  out->in_reply_to = m.in_reply_to;
  out->author.id = m.author_id;
  out->author.handle = m.author_handle;
  out->author.followers = m.followers > 0 ? m.followers : 0;
  out->author.verified = m.verified > 0;
  out->brand = brand;
  out->text = m.text;
  out->lang = m.lang;
  out->created_at = m.created_at;
  if (!m.created_at.empty() && !ParseRfc3339(m.created_at, &out->created_at_ms))
    return Status::InvalidArgument("field 'created_at': expected an RFC 3339 time, got '" + m.created_at + "'");
  // The archive format's size limits, as for a line that was parsed (the
  // attachments are not in the Message, but they are in the stored line).
  for (size_t i = 0; i < m.attachments.size(); ++i)
    if (m.attachments[i].type.size() > kMaxFieldBytes)
      return Status::InvalidArgument("field 'attachments[" + std::to_string(i) + "].type': " +
                                     std::to_string(m.attachments[i].type.size()) + " bytes, over the limit of " +
                                     std::to_string(kMaxFieldBytes));
  return CheckMessageLimits(*out);
}

Status InboundDecoder::Decode(std::string_view payload, size_t capacity, const ArchiveFormat& format,
                              DecodedPayload* out) {
  out->Clear();
  if (format.kind == ArchiveFormat::Kind::kArchive) {
    // Event lines say "type":"event"; only lines that mention "type" at all
    // pay for the check.
    if (payload.find("\"type\"") != std::string_view::npos && payload.find("\"event\"") != std::string_view::npos) {
      ArchiveEvent ev;
      Status es = ParseArchiveEvent(payload, &ev);
      if (es.code() != Status::Code::kNotFound) {  // NotFound: not an event line after all
        if (!es.ok()) return Status::InvalidArgument("event line: " + es.message());
        out->events.push_back(std::move(ev));
        return Status::OK();
      }
    }
    DecodedMessage d;
    Status s = capacity >= payload.size() + simdjson::SIMDJSON_PADDING ? parser_.Parse(payload, capacity, &d.msg)
                                                                         : parser_.ParseCopy(payload, &d.msg);
    if (!s.ok()) return s;
    d.line = payload;
    out->messages.push_back(d);
    return Status::OK();
  }
  std::optional<Platform> platform = format.platform;
  if (format.kind == ArchiveFormat::Kind::kAuto) platform = DetectPlatform(payload);
  if (!platform) return Status::InvalidArgument("cannot tell which platform this payload is from");
  normalized_ = NormalizeResult();
  if (Status s = Normalize(*platform, payload, &normalized_); !s.ok())
    return Status::InvalidArgument(std::string(PlatformName(*platform)) + " payload: " + s.message());
  out->platform = platform;
  out->ignored = normalized_.ignored;
  out->platform_events = normalized_.events;
  lines_.clear();
  lines_.reserve(normalized_.messages.size());
  for (const NormalizedMessage& nm : normalized_.messages) lines_.push_back(nm.ToArchiveLine());
  for (size_t i = 0; i < normalized_.messages.size(); ++i) {
    DecodedMessage d;
    if (Status s = ToMessage(normalized_.messages[i], {}, &d.msg); !s.ok())
      return Status::InvalidArgument("normalized message invalid: " + s.message());
    d.line = lines_[i];
    out->messages.push_back(d);
  }
  return Status::OK();
}

}  // namespace triage
