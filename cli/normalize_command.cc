// triage normalize: shows what the connectors make of platform payloads.
//
// A file holds payloads one per line (NDJSON, as webhooks are archived), or
// is one JSON document however it is laid out (as platforms document their
// payloads and as a captured request body is saved). A file of several
// pretty-printed documents is neither: it is read line by line, and the
// pieces are reported once, with what to do, not once per line.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "connectors/line_reader.h"
#include "connectors/webhooks/normalizer.h"
#include "base/json_writer.h"

namespace triage {

namespace {

// Prints the archive lines, platform events and ignored counts of one payload.
void PrintResult(const NormalizeResult& r, FILE* out) {
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

// Normalizes one payload as platform `fixed`, or the platform its shape shows.
Status NormalizeOne(std::string_view payload, const std::optional<Platform>& fixed, NormalizeResult* r) {
  std::optional<Platform> p = fixed ? fixed : DetectPlatform(payload);
  if (!p) return Status::InvalidArgument("cannot tell which platform this payload is from");
  return Normalize(*p, payload, r);
}

// Reads `path` whole when it is a regular file no larger than one payload
// may be (a line's limit) and holds exactly one JSON value. Sets *first_line
// to the line the value starts on, for messages. False otherwise (standard
// input, NDJSON, not JSON): the caller reads it line by line.
bool ReadOneDocument(const std::string& path, std::string* text, uint64_t* first_line) {
  std::error_code ec;
  if (path == "-" || !std::filesystem::is_regular_file(path, ec)) return false;
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > LineReader::kDefaultMaxLine) return false;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return false;
  *text = ss.str();
  if (!IsOneJsonValue(*text)) return false;
  size_t start = text->find_first_not_of(" \t\r\n");
  *first_line = 1 + std::count(text->begin(), text->begin() + static_cast<std::ptrdiff_t>(start), '\n');
  return true;
}

// Whether a line that failed to normalize is a piece of pretty-printed JSON:
// a lone bracket, or an indented line (pretty-printers indent everything
// inside the outer brackets; an NDJSON payload line starts at column 0).
bool LooksLikeJsonFragment(std::string_view line) {
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) return true;
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
  return line == "{" || line == "[" || line == "}" || line == "]" || line == "}," || line == "],";
}

}  // namespace

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
    std::string document;
    uint64_t first_line = 1;
    if (ReadOneDocument(path, &document, &first_line)) {
      NormalizeResult r;
      if (Status s = NormalizeOne(document, fixed, &r); !s.ok()) {
        std::fprintf(err, "%s:%llu: skipped: %s\n", path.c_str(), static_cast<unsigned long long>(first_line),
                     s.message().c_str());
        ++skipped;
        continue;
      }
      PrintResult(r, out);
      continue;
    }
    std::unique_ptr<LineReader> reader;
    if (Status s = LineReader::Open(path, &reader); !s.ok()) {
      std::fprintf(err, "triage: %s\n", s.message().c_str());
      ++io_errors;
      continue;
    }
    bool hinted = false;  // the pretty-printed hint is given once per file
    uint64_t pieces = 0;  // further pieces skipped without a message each
    std::string_view line;
    while (reader->Next(&line)) {
      if (reader->too_long() || line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      NormalizeResult r;
      if (Status s = NormalizeOne(line, fixed, &r); !s.ok()) {
        ++skipped;
        bool piece = LooksLikeJsonFragment(line);
        if (piece && hinted) {
          ++pieces;
          continue;
        }
        std::fprintf(err, "%s:%llu: skipped: %s\n", reader->name().c_str(),
                     static_cast<unsigned long long>(reader->line_number()), s.message().c_str());
        if (piece) {
          hinted = true;
          std::fprintf(err,
                       "%s: this looks like pretty-printed JSON spread over many lines: give payloads one per line "
                       "(NDJSON), or one JSON document per file\n",
                       reader->name().c_str());
        }
        continue;
      }
      PrintResult(r, out);
    }
    if (pieces)
      std::fprintf(err, "%s: %llu more lines skipped (pieces of pretty-printed JSON)\n", reader->name().c_str(),
                   static_cast<unsigned long long>(pieces));
  }
  if (io_errors) return kExitError;
  return skipped ? kExitSkipped : kExitOk;
}

}  // namespace triage
