// libFuzzer target: one archive line through the parser, the normalizer and
// the classifier with the bundled pack (the replay path).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "connectors/archive_format.h"
#include "engine/pipeline.h"

namespace {
struct State {
  std::unique_ptr<triage::Pipeline> pipeline;
  std::unique_ptr<triage::ClassifierScratch> scratch;
  State() {
    if (!triage::Pipeline::Load(TRIAGE_RULES_DIR, triage::PatternDatabaseOptions{}, &pipeline).ok()) std::abort();
    if (!pipeline->NewScratch(&scratch).ok()) std::abort();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static State state;
  triage::ArchiveParser parser;
  triage::Message msg;
  if (!parser.ParseCopy(std::string_view(reinterpret_cast<const char*>(data), size), &msg).ok()) return 0;
  triage::Decision d;
  state.pipeline->Decide(msg, state.scratch.get(), &d);
  triage::DecisionWriter writer(state.pipeline->pack());
  std::string out;
  writer.Append(msg, d, &out);
  if (out.empty() || out.back() != '\n') std::abort();
  return 0;
}
