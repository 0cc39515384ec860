// Processor: the one way through the engine for a message, whichever runtime
// carries it (HTTP ingest, webhooks, Kafka, replay, eval, bench). In order:
//
//   1. context  the conversation's earlier message (ThreadContextSource), so
//               "still nothing" after a delivery problem reads as support;
//   2. decide   classify and route (Pipeline);
//   3. detect   the crisis detector counts it on its topics and marks alerts,
//               escalations and priority (DetectStage);
//   4. write    the decision line (DecisionWriter).
//
// A runtime differs only in what it plugs into the stages (a ThreadTracker or
// the daemon's store-backed source; a CrisisDetector or the daemon's shared
// LiveDetector; none) and in what it does with the result (a line on stdout,
// a RocksDB batch, a Kafka record). In the manner of rspamd's
// rspamd_task_process: every entry point calls this, nobody repeats it.
//
// One Processor per thread: it owns the classifier's scratch and the writer;
// the stages it is given must be safe for the threads that share them.
#ifndef TRIAGE_ENGINE_PROCESSOR_H_
#define TRIAGE_ENGINE_PROCESSOR_H_

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/pipeline.h"
#include "format/message.h"

namespace triage {

// Where a message's thread context comes from, and where decided messages go
// so that later ones find it (ThreadTracker; the daemon's store-backed one).
class ThreadContextSource {
 public:
  virtual ~ThreadContextSource() = default;
  virtual ThreadContext Lookup(const Message& msg) = 0;
  virtual void Record(const Message& msg, Label decided) = 0;
};

// The detection stage (CrisisDetectStage; the daemon's LiveDetector).
class DetectStage {
 public:
  virtual ~DetectStage() = default;
  // Counts a decided message and marks `d`. `normalized` is its normalized text.
  virtual void Observe(const Pipeline& pipeline, const Message& msg, std::string_view normalized, Decision* d) = 0;
};

class Processor {
 public:
  struct Stages {
    ThreadContextSource* threads = nullptr;  // none: no thread context
    DetectStage* detector = nullptr;         // none: no detection
  };

  static Status Create(std::shared_ptr<const Pipeline> pipeline, Stages stages, std::unique_ptr<Processor>* out);

  // Context, decide, detect, and (when `line` is given) the decision line,
  // newline included, appended to *line. `msg->thread` is set from the
  // context source. Fails only when classification fails; nothing is then
  // recorded or detected.
  Status Process(Message* msg, Decision* d, std::string* line = nullptr);

  // The same for a message `d` already holds a decision of, made without
  // thread context (replay decides blocks of messages on several threads
  // first): when its conversation has an earlier message, its model and
  // label are scored again with that context (Pipeline::Redecide; the text
  // is not scanned again). `normalized` is its normalized text from that
  // first pass.
  Status Resume(Message* msg, std::string_view normalized, Decision* d, std::string* line = nullptr);

  // Decide only (no context, no detection, no line): for the parallel pass
  // that Resume completes, and for tools that time the stages apart.
  Status Decide(const Message& msg, Decision* d) { return pipeline_->Decide(msg, scratch_.get(), d); }

  // The normalized text of the message last decided by this processor.
  const std::string& normalized() const { return scratch_->normalized(); }
  const Pipeline& pipeline() const { return *pipeline_; }
  const std::shared_ptr<const Pipeline>& shared_pipeline() const { return pipeline_; }
  const ClassifierScratch& scratch() const { return *scratch_; }

 private:
  Processor() = default;
  Status Finish(Message* msg, std::string_view normalized, Decision* d, std::string* line);

  std::shared_ptr<const Pipeline> pipeline_;
  Stages stages_;
  std::unique_ptr<ClassifierScratch> scratch_;
  std::unique_ptr<DecisionWriter> writer_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_PROCESSOR_H_
