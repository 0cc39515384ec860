#include "connectors/line_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace triage {

LineReader::~LineReader() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

Status LineReader::Open(const std::string& path, std::unique_ptr<LineReader>* out, size_t max_line_bytes) {
  std::unique_ptr<LineReader> r(new LineReader());
  r->max_line_ = max_line_bytes;
  if (path == "-") {
    r->fd_ = 0;
    r->name_ = "<stdin>";
  } else {
    r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (r->fd_ < 0) return Status::IOError(path + ": " + std::strerror(errno));
    r->own_fd_ = true;
    r->name_ = path;
#ifdef POSIX_FADV_SEQUENTIAL
    ::posix_fadvise(r->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  }
  r->buf_.resize(std::min(kChunk, max_line_bytes) + kPadding);
  r->data_ = r->buf_.data();
  r->cap_ = r->buf_.size();
  *out = std::move(r);
  return Status::OK();
}

std::unique_ptr<LineReader> LineReader::OverMemory(std::string name, const char* data, size_t size,
                                                   size_t capacity, uint64_t first_line, size_t max_line_bytes) {
  std::unique_ptr<LineReader> r(new LineReader());
  r->max_line_ = max_line_bytes;
  r->name_ = std::move(name);
  r->data_ = data;
  r->cap_ = std::max(capacity, size + kPadding);  // the caller guarantees the padding
  r->end_ = size;
  r->eof_ = true;  // Fill() never runs: nothing is written to `data`
  r->line_no_ = first_line > 0 ? first_line - 1 : 0;
  r->bytes_read_ = size;
  return r;
}

bool LineReader::Fill() {
  if (eof_) return false;
  // Move the partial line to the front, growing the buffer if a single line
  // is larger than it.
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  size_t capacity = buf_.size() - kPadding;
  if (end_ == capacity) {
    if (capacity >= max_line_) {
      // The line in the buffer is already over the limit: drop what we have
      // and discard the rest of it as it arrives.
      skipping_ = true;
      end_ = 0;
    } else {
      buf_.resize(std::min(capacity * 2, max_line_) + kPadding);
      data_ = buf_.data();
      cap_ = buf_.size();
      capacity = buf_.size() - kPadding;
    }
  }
  for (;;) {
    ssize_t n = ::read(fd_, buf_.data() + end_, capacity - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status_ = Status::IOError(name_ + ": " + std::strerror(errno));
      eof_ = true;
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(n);
    bytes_read_ += static_cast<uint64_t>(n);
    return true;
  }
}

bool LineReader::Next(std::string_view* line) {
  too_long_ = false;
  for (;;) {
    const char* start = data_ + begin_;
    // (memchr on an empty range may still not take a null pointer: an empty
    // in-memory batch has none.)
    const void* nl = end_ > begin_ ? std::memchr(start, '\n', end_ - begin_) : nullptr;
    if (nl) {
      size_t len = static_cast<size_t>(static_cast<const char*>(nl) - start);
      begin_ += len + 1;
      if (len > 0 && start[len - 1] == '\r') --len;
      ++line_no_;
      if (skipping_ || len > max_line_) {
        skipping_ = false;
        too_long_ = true;
        *line = std::string_view(data_ + begin_, 0);
        return true;
      }
      *line = std::string_view(start, len);
      return true;
    }
    if (!Fill()) {
      if (!status_.ok() || (begin_ == end_ && !skipping_)) return false;
      // Last line without a trailing newline.
      start = data_ + begin_;
      size_t len = end_ - begin_;
      begin_ = end_;
      ++line_no_;
      if (len > 0 && start[len - 1] == '\r') --len;
      if (skipping_ || len > max_line_) {
        skipping_ = false;
        too_long_ = true;
        *line = std::string_view(data_ + begin_, 0);
        return true;
      }
      *line = std::string_view(start, len);
      return true;
    }
  }
}

}  // namespace triage
