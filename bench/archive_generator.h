// ArchiveGenerator: synthetic archives for benchmarks, built from the
// project's own templates (no third-party text). Deterministic for a seed:
// the same seed gives the same bytes on every machine.
#ifndef TRIAGE_BENCH_ARCHIVE_GENERATOR_H_
#define TRIAGE_BENCH_ARCHIVE_GENERATOR_H_

#include <cstdint>
#include <string>

namespace triage {

class ArchiveGenerator {
 public:
  explicit ArchiveGenerator(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  // Appends one archive line (with its newline) to *out.
  void AppendLine(std::string* out);

 private:
  uint64_t Next();  // splitmix64
  size_t Pick(size_t n) { return static_cast<size_t>(Next() % n); }
  uint64_t state_;
  uint64_t seq_ = 0;
  int64_t time_ = 1793491200;  // 2026-11-01T00:00:00Z
};

}  // namespace triage

#endif  // TRIAGE_BENCH_ARCHIVE_GENERATOR_H_
