// A minimal blocking HTTP/1.1 client for tests and load tools. The Boost.Beast
// code behind it lives in http_client.cc, compiled once: with it inline, each
// of the twenty test files that include this header spent half a minute
// instantiating it under the sanitizers.
#ifndef TRIAGE_TESTS_HTTP_CLIENT_H_
#define TRIAGE_TESTS_HTTP_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace triage::test {

// `s` percent-encoded for a URL: every byte but ASCII letters and digits.
std::string PercentEncoded(const std::string& s);

struct HttpResult {
  int status = 0;  // 0: connection failed
  std::string body;
  std::map<std::string, std::string> headers;
  std::string error;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // A header sent with every request from now on ("" removes it).
  void SetHeader(const std::string& name, const std::string& value);

  // One request on the kept connection (opened on first use, and again after
  // the server or `keep_alive == false` closed it), with `extra` headers for
  // this request only, sent as given (an empty value as an empty header).
  // Never throws: a failure is status 0 with `error`.
  HttpResult Request(const std::string& method, const std::string& target, const std::string& body = "",
                     bool keep_alive = true, const std::vector<std::pair<std::string, std::string>>& extra = {});

 private:
  struct Connection;  // the io_context and the stream on it
  std::unique_ptr<Connection> connection_;
  uint16_t port_;
  std::string host_;
  std::map<std::string, std::string> headers_;
};

// One request on a fresh connection, closed afterwards, with `headers` sent
// exactly as given (an empty value is sent as an empty header).
HttpResult RequestOnce(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace triage::test

#endif  // TRIAGE_TESTS_HTTP_CLIENT_H_
