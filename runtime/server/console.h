// The operator console: a small single-page web app (HTML, CSS and plain
// JavaScript in runtime/server/console/) that `triage serve` serves at
// /console. Its files are compiled into the binary (CMake turns each into a
// byte array, embed_console.cmake): nothing is read from disk or fetched
// from a network at run time.
//
// The files hold no data and are served without a token; everything the
// page shows comes from the /v1 API with the token the operator pastes in
// (kept in the tab's sessionStorage, sent as Authorization: Bearer), so a
// page shows and does only what that token's scopes allow.
//
// Every answer carries a strict Content-Security-Policy (scripts, styles
// and fetches from this origin only: no inline script, no eval, no
// framing), nosniff, no referrer, and an ETag with Cache-Control: no-cache
// (the browser revalidates and gets a 304 until the binary changes).
#ifndef TRIAGE_RUNTIME_SERVER_CONSOLE_H_
#define TRIAGE_RUNTIME_SERVER_CONSOLE_H_

#include <string_view>

#include "runtime/server/api.h"

namespace triage {

// One file compiled in (the generated console_files.cc defines the table).
struct EmbeddedFile {
  std::string_view name;  // relative to runtime/server/console/, e.g. "app.js"
  std::string_view data;
};
extern const EmbeddedFile kConsoleFiles[];
extern const size_t kNumConsoleFiles;

inline constexpr std::string_view kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The answer for GET /console ("" asset: index.html) or /console/{asset}:
// the file with its Content-Type, or 304 when `if_none_match` is its ETag,
// or a 404.
ApiResponse ConsoleFile(std::string_view asset, std::string_view if_none_match);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_CONSOLE_H_
