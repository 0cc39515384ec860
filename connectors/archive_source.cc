#include "connectors/archive_source.h"

#include <simdjson.h>

#include <algorithm>

namespace triage {

bool ArchiveSource::OpenNext() {
  if (reader_) {
    last_file_ = reader_->name();
    bytes_ += reader_->bytes_read();
    if (!reader_->status().ok()) {
      std::fprintf(err_, "triage: %s\n", reader_->status().message().c_str());
      ++io_errors_;
    }
    reader_.reset();
  }
  while (next_path_ < paths_.size()) {
    Status s = LineReader::Open(paths_[next_path_++], &reader_);
    if (s.ok()) return true;
    std::fprintf(err_, "triage: %s\n", s.message().c_str());
    ++io_errors_;
  }
  return false;
}

void ArchiveSource::Skip(const std::string& reason) {
  ++malformed_;
  std::fprintf(err_, "%s:%llu: malformed line skipped: %s\n", file().c_str(),
               static_cast<unsigned long long>(line()), reason.c_str());
}

std::optional<ArchiveFormat> ArchiveFormat::Parse(std::string_view name) {
  ArchiveFormat f;
  if (name == "archive") return f;
  if (name == "auto") {
    f.kind = Kind::kAuto;
    return f;
  }
  auto p = ParsePlatform(name);
  if (!p) return std::nullopt;
  f.kind = Kind::kPlatform;
  f.platform = *p;
  return f;
}

// Platform payloads: each line is normalized to zero or more archive lines,
// which are then parsed like any archive line.
bool ArchiveSource::NextPlatformMessage(Message* msg) {
  for (;;) {
    if (pending_next_ < pending_.size()) {
      Status s = parser_.ParseCopy(pending_[pending_next_++], msg);
      if (!s.ok()) {
        Skip("normalized message invalid: " + s.message());
        continue;
      }
      line_text_ = pending_[pending_next_ - 1];
      ++messages_;
      return true;
    }
    pending_.clear();
    pending_next_ = 0;
    std::string_view text;
    if (!NextLine(&text)) return false;
    std::optional<Platform> platform = format_.platform;
    if (format_.kind == ArchiveFormat::Kind::kAuto) {
      platform = DetectPlatform(text);
      if (!platform) {
        Skip("cannot tell which platform this payload is from");
        continue;
      }
    }
    NormalizeResult r;
    Status s = Normalize(*platform, text, &r);
    if (!s.ok()) {
      Skip(std::string(PlatformName(*platform)) + " payload: " + s.message());
      continue;
    }
    for (const auto& [kind, n] : r.ignored) ignored_[kind] += n;
    for (const auto& e : r.events) ++events_[std::string(PlatformEventName(e.type))];
    for (const auto& m : r.messages) pending_.push_back(m.ToArchiveLine());
  }
}

bool ArchiveSource::NextLine(std::string_view* text) {
  for (;;) {
    if (!reader_ && !OpenNext()) return false;
    if (!reader_->Next(text)) {
      if (!OpenNext()) return false;
      continue;
    }
    if (reader_->too_long()) {
      Skip("line longer than " + std::to_string(reader_->max_line_bytes()) + " bytes");
      continue;
    }
    if (text->find_first_not_of(" \t") == std::string_view::npos) continue;
    return true;
  }
}

bool ArchiveSource::Next(Message* msg) {
  if (format_.kind != ArchiveFormat::Kind::kArchive) return NextPlatformMessage(msg);
  for (;;) {
    std::string_view text;
    if (!NextLine(&text)) return false;
    // Event lines say "type":"event"; only lines that mention "type" at all
    // pay for the check.
    if (text.find("\"type\"") != std::string_view::npos && text.find("\"event\"") != std::string_view::npos) {
      ArchiveEvent ev;
      Status es = ParseArchiveEvent(text, &ev);
      if (es.code() != Status::Code::kNotFound) {  // NotFound: not an event line after all
        if (!es.ok()) {
          Skip("event line: " + es.message());
          continue;
        }
        ++event_lines_;
        if (on_event_) on_event_(ev);
        continue;
      }
    }
    Status s = parser_.Parse(text, reader_->padded_capacity(text), msg);
    if (!s.ok()) {
      Skip(s.message());
      continue;
    }
    line_text_ = text;
    ++messages_;
    return true;
  }
}

}  // namespace triage
