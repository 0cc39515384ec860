// ArchiveGenerator: synthetic archives for benchmarks, built from the
// project's own templates (no third-party text). Deterministic for a seed:
// the same seed gives the same bytes on every machine. Many brands, seven
// channels, eleven languages, conversation threads, and optionally one burst.
#ifndef TRIAGE_CONNECTORS_SYNTHETIC_ARCHIVE_GENERATOR_H_
#define TRIAGE_CONNECTORS_SYNTHETIC_ARCHIVE_GENERATOR_H_

#include <cstdint>
#include <string>

namespace triage {

struct GeneratorOptions {
  uint64_t seed = 1;
  // Message ids are "<id_prefix>:<n>"; give each run its own prefix when ids
  // must not collide with an earlier run's (the daemon deduplicates by id).
  std::string id_prefix = "gen";
  // Brands: the first eight have names; more are "Brand 9", "Brand 10", ...
  int brands = 8;
  // A burst: `burst_messages` messages about one outage on brand
  // `burst_brand` (an index), every `burst_gap_seconds` of event time,
  // starting after message `burst_at` (-1: no burst). They carry
  // "incident":"gen-burst", so `triage eval` reports whether it was caught.
  int64_t burst_at = -1;
  int burst_messages = 40;
  int burst_brand = 0;
  int burst_gap_seconds = 12;
};

class ArchiveGenerator {
 public:
  explicit ArchiveGenerator(GeneratorOptions options);
  // The default options with this seed and prefix.
  explicit ArchiveGenerator(uint64_t seed, std::string id_prefix = "gen");
  // Appends one archive line (with its newline) to *out.
  void AppendLine(std::string* out);

 private:
  uint64_t Next();  // splitmix64
  size_t Pick(size_t n) { return static_cast<size_t>(Next() % n); }
  void AppendBurstLine(std::string* out);
  void AppendFields(const char* channel, const std::string& brand, const std::string& text, const char* lang,
                    const char* label, const char* incident, std::string* out);

  GeneratorOptions options_;
  uint64_t state_;
  uint64_t seq_ = 0;
  int64_t time_ = 1793491200;  // 2026-11-01T00:00:00Z
  int64_t burst_left_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_SYNTHETIC_ARCHIVE_GENERATOR_H_
