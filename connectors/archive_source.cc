#include "connectors/archive_source.h"

namespace triage {

bool ArchiveSource::OpenNext() {
  if (reader_) {
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

bool ArchiveSource::Next(Message* msg) {
  for (;;) {
    if (!reader_ && !OpenNext()) return false;
    std::string_view text;
    if (!reader_->Next(&text)) {
      if (!OpenNext()) return false;
      continue;
    }
    if (reader_->too_long()) {
      Skip("line longer than " + std::to_string(reader_->max_line_bytes()) + " bytes");
      continue;
    }
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    Status s = parser_.Parse(text, reader_->padded_capacity(text), msg);
    if (!s.ok()) {
      Skip(s.message());
      continue;
    }
    ++messages_;
    return true;
  }
}

}  // namespace triage
