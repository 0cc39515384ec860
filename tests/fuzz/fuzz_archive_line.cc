// libFuzzer target: one archive line through the parser, the normalizer and
// the classifier with the bundled pack (the replay path), and through the
// event-line parser and the crisis detector.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "format/archive_format.h"
#include "connectors/archive_source.h"
#include "engine/detector/crisis_detector.h"
#include "engine/pipeline.h"

namespace {
struct State {
  std::unique_ptr<triage::Pipeline> pipeline;
  std::unique_ptr<triage::ClassifierScratch> scratch;
  triage::CrisisDetector detector;  // state carries across inputs, as in a stream
  State() {
    if (!triage::Pipeline::Load(TRIAGE_RULES_DIR, triage::PatternDatabaseOptions{}, &pipeline).ok()) std::abort();
    if (!pipeline->NewScratch(&scratch).ok()) std::abort();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static State state;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  triage::ArchiveEvent event;
  triage::Status es = triage::ParseArchiveEvent(line, &event);
  if (es.ok() && event.message.empty()) std::abort();
  triage::ArchiveParser parser;
  triage::Message msg;
  if (!parser.ParseCopy(line, &msg).ok()) return 0;
  triage::Decision d;
  (void)(state.pipeline->Decide(msg, state.scratch.get(), &d));
  state.detector.Observe(msg, state.pipeline->pack(), state.scratch->normalized(), &d);
  triage::DecisionWriter writer(state.pipeline->pack());
  std::string out;
  writer.Append(msg, d, &out);
  if (out.empty() || out.back() != '\n') std::abort();
  return 0;
}
