// The crisis detector's standard scenario for daemon tests: three hours of a
// quiet trickle on Acme (a message every five minutes from kOutageT0), then
// an outage of forty messages in eight minutes, as NDJSON batches.
#ifndef TRIAGE_TESTS_OUTAGE_BATCHES_H_
#define TRIAGE_TESTS_OUTAGE_BATCHES_H_

#include <cstdint>
#include <string>

#include "base/rfc3339.h"
#include "running_daemon.h"

namespace triage::test {

inline constexpr int64_t kOutageT0 = 1'790'000'000'000;

inline std::string QuietBatch() {
  std::string b;
  for (int i = 0; i < 36; ++i)
    b += Msg("q:" + std::to_string(i), "nice new colours in the menu",
             ",\"brand\":\"Acme\",\"created_at\":\"" + FormatRfc3339(kOutageT0 + i * 5 * 60'000) + "\"") + "\n";
  return b;
}

// Outage messages [from, to) of the forty, one every twelve seconds.
inline std::string BurstBatch(int from = 0, int to = 40) {
  std::string b;
  for (int i = from; i < to; ++i)
    b += Msg("o:" + std::to_string(i), "cannot log in, the app is down",
             ",\"brand\":\"Acme\",\"created_at\":\"" + FormatRfc3339(kOutageT0 + 3 * 3600'000 + i * 12'000) + "\"") +
         "\n";
  return b;
}

}  // namespace triage::test

#endif  // TRIAGE_TESTS_OUTAGE_BATCHES_H_
