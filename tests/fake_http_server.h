// A receiver for the outbound tests: a local HTTP/1.1 server on a free
// loopback port (Boost.Beast, one thread per connection) that records every
// request and answers with what the test's handler says: a status, a body
// and headers, or a connection reset, or silence for a while (a timeout).
// With a certificate and key (Tls) it speaks HTTPS only, and counts the
// connections whose TLS handshake failed (a client that refused the
// certificate): their requests never reach it.
#ifndef TRIAGE_TESTS_FAKE_HTTP_SERVER_H_
#define TRIAGE_TESTS_FAKE_HTTP_SERVER_H_

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

  explicit FakeHttpServer(Handler handler = nullptr) : FakeHttpServer(std::move(handler), Tls{}) {}
  FakeHttpServer(Handler handler, const Tls& tls) : handler_(std::move(handler)) {
    namespace asio = boost::asio;
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
  ~FakeHttpServer() {
    stop_ = true;
    {  // wake the blocking accept
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    }
    accepter_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard<std::mutex> l(mu_);
      conns.swap(connections_);
    }
    for (auto& t : conns) t.join();
  }

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path = "/") const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + path;
  }
  // TLS only: connections whose handshake failed.
  size_t tls_failures() const { return tls_failures_; }
  void set_handler(Handler h) {
    std::lock_guard<std::mutex> l(mu_);
    handler_ = std::move(h);
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> l(mu_);
    return requests_.size();
  }
  // Polls until `done(requests)` holds or `seconds` pass; says which.
  bool WaitFor(const std::function<bool(const std::vector<Request>&)>& done, int seconds = 60) const {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (done(requests())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done(requests());
  }

 private:
  void Accept() {
    while (!stop_) {
      boost::asio::ip::tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) continue;
      std::lock_guard<std::mutex> l(mu_);
      connections_.emplace_back([this, s = std::move(s)]() mutable { Serve(std::move(s)); });
    }
  }

  void Serve(boost::asio::ip::tcp::socket s) {
    if (!tls_) return Exchange(s, s);
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(std::move(s), *tls_);
    boost::system::error_code ec;
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    if (ec) {
      ++tls_failures_;
      return;
    }
    Exchange(stream, stream.next_layer());
  }

  // One request and its answer over `stream` (`s`: the TCP socket under it).
  template <typename Stream>
  void Exchange(Stream& stream, boost::asio::ip::tcp::socket& s) {
    namespace http = boost::beast::http;
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
    s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::unique_ptr<boost::asio::ssl::context> tls_;  // null: plain HTTP
  std::atomic<size_t> tls_failures_{0};
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<Request> requests_;
  std::vector<std::thread> connections_;
  std::thread accepter_;
};

}  // namespace triage::test

#endif  // TRIAGE_TESTS_FAKE_HTTP_SERVER_H_
