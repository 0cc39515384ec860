// HTTP on the wire: limits, garbage, timeouts, Expect: 100-continue, transfer
// codings and draining, with raw bytes where the framing matters.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iterator>
#include <regex>
#include <thread>

#include "base/rfc3339.h"
#include "format/archive_format.h"
#include "http_client.h"
#include "raw_connection.h"
#include "running_daemon.h"
#include "runtime/server/daemon.h"
#include "runtime/server/live_detector.h"
#include "test_util.h"

using namespace triage;
using test::Msg;
using test::RunningDaemon;

namespace {

// Sends raw bytes on a fresh connection and reads until the server closes it.
std::string RawExchange(uint16_t port, const std::string& bytes) {
  test::RawConnection c(port);
  if (!bytes.empty()) c.Send(bytes);
  return c.ReadToClose();
}

std::string PostHead(const std::string& target, size_t length, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
         std::to_string(length) + "\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("Body and batch limits answer 413", "[daemon][limits]") {
  ServerConfig cfg;
  cfg.max_body_bytes = 2048;
  cfg.max_batch_messages = 3;
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
}

TEST_CASE("Connections over max_connections get 503 with Retry-After", "[daemon][limits]") {
  // A fresh daemon: connections closed by earlier answers are counted until
  // their sessions are gone, which is not at a moment a test can know.
  ServerConfig cfg;
  cfg.max_connections = 2;
  RunningDaemon d(cfg);
  test::HttpClient first(d.port()), second(d.port());  // both kept alive
  REQUIRE(first.Request("GET", "/healthz").status == 200);
  REQUIRE(second.Request("GET", "/healthz").status == 200);
  test::HttpClient third(d.port());
  auto refused = third.Request("GET", "/healthz");
  CHECK(refused.status == 503);
  CHECK(refused.headers["Retry-After"] == "1");
  CHECK(first.Request("GET", "/healthz").status == 200);  // the two held connections still work
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

// Sends `head` + `body` + a pipelined GET /v1/queues on one connection and
// reads to the close: a request whose framing is refused must get one 400,
// then the connection closes, and the bytes after it (which a server that
// framed the body otherwise would take as the next request) never run.
static void ExpectRefusedFraming(uint16_t port, const std::string& head, const std::string& body) {
  INFO(head);
  test::RawConnection c(port);
  REQUIRE(c.Send(head + body + "GET /v1/queues HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string got = c.ReadToClose();
  INFO(got);
  CHECK_THAT(got, Catch::StartsWith("HTTP/1.1 400") || Catch::StartsWith("HTTP/1.0 400"));
  CHECK(c.closed());
  // One answer only (a status line, not an error message that names a version).
  std::regex status_line("HTTP/1\\.[01] [0-9]{3} ");
  CHECK(std::distance(std::sregex_iterator(got.begin(), got.end(), status_line), std::sregex_iterator()) == 1);
  CHECK(got.find("\"queues\"") == std::string::npos);   // the pipelined GET never ran
}

TEST_CASE("Only chunked transfer coding is accepted, anything else is 400 and the connection closes",
          "[daemon][http]") {
  RunningDaemon d;
  std::string body = Msg("te:1", "refund please") + "\n";
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const std::string chunked_body = std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n";
  const std::string post = "POST /v1/messages HTTP/1.1\r\nHost: t\r\n";
  for (const char* coding : {"xchunked", "gzip", "identity", "chunked, identity", "gzip, chunked", "chunked;q=1", ""})
    ExpectRefusedFraming(d.port(), post + "Transfer-Encoding: " + coding + "\r\n\r\n", chunked_body);
  // Both framings at once, in either order and with either length.
  ExpectRefusedFraming(d.port(), post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", chunked_body);
  ExpectRefusedFraming(d.port(), post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", chunked_body);
  ExpectRefusedFraming(
      d.port(), post + "Transfer-Encoding: chunked\r\nContent-Length: " + std::to_string(chunked_body.size()) + "\r\n\r\n",
      chunked_body);
  ExpectRefusedFraming(d.port(), post + "Transfer-Encoding: gzip\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n",
                       body);
  // The coding split over two header lines, or said twice.
  ExpectRefusedFraming(d.port(), post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", chunked_body);
  ExpectRefusedFraming(d.port(), post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", chunked_body);
  ExpectRefusedFraming(d.port(), post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", chunked_body);
  // A space before the colon (RFC 9112 5.1: must be refused).
  ExpectRefusedFraming(d.port(), post + "Transfer-Encoding : chunked\r\n\r\n", chunked_body);
  // Two different lengths.
  ExpectRefusedFraming(d.port(), post + "Content-Length: 3\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n",
                       body);
  // HTTP/1.0 has no transfer codings: its framing is faulty even with
  // chunked (RFC 9112 6.1), and keep-alive must not keep it open.
  ExpectRefusedFraming(d.port(),
                       "POST /v1/messages HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
                       chunked_body);
  // None of it was stored.
  test::HttpClient c(d.port());
  CHECK(c.Request("GET", "/v1/messages/te:1").status == 404);
  // Chunked itself works, and keeps the connection for the next request.
  test::RawConnection ok(d.port());
  REQUIRE(ok.Send(post + "Transfer-Encoding: chunked\r\n\r\n" + chunked_body + "GET /v1/queues HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string got = ok.ReadUntil("\"queues\"");
  CHECK_THAT(got, Catch::StartsWith("HTTP/1.1 202"));
  CHECK_THAT(got, Catch::Contains("\"accepted\":1"));
  CHECK_THAT(got, Catch::Contains("\"queues\""));
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

