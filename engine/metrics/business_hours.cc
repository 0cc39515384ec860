#include "engine/metrics/business_hours.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

namespace triage {

namespace {

constexpr int64_t kDayMs = 86'400'000;
const char* kDays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int DayIndex(const std::string& d) {
  for (int i = 0; i < 7; ++i)
    if (d == kDays[i]) return i;
  return -1;
}

bool ParseClock(const std::string& s, int* minutes) {
  int h = 0, m = 0;
  char extra;
  if (std::sscanf(s.c_str(), "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 || m > 59 ||
      (h == 24 && m != 0))
    return false;
  *minutes = h * 60 + m;
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Status BusinessHours::Parse(const std::string& spec, BusinessHours* out) {
  *out = BusinessHours();
  std::istringstream in(spec);
  std::vector<std::string> parts;
  for (std::string p; in >> p;) parts.push_back(p);
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("business hours '" + spec + "': " + why +
                                   " (expected \"always\" or e.g. \"mon-fri 09:00-18:00 +01:00\")");
  };
  if (parts.size() == 1 && parts[0] == "always") return Status::OK();
  if (parts.size() < 2 || parts.size() > 3) return bad("wrong number of parts");
  out->always = false;
  out->days = 0;
  if (parts[0] == "daily") {
    out->days = 0x7f;
  } else {
    std::istringstream days(parts[0]);
    for (std::string item; std::getline(days, item, ',');) {
      size_t dash = item.find('-');
      int a = DayIndex(item.substr(0, dash)), b = dash == std::string::npos ? a : DayIndex(item.substr(dash + 1));
      if (a < 0 || b < 0) return bad("unknown day in '" + item + "'");
      for (int d = a;; d = (d + 1) % 7) {  // ranges may wrap: fri-mon
        out->days |= static_cast<uint8_t>(1u << d);
        if (d == b) break;
      }
    }
  }
  size_t dash = parts[1].find('-');
  if (dash == std::string::npos || !ParseClock(parts[1].substr(0, dash), &out->start_minute) ||
      !ParseClock(parts[1].substr(dash + 1), &out->end_minute))
    return bad("bad time range '" + parts[1] + "'");
  if (out->end_minute <= out->start_minute) return bad("the range must end after it starts");
  if (parts.size() == 3 && parts[2] != "UTC" && parts[2] != "Z") {
    int h = 0, m = 0;
    char sign = parts[2][0];
    if ((sign != '+' && sign != '-') || std::sscanf(parts[2].c_str() + 1, "%d:%d", &h, &m) != 2 || h > 14 || m > 59)
      return bad("bad UTC offset '" + parts[2] + "'");
    out->utc_offset_minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
  }
  return Status::OK();
}

std::string BusinessHours::ToString() const {
  if (always) return "always";
  std::string days_s;
  for (int d = 0; d < 7; ++d)
    if (days & (1u << d)) days_s += std::string(days_s.empty() ? "" : ",") + kDays[d];
  char buf[64];
  int off = std::abs(utc_offset_minutes);
  std::snprintf(buf, sizeof buf, " %02d:%02d-%02d:%02d %c%02d:%02d", start_minute / 60, start_minute % 60,
                end_minute / 60, end_minute % 60, utc_offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return days_s + buf;
}

int64_t BusinessHours::Between(int64_t from_ms, int64_t to_ms) const {
  if (to_ms <= from_ms) return 0;
  if (always) return to_ms - from_ms;
  const int64_t off = static_cast<int64_t>(utc_offset_minutes) * 60'000;
  const int64_t lf = from_ms + off, lt = to_ms + off;  // local time
  int64_t total = 0;
  for (int64_t day = FloorDiv(lf, kDayMs); day * kDayMs < lt; ++day) {
    // 1970-01-01 was a Thursday (index 3 with Monday = 0).
    int weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);
    if (!(days & (1u << weekday))) continue;
    int64_t open = day * kDayMs + start_minute * 60'000LL, close = day * kDayMs + end_minute * 60'000LL;
    total += std::max<int64_t>(0, std::min(close, lt) - std::max(open, lf));
  }
  return total;
}

}  // namespace triage
