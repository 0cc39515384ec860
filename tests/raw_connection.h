// A raw TCP connection for tests that need to control the bytes on the wire
// (partial requests, unusual headers, pipelining), with a read deadline so a
// test fails instead of hanging.
#ifndef TRIAGE_TESTS_RAW_CONNECTION_H_
#define TRIAGE_TESTS_RAW_CONNECTION_H_

#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "http_client.h"

namespace triage::test {

class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads until `until` appears in what was read (returns everything read so
  // far), the peer closes (closed() is then true), or `timeout` passes.
  std::string ReadUntil(const std::string& until, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (until.empty() || got_.find(until) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[8192];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
  }
  // Reads until the peer closes the connection (or the timeout passes).
  std::string ReadToClose(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    ReadUntil("", timeout);
    return got_;
  }
  bool closed() const { return closed_; }
  const std::string& received() const { return got_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string got_;
};

// Sends `bytes` on a new connection and reads the answer to the close: the
// status and the body (HttpResult, as HttpClient gives).
inline HttpResult RawRequest(uint16_t port, const std::string& bytes) {
  RawConnection c(port);
  HttpResult r;
  if (!c.connected() || !c.Send(bytes)) return r;
  std::string got = c.ReadToClose();
  if (got.rfind("HTTP/1.1 ", 0) == 0) r.status = std::atoi(got.c_str() + 9);
  size_t body = got.find("\r\n\r\n");
  if (body != std::string::npos) r.body = got.substr(body + 4);
  return r;
}

}  // namespace triage::test

#endif  // TRIAGE_TESTS_RAW_CONNECTION_H_
