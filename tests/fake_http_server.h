// A receiver for the outbound tests: a local HTTP/1.1 server on a free
// loopback port (Boost.Beast in fake_http_server.cc, one thread per
// connection) that records every request and answers with what the test's
// handler says: a status, a body and headers, or a connection reset, or
// silence for a while (a timeout).
// With a certificate and key (Tls) it speaks HTTPS only, and counts the
// connections whose TLS handshake failed (a client that refused the
// certificate): their requests never reach it.
#ifndef TRIAGE_TESTS_FAKE_HTTP_SERVER_H_
#define TRIAGE_TESTS_FAKE_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace triage::test {

class FakeHttpServer {
 public:
  struct Request {
    std::string method, target, body;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string Header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };
  struct Reply {
    enum class Action { kAnswer, kReset, kHang } action = Action::kAnswer;
    unsigned status = 200;
    std::string body = "{}";
    std::vector<std::pair<std::string, std::string>> headers;
    int hang_ms = 0;  // kHang: silent this long, then closed
  };
  using Handler = std::function<Reply(const Request&)>;

  // PEM files of the certificate the server presents and its key.
  struct Tls {
    std::string cert, key;
  };

  explicit FakeHttpServer(Handler handler = nullptr);
  FakeHttpServer(Handler handler, const Tls& tls);
  ~FakeHttpServer();  // stops accepting and joins every connection's thread

  uint16_t port() const;
  std::string Url(const std::string& path = "/") const;
  // TLS only: connections whose handshake failed.
  size_t tls_failures() const;
  void set_handler(Handler h);
  std::vector<Request> requests() const;
  size_t count() const;
  // Polls until `done(requests)` holds or `seconds` pass; says which.
  bool WaitFor(const std::function<bool(const std::vector<Request>&)>& done, int seconds = 60) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triage::test

#endif  // TRIAGE_TESTS_FAKE_HTTP_SERVER_H_
