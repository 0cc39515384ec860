// StoreThreadContext: thread context for `triage serve`. The conversations
// this daemon decided recently are in memory (a ThreadTracker); a reply to an
// older message, decided before a restart or forgotten since, finds its
// earlier message in the store: the stored decision gives the label, the
// stored archive line the author.
//
// Thread-safe: every ingest thread and webhook shares one.
#ifndef TRIAGE_RUNTIME_SERVER_STORE_THREAD_CONTEXT_H_
#define TRIAGE_RUNTIME_SERVER_STORE_THREAD_CONTEXT_H_

#include <mutex>

#include "engine/processor.h"
#include "engine/store/queue_store.h"
#include "engine/thread_tracker.h"

namespace triage {

class StoreThreadContext : public ThreadContextSource {
 public:
  explicit StoreThreadContext(QueueStore* store) : store_(store) {}

  ThreadContext Lookup(const Message& msg) override;
  void Record(const Message& msg, Label decided) override;

 private:
  QueueStore* store_;
  std::mutex mu_;
  ThreadTracker recent_;  // guarded by mu_
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_STORE_THREAD_CONTEXT_H_
