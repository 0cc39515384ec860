// triage gen: a large realistic archive from the project's own templates
// (connectors/synthetic/archive_generator.h), for benchmarks at scale. The
// same options give the same bytes.
#include "cli/commands.h"
#include "connectors/synthetic/archive_generator.h"

namespace triage {

int RunGen(const GenOptions& opts) {
  if (opts.messages < 0) {
    std::fprintf(opts.common.err, "triage gen: --messages must not be negative\n");
    return kExitUsage;
  }
  if (opts.generator.burst_at >= 0 && (opts.generator.burst_brand < 0 || opts.generator.burst_brand >= opts.generator.brands)) {
    std::fprintf(opts.common.err, "triage gen: --burst-brand must be from 0 to --brands - 1\n");
    return kExitUsage;
  }
  ArchiveGenerator gen(opts.generator);
  std::string buf;
  buf.reserve(1 << 21);
  for (int64_t i = 0; i < opts.messages; ++i) {
    gen.AppendLine(&buf);
    if (buf.size() >= (1 << 20)) {
      if (std::fwrite(buf.data(), 1, buf.size(), opts.common.out) != buf.size()) {
        std::fprintf(opts.common.err, "triage gen: write failed\n");
        return kExitError;
      }
      buf.clear();
    }
  }
  if (std::fwrite(buf.data(), 1, buf.size(), opts.common.out) != buf.size() || std::fflush(opts.common.out) != 0) {
    std::fprintf(opts.common.err, "triage gen: write failed\n");
    return kExitError;
  }
  return kExitOk;
}

}  // namespace triage
