// BusinessHours: when a queue is staffed, so its SLA clock runs only then.
//
// Written as "always" (the default: the clock always runs) or as
// "<days> <HH:MM>-<HH:MM> [<offset>]", e.g. "mon-fri 09:00-18:00 +01:00" or
// "mon,wed,sat 10:00-14:00 UTC". Days are mon..sun, ranges (mon-fri) and
// lists; "daily" is every day. The offset is fixed (no daylight saving
// rules): a team that changes offset twice a year changes its config.
#ifndef TRIAGE_ENGINE_METRICS_BUSINESS_HOURS_H_
#define TRIAGE_ENGINE_METRICS_BUSINESS_HOURS_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace triage {

struct BusinessHours {
  bool always = true;
  uint8_t days = 0x7f;       // bit 0 = Monday ... bit 6 = Sunday
  int start_minute = 0;      // local time of day
  int end_minute = 24 * 60;  // exclusive; greater than start
  int utc_offset_minutes = 0;

  static Status Parse(const std::string& spec, BusinessHours* out);
  std::string ToString() const;

  // Milliseconds of business time in [from_ms, to_ms) (0 if to <= from).
  int64_t Between(int64_t from_ms, int64_t to_ms) const;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_BUSINESS_HOURS_H_
