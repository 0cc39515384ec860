#include "runtime/server/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace triage {

namespace ssl = boost::asio::ssl;

namespace {

// The last OpenSSL error, in words.
std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

Status MakeTlsContext(const TlsConfig& tls, std::shared_ptr<ssl::context>* out) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2: ECDHE key exchange with AEAD ciphers only. (TLS 1.3's suites are
  // all AEAD and OpenSSL's defaults are kept.)
  SSL_CTX_set_cipher_list(native,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, tls.cert.c_str()) != 1)
    return Status::InvalidArgument("tls.cert: cannot load the certificate chain '" + tls.cert + "': " + OpenSslError());
  if (SSL_CTX_use_PrivateKey_file(native, tls.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return Status::InvalidArgument("tls.key: cannot load the private key '" + tls.key + "': " + OpenSslError());
  if (SSL_CTX_check_private_key(native) != 1)
    return Status::InvalidArgument("tls: the key '" + tls.key + "' does not match the certificate '" + tls.cert +
                                   "': " + OpenSslError());
  *out = std::move(ctx);
  return Status::OK();
}

}  // namespace triage
