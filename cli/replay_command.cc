// triage replay: the flags, the replay itself (runtime/replay/archive_replay),
// the alerts file and the summary on stderr.
#include "cli/commands.h"
#include "cli/load_pipeline.h"
#include "engine/detector/sentiment.h"
#include "runtime/replay/archive_replay.h"

namespace triage {

int RunReplay(const ReplayOptions& opts) {
  FILE* err = opts.common.err;
  std::shared_ptr<const Pipeline> pipeline = LoadPipeline(opts.common);
  if (!pipeline) return kExitError;
  auto format = ArchiveFormat::Parse(opts.format);
  if (!format) {
    std::fprintf(err, "triage replay: --format must be archive, auto, meta, x, slack, telegram, mastodon or reddit\n");
    return kExitUsage;
  }
  ArchiveReplayOptions ro;
  ro.archives = opts.archives;
  ro.format = *format;
  ro.threads = opts.threads;
  ro.batch_bytes = opts.batch_bytes;
  ro.detector = !opts.no_detector;
  ro.lexicon = SentimentLexicon::PathFor(opts.common.rules.empty() ? Pipeline::DefaultRulesPath() : opts.common.rules);
  ro.data = opts.data;
  ArchiveReplaySummary s;
  if (Status st = RunArchiveReplay(ro, pipeline, opts.common.out, err, &s); !st.ok()) {
    std::fprintf(err, "triage: %s\n", st.message().c_str());
    return kExitError;
  }
  if (!opts.alerts.empty()) {
    FILE* af = std::fopen(opts.alerts.c_str(), "w");
    if (!af) {
      std::fprintf(err, "triage: %s: cannot write alerts\n", opts.alerts.c_str());
      return kExitError;
    }
    for (const std::string& a : s.alert_lines) std::fprintf(af, "%s\n", a.c_str());
    std::fclose(af);
  }

  // An archive that could not be read makes the run an error (exit 1); a
  // summary after it would count a partial input as if it were the whole, so
  // the error is the last thing printed.
  if (!opts.quiet && !s.io_errors) {
    std::fprintf(err, "replay: %llu messages, %llu malformed lines skipped, %.3f s, %.0f msgs/s, %.1f MB/s\n",
                 static_cast<unsigned long long>(s.messages), static_cast<unsigned long long>(s.malformed), s.seconds,
                 s.seconds > 0 ? static_cast<double>(s.messages) / s.seconds : 0.0,
                 s.seconds > 0 ? static_cast<double>(s.bytes_read) / s.seconds / 1e6 : 0.0);
    std::fprintf(err, "  labels:");
    for (Label l : kAllLabels)
      std::fprintf(err, " %s %llu", std::string(LabelName(l)).c_str(),
                   static_cast<unsigned long long>(s.per_label[static_cast<int>(l)]));
    std::fprintf(err, "\n  queues:");
    for (const auto& [q, n] : s.per_queue) std::fprintf(err, " %s %llu", q.c_str(), static_cast<unsigned long long>(n));
    std::fprintf(err, "\n");
    if (!s.alerts.empty()) {
      std::fprintf(err, "  crisis alerts:");
      for (const auto& [topic, n] : s.alerts) std::fprintf(err, " %s (%lld messages)", topic.c_str(), static_cast<long long>(n));
      std::fprintf(err, "\n");
    }
    if (!opts.data.empty())
      std::fprintf(err, "  stored in %s: %llu messages (%llu already there), %llu events (%llu for messages not stored by this run skipped)\n",
                   opts.data.c_str(), static_cast<unsigned long long>(s.stored),
                   static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.events_stored),
                   static_cast<unsigned long long>(s.events_skipped));
    else if (s.event_lines)
      std::fprintf(err, "  event lines: %llu (stored only with --data)\n", static_cast<unsigned long long>(s.event_lines));
    if (!s.platform_events.empty()) {
      std::fprintf(err, "  platform events (not new messages):");
      for (const auto& [k, n] : s.platform_events) std::fprintf(err, " %s %d", k.c_str(), n);
      std::fprintf(err, "\n");
    }
    if (!s.ignored.empty()) {
      std::fprintf(err, "  ignored payload items:");
      for (const auto& [k, n] : s.ignored) std::fprintf(err, " %s %d", k.c_str(), n);
      std::fprintf(err, "\n");
    }
  }
  if (s.undecided)
    std::fprintf(err, "triage: %llu messages could not be classified (see above)\n",
                 static_cast<unsigned long long>(s.undecided));
  if (s.io_errors || s.store_failed || s.undecided) return kExitError;
  return s.malformed ? kExitSkipped : kExitOk;
}

}  // namespace triage
