// ArchiveReplay: `triage replay` as a runtime. Archives in, one decision
// line out per message in input order, optionally stored in a data directory
// as the daemon would store them, with the crisis detector's alerts.
//
//   BatchReader -> BatchDecider (N threads: parse, decide without context)
//     -> in input order: Processor::Resume (thread context, detect, line)
//     -> decision lines to `out`; messages and event lines to the store
//
// The bytes written depend only on the archives, the pack and the options,
// never on the number of threads or the wall clock (event time drives the
// detector). The command line (cli/replay_command.cc) parses flags, runs
// this, and prints the summary.
#ifndef TRIAGE_RUNTIME_REPLAY_ARCHIVE_REPLAY_H_
#define TRIAGE_RUNTIME_REPLAY_ARCHIVE_REPLAY_H_

#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "connectors/inbound_decoder.h"
#include "engine/pipeline.h"

namespace triage {

struct ArchiveReplayOptions {
  std::vector<std::string> archives;  // "-" is standard input
  ArchiveFormat format;
  int threads = 0;                    // 0: one per core
  size_t batch_bytes = 1 << 20;
  bool detector = true;               // crisis detection
  std::string lexicon;                // the tone lexicon ("": none, no reach-and-tone escalation)
  std::string data;                   // also store into this data directory ("": don't)
};

struct ArchiveReplaySummary {
  uint64_t messages = 0, malformed = 0, undecided = 0, event_lines = 0;
  int io_errors = 0;
  uint64_t bytes_read = 0;
  double seconds = 0;
  std::array<uint64_t, kNumLabels> per_label{};
  std::map<std::string, uint64_t, std::less<>> per_queue;
  std::map<std::string, int> ignored, platform_events;
  // --data
  uint64_t stored = 0, duplicates = 0, events_stored = 0, events_skipped = 0;
  bool store_failed = false;
  // The alerts, closed as of the last event time, in the order they opened:
  // their lines, and (topic, messages) for the summary.
  std::vector<std::string> alert_lines;
  std::vector<std::pair<std::string, int64_t>> alerts;
};

// Runs the replay: decision lines to `out`, diagnostics (malformed lines,
// store errors) to `err` in input order. Fails when the store cannot be
// opened or a thread's classifier scratch cannot be made; everything else
// (bad lines, unreadable archives, a failed store write) is counted in the
// summary.
Status RunArchiveReplay(const ArchiveReplayOptions& options, std::shared_ptr<const Pipeline> pipeline, FILE* out,
                        FILE* err, ArchiveReplaySummary* summary);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_REPLAY_ARCHIVE_REPLAY_H_
