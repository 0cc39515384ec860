// ArchiveSource: the messages of one or more archive files, in order.
//
// Malformed lines are reported on `err` as "file:line: malformed line
// skipped: reason" and counted, and reading goes on; blank lines are skipped
// silently. A file that cannot be opened or read is reported and counted as an
// I/O error, and the next file is read.
#ifndef TRIAGE_CONNECTORS_ARCHIVE_SOURCE_H_
#define TRIAGE_CONNECTORS_ARCHIVE_SOURCE_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "connectors/archive_format.h"
#include "connectors/line_reader.h"

namespace triage {

class ArchiveSource {
 public:
  ArchiveSource(std::vector<std::string> paths, FILE* err) : paths_(std::move(paths)), err_(err) {}

  // The next well-formed message (views valid until the next call).
  bool Next(Message* msg);

  // Where the last message came from.
  const std::string& file() const { return reader_ ? reader_->name() : paths_.back(); }
  uint64_t line() const { return reader_ ? reader_->line_number() : 0; }

  // Reports a problem with the current line the same way as a malformed one.
  void Skip(const std::string& reason);

  uint64_t messages() const { return messages_; }
  uint64_t malformed() const { return malformed_; }
  uint64_t bytes() const { return bytes_ + (reader_ ? reader_->bytes_read() : 0); }
  int io_errors() const { return io_errors_; }

 private:
  bool OpenNext();

  std::vector<std::string> paths_;
  FILE* err_;
  size_t next_path_ = 0;
  std::unique_ptr<LineReader> reader_;
  ArchiveParser parser_;
  uint64_t messages_ = 0, malformed_ = 0, bytes_ = 0;
  int io_errors_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_ARCHIVE_SOURCE_H_
