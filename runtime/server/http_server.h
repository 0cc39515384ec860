// HttpServer: HTTP/1.1 on Boost.Asio + Boost.Beast, in front of an Api.
//
// One session per connection, keep-alive, requests handled one at a time per
// connection. Limits: the body size limit (413), a header-size limit, a
// timeout for the first request of a connection and an idle timeout between
// requests (the connection is closed), and a maximum number of open
// connections (over it, a new connection gets 503 with Retry-After and is
// closed). A request must announce its body with Content-Length or chunked
// transfer coding (any other coding, both at once, or a coding in an HTTP/1.0
// request is refused and the connection closed); `Expect: 100-continue` is
// answered before the body is read.
//
// Out of file descriptors (accept() fails with EMFILE or ENFILE): the server
// keeps one descriptor in reserve (/dev/null, opened at Listen). It frees
// it, accepts the waiting connections one by one, answers each 503 with
// Retry-After: 1 and closes it, then takes the reserve back and waits before
// accepting again: 50 ms, doubling up to 1 s, reset by the next accept that
// succeeds. So a full descriptor table never turns the accept loop into a
// busy loop, and clients hear "retry" instead of hanging in the backlog.
// Every failure is counted (triage_accept_errors_total{reason}); the log
// says when it starts, every 10 s while it lasts, and when it ends.
//
// TLS: with a context (SetTlsContext) every connection is HTTPS. A client
// that speaks plain HTTP to it gets a plain "400: this port speaks HTTPS"
// and is closed; a failed handshake is counted and closed. A new context
// (a renewed certificate) applies to the connections accepted after it.
//
// Draining (StopAccepting): no new connections; idle connections are closed
// at once; a request whose first bytes have arrived is read, handled and
// answered with "Connection: close".
#ifndef TRIAGE_RUNTIME_SERVER_HTTP_SERVER_H_
#define TRIAGE_RUNTIME_SERVER_HTTP_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/server/api.h"
#include "runtime/server/metrics.h"
#include "runtime/server/server_config.h"
#include "base/status.h"

namespace boost::asio::ssl {
class context;
}

namespace triage {

class HttpSessionBase;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const ServerConfig& config, Api* api, ServerMetrics* metrics);

  ~HttpServer();

  // Binds and listens on config.host:config.port (port 0: any free port),
  // and opens the reserve descriptor.
  Status Listen();
  // Where the server says what went wrong outside a request (accept
  // failures). Call before StartAccepting; runs on the server's threads.
  void set_log(std::function<void(const std::string&)> log) { log_ = std::move(log); }
  void StartAccepting();
  void StopAccepting();
  uint16_t port() const { return port_; }
  // null: plain HTTP. Safe to call while serving (SIGHUP's certificate reload).
  void SetTlsContext(std::shared_ptr<boost::asio::ssl::context> tls);
  bool tls() const;
  size_t open_sessions() const { return open_sessions_->load(); }

 private:
  void Accept();
  // accept() failed: count, shed waiting connections when out of
  // descriptors, log (rate-limited) and re-arm after the back-off.
  void OnAcceptError(const boost::system::error_code& ec);
  // Frees the reserve descriptor, answers the connections waiting in the
  // backlog with 503 and closes them, re-opens the reserve. How many.
  size_t ShedWaitingConnections();

  boost::asio::io_context& io_;
  const ServerConfig& config_;
  Api* api_;
  ServerMetrics* metrics_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::function<void(const std::string&)> log_;
  // Accept back-off (touched only on the acceptor's strand).
  int reserve_fd_ = -1;
  boost::asio::steady_timer accept_timer_;
  std::chrono::milliseconds accept_backoff_{0};  // 0: not backing off
  uint64_t errors_unlogged_ = 0, shed_unlogged_ = 0, episode_errors_ = 0;
  std::chrono::steady_clock::time_point last_log_{};
  uint16_t port_ = 0;
  std::shared_ptr<std::atomic<size_t>> open_sessions_ = std::make_shared<std::atomic<size_t>>(0);
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<HttpSessionBase>> sessions_;  // to close idle ones when draining
  mutable std::mutex tls_mu_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_HTTP_SERVER_H_
