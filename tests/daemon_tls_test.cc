// HTTPS: the handshake with a test certificate, plain HTTP refused on the
// TLS port, old protocols refused, the certificate reloaded without a
// restart, and a missing or mismatched certificate named at start-up.
#include <catch2/catch.hpp>

#include <regex>

#include "http_client.h"
#include "running_daemon.h"
#include "runtime/server/security_config.h"
#include "test_util.h"
#include "tls_test_util.h"

using namespace triage;
using test::HttpClient;
using test::HttpsRequest;
using test::RunningDaemon;

TEST_CASE("TLS: HTTPS works, plain HTTP is told to use HTTPS, TLS 1.1 is refused", "[daemon][tls]") {
  test::TempDir dir;
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  REQUIRE(test::WriteSelfSignedCertificate(cert, key, "triage-test-one"));
  ServerConfig c;
  c.security.tls = {cert, key};
  RunningDaemon d(c);

  auto ok = HttpsRequest(d.port(), "GET", "/healthz");
  INFO(ok.error);
  CHECK(ok.status == 200);
  CHECK(ok.body == "{\"status\":\"ok\"}");
  CHECK(ok.peer_common_name == "triage-test-one");
  CHECK(ok.headers["Strict-Transport-Security"].find("max-age=") == 0);

  HttpClient plain_client(d.port());
  auto plain = plain_client.Request("GET", "/v1/queues");
  CHECK(plain.status == 400);
  CHECK(plain.body.find("this port speaks HTTPS") != std::string::npos);

  auto old = HttpsRequest(d.port(), "GET", "/healthz", TLS1_1_VERSION);
  CHECK(old.status == 0);  // the handshake fails

  CHECK(d.Log().find("(HTTPS)") != std::string::npos);
  // The plain client at least (the failed TLS 1.1 handshake may still be
  // being counted when this request arrives).
  std::string metrics = HttpsRequest(d.port(), "GET", "/metrics").body;
  std::smatch m;
  REQUIRE(std::regex_search(metrics, m, std::regex("triage_tls_handshake_failures_total ([0-9]+)\n")));
  CHECK(std::stoi(m[1].str()) >= 1);
}

TEST_CASE("TLS: a renewed certificate is served after a reload, and a broken one keeps the old", "[daemon][tls][reload]") {
  test::TempDir dir;
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  REQUIRE(test::WriteSelfSignedCertificate(cert, key, "first"));
  const std::string config = dir.Write("serve.yaml", "tls:\n  cert: " + cert + "\n  key: " + key + "\n");
  ServerConfig c;
  REQUIRE(ServerConfig::LoadFile(config, &c).ok());
  RunningDaemon d(c);
  CHECK(HttpsRequest(d.port(), "GET", "/healthz").peer_common_name == "first");

  REQUIRE(test::WriteSelfSignedCertificate(cert, key, "second"));
  REQUIRE(d.daemon->Reload().ok());
  CHECK(HttpsRequest(d.port(), "GET", "/healthz").peer_common_name == "second");

  // A key that does not match: refused, the "second" certificate still served.
  const std::string other_cert = dir.path() + "/other.pem", other_key = dir.path() + "/other.key";
  REQUIRE(test::WriteSelfSignedCertificate(other_cert, other_key, "third"));
  dir.Write("serve.yaml", "tls:\n  cert: " + cert + "\n  key: " + other_key + "\n");
  Status s = d.daemon->Reload();
  CHECK_FALSE(s.ok());
  INFO(s.message());
  CHECK(s.message().find("tls.key") != std::string::npos);
  CHECK(s.message().find("other.key") != std::string::npos);
  CHECK(HttpsRequest(d.port(), "GET", "/healthz").peer_common_name == "second");
}

TEST_CASE("TLS: a missing or unreadable certificate stops the start, naming the file", "[daemon][tls]") {
  test::TempDir dir;
  ServerConfig c = test::LocalConfig(dir);
  c.security.tls = {dir.path() + "/missing.pem", dir.path() + "/missing.key"};
  FILE* log = std::tmpfile();
  std::unique_ptr<Daemon> daemon;
  Status s = Daemon::Create(c, log, &daemon);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("tls.cert: cannot load the certificate chain '" + dir.path() + "/missing.pem'") !=
        std::string::npos);
  const std::string cert = dir.Write("garbage.pem", "not a certificate\n");
  c.security.tls = {cert, cert};
  s = Daemon::Create(c, log, &daemon);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("garbage.pem") != std::string::npos);
  std::fclose(log);
}
