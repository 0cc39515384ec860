// HttpCall: one HTTP/1.1 request to a URL and its response, for the outbound
// sinks. Synchronous (the calling delivery thread waits), with a deadline on
// each step (resolve, connect, TLS handshake, write, read), so a receiver
// that hangs costs one delivery thread at most timeout_ms per step and never
// more. https:// verifies the certificate chain (the system's CA paths, or
// ca_file) and the host name unless verify_tls is off. One connection per
// call ("Connection: close"): deliveries are rare next to ingest.
#ifndef TRIAGE_RUNTIME_OUTBOUND_HTTP_CLIENT_H_
#define TRIAGE_RUNTIME_OUTBOUND_HTTP_CLIENT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace triage {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // http://host[:port]/path?query or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Type from headers (default application/json)
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
};

struct HttpClientOptions {
  int64_t timeout_ms = 10'000;
  bool verify_tls = true;
  std::string ca_file;  // empty: the system's CA paths
};

struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, at least "/"
};
// False for anything but http(s)://host[:port][/...].
bool ParseUrl(const std::string& url, ParsedUrl* out);

// OK with the response for any HTTP status; IOError for a failure to get one
// (resolve, connect, TLS, reset, timeout: the message says which);
// InvalidArgument for a URL ParseUrl refuses.
Status HttpCall(const HttpRequest& req, const HttpClientOptions& opts, HttpResponse* resp);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_OUTBOUND_HTTP_CLIENT_H_
