// libFuzzer target: the rule-file parser and, for packs that parse, the
// Hyperscan compilation. Invariants: no crash; a failed load always says why.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/classifier.h"
#include "engine/rule_pack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // compiling huge packs is slow and finds nothing new
  std::string yaml(reinterpret_cast<const char*>(data), size);
  triage::RulePack pack;
  triage::Status s = triage::RulePack::LoadFromString(yaml, "fuzz.yaml", &pack);
  if (!s.ok()) {
    if (s.message().empty()) std::abort();
    return 0;
  }
  std::unique_ptr<triage::Classifier> c;
  triage::Status cs = triage::Classifier::Create(std::move(pack), triage::PatternDatabaseOptions{}, &c);
  if (!cs.ok() && cs.message().empty()) std::abort();
  return 0;
}
