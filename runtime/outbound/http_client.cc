#include "runtime/outbound/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>

namespace triage {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

bool ParseUrl(const std::string& url, ParsedUrl* out) {
  size_t rest = 0;
  if (url.rfind("https://", 0) == 0) out->tls = true, rest = 8;
  else if (url.rfind("http://", 0) == 0) out->tls = false, rest = 7;
  else return false;
  size_t slash = url.find_first_of("/?", rest);
  std::string authority = url.substr(rest, slash == std::string::npos ? std::string::npos : slash - rest);
  out->target = slash == std::string::npos ? "/" : url.substr(slash);
  if (!out->target.empty() && out->target[0] == '?') out->target = "/" + out->target;
  if (authority.empty() || authority.find('@') != std::string::npos) return false;
  size_t colon = authority.rfind(':');
  if (authority.front() == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    out->host = authority.substr(1, close - 1);
    colon = authority.size() > close + 1 && authority[close + 1] == ':' ? close + 1 : std::string::npos;
  } else {
    out->host = authority.substr(0, colon);
  }
  out->port = colon == std::string::npos ? (out->tls ? "443" : "80") : authority.substr(colon + 1);
  if (out->host.empty() || out->port.empty() || out->port.find_first_not_of("0123456789") != std::string::npos)
    return false;
  for (char c : out->target)
    if (static_cast<unsigned char>(c) <= 0x20) return false;
  return true;
}

namespace {

// Runs one asynchronous step to its end (the stream's deadline cancels it).
template <typename Start>
beast::error_code Step(asio::io_context& ioc, Start start) {
  beast::error_code ec = asio::error::would_block;
  start([&ec](beast::error_code e, auto&&...) { ec = e; });
  ioc.restart();
  ioc.run();
  return ec;
}

template <typename Stream>
Status Exchange(asio::io_context& ioc, Stream& stream, beast::tcp_stream& tcp_layer, const HttpRequest& req,
                const ParsedUrl& u, const HttpClientOptions& opts, HttpResponse* resp) {
  const auto deadline = std::chrono::milliseconds(opts.timeout_ms);
  const std::string what = req.method + " " + req.url + ": ";
  http::request<http::string_body> r;
  r.method_string(req.method);
  r.target(u.target);
  r.version(11);
  r.set(http::field::host, u.host + ((u.port == "80" && !u.tls) || (u.port == "443" && u.tls) ? "" : ":" + u.port));
  r.set(http::field::user_agent, "triage-outbound/1");
  r.set(http::field::connection, "close");
  bool typed = false;
  for (const auto& [k, v] : req.headers) {
    r.set(k, v);
    if (beast::iequals(k, "content-type")) typed = true;
  }
  if (!req.body.empty() && !typed) r.set(http::field::content_type, "application/json");
  r.body() = req.body;
  r.prepare_payload();
  tcp_layer.expires_after(deadline);
  if (auto ec = Step(ioc, [&](auto h) { http::async_write(stream, r, h); }))
    return Status::IOError(what + "write: " + (ec == beast::error::timeout ? "timed out" : ec.message()));
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  tcp_layer.expires_after(deadline);
  if (auto ec = Step(ioc, [&](auto h) { http::async_read(stream, buf, parser, h); }))
    return Status::IOError(what + "read: " + (ec == beast::error::timeout ? "timed out" : ec.message()));
  const auto& res = parser.get();
  resp->status = res.result_int();
  resp->body = res.body();
  if (auto ra = res.find(http::field::retry_after); ra != res.end()) resp->retry_after = std::string(ra->value());
  return Status::OK();
}

}  // namespace

Status HttpCall(const HttpRequest& req, const HttpClientOptions& opts, HttpResponse* resp) {
  *resp = HttpResponse();
  ParsedUrl u;
  if (!ParseUrl(req.url, &u)) return Status::InvalidArgument("not an http(s) URL: '" + req.url + "'");
  const std::string what = req.method + " " + req.url + ": ";
  const auto deadline = std::chrono::milliseconds(opts.timeout_ms);
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  beast::error_code ec = asio::error::would_block;
  resolver.async_resolve(u.host, u.port, [&](beast::error_code e, tcp::resolver::results_type r) {
    ec = e;
    endpoints = std::move(r);
  });
  ioc.run_for(deadline);
  if (ec == asio::error::would_block) {
    resolver.cancel();
    ioc.restart();
    ioc.run();
    return Status::IOError(what + "resolve: timed out");
  }
  if (ec) return Status::IOError(what + "resolve: " + ec.message());

  if (!u.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(deadline);
    if (auto e = Step(ioc, [&](auto h) { stream.async_connect(endpoints, h); }))
      return Status::IOError(what + "connect: " + (e == beast::error::timeout ? "timed out" : e.message()));
    Status s = Exchange(ioc, stream, stream, req, u, opts, resp);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return s;
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
  if (opts.verify_tls) {
    ctx.set_verify_mode(ssl::verify_peer);
    beast::error_code ca_ec;
    if (opts.ca_file.empty()) ctx.set_default_verify_paths(ca_ec);
    else ctx.load_verify_file(opts.ca_file, ca_ec);
    if (ca_ec) return Status::IOError(what + "CA certificates: " + ca_ec.message());
  } else {
    ctx.set_verify_mode(ssl::verify_none);
  }
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  if (opts.verify_tls) stream.set_verify_callback(ssl::host_name_verification(u.host));
  if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str()))
    return Status::IOError(what + "TLS: cannot set the server name");
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(deadline);
  if (auto e = Step(ioc, [&](auto h) { tcp_layer.async_connect(endpoints, h); }))
    return Status::IOError(what + "connect: " + (e == beast::error::timeout ? "timed out" : e.message()));
  tcp_layer.expires_after(deadline);
  if (auto e = Step(ioc, [&](auto h) { stream.async_handshake(ssl::stream_base::client, h); }))
    return Status::IOError(what + "TLS handshake: " + (e == beast::error::timeout ? "timed out" : e.message()));
  Status s = Exchange(ioc, stream, tcp_layer, req, u, opts, resp);
  beast::error_code ignored;
  tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return s;
}

}  // namespace triage
