// LineReader: streams the lines of a file (or standard input) through one
// reusable buffer, so archives far larger than memory replay in constant
// space.
//
// Each returned line is a view into the buffer, valid until the next call to
// Next(). At least kPadding readable bytes follow every line inside the
// buffer, which is what simdjson needs to parse the line in place without a
// copy (see padded_capacity()).
#ifndef TRIAGE_CONNECTORS_LINE_READER_H_
#define TRIAGE_CONNECTORS_LINE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace triage {

class LineReader {
 public:
  static constexpr size_t kPadding = 64;  // >= SIMDJSON_PADDING
  static constexpr size_t kChunk = 1 << 20;
  // Lines longer than this are not returned whole: Next() returns the line
  // as empty with too_long() set, and skips to the next newline, so one
  // runaway line cannot exhaust memory.
  static constexpr size_t kDefaultMaxLine = 16 << 20;

  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // `path` "-" reads standard input.
  static Status Open(const std::string& path, std::unique_ptr<LineReader>* out,
                     size_t max_line_bytes = kDefaultMaxLine);
  // Reads the lines in data[0, size) (a LineBatch) without copying them,
  // named `name`, the first numbered `first_line`. `capacity` bytes from
  // `data` must be readable, at least size + kPadding, and stay valid and
  // unchanged while the reader is used.
  static std::unique_ptr<LineReader> OverMemory(std::string name, const char* data, size_t size, size_t capacity,
                                                uint64_t first_line, size_t max_line_bytes = kDefaultMaxLine);

  // Next line without its "\n" (or "\r\n"). Returns false at the end of the
  // input or on a read error (then status() says which).
  bool Next(std::string_view* line);

  // Whether the line last returned was longer than the limit (and is empty).
  bool too_long() const { return too_long_; }
  size_t max_line_bytes() const { return max_line_; }

  // 1-based number of the line last returned.
  uint64_t line_number() const { return line_no_; }
  // Bytes from line.data() to the end of the buffer (>= line.size() + kPadding).
  size_t padded_capacity(std::string_view line) const {
    return static_cast<size_t>(data_ + cap_ - line.data());
  }
  uint64_t bytes_read() const { return bytes_read_; }
  const Status& status() const { return status_; }
  const std::string& name() const { return name_; }

 private:
  LineReader() = default;
  bool Fill();  // reads more; false at EOF or error

  int fd_ = -1;
  bool own_fd_ = false;
  bool eof_ = false;
  bool too_long_ = false;
  bool skipping_ = false;  // inside an over-long line, discarding to its newline
  size_t max_line_ = kDefaultMaxLine;
  std::string name_;
  std::vector<char> buf_;   // data lives in [begin_, end_), then kPadding spare bytes
  const char* data_ = nullptr;  // buf_.data(), or the caller's memory (OverMemory)
  size_t cap_ = 0;              // readable bytes from data_
  size_t begin_ = 0, end_ = 0;
  uint64_t line_no_ = 0;
  uint64_t bytes_read_ = 0;
  Status status_;
};

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_LINE_READER_H_
