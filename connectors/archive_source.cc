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
  for (;;) {
    // The messages of the last payload first (a platform payload may hold
    // several; an archive line holds one).
    if (pending_next_ < decoded_.messages.size()) {
      const DecodedMessage& d = decoded_.messages[pending_next_++];
      *msg = d.msg;
      line_text_ = d.line;
      ++messages_;
      return true;
    }
    std::string_view text;
    if (!NextLine(&text)) return false;
    pending_next_ = 0;
    Status s = decoder_.Decode(text, reader_->padded_capacity(text), format_, &decoded_);
    if (!s.ok()) {
      Skip(s.message());
      continue;
    }
    for (const auto& [kind, n] : decoded_.ignored) ignored_[kind] += n;
    for (const auto& e : decoded_.platform_events) ++events_[std::string(PlatformEventName(e.type))];
    for (const ArchiveEvent& ev : decoded_.events) {
      ++event_lines_;
      if (on_event_) on_event_(ev);
    }
  }
}

}  // namespace triage
