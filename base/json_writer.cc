#include "base/json_writer.h"

#include <cmath>

namespace triage {

// "%.4g" of a magnitude a in [1e-4, 1e4) is fixed notation with 3 - X
// digits after the point, X = floor(log10(a)), trailing zeros and a bare
// point removed. The decade is found by comparing with the doubles nearest
// 10^X; each of those lies above the decimal 10^X it stands for, so no
// double falls between them and `a >= c` is the exact comparison. Then
// a * 10^(3 - X) is in [1000, 10000): the multiplication (10^k exact for
// k <= 7) errs by under 1e-11, so when its fraction is farther than 1e-6
// from one half, rounding it gives the same four digits as rounding the
// exact value. Near a tie, or when rounding reaches 10000 (the next decade),
// the caller falls back to std::to_chars.
bool AppendJsonScoreFast(double v, std::string* out) {
  const double a = v < 0 ? -v : v;
  if (!(a >= 1e-4 && a < 1e4)) return false;  // also NaN
  static constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
  const int x = a >= 1e3 ? 3 : a >= 1e2 ? 2 : a >= 10 ? 1 : a >= 1 ? 0 : a >= 0.1 ? -1 : a >= 0.01 ? -2 : a >= 1e-3 ? -3 : -4;
  const int frac = 3 - x;  // digits after the point, 0..7
  const double scaled = a * kPow10[frac];
  const double whole = std::floor(scaled);
  const double rest = scaled - whole;
  if (std::fabs(rest - 0.5) < 1e-6) return false;
  const uint32_t n = static_cast<uint32_t>(whole) + (rest > 0.5 ? 1 : 0);  // 1000..10000
  if (n >= 10000) return false;
  // The digits of n / 10^frac: integer part, then the fraction without its
  // trailing zeros.
  char buf[16];
  char* p = buf;
  if (v < 0) *p++ = '-';
  char digits[4] = {static_cast<char>('0' + n / 1000), static_cast<char>('0' + n / 100 % 10),
                    static_cast<char>('0' + n / 10 % 10), static_cast<char>('0' + n % 10)};
  int int_digits = 4 - frac;  // 4..1 when x >= 0; <= 0 when a < 1
  int last = 3;
  while (last >= 0 && last >= int_digits && digits[last] == '0') --last;  // trailing fraction zeros
  if (int_digits <= 0) {
    *p++ = '0';
    *p++ = '.';
    for (int z = int_digits; z < 0; ++z) *p++ = '0';
    for (int i = 0; i <= last; ++i) *p++ = digits[i];
  } else {
    for (int i = 0; i < int_digits; ++i) *p++ = digits[i];
    if (last >= int_digits) {
      *p++ = '.';
      for (int i = int_digits; i <= last; ++i) *p++ = digits[i];
    }
  }
  out->append(buf, static_cast<size_t>(p - buf));
  return true;
}

}  // namespace triage
