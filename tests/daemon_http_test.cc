// HTTP on the wire: limits, garbage, timeouts, Expect: 100-continue, transfer
// codings and draining, with raw bytes where the framing matters.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/rfc3339.h"
#include "format/archive_format.h"
#include "http_client.h"
#include "raw_connection.h"
#include "running_daemon.h"
#include "runtime/server/daemon.h"
#include "runtime/server/live_detector.h"
#include "test_util.h"
#include <boost/asio.hpp>

using namespace triage;
using test::Msg;
using test::RunningDaemon;

namespace {

// Sends raw bytes on a fresh connection and reads until the server closes it.
std::string RawExchange(uint16_t port, const std::string& bytes) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  if (!bytes.empty()) asio::write(s, asio::buffer(bytes));
  std::string out;
  char buf[4096];
  boost::system::error_code ec;
  for (;;) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

std::string PostHead(const std::string& target, size_t length, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
         std::to_string(length) + "\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("Body and batch limits answer 413 - too many connections get 503", "[daemon][limits]") {
  ServerConfig cfg;
  cfg.max_body_bytes = 2048;
  cfg.max_batch_messages = 3;
  cfg.max_connections = 2;
  RunningDaemon d(cfg);
  test::HttpClient c(d.port());
  auto big = c.Request("POST", "/v1/messages", Msg("big", std::string(4000, 'a')));
  CHECK(big.status == 413);
  CHECK_THAT(big.body, Catch::Contains("max_body_bytes"));
  std::string four;
  for (int i = 0; i < 4; ++i) four += Msg("n:" + std::to_string(i), "refund please") + "\n";
  test::HttpClient c2(d.port());
  auto batch = c2.Request("POST", "/v1/messages", four);
  CHECK(batch.status == 413);
  CHECK_THAT(batch.body, Catch::Contains("max_batch_messages"));
  // c2 holds one connection; c3 the second; c4 is over the limit.
  test::HttpClient c3(d.port());
  REQUIRE(c3.Request("GET", "/healthz").status == 200);
  test::HttpClient c4(d.port());
  auto refused = c4.Request("GET", "/healthz");
  CHECK(refused.status == 503);
  CHECK(refused.headers["Retry-After"] == "1");
}

TEST_CASE("Garbage on the wire gets 400 and a closed connection", "[daemon][limits]") {
  RunningDaemon d;
  std::string reply = RawExchange(d.port(), "THIS IS NOT HTTP\r\n\r\n");
  CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_THAT(reply, Catch::Contains("{\"error\":\"bad HTTP request"));
}

TEST_CASE("A connection that sends nothing is closed after the header timeout", "[daemon][limits]") {
  ServerConfig cfg;
  cfg.header_timeout_seconds = 1;
  RunningDaemon d(cfg);
  auto start = std::chrono::steady_clock::now();
  std::string reply = RawExchange(d.port(), "");  // returns when the server closes
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(reply.empty());
  CHECK(waited >= 0.9);  // closed by the timeout, not at once
  test::HttpClient c(d.port());
  CHECK(c.Request("GET", "/healthz").status == 200);  // and the server is fine
}

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[daemon][http]") {
  RunningDaemon d;
  test::RawConnection c(d.port());
  REQUIRE(c.connected());
  std::string body = Msg("e:1", "refund please") + "\n";
  REQUIRE(c.Send(PostHead("/v1/messages", body.size(), "Expect: 100-continue\r\n")));
  // The client holds the body back until it hears 100 Continue.
  std::string first = c.ReadUntil("\r\n\r\n");
  INFO(first);
  REQUIRE_THAT(first, Catch::StartsWith("HTTP/1.1 100 Continue\r\n\r\n"));
  REQUIRE(c.Send(body));
  std::string all = c.ReadUntil("\"accepted\":1");
  CHECK_THAT(all, Catch::Contains("HTTP/1.1 202"));
  // An expectation the server does not know is refused.
  test::RawConnection c2(d.port());
  REQUIRE(c2.Send(PostHead("/v1/messages", body.size(), "Expect: teapot\r\n")));
  CHECK_THAT(c2.ReadUntil("\r\n"), Catch::StartsWith("HTTP/1.1 417"));
  // A declared body over the limit is refused before it is sent.
  ServerConfig small;
  small.max_body_bytes = 100;
  RunningDaemon d2(small);
  test::RawConnection c3(d2.port());
  REQUIRE(c3.Send(PostHead("/v1/messages", 5000, "Expect: 100-continue\r\n")));
  std::string refused = c3.ReadToClose();
  CHECK_THAT(refused, Catch::StartsWith("HTTP/1.1 413"));
  CHECK(c3.closed());
}

TEST_CASE("Only chunked transfer coding is accepted, anything else is 400 and the connection closes",
          "[daemon][http]") {
  RunningDaemon d;
  std::string body = Msg("te:1", "refund please") + "\n";
  // The smuggled second request must never run.
  std::string smuggled = "GET /v1/messages/te:1 HTTP/1.1\r\nHost: t\r\n\r\n";
  for (const char* coding : {"xchunked", "gzip", "identity", "chunked, identity", "gzip, chunked"}) {
    INFO(coding);
    test::RawConnection c(d.port());
    REQUIRE(c.Send("POST /v1/messages HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + std::string(coding) + "\r\n\r\n" +
                   body + smuggled));
    std::string got = c.ReadToClose();
    CHECK_THAT(got, Catch::StartsWith("HTTP/1.1 400"));
    CHECK(c.closed());
    CHECK(got.find("HTTP/1.1", 5) == std::string::npos);  // one answer only
  }
  // Both framings at once: refused too.
  test::RawConnection both(d.port());
  REQUIRE(both.Send("POST /v1/messages HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "0\r\n\r\n"));
  CHECK_THAT(both.ReadToClose(), Catch::StartsWith("HTTP/1.1 400"));
  // Chunked itself works.
  test::RawConnection ok(d.port());
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  REQUIRE(ok.Send("POST /v1/messages HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) +
                  "\r\n" + body + "\r\n0\r\n\r\n"));
  CHECK_THAT(ok.ReadUntil("\"accepted\":1"), Catch::StartsWith("HTTP/1.1 202"));
}

TEST_CASE("Draining finishes a request already being read and closes idle connections at once", "[daemon][http]") {
  ServerConfig config;
  config.drain_timeout_seconds = 60;  // an idle connection must not make the drain wait for this
  auto d = std::make_unique<RunningDaemon>(config);
  // A keep-alive connection that has finished a request and sits idle.
  test::RawConnection idle(d->port());
  REQUIRE(idle.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  REQUIRE_THAT(idle.ReadUntil("\"ok\"}"), Catch::StartsWith("HTTP/1.1 200"));
  // A batch whose header and half body have arrived when the drain begins.
  std::string body = Msg("dr:1", "refund please") + "\n" + Msg("dr:2", "how much is the plan") + "\n";
  test::RawConnection busy(d->port());
  REQUIRE(busy.Send(PostHead("/v1/messages", body.size()) + body.substr(0, 20)));
  busy.ReadUntil("never", std::chrono::milliseconds(200));  // let the server read the header
  d->daemon->Stop();
  // The idle connection is closed by the server without an answer.
  CHECK(idle.ReadToClose().find("HTTP/1.1", 5) == std::string::npos);
  CHECK(idle.closed());
  // The busy one is finished: stored and answered, then closed.
  REQUIRE(busy.Send(body.substr(20)));
  std::string answer = busy.ReadToClose();
  INFO(answer);
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 202"));
  CHECK_THAT(answer, Catch::Contains("\"accepted\":2"));
  CHECK_THAT(answer, Catch::Contains("Connection: close"));
  CHECK(busy.closed());
  d->thread.join();
  d->thread = std::thread([] {});  // the fixture joins again
  std::string log = d->Log();
  CHECK_THAT(log, !Catch::Contains("still open at the drain deadline"));
  CHECK_THAT(log, Catch::Contains("stopped cleanly"));
}

