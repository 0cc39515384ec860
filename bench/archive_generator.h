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
  // Message ids are "<id_prefix>:<n>"; give each run its own prefix when ids
  // must not collide with an earlier run's (the daemon deduplicates by id).
  explicit ArchiveGenerator(uint64_t seed, std::string id_prefix = "gen")
      : state_(seed * 0x9E3779B97F4A7C15ull + 1), prefix_(std::move(id_prefix)) {}
  // Appends one archive line (with its newline) to *out.
  void AppendLine(std::string* out);

 private:
  uint64_t Next();  // splitmix64
  size_t Pick(size_t n) { return static_cast<size_t>(Next() % n); }
  uint64_t state_;
  std::string prefix_;
  uint64_t seq_ = 0;
  int64_t time_ = 1793491200;  // 2026-11-01T00:00:00Z
};

}  // namespace triage

#endif  // TRIAGE_BENCH_ARCHIVE_GENERATOR_H_
