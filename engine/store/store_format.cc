#include "engine/store/store_format.h"

namespace triage {

namespace {

constexpr size_t kStateFields = 9;

}  // namespace

std::string_view MessageStatusName(MessageStatus s) {
  switch (s) {
    case MessageStatus::kQueued: return "queued";
    case MessageStatus::kClaimed: return "claimed";
    case MessageStatus::kDone: return "done";
    case MessageStatus::kAssigned: return "assigned";
    case MessageStatus::kDeleted: return "deleted";
  }
  return "queued";
}

std::string EncodeState(const MessageState& s) {
  std::string out;
  auto field = [&](std::string_view v) {
    out.append(v);
    out.push_back(kFieldEnd);
  };
  field("1");  // format version
  field(s.queue);
  field(std::to_string(static_cast<int>(s.priority)));
  field(std::to_string(s.seq));
  field(std::to_string(static_cast<int>(s.status)));
  field(s.agent);
  field(std::to_string(s.lease_until));
  field(std::to_string(s.received_ms));
  field(s.conversation_id);
  return out;
}

bool DecodeState(std::string_view in, MessageState* s) {
  std::string_view f[kStateFields];
  size_t n = 0;
  size_t start = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != kFieldEnd) continue;
    if (n == kStateFields) return false;
    f[n++] = in.substr(start, i - start);
    start = i + 1;
  }
  // Every field, the last one included, ends with a separator.
  if (n != kStateFields || start != in.size() || f[0] != "1") return false;
  int priority = 0;
  int status = 0;
  uint64_t seq = 0;
  int64_t lease_until = 0;
  int64_t received_ms = 0;
  if (!ParseNumber(f[2], &priority) || !ParseNumber(f[3], &seq) || !ParseNumber(f[4], &status) ||
      !ParseNumber(f[6], &lease_until) || !ParseNumber(f[7], &received_ms))
    return false;
  if (priority < 0 || priority >= kNumPriorities) return false;
  if (status < 0 || status > static_cast<int>(MessageStatus::kDeleted)) return false;
  s->queue = std::string(f[1]);
  s->priority = static_cast<Priority>(priority);
  s->seq = seq;
  s->status = static_cast<MessageStatus>(status);
  s->agent = std::string(f[5]);
  s->lease_until = lease_until;
  s->received_ms = received_ms;
  s->conversation_id = std::string(f[8]);
  return true;
}

void PutBE64(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
}

uint64_t GetBE64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

std::string EventKeyPrefix(const std::string& id) {
  std::string k;
  uint32_t n = static_cast<uint32_t>(id.size());
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((n >> (i * 8)) & 0xFF));
  k += id;
  return k;
}

std::string AuthorKeyPrefix(std::string_view channel, std::string_view author_id) {
  std::string who;
  who.reserve(channel.size() + 1 + author_id.size());
  who.append(channel).push_back(':');
  who.append(author_id);
  return EventKeyPrefix(who);
}

std::string AuthorKey(std::string_view channel, std::string_view author_id, std::string_view id) {
  std::string k = AuthorKeyPrefix(channel, author_id);
  k.append(id);
  return k;
}

std::string EventKey(const std::string& id, uint64_t seq) {
  std::string k = EventKeyPrefix(id);
  PutBE64(seq, &k);
  return k;
}

std::string EventDedupeKey(std::string_view key) {
  std::string k = "event_dedupe:";
  k.append(key);
  return k;
}

}  // namespace triage
