// triage maturity: response metrics and the Social Maturity Index of a data
// directory, as text, JSON or a self-contained HTML page.
//
// The period defaults to the whole history (first to last arrival), and
// "now" (for SLA targets not yet due) is its end, so a replayed archive gives
// the same report every time.
#include "cli/commands.h"
#include "format/archive_format.h"
#include "runtime/server/server_config.h"
#include "engine/metrics/history.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/maturity_html.h"
#include "base/rfc3339.h"

namespace triage {

namespace {

constexpr int64_t kDayMs = 86'400'000;

bool ParseDay(const std::string& s, int64_t* ms) { return ParseRfc3339(s + "T00:00:00Z", ms); }

// YYYY-MM-DD of a time (UTC): the form --from and --to take.
std::string Day(int64_t ms) { return FormatRfc3339(ms).substr(0, 10); }

}  // namespace

int RunMaturity(const MaturityOptions& opts) {
  FILE* err = opts.common.err;
  if (opts.format != "text" && opts.format != "json" && opts.format != "html") {
    std::fprintf(err, "triage maturity: --format must be text, json or html\n");
    return kExitUsage;
  }
  ServerConfig config;
  if (!opts.config.empty()) {
    if (Status s = ServerConfig::LoadFile(opts.config, &config); !s.ok()) {
      std::fprintf(err, "triage: %s\n", s.message().c_str());
      return kExitError;
    }
  }
  // A report only reads: a mistyped --data is an error, not a new database.
  std::unique_ptr<QueueStore> store;
  if (Status s = QueueStore::OpenReadOnly(opts.data, &store); !s.ok()) {
    std::fprintf(err, "triage maturity: --data %s%s\n", s.message().c_str(),
                 s.message().find("lock") != std::string::npos
                     ? " (a running `triage serve` holds it: ask it with GET /v1/maturity instead)"
                     : "");
    return kExitError;
  }
  std::vector<HistoryMessage> history;
  size_t skipped = 0;
  if (Status s = LoadHistory(*store, &history, &skipped); !s.ok()) {
    std::fprintf(err, "triage: %s\n", s.message().c_str());
    return kExitError;
  }
  store.reset();
  if (skipped) std::fprintf(err, "triage maturity: %zu unreadable records left out\n", skipped);
  if (history.empty()) {
    std::fprintf(err, "triage maturity: %s holds no messages\n", opts.data.c_str());
    return kExitError;
  }
  int64_t first = history.front().arrival_ms, last = first;
  for (const auto& m : history) {
    first = std::min(first, m.arrival_ms);
    last = std::max(last, m.arrival_ms);
  }
  int64_t from = first - ((first % kDayMs) + kDayMs) % kDayMs, to = last - ((last % kDayMs) + kDayMs) % kDayMs + kDayMs;
  if (!opts.from.empty() && !ParseDay(opts.from, &from)) {
    std::fprintf(err, "triage maturity: --from must be a date YYYY-MM-DD, got '%s'\n", opts.from.c_str());
    return kExitUsage;
  }
  if (!opts.to.empty() && !ParseDay(opts.to, &to)) {
    std::fprintf(err, "triage maturity: --to must be a date YYYY-MM-DD, got '%s'\n", opts.to.c_str());
    return kExitUsage;
  }
  if (to <= from) {
    // With one bound given, the other is the history's edge: say which edge.
    if (opts.to.empty())
      std::fprintf(err, "triage maturity: --from %s is after the end of the history (its last day is %s)\n",
                   opts.from.c_str(), Day(to - kDayMs).c_str());
    else if (opts.from.empty())
      std::fprintf(err, "triage maturity: --to %s is not after the start of the history (its first day is %s)\n",
                   opts.to.c_str(), Day(from).c_str());
    else
      std::fprintf(err, "triage maturity: --to must be after --from\n");
    return kExitUsage;
  }
  MetricsSummary summary = ComputeMetrics(history, config.MetricsOptionsFor(to), from, to);
  MaturityReport report = AssessMaturity(summary, config.maturity);
  std::string out = opts.format == "json" ? report.ToJson() + "\n"
                    : opts.format == "html" ? MaturityHtml(report)
                                            : report.ToText();
  std::fwrite(out.data(), 1, out.size(), opts.common.out);
  return kExitOk;
}

}  // namespace triage
