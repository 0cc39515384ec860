// The server side of TLS: a Boost.Asio SSL context made from the config's
// certificate chain and key, TLS 1.2 and 1.3 only, forward-secret AEAD
// ciphers only (the "intermediate" profile most servers use), no
// compression, no renegotiation.
//
// A context is immutable once made; a reload makes a new one and the server
// hands it to connections accepted from then on (connections already open
// keep the one they started with).
#ifndef TRIAGE_RUNTIME_SERVER_TLS_CONTEXT_H_
#define TRIAGE_RUNTIME_SERVER_TLS_CONTEXT_H_

#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "base/status.h"
#include "runtime/server/security_config.h"

namespace triage {

// InvalidArgument names the file that is missing, unreadable or wrong (a key
// that does not match the certificate names both).
Status MakeTlsContext(const TlsConfig& tls, std::shared_ptr<boost::asio::ssl::context>* out);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_TLS_CONTEXT_H_
