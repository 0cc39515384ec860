// Aggregates format: the bytes of the `aggregates` column family, which keeps
// what the response-metrics and maturity reports need so that they read
// O(days x groups) records instead of every stored message
// (engine/metrics/aggregate_report.h reads it; aggregates.h maintains it).
//
// Keys start with one byte naming the kind of record. Integers in keys are
// big-endian with the sign bit flipped (PutOrderedBE64), so bytewise order is
// numeric order, negative times included. Strings in keys and values are a
// varint length then the bytes, so no separator can collide with content.
//
//   key                                         value
//   'a' start(8) conversation                   ConversationRecord (the facts of
//                                               one conversation, by its first
//                                               message's arrival)
//   'c' conversation                            start(8): where its 'a' record is
//   'f' channel                                 first arrival on the channel (8)
//   'h' hour(8) agent                           first(8) last(8): the agent's
//                                               first and last event in that hour
//   'm' "fingerprint"                           which targets 'g' and 'd' were made for
//   'g' day(8) GroupKey                         per day and group counters and
//                                               histograms (derived; metrics layer)
//   'd' deadline(8) conversation                start(8) GroupKey: an unanswered
//                                               conversation's SLA deadline (derived)
//
// 'a', 'c', 'f' and 'h' are facts: they depend on nothing but the messages
// and events, are written by the store (aggregates.h) and are never removed,
// neither by erasure (they hold no text and no author) nor by retention, so
// reports over old periods survive both. 'g' and 'd' depend on the queues'
// SLA targets and business hours; whoever computes them (a
// ConversationAggregator) names the targets in a fingerprint, and a store
// opened with other targets rebuilds them from the 'a' records.
//
// Every function is pure; decoders never throw and return false for bytes
// they did not write.
#ifndef TRIAGE_ENGINE_STORE_AGGREGATES_FORMAT_H_
#define TRIAGE_ENGINE_STORE_AGGREGATES_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace triage {

// What the reports need of one conversation (the messages sharing a
// conversation id; a message without one is its own). No text, no author.
struct ConversationRecord {
  std::string key;      // conversation id, or the message id
  std::string head_id;  // the first message: smallest (arrival, id)
  int64_t start_ms = 0; // its arrival
  std::string queue, label, channel, brand;  // of the first message
  bool is_public = false;
  struct Msg {
    std::string id;
    int64_t arrival_ms = 0;
    bool rerouted = false;  // a person moved it to another queue
  };
  std::vector<Msg> messages;  // in the order stored
  struct Ev {
    int64_t at_ms = 0;
    uint8_t type = 0;  // EventType (format/event.h)
  };
  std::vector<Ev> events;  // every team event of every message, in the order stored
  // What reports call it once its author was erased (`key` with the author
  // id replaced by "erased", as in the redacted message line); "" before.
  std::string shown_key;

  bool operator==(const ConversationRecord&) const = default;
};

std::string EncodeConversation(const ConversationRecord& r);
bool DecodeConversation(std::string_view in, ConversationRecord* r);

// A report's group: where a conversation's first message was routed, and
// its label, channel and brand.
struct GroupKey {
  std::string queue, label, channel, brand;
  bool operator<(const GroupKey& o) const {
    return std::tie(queue, label, channel, brand) < std::tie(o.queue, o.label, o.channel, o.brand);
  }
  bool operator==(const GroupKey&) const = default;
};
void AppendGroupKey(const GroupKey& g, std::string* out);
// Reads a GroupKey from the front of *in and advances it.
bool ConsumeGroupKey(std::string_view* in, GroupKey* g);

inline constexpr char kAggConversation = 'a';
inline constexpr char kAggConversationStart = 'c';
inline constexpr char kAggDeadline = 'd';
inline constexpr char kAggChannel = 'f';
inline constexpr char kAggGroup = 'g';
inline constexpr char kAggHour = 'h';
inline constexpr char kAggMeta = 'm';
inline constexpr std::string_view kAggFingerprintKey = "mfingerprint";

// 8 bytes, big-endian with the sign bit flipped: bytewise order is numeric.
void PutOrderedBE64(int64_t v, std::string* out);
int64_t GetOrderedBE64(std::string_view in);  // first 8 bytes; 0 if shorter

std::string AggKey(char kind, int64_t n);                         // kind | n(8)
std::string AggKey(char kind, int64_t n, std::string_view rest);  // kind | n(8) | rest
std::string AggKey(char kind, std::string_view rest);              // kind | rest
std::string GroupRecordKey(int64_t day, const GroupKey& g);       // 'g' day(8) GroupKey

// Varints (LEB128) and length-prefixed strings, shared by the encoders here
// and in engine/metrics.
void PutVarint(uint64_t v, std::string* out);
bool GetVarint(std::string_view* in, uint64_t* v);
inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
void PutLengthPrefixed(std::string_view s, std::string* out);
bool GetLengthPrefixed(std::string_view* in, std::string* s);

constexpr int64_t kAggHourMs = 3'600'000;
constexpr int64_t kAggDayMs = 24 * kAggHourMs;
inline int64_t AggFloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_AGGREGATES_FORMAT_H_
