// libFuzzer target: every platform normalizer. The first byte picks the
// platform, the rest is the payload. Invariants checked (abort on failure):
// no crash; every normalized message is a valid archive line.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "format/archive_format.h"
#include "connectors/webhooks/normalizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const triage::Platform kPlatforms[] = {triage::Platform::kMeta,     triage::Platform::kX,
                                                triage::Platform::kSlack,    triage::Platform::kTelegram,
                                                triage::Platform::kMastodon, triage::Platform::kReddit};
  triage::Platform p = kPlatforms[data[0] % 6];
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  triage::DetectPlatform(payload);
  triage::NormalizeResult r;
  if (!triage::Normalize(p, payload, &r).ok()) return 0;
  triage::ArchiveParser parser;
  for (const auto& m : r.messages) {
    triage::Message msg;
    if (!parser.ParseCopy(m.ToArchiveLine("brand"), &msg).ok()) std::abort();
  }
  return 0;
}
