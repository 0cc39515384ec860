// ArchiveSource: the messages of one or more archive files, in order.
//
// Malformed lines are reported on `err` as "file:line: malformed line
// skipped: reason" and counted, and reading goes on; blank lines are skipped
// silently. A file that cannot be opened or read is reported and counted as an
// I/O error, and the next file is read.
#ifndef TRIAGE_CONNECTORS_ARCHIVE_SOURCE_H_
#define TRIAGE_CONNECTORS_ARCHIVE_SOURCE_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connectors/inbound_decoder.h"
#include "connectors/line_reader.h"
#include "format/archive_event.h"

namespace triage {

class ArchiveSource {
 public:
  ArchiveSource(std::vector<std::string> paths, FILE* err, ArchiveFormat format = {})
      : paths_(std::move(paths)), err_(err), format_(format), last_file_(paths_.empty() ? "" : paths_.back()) {}
  // Reads one reader that is already open (a LineBatch, through
  // LineReader::FromMemory).
  ArchiveSource(std::unique_ptr<LineReader> reader, FILE* err, ArchiveFormat format = {})
      : err_(err), reader_(std::move(reader)), format_(format), last_file_(reader_->name()) {}

  // The next well-formed message (views valid until the next call). Event
  // lines met on the way go to the event handler (see set_event_handler), or
  // are counted and skipped when there is none.
  bool Next(Message* msg);

  // The archive line of the last message (archive format only).
  std::string_view line_text() const { return line_text_; }

  using EventHandler = std::function<void(const ArchiveEvent&)>;
  void set_event_handler(EventHandler h) { on_event_ = std::move(h); }
  uint64_t events() const { return event_lines_; }

  // Where the last message came from.
  const std::string& file() const { return reader_ ? reader_->name() : last_file_; }
  uint64_t line() const { return reader_ ? reader_->line_number() : 0; }

  // Reports a problem with the current line the same way as a malformed one.
  void Skip(const std::string& reason);

  uint64_t messages() const { return messages_; }
  uint64_t malformed() const { return malformed_; }
  uint64_t bytes() const { return bytes_ + (reader_ ? reader_->bytes_read() : 0); }
  int io_errors() const { return io_errors_; }
  // Platform formats: what the payloads held besides messages.
  const std::map<std::string, int>& ignored() const { return ignored_; }
  const std::map<std::string, int>& platform_events() const { return events_; }

 private:
  bool OpenNext();
  // The next line worth parsing (not blank, not over the length limit,
  // which is reported), across files. False at the end of the last file.
  bool NextLine(std::string_view* text);

  std::vector<std::string> paths_;
  FILE* err_;
  size_t next_path_ = 0;
  std::unique_ptr<LineReader> reader_;
  InboundDecoder decoder_;
  DecodedPayload decoded_;  // the last payload's messages, handed out in order
  size_t pending_next_ = 0;
  uint64_t messages_ = 0, malformed_ = 0, bytes_ = 0;
  int io_errors_ = 0;
  ArchiveFormat format_;
  std::map<std::string, int> ignored_, events_;
  std::string_view line_text_;
  EventHandler on_event_;
  uint64_t event_lines_ = 0;
  std::string last_file_;  // file() once the last reader is closed
};

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_ARCHIVE_SOURCE_H_
