// triage normalize: shows what the connectors make of platform payloads.
#include "cli/commands.h"
#include "connectors/line_reader.h"
#include "connectors/webhooks/normalizer.h"
#include "engine/json_writer.h"

namespace triage {

int RunNormalize(const NormalizeOptions& opts) {
  FILE* out = opts.common.out;
  FILE* err = opts.common.err;
  std::optional<Platform> fixed;
  if (opts.format != "auto") {
    fixed = ParsePlatform(opts.format);
    if (!fixed) {
      std::fprintf(err, "triage normalize: --format must be auto, meta, x, slack, telegram, mastodon or reddit\n");
      return kExitUsage;
    }
  }
  int skipped = 0, io_errors = 0;
  for (const std::string& path : opts.inputs) {
    std::unique_ptr<LineReader> reader;
    if (Status s = LineReader::Open(path, &reader); !s.ok()) {
      std::fprintf(err, "triage: %s\n", s.message().c_str());
      ++io_errors;
      continue;
    }
    std::string_view line;
    while (reader->Next(&line)) {
      if (reader->too_long() || line.find_first_not_of(" \t") == std::string_view::npos) continue;
      std::optional<Platform> p = fixed ? fixed : DetectPlatform(line);
      NormalizeResult r;
      Status s = p ? Normalize(*p, line, &r) : Status::InvalidArgument("cannot tell which platform this payload is from");
      if (!s.ok()) {
        std::fprintf(err, "%s:%llu: skipped: %s\n", reader->name().c_str(),
                     static_cast<unsigned long long>(reader->line_number()), s.message().c_str());
        ++skipped;
        continue;
      }
      std::string o;
      for (const auto& m : r.messages) o += m.ToArchiveLine() + "\n";
      for (const auto& e : r.events) {
        o += "{\"event\":";
        AppendJsonString(PlatformEventName(e.type), &o);
        o += ",\"message_id\":";
        AppendJsonString(e.message_id, &o);
        o += ",\"in_reply_to\":";
        AppendJsonString(e.in_reply_to, &o);
        o += ",\"agent\":";
        AppendJsonString(e.agent, &o);
        o += ",\"text\":";
        AppendJsonString(e.text, &o);
        o += ",\"created_at\":";
        AppendJsonString(e.created_at, &o);
        o += "}\n";
      }
      for (const auto& [kind, n] : r.ignored) {
        o += "{\"ignored\":";
        AppendJsonString(kind, &o);
        o += ",\"count\":" + std::to_string(n) + "}\n";
      }
      std::fputs(o.c_str(), out);
    }
  }
  if (io_errors) return kExitError;
  return skipped ? kExitSkipped : kExitOk;
}

}  // namespace triage
