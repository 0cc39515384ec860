#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace triage::test {

namespace beast = boost::beast;
namespace http = beast::http;

std::string PercentEncoded(const std::string& s) {
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

struct HttpClient::Connection {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
};

HttpClient::HttpClient(uint16_t port, std::string host) : port_(port), host_(std::move(host)) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

void HttpClient::SetHeader(const std::string& name, const std::string& value) {
  if (value.empty()) headers_.erase(name);
  else headers_[name] = value;
}

HttpResult RequestOnce(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  return HttpClient(port).Request(method, target, body, false, headers);
}

HttpResult HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               bool keep_alive, const std::vector<std::pair<std::string, std::string>>& extra) {
  HttpResult out;
  try {
    if (!connection_) {
      auto c = std::make_unique<Connection>();
      boost::asio::ip::tcp::resolver r(c->io);
      c->stream.connect(r.resolve(host_, std::to_string(port_)));
      connection_ = std::move(c);
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_);
    for (const auto& [name, value] : headers_) req.set(name, value);
    for (const auto& [name, value] : extra) req.set(name, value);
    req.keep_alive(keep_alive);
    req.body() = body;
    req.prepare_payload();
    http::write(connection_->stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(connection_->stream, buf, parser);
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
    if (!res.keep_alive() || !keep_alive) connection_.reset();
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
    connection_.reset();
  }
  return out;
}

}  // namespace triage::test
