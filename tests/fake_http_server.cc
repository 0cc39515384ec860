#include "fake_http_server.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>

namespace triage::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;

class FakeHttpServer::Impl {
 public:
  Impl(Handler handler, const Tls& tls) : handler_(std::move(handler)) {
    if (!tls.cert.empty()) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(tls.cert);
      tls_->use_private_key_file(tls.key, asio::ssl::context::pem);
    }
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accepter_ = std::thread([this] { Accept(); });
  }

  ~Impl() {
    stop_ = true;
    {  // wake the blocking accept
      asio::io_context ioc;
      asio::ip::tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    }
    accepter_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard<std::mutex> l(mu_);
      conns.swap(connections_);
    }
    for (auto& t : conns) t.join();
  }

  uint16_t port_ = 0;
  std::unique_ptr<asio::ssl::context> tls_;  // null: plain HTTP
  std::atomic<size_t> tls_failures_{0};
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<Request> requests_;

 private:
  void Accept() {
    while (!stop_) {
      asio::ip::tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) continue;
      std::lock_guard<std::mutex> l(mu_);
      connections_.emplace_back([this, s = std::move(s)]() mutable { Serve(std::move(s)); });
    }
  }

  void Serve(asio::ip::tcp::socket s) {
    if (!tls_) return Exchange(s, s);
    asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(s), *tls_);
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (ec) {
      ++tls_failures_;
      return;
    }
    Exchange(stream, stream.next_layer());
  }

  // One request and its answer over `stream` (`s`: the TCP socket under it).
  template <typename Stream>
  void Exchange(Stream& stream, asio::ip::tcp::socket& s) {
    boost::beast::flat_buffer buf;
    boost::system::error_code ec;
    http::request<http::string_body> req;
    http::read(stream, buf, req, ec);
    if (ec) return;
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.body = req.body();
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    Handler h;
    {
      std::lock_guard<std::mutex> l(mu_);
      requests_.push_back(r);
      h = handler_;
    }
    Reply reply = h ? h(r) : Reply{};
    if (reply.action == Reply::Action::kReset) {
      linger lg{1, 0};  // close with RST
      ::setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      s.close(ec);
      return;
    }
    if (reply.action == Reply::Action::kHang) {
      std::this_thread::sleep_for(std::chrono::milliseconds(reply.hang_ms));
      s.close(ec);
      return;
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    res.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.body() = reply.body;
    res.prepare_payload();
    res.keep_alive(false);
    http::write(stream, res, ec);
    s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }

  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_{ioc_};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> connections_;
  std::thread accepter_;
};

FakeHttpServer::FakeHttpServer(Handler handler) : FakeHttpServer(std::move(handler), Tls{}) {}
FakeHttpServer::FakeHttpServer(Handler handler, const Tls& tls)
    : impl_(std::make_unique<Impl>(std::move(handler), tls)) {}
FakeHttpServer::~FakeHttpServer() = default;

uint16_t FakeHttpServer::port() const { return impl_->port_; }

std::string FakeHttpServer::Url(const std::string& path) const {
  return (impl_->tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(impl_->port_) + path;
}

size_t FakeHttpServer::tls_failures() const { return impl_->tls_failures_; }

void FakeHttpServer::set_handler(Handler h) {
  std::lock_guard<std::mutex> l(impl_->mu_);
  impl_->handler_ = std::move(h);
}

std::vector<FakeHttpServer::Request> FakeHttpServer::requests() const {
  std::lock_guard<std::mutex> l(impl_->mu_);
  return impl_->requests_;
}

size_t FakeHttpServer::count() const {
  std::lock_guard<std::mutex> l(impl_->mu_);
  return impl_->requests_.size();
}

bool FakeHttpServer::WaitFor(const std::function<bool(const std::vector<Request>&)>& done, int seconds) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done(requests())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done(requests());
}

}  // namespace triage::test
