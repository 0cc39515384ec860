// BatchReader: the lines of one or more archive files, cut into blocks of
// whole lines (LineBatch) so that several threads can decode and classify
// them at once while a single thread puts the results back in input order.
//
// A batch never spans two files and knows the number of its first line, so
// errors found later still name "file:line". A line longer than the limit is
// cut to just over the limit and the rest discarded up to its newline: a
// LineReader over the batch then reports it as too long, exactly as it would
// reading the file itself, and memory stays bounded by block + limit.
//
// A file that cannot be opened or read is not fatal: the error is put in the
// next batch's `notice` (so it is printed in order) and counted, and reading
// goes on with the next file.
#ifndef TRIAGE_CONNECTORS_BATCH_READER_H_
#define TRIAGE_CONNECTORS_BATCH_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connectors/line_reader.h"

namespace triage {

struct LineBatch {
  std::string file;         // the file's name as LineReader names it ("<stdin>" for "-")
  uint64_t first_line = 1;  // 1-based number of the first line
  // Whole lines, each with its '\n' (the file's last line may lack it), in
  // buf[0, size), followed by at least LineReader::kPadding readable bytes so
  // they can be parsed in place (LineReader::OverMemory).
  std::vector<char> buf;
  size_t size = 0;
  std::string notice;  // I/O errors met before these lines, one per line
  int io_errors = 0;

  std::string_view lines() const { return {buf.data(), size}; }
  void Clear() {
    file.clear();
    first_line = 1;
    size = 0;
    notice.clear();
    io_errors = 0;
  }
};

class BatchReader {
 public:
  static constexpr size_t kDefaultBlock = 1 << 20;

  // `paths`: files, "-" for standard input.
  explicit BatchReader(std::vector<std::string> paths, size_t block_bytes = kDefaultBlock,
                       size_t max_line_bytes = LineReader::kDefaultMaxLine);
  ~BatchReader();
  BatchReader(const BatchReader&) = delete;
  BatchReader& operator=(const BatchReader&) = delete;

  // Fills *out (cleared first) with the next block. False when every file
  // has been read and nothing (not even a notice) is left to return.
  bool Next(LineBatch* out);

  // Total bytes read from all files.
  uint64_t bytes_read() const { return bytes_read_; }
  size_t max_line_bytes() const { return max_line_; }

 private:
  bool OpenNext(LineBatch* out);  // false when no file is left
  void CloseFile();

  std::vector<std::string> paths_;
  size_t next_path_ = 0;
  size_t block_, max_line_;
  int fd_ = -1;
  bool own_fd_ = false;
  std::string name_;
  uint64_t next_line_ = 1;  // number of the next line to return
  std::string carry_;       // the partial line after the last batch's final newline
  bool skipping_ = false;   // that line is over the limit (cut short): discard the rest of it
  uint64_t bytes_read_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_CONNECTORS_BATCH_READER_H_
