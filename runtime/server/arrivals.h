// ArrivalCounter: messages stored in the last hour, per minute, by label and
// channel, for the console's live overview (GET /v1/arrivals). In memory
// only and bounded: 60 one-minute buckets in a ring, each holding at most
// kMaxKeysPerMinute (label, channel) pairs; channels beyond that in a minute
// are counted under "other". A restart starts from zero (the durable history
// is the store; this is a gauge of what is arriving now).
#ifndef TRIAGE_RUNTIME_SERVER_ARRIVALS_H_
#define TRIAGE_RUNTIME_SERVER_ARRIVALS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "format/label.h"

namespace triage {

class ArrivalCounter {
 public:
  static constexpr int kMinutes = 60;
  static constexpr size_t kMaxKeysPerMinute = 64;

  // One message stored at `now_ms` (the daemon's clock: when it arrived).
  void Record(int64_t now_ms, Label label, std::string_view channel);
  // The last `minutes` (1..kMinutes) whole and current minutes up to
  // `now_ms`, oldest first, as JSON:
  //   {"minutes":[{"start":"2026-12-01T10:04:00Z","total":N,
  //                "counts":[{"label":..,"channel":..,"count":N}]}],
  //    "totals":[{"label":..,"channel":..,"count":N}]}
  // (totals: over the window, most first).
  std::string ToJson(int64_t now_ms, int minutes) const;

 private:
  struct Bucket {
    int64_t minute = -1;  // minutes since the epoch this bucket counts; -1: never used
    std::map<std::pair<Label, std::string>, uint64_t> counts;
  };
  mutable std::mutex mu_;
  std::array<Bucket, kMinutes> ring_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_ARRIVALS_H_
