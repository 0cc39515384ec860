#include "connectors/batch_reader.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace triage {

BatchReader::BatchReader(std::vector<std::string> paths, size_t block_bytes, size_t max_line_bytes)
    : paths_(std::move(paths)), block_(std::max<size_t>(block_bytes, 1)), max_line_(max_line_bytes) {}

BatchReader::~BatchReader() { CloseFile(); }

void BatchReader::CloseFile() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  own_fd_ = false;
  carry_.clear();
  skipping_ = false;
}

bool BatchReader::OpenNext(LineBatch* out) {
  while (next_path_ < paths_.size()) {
    const std::string& path = paths_[next_path_++];
    if (path == "-") {
      fd_ = 0;
      own_fd_ = false;
      name_ = "<stdin>";
    } else {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        out->notice += "triage: " + path + ": " + std::strerror(errno) + "\n";
        ++out->io_errors;
        continue;
      }
      own_fd_ = true;
      name_ = path;
#ifdef POSIX_FADV_SEQUENTIAL
      ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
    next_line_ = 1;
    return true;
  }
  return false;
}

bool BatchReader::Next(LineBatch* out) {
  out->Clear();
  for (;;) {
    if (fd_ < 0 && !OpenNext(out)) return out->io_errors > 0;
    // The batch starts with the partial line the last one left behind.
    if (out->size == 0 && !carry_.empty()) {
      if (out->buf.size() < carry_.size() + LineReader::kPadding) out->buf.resize(carry_.size() + LineReader::kPadding);
      std::memcpy(out->buf.data(), carry_.data(), carry_.size());
      out->size = carry_.size();
      carry_.clear();
    }
    if (out->buf.size() < out->size + block_ + LineReader::kPadding)
      out->buf.resize(out->size + block_ + LineReader::kPadding);
    char* fresh = out->buf.data() + out->size;
    ssize_t n = ::read(fd_, fresh, block_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // As LineReader: the lines before the error were returned, the
      // partial one is lost, and the next file is read.
      out->notice += "triage: " + name_ + ": " + std::strerror(errno) + "\n";
      ++out->io_errors;
      out->size = 0;
      CloseFile();
      continue;
    }
    if (n == 0) {
      // The last line of a file may lack its newline; an over-long one cut
      // short is still returned, for the LineReader downstream to report.
      bool any = out->size > 0;
      if (any) {
        out->file = name_;
        out->first_line = next_line_;
        next_line_ += 1;
      }
      CloseFile();
      if (any) return true;
      continue;
    }
    bytes_read_ += static_cast<uint64_t>(n);
    size_t len = static_cast<size_t>(n);
    if (skipping_) {
      const char* nl = static_cast<const char*>(std::memchr(fresh, '\n', len));
      if (!nl) continue;  // still inside the over-long line
      size_t skip = static_cast<size_t>(nl - fresh);
      std::memmove(fresh, nl, len - skip);
      len -= skip;
      skipping_ = false;
    }
    out->size += len;
    const char* last = static_cast<const char*>(::memrchr(out->buf.data(), '\n', out->size));
    if (last) {
      size_t end = static_cast<size_t>(last - out->buf.data()) + 1;
      carry_.assign(out->buf.data() + end, out->size - end);
      out->size = end;
      out->file = name_;
      out->first_line = next_line_;
      next_line_ += static_cast<uint64_t>(std::count(out->buf.data(), out->buf.data() + end, '\n'));
    }
    // Keep just enough of an over-long partial line for it to be recognized
    // as over the limit (plus a possible '\r').
    std::string* partial = last ? &carry_ : nullptr;
    if (partial && partial->size() > max_line_ + 2) {
      partial->resize(max_line_ + 2);
      skipping_ = true;
    } else if (!last && out->size > max_line_ + 2) {
      out->size = max_line_ + 2;
      skipping_ = true;
    }
    if (last) return true;
  }
}

}  // namespace triage
