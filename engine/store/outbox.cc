#include "engine/store/outbox.h"

#include "engine/store/store_format.h"

namespace triage {

namespace {

// Splits the first `n` separator-terminated fields off `in`; *rest is what follows.
bool Fields(std::string_view in, size_t n, std::vector<std::string_view>* f, std::string_view* rest) {
  f->clear();
  size_t start = 0;
  while (f->size() < n) {
    size_t end = in.find(kFieldEnd, start);
    if (end == std::string_view::npos) return false;
    f->push_back(in.substr(start, end - start));
    start = end + 1;
  }
  *rest = in.substr(start);
  return true;
}

}  // namespace

std::string OutboxKeyPrefix(const std::string& sink) { return EventKeyPrefix(sink); }

std::string OutboxKey(const std::string& sink, uint64_t seq) { return EventKey(sink, seq); }

bool DecodeOutboxKey(std::string_view key, std::string* sink, uint64_t* seq) {
  if (key.size() < 12) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(key[i]);
  if (key.size() != 12 + static_cast<size_t>(n)) return false;
  *sink = std::string(key.substr(4, n));
  *seq = GetBE64(key.substr(4 + n));
  return true;
}

std::string EncodeOutboxEntry(const OutboxEntry& e) {
  std::string out;
  auto field = [&](std::string_view v) {
    out.append(v);
    out.push_back(kFieldEnd);
  };
  field("1");
  field(e.kind);
  field(e.subject);
  field(e.conversation);
  field(e.event);
  field(e.queue);
  field(std::to_string(static_cast<int>(e.priority)));
  field(std::to_string(e.enqueued_ms));
  field(e.delivery_id);
  out += e.payload;
  return out;
}

bool DecodeOutboxEntry(std::string_view in, OutboxEntry* e) {
  std::vector<std::string_view> f;
  std::string_view rest;
  if (!Fields(in, 9, &f, &rest) || f[0] != "1") return false;
  int priority = 0;
  int64_t enqueued = 0;
  if (!ParseNumber(f[6], &priority) || !ParseNumber(f[7], &enqueued)) return false;
  if (priority < 0 || priority >= kNumPriorities) return false;
  e->kind = std::string(f[1]);
  e->subject = std::string(f[2]);
  e->conversation = std::string(f[3]);
  e->event = std::string(f[4]);
  e->queue = std::string(f[5]);
  e->priority = static_cast<Priority>(priority);
  e->enqueued_ms = enqueued;
  e->delivery_id = std::string(f[8]);
  e->payload = std::string(rest);
  return true;
}

std::string EncodeDeadLetter(const DeadLetter& d) {
  std::string error = d.error;
  for (char& c : error)
    if (c == kFieldEnd) c = ' ';
  std::string out = "1";
  out.push_back(kFieldEnd);
  out += std::to_string(d.attempts);
  out.push_back(kFieldEnd);
  out += std::to_string(d.failed_ms);
  out.push_back(kFieldEnd);
  out += error;
  out.push_back(kFieldEnd);
  out += EncodeOutboxEntry(d.entry);
  return out;
}

bool DecodeDeadLetter(std::string_view in, DeadLetter* d) {
  std::vector<std::string_view> f;
  std::string_view rest;
  if (!Fields(in, 4, &f, &rest) || f[0] != "1") return false;
  DeadLetter out;
  if (!ParseNumber(f[1], &out.attempts) || !ParseNumber(f[2], &out.failed_ms)) return false;
  out.error = std::string(f[3]);
  if (!DecodeOutboxEntry(rest, &out.entry)) return false;
  out.entry.sink = std::move(d->entry.sink);
  out.entry.seq = d->entry.seq;
  *d = std::move(out);
  return true;
}

}  // namespace triage
