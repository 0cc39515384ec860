#include "runtime/server/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

namespace triage {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// A connection, plain (Stream = beast::tcp_stream) or TLS (Stream =
// beast::ssl_stream<beast::tcp_stream>). Its requests are read one at a
// time: first the bytes of a new request (the connection is idle until one
// arrives), then the header, then the body. Idle connections are closed at
// once when the server drains; a request whose first bytes have arrived is
// finished and answered.
class HttpSessionBase {
 public:
  virtual ~HttpSessionBase() = default;
  // The server is draining: an idle connection is closed now; a busy one
  // finishes its request and closes after the answer (Connection: close).
  virtual void Drain() = 0;
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string RemoteAddress(const tcp::socket& socket) {
  beast::error_code ec;
  tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "";
  std::string a = ep.address().to_string();
  if (ep.address().is_v6()) a = "[" + a + "]";
  return a + ":" + std::to_string(ep.port());
}

template <class Stream>
class HttpSession : public HttpSessionBase, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  HttpSession(tcp::socket socket, std::shared_ptr<ssl::context> tls, const ServerConfig& config, Api* api,
              ServerMetrics* metrics, std::shared_ptr<std::atomic<size_t>> open)
      : remote_(RemoteAddress(socket)),
        tls_(std::move(tls)),
        stream_(MakeStream(std::move(socket), tls_.get())),
        config_(config),
        api_(api),
        metrics_(metrics),
        open_(std::move(open)) {
    open_->fetch_add(1);
    metrics_->connections_open.fetch_add(1, std::memory_order_relaxed);
  }
  ~HttpSession() override {
    open_->fetch_sub(1);
    metrics_->connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) self->DetectTls();
      else self->WaitForRequest();
    });
  }

  void Drain() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->Close();
    });
  }

 private:
  static Stream MakeStream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) return Stream(std::move(socket), *tls);
    else return Stream(std::move(socket));
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // TLS: a client that speaks plain HTTP is told so (in plain HTTP) rather
  // than left to time out; anything else must complete a handshake within
  // the header timeout.
  void DetectTls() {
    lowest().expires_after(std::chrono::seconds(config_.header_timeout_seconds));
    beast::async_detect_ssl(lowest(), buffer_, [self = this->shared_from_this()](beast::error_code ec, bool tls) {
      if (ec) return self->CloseSocket();
      if (!tls) {
        self->metrics_->tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        static const std::string kPlain =
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n"
            "Content-Length: 63\r\n\r\n{\"error\":\"this port speaks HTTPS: plain HTTP is not accepted\"}\n";
        return asio::async_write(self->lowest(), asio::buffer(kPlain),
                                 [self](beast::error_code, size_t) { self->CloseSocket(); });
      }
      self->Handshake();
    });
  }

  void Handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                              [self = this->shared_from_this()](beast::error_code ec, size_t used) {
                                if (ec) {
                                  self->metrics_->tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
                                  return self->CloseSocket();
                                }
                                self->buffer_.consume(used);
                                self->WaitForRequest();
                              });
    }
  }

  // Waits for the first bytes of the next request (bytes already buffered
  // from a pipelining client count).
  void WaitForRequest() {
    idle_ = true;
    if (api_->draining()) return Close();
    if (buffer_.size() > 0) return ReadHeader();
    lowest().expires_after(std::chrono::seconds(first_ ? config_.header_timeout_seconds : config_.idle_timeout_seconds));
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->Close();
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    idle_ = false;
    first_ = false;
    parser_.emplace();
    parser_->body_limit(config_.max_body_bytes);
    parser_->header_limit(16 * 1024);
    lowest().expires_after(std::chrono::seconds(config_.header_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    // Transfer codings (RFC 9112 6.1): only "chunked" is implemented, so any
    // other is refused and the connection closed; a body framed both ways is
    // refused too. Otherwise the bytes of an unread body would be taken as
    // the next request (request smuggling).
    auto te = req.find(http::field::transfer_encoding);
    if (te != req.end()) {
      // HTTP/1.0 has no transfer codings: its framing is faulty whatever the
      // coding says (RFC 9112 6.1), and keep-alive must not keep it open.
      if (req.version() < 11) return WriteError(400, "Transfer-Encoding in an HTTP/1.0 request");
      std::string v(te->value());
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
      size_t b = v.find_first_not_of(" \t");
      v = b == std::string::npos ? "" : v.substr(b);
      if (!beast::iequals(v, "chunked")) return WriteError(400, "unsupported Transfer-Encoding '" + std::string(te->value()) + "': only chunked");
      if (req.find(http::field::content_length) != req.end())
        return WriteError(400, "both Transfer-Encoding and Content-Length");
    }
    if (parser_->content_length() && *parser_->content_length() > config_.max_body_bytes)
      return WriteError(413, "request body exceeds max_body_bytes (" + std::to_string(config_.max_body_bytes) + ")");
    // Expect: 100-continue (RFC 9110 10.1.1): say so before the client sends
    // the body, so it does not wait a second for nothing.
    auto expect = req.find(http::field::expect);
    if (expect != req.end()) {
      if (!beast::iequals(expect->value(), "100-continue")) return WriteError(417, "unsupported Expect header");
      if (req.version() >= 11 && !parser_->is_done()) {
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        return asio::async_write(stream_, asio::buffer(kContinue),
                                 [self = this->shared_from_this()](beast::error_code ec, size_t) {
                                   if (ec) return self->Close();
                                   self->ReadBody();
                                 });
      }
    }
    ReadBody();
  }

  void ReadBody() {
    lowest().expires_after(std::chrono::seconds(config_.idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnReadError(ec);
      self->Dispatch();
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec == http::error::body_limit)
      return WriteError(413, "request body exceeds max_body_bytes (" + std::to_string(config_.max_body_bytes) + ")");
    if (ec == http::error::header_limit) return WriteError(431, "request headers too large");
    WriteError(400, std::string("bad HTTP request: ") + ec.message());
  }

  void Dispatch() {
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    lowest().expires_never();  // the handler may wait for a durable write
    std::string method(req.method_string());
    std::string target(req.target());
    auto headers = [&req](std::string_view name) -> std::string {
      auto it = req.find(beast::string_view(name.data(), name.size()));
      return it == req.end() ? std::string() : std::string(it->value());
    };
    api_->Handle(
        method, target, headers, std::move(req.body()),
        [self = this->shared_from_this()](ApiResponse r) {
          // May run on the store's writer thread: hop back to this connection.
          asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
        },
        remote_);
  }

  void WriteError(unsigned status, const std::string& message) {
    keep_alive_ = false;
    Write(Api::Error(status, message));
  }

  void Write(ApiResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version_);
    res->set(http::field::server, "triage");
    res->set(http::field::content_type, r.content_type);
    if (r.retry_after_seconds > 0) res->set(http::field::retry_after, std::to_string(r.retry_after_seconds));
    if (!r.www_authenticate.empty()) res->set(http::field::www_authenticate, r.www_authenticate);
    for (const auto& [name, value] : r.headers) res->set(name, value);
    if constexpr (kTls) res->set(http::field::strict_transport_security, "max-age=31536000");
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !api_->draining());
    res->prepare_payload();
    lowest().expires_after(std::chrono::seconds(config_.idle_timeout_seconds));
    http::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->Close();
      self->WaitForRequest();
    });
  }

  // TLS: a close_notify first (bounded by a short timeout), so the client
  // can tell the end of the connection from a truncation.
  void Close() {
    if constexpr (kTls) {
      if (closing_) return;
      closing_ = true;
      lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->CloseSocket(); });
    } else {
      CloseSocket();
    }
  }
  void CloseSocket() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().socket().close(ec);
  }

  std::string remote_;
  std::shared_ptr<ssl::context> tls_;  // kept alive while the connection uses it
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const ServerConfig& config_;
  Api* api_;
  ServerMetrics* metrics_;
  std::shared_ptr<std::atomic<size_t>> open_;
  bool keep_alive_ = true;
  bool first_ = true;
  bool idle_ = true;  // no byte of the next request has arrived
  bool closing_ = false;
  unsigned version_ = 11;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const ServerConfig& config, Api* api, ServerMetrics* metrics)
    : io_(io),
      config_(config),
      api_(api),
      metrics_(metrics),
      acceptor_(asio::make_strand(io)),
      accept_timer_(acceptor_.get_executor()) {}

HttpServer::~HttpServer() {
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

Status HttpServer::Listen() {
  beast::error_code ec;
  auto address = asio::ip::make_address(config_.host, ec);
  if (ec) return Status::InvalidArgument("listen: bad address '" + config_.host + "': " + ec.message());
  tcp::endpoint ep(address, config_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::IOError("listen on " + config_.host + ":" + std::to_string(config_.port) + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (reserve_fd_ < 0)
    return Status::IOError(std::string("listen: cannot open /dev/null (the reserve descriptor): ") + std::strerror(errno));
  return Status::OK();
}

void HttpServer::StartAccepting() { Accept(); }

void HttpServer::SetTlsContext(std::shared_ptr<ssl::context> tls) {
  std::lock_guard<std::mutex> l(tls_mu_);
  tls_ = std::move(tls);
}

bool HttpServer::tls() const {
  std::lock_guard<std::mutex> l(tls_mu_);
  return tls_ != nullptr;
}

void HttpServer::StopAccepting() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_timer_.cancel();
  });
  std::lock_guard<std::mutex> l(sessions_mu_);
  for (auto& w : sessions_)
    if (auto s = w.lock()) s->Drain();
}

void HttpServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    // A client that gave up before we took its connection: nothing is wrong.
    if (ec == asio::error::connection_aborted || ec == asio::error::interrupted) return Accept();
    if (ec) return OnAcceptError(ec);
    if (accept_backoff_.count() > 0) {
      accept_backoff_ = std::chrono::milliseconds(0);
      if (log_)
        log_("accepting connections again after " + std::to_string(episode_errors_) + " accept failures");
      episode_errors_ = 0;
    }
    {  // a new connection
      std::shared_ptr<ssl::context> tls;
      {
        std::lock_guard<std::mutex> l(tls_mu_);
        tls = tls_;
      }
      if (open_sessions_->load() >= config_.max_connections && tls) {
        // (A TLS client cannot read a plain answer: it is only closed.)
        metrics_->rejected_connections.fetch_add(1, std::memory_order_relaxed);
        beast::error_code wec;
        socket.close(wec);
      } else if (open_sessions_->load() >= config_.max_connections) {
        metrics_->rejected_connections.fetch_add(1, std::memory_order_relaxed);
        static const std::string kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: 37\r\n\r\n{\"error\":\"too many open connections\"}";
        beast::error_code wec;
        asio::write(socket, asio::buffer(kBusy), wec);
        socket.close(wec);
      } else {
        std::shared_ptr<HttpSessionBase> session;
        if (tls) {
          auto s = std::make_shared<HttpSession<TlsStream>>(std::move(socket), tls, config_, api_, metrics_, open_sessions_);
          s->Start();
          session = s;
        } else {
          auto s = std::make_shared<HttpSession<PlainStream>>(std::move(socket), nullptr, config_, api_, metrics_,
                                                              open_sessions_);
          s->Start();
          session = s;
        }
        {
          std::lock_guard<std::mutex> l(sessions_mu_);
          if (sessions_.size() > 64 && sessions_.size() > 2 * open_sessions_->load())
            sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(), [](auto& w) { return w.expired(); }),
                            sessions_.end());
          sessions_.push_back(session);
        }
      }
    }
    Accept();
  });
}

void HttpServer::OnAcceptError(const boost::system::error_code& ec) {
  const bool emfile = ec == boost::system::errc::too_many_files_open;
  const bool enfile = ec == boost::system::errc::too_many_files_open_in_system;
  const AcceptError reason = emfile ? AcceptError::kEmfile : enfile ? AcceptError::kEnfile : AcceptError::kOther;
  metrics_->accept_errors[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
  if (emfile || enfile) shed_unlogged_ += ShedWaitingConnections();
  ++errors_unlogged_;
  ++episode_errors_;
  // Re-arming at once would fail again at once (the connection is still
  // waiting, the table still full): wait, longer each time.
  accept_backoff_ = accept_backoff_.count() == 0 ? std::chrono::milliseconds(50)
                                                 : std::min(2 * accept_backoff_, std::chrono::milliseconds(1000));
  // One line when it starts, then at most one every 10 s while it lasts.
  auto now = std::chrono::steady_clock::now();
  if (log_ && (episode_errors_ == 1 || now - last_log_ >= std::chrono::seconds(10))) {
    log_("accept failed: " + ec.message() + " (" + std::to_string(errors_unlogged_) + " times since the last report; " +
         std::to_string(shed_unlogged_) + " connections answered 503); retrying in " +
         std::to_string(accept_backoff_.count()) + " ms, backing off up to 1 s");
    errors_unlogged_ = 0;
    shed_unlogged_ = 0;
    last_log_ = now;
  }
  accept_timer_.expires_after(accept_backoff_);
  accept_timer_.async_wait([this](const boost::system::error_code& tec) {
    if (tec || !acceptor_.is_open()) return;
    Accept();
  });
}

size_t HttpServer::ShedWaitingConnections() {
  static constexpr char kOutOfDescriptors[] =
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: 42\r\n\r\n{\"error\":\"out of file descriptors; retry\"}";
  static_assert(sizeof("{\"error\":\"out of file descriptors; retry\"}") - 1 == 42);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
  reserve_fd_ = -1;
  // Straight on the listening socket, non-blocking (as asio keeps it for
  // async_accept; said again here, since a blocking accept would stall the
  // strand): an empty backlog is EAGAIN, never a wait. Bounded, so that a
  // flood cannot hold the strand either.
  beast::error_code ec;
  acceptor_.native_non_blocking(true, ec);
  size_t shed = 0;
  const bool plain = !tls();  // a TLS client cannot read a plain answer: it is only closed
  for (; shed < 256 && !ec; ++shed) {
    int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) break;
    if (plain) (void)!::send(fd, kOutOfDescriptors, sizeof kOutOfDescriptors - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    // Read what the client already sent, so that the close is a FIN and not
    // a reset that could discard the answer before the client reads it.
    char sink[4096];
    for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
    ::close(fd);
  }
  metrics_->accept_shed.fetch_add(shed, std::memory_order_relaxed);
  // Another thread may take the freed slot first; then the next failure
  // tries again (and sheds nothing until it has the reserve).
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return shed;
}

}  // namespace triage
