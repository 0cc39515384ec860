#include "engine/store/aggregates_format.h"

namespace triage {

namespace {
constexpr char kConversationVersion = 1;
}  // namespace

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;
}

void PutLengthPrefixed(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

bool GetLengthPrefixed(std::string_view* in, std::string* s) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  s->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

void PutOrderedBE64(int64_t v, std::string* out) {
  uint64_t u = static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

int64_t GetOrderedBE64(std::string_view in) {
  if (in.size() < 8) return 0;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<uint8_t>(in[i]);
  return static_cast<int64_t>(u ^ (uint64_t{1} << 63));
}

std::string AggKey(char kind, int64_t n) {
  std::string k(1, kind);
  PutOrderedBE64(n, &k);
  return k;
}

std::string AggKey(char kind, int64_t n, std::string_view rest) {
  std::string k = AggKey(kind, n);
  k.append(rest);
  return k;
}

std::string AggKey(char kind, std::string_view rest) {
  std::string k(1, kind);
  k.append(rest);
  return k;
}

void AppendGroupKey(const GroupKey& g, std::string* out) {
  PutLengthPrefixed(g.queue, out);
  PutLengthPrefixed(g.label, out);
  PutLengthPrefixed(g.channel, out);
  PutLengthPrefixed(g.brand, out);
}

bool ConsumeGroupKey(std::string_view* in, GroupKey* g) {
  return GetLengthPrefixed(in, &g->queue) && GetLengthPrefixed(in, &g->label) && GetLengthPrefixed(in, &g->channel) &&
         GetLengthPrefixed(in, &g->brand);
}

std::string GroupRecordKey(int64_t day, const GroupKey& g) {
  std::string k = AggKey(kAggGroup, day);
  AppendGroupKey(g, &k);
  return k;
}

std::string EncodeConversation(const ConversationRecord& r) {
  std::string o(1, kConversationVersion);
  PutLengthPrefixed(r.key, &o);
  PutLengthPrefixed(r.head_id, &o);
  PutVarint(ZigZag(r.start_ms), &o);
  AppendGroupKey(GroupKey{r.queue, r.label, r.channel, r.brand}, &o);
  o.push_back(r.is_public ? 1 : 0);
  PutVarint(r.messages.size(), &o);
  for (const auto& m : r.messages) {
    PutLengthPrefixed(m.id, &o);
    PutVarint(ZigZag(m.arrival_ms), &o);
    o.push_back(m.rerouted ? 1 : 0);
  }
  PutVarint(r.events.size(), &o);
  for (const auto& e : r.events) {
    PutVarint(ZigZag(e.at_ms), &o);
    o.push_back(static_cast<char>(e.type));
  }
  PutLengthPrefixed(r.shown_key, &o);
  return o;
}

bool DecodeConversation(std::string_view in, ConversationRecord* out) {
  ConversationRecord r;
  if (in.empty() || in.front() != kConversationVersion) return false;
  in.remove_prefix(1);
  uint64_t v = 0;
  GroupKey g;
  if (!GetLengthPrefixed(&in, &r.key) || !GetLengthPrefixed(&in, &r.head_id) || !GetVarint(&in, &v)) return false;
  r.start_ms = UnZigZag(v);
  if (!ConsumeGroupKey(&in, &g) || in.empty()) return false;
  r.queue = std::move(g.queue);
  r.label = std::move(g.label);
  r.channel = std::move(g.channel);
  r.brand = std::move(g.brand);
  r.is_public = in.front() == 1;
  in.remove_prefix(1);
  uint64_t n = 0;
  if (!GetVarint(&in, &n) || n > in.size()) return false;
  r.messages.resize(n);
  for (auto& m : r.messages) {
    if (!GetLengthPrefixed(&in, &m.id) || !GetVarint(&in, &v) || in.empty()) return false;
    m.arrival_ms = UnZigZag(v);
    m.rerouted = in.front() == 1;
    in.remove_prefix(1);
  }
  if (!GetVarint(&in, &n) || n > in.size()) return false;
  r.events.resize(n);
  for (auto& e : r.events) {
    if (!GetVarint(&in, &v) || in.empty()) return false;
    e.at_ms = UnZigZag(v);
    e.type = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
  }
  if (!GetLengthPrefixed(&in, &r.shown_key) || !in.empty()) return false;
  *out = std::move(r);
  return true;
}

}  // namespace triage
