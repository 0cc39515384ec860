// AppendJsonScore: its fast path must give exactly std::to_chars's bytes
// (general, four significant digits), or decision lines would change.
#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>

#include "base/json_writer.h"

using namespace triage;

namespace {

std::string Reference(double v) {
  if (v == 0) v = 0;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 4);
  return std::string(buf, r.ptr);
}

std::string Score(double v) {
  std::string s;
  AppendJsonScore(v, &s);
  return s;
}

// Checks v, -v and their neighbours; returns how many differ.
int Mismatches(double v) {
  int bad = 0;
  for (double x : {v, -v, std::nextafter(v, 0.0), std::nextafter(v, 1e300)}) {
    if (Score(x) != Reference(x)) {
      UNSCOPED_INFO(x << ": " << Score(x) << " vs " << Reference(x));
      ++bad;
    }
  }
  return bad;
}

}  // namespace

TEST_CASE("AppendJsonScore writes what to_chars writes, four significant digits", "[json]") {
  CHECK(Score(0.8) == "0.8");
  CHECK(Score(11.95) == "11.95");
  CHECK(Score(2.0) == "2");
  CHECK(Score(-0.0) == "0");
  CHECK(Score(0.0001234) == "0.0001234");
  CHECK(Score(6.527e-06) == "6.527e-06");
  CHECK(Score(9999.7) == "1e+04");
  CHECK(Score(0.99996) == "1");
  CHECK(Score(-3.14159) == "-3.142");

  int bad = 0;
  // Decades' edges, specials.
  for (double v : {1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 9999.5, 0.99995, 5e-5,
                   std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::denorm_min(), 1e300})
    bad += Mismatches(v);
  // Every value with up to six decimals below 1, and ties: k/10^m and
  // (k + 0.5)/10^m.
  for (int m = 0; m <= 8; ++m)
    for (int k = 0; k < 20000; ++k) {
      bad += Mismatches(k / std::pow(10.0, m));
      bad += Mismatches((k + 0.5) / std::pow(10.0, m));
    }
  // Random magnitudes over twelve decades.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(-6, 6);
  for (int i = 0; i < 500'000; ++i) bad += Mismatches(std::pow(10.0, exponent(rng)));
  // Probabilities as the model writes them.
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; i < 250'000; ++i) bad += Mismatches(unit(rng));
  CHECK(bad == 0);
}
