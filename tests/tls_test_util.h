// TLS for the tests: a self-signed certificate made on the spot (no key is
// kept in the repository) and a blocking HTTPS client that reports the
// certificate the server presented (OpenSSL and Boost.Beast in
// tls_test_util.cc).
#ifndef TRIAGE_TESTS_TLS_TEST_UTIL_H_
#define TRIAGE_TESTS_TLS_TEST_UTIL_H_

#include <openssl/ssl.h>  // TLS1_1_VERSION and the like, for HttpsRequest's max_version

#include <cstdint>
#include <string>

#include "http_client.h"

namespace triage::test {

// Writes a fresh P-256 key and a self-signed certificate for `common_name`
// (valid for a day, subjectAltName `san`: the names a client that verifies
// it checks the host against) as PEM files; false on any OpenSSL error.
bool WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                const std::string& common_name, const std::string& san = "IP:127.0.0.1");

struct HttpsResult : HttpResult {
  std::string peer_common_name;  // of the certificate the server presented
};

// One request over a fresh TLS connection (the test certificate is not
// verified: it is self-signed; what is checked is that TLS works and which
// certificate is served). `max_version`: e.g. TLS1_1_VERSION to try an old
// protocol; 0 for the default.
HttpsResult HttpsRequest(uint16_t port, const std::string& method, const std::string& target, int max_version = 0);

}  // namespace triage::test

#endif  // TRIAGE_TESTS_TLS_TEST_UTIL_H_
