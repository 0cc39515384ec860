// A minimal blocking HTTP/1.1 client for tests and load tools (Boost.Beast).
#ifndef TRIAGE_TESTS_HTTP_CLIENT_H_
#define TRIAGE_TESTS_HTTP_CLIENT_H_

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <string>

namespace triage::test {

// `s` percent-encoded for a URL: every byte but ASCII letters and digits.
inline std::string PercentEncoded(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct HttpResult {
  int status = 0;  // 0: connection failed
  std::string body;
  std::map<std::string, std::string> headers;
  std::string error;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1") : port_(port), host_(std::move(host)) {}

  // A header sent with every request from now on ("" removes it).
  void SetHeader(const std::string& name, const std::string& value) {
    if (value.empty()) headers_.erase(name);
    else headers_[name] = value;
  }

  HttpResult Request(const std::string& method, const std::string& target, const std::string& body = "",
                     bool keep_alive = true) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    HttpResult out;
    try {
      if (!stream_) Connect();
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, host_);
      for (const auto& [name, value] : headers_) req.set(name, value);
      req.keep_alive(keep_alive);
      req.body() = body;
      req.prepare_payload();
      http::write(*stream_, req);
      beast::flat_buffer buf;
      http::response_parser<http::string_body> parser;
      parser.body_limit(1ull << 30);
      http::read(*stream_, buf, parser);
      auto& res = parser.get();
      out.status = static_cast<int>(res.result_int());
      out.body = res.body();
      for (auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
      if (!res.keep_alive() || !keep_alive) stream_.reset();
    } catch (const std::exception& e) {
      out.status = 0;
      out.error = e.what();
      stream_.reset();
    }
    return out;
  }

 private:
  void Connect() {
    namespace asio = boost::asio;
    stream_ = std::make_unique<boost::beast::tcp_stream>(*io_);
    asio::ip::tcp::resolver r(*io_);
    stream_->connect(r.resolve(host_, std::to_string(port_)));
  }
  // Held by pointer so that a client can be moved (the stream refers to it).
  std::unique_ptr<boost::asio::io_context> io_ = std::make_unique<boost::asio::io_context>();
  std::unique_ptr<boost::beast::tcp_stream> stream_;
  uint16_t port_;
  std::string host_;
  std::map<std::string, std::string> headers_;
};

}  // namespace triage::test

#endif  // TRIAGE_TESTS_HTTP_CLIENT_H_
