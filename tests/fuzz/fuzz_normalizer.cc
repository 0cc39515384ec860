// libFuzzer target: every platform normalizer. The first byte picks the
// platform, the rest is the payload. Invariants checked (abort on failure):
// no crash; every normalized message is a valid archive line, unless a field
// is over its size limit (format/archive_format.h: a platform may send a
// longer handle or text than the format takes); and the webhook path
// (ToMessage, no archive line) accepts and refuses exactly the same messages.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "format/archive_format.h"
#include "connectors/inbound_decoder.h"
#include "connectors/webhooks/normalizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const triage::Platform kPlatforms[] = {triage::Platform::kMeta,     triage::Platform::kX,
                                                triage::Platform::kSlack,    triage::Platform::kTelegram,
                                                triage::Platform::kMastodon, triage::Platform::kReddit,
                                                triage::Platform::kChatwoot};
  triage::Platform p = kPlatforms[data[0] % 7];
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  triage::DetectPlatform(payload);
  triage::NormalizeResult r;
  if (!triage::Normalize(p, payload, &r).ok()) return 0;
  triage::ArchiveParser parser;
  for (const auto& m : r.messages) {
    triage::Message msg, direct;
    triage::Status parsed = parser.ParseCopy(m.ToArchiveLine("brand"), &msg);
    if (!parsed.ok() && parsed.message().find("over the limit of") == std::string::npos) std::abort();
    if (triage::ToMessage(m, "brand", &direct).ok() != parsed.ok()) std::abort();
  }
  return 0;
}
