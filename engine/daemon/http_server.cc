#include "engine/daemon/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

namespace triage {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ServerConfig& config, Api* api, ServerMetrics* metrics,
          std::shared_ptr<std::atomic<size_t>> open)
      : stream_(std::move(socket)), config_(config), api_(api), metrics_(metrics), open_(std::move(open)) {
    open_->fetch_add(1);
    metrics_->connections_open.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() {
    open_->fetch_sub(1);
    metrics_->connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(config_.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(first_ ? config_.header_timeout_seconds : config_.idle_timeout_seconds));
    first_ = false;
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return WriteError(413, "request body exceeds max_body_bytes (" + std::to_string(config_.max_body_bytes) + ")");
    }
    if (ec == http::error::header_limit) return WriteError(431, "request headers too large");
    if (ec) return WriteError(400, std::string("bad HTTP request: ") + ec.message());

    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    stream_.expires_never();  // the handler may wait for a durable write
    std::string method(req.method_string());
    std::string target(req.target());
    auto headers = [&req](std::string_view name) -> std::string {
      auto it = req.find(beast::string_view(name.data(), name.size()));
      return it == req.end() ? std::string() : std::string(it->value());
    };
    api_->Handle(method, target, headers, std::move(req.body()), [self = shared_from_this()](ApiResponse r) {
      // May run on the store's writer thread: hop back to this connection.
      asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
    });
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
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !api_->draining());
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(config_.idle_timeout_seconds));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const ServerConfig& config_;
  Api* api_;
  ServerMetrics* metrics_;
  std::shared_ptr<std::atomic<size_t>> open_;
  bool keep_alive_ = true;
  bool first_ = true;
  unsigned version_ = 11;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const ServerConfig& config, Api* api, ServerMetrics* metrics)
    : io_(io), config_(config), api_(api), metrics_(metrics), acceptor_(asio::make_strand(io)) {}

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
  return Status::OK();
}

void HttpServer::StartAccepting() { Accept(); }

void HttpServer::StopAccepting() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
}

void HttpServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (open_sessions_->load() >= config_.max_connections) {
        metrics_->rejected_connections.fetch_add(1, std::memory_order_relaxed);
        static const std::string kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: 37\r\n\r\n{\"error\":\"too many open connections\"}";
        beast::error_code wec;
        asio::write(socket, asio::buffer(kBusy), wec);
        socket.close(wec);
      } else {
        std::make_shared<Session>(std::move(socket), config_, api_, metrics_, open_sessions_)->Start();
      }
    }
    Accept();
  });
}

}  // namespace triage
