// BatchDecider: parse, classify and route an archive on several threads,
// and hand the results back in input order.
//
//   BatchReader --LineBatch--> N threads: ArchiveSource + Pipeline::Decide
//        --DecidedBatch, in input order--> the caller's consume() (one thread)
//
// The parallel stage does everything that depends on one message alone. What
// depends on the order of messages (the crisis detector, writing output,
// storing) runs in consume(), on the calling thread, one batch at a time and
// in input order, so the output is the same bytes whatever the number of
// threads. At most 2 x threads + 1 batches are in flight, so memory stays
// flat however long the archive.
#ifndef TRIAGE_RUNTIME_REPLAY_BATCH_DECIDER_H_
#define TRIAGE_RUNTIME_REPLAY_BATCH_DECIDER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "connectors/archive_source.h"
#include "connectors/batch_reader.h"
#include "base/arena.h"
#include "engine/pipeline.h"
#include "engine/processor.h"

namespace triage {

struct DecidedMessage {
  Message msg;                  // views into the batch's arena
  Decision decision;            // verdict.lang and routing.queue point into the arena or the pack
  std::string_view normalized;  // the classifier's normalized text (for the detector)
  std::string_view line;        // the archive line (a normalized one for platform payloads)
  size_t diagnostics_before = 0;  // DecidedBatch::diagnostics up to here precede this message
};

// An event line, and where it was: after `before` messages of the batch.
struct DecidedEvent {
  size_t before = 0;
  uint64_t line = 0;
  ArchiveEvent event;
  size_t diagnostics_before = 0;
};

struct DecidedBatch {
  LineBatch input;
  std::vector<DecidedMessage> messages;  // the first num_messages are this batch's (the rest are reused storage)
  size_t num_messages = 0;
  std::vector<DecidedEvent> events;
  // The batch's notice, then one "file:line: malformed line skipped: .."
  // per bad line, in line order. Messages and events say how much of it
  // precedes them, so a consumer that prints it piecewise (PrintUpTo) keeps
  // errors in input order with whatever it prints itself.
  std::string diagnostics;
  size_t diagnostics_printed = 0;
  void PrintUpTo(size_t end, FILE* err) {
    if (end <= diagnostics_printed) return;
    std::fwrite(diagnostics.data() + diagnostics_printed, 1, end - diagnostics_printed, err);
    diagnostics_printed = end;
  }
  uint64_t malformed = 0;
  uint64_t undecided = 0;  // messages the classifier failed on (reported in diagnostics)
  std::map<std::string, int> ignored, platform_events;  // as ArchiveSource reports them
  Arena arena;
};

class BatchDecider {
 public:
  // `threads` < 1 means one per core. With 1, batches are decided on the
  // calling thread (no pool). `pipeline` must outlive the decider.
  BatchDecider(std::shared_ptr<const Pipeline> pipeline, ArchiveFormat format, int threads);

  int threads() const { return threads_; }

  // Reads `reader` to its end; calls consume(batch) for every batch, in
  // input order, on the calling thread. Fails only if a thread's classifier
  // scratch cannot be made; bad lines are in the batches' diagnostics.
  Status Run(BatchReader* reader, const std::function<void(DecidedBatch&)>& consume);

  static int DefaultThreads();

 private:
  void Decide(DecidedBatch* b, Processor* processor, size_t max_line) const;

  std::shared_ptr<const Pipeline> pipeline_;
  ArchiveFormat format_;
  int threads_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_REPLAY_BATCH_DECIDER_H_
