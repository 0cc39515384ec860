#include "runtime/server/console.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace triage {

namespace {

std::string_view ContentType(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

// A strong validator: FNV-1a 64 of the bytes (they change only with the binary).
std::string ETagOf(std::string_view data) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

void SecurityHeaders(ApiResponse* r) {
  r->headers.emplace_back("Content-Security-Policy", std::string(kConsoleCsp));
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace

ApiResponse ConsoleFile(std::string_view asset, std::string_view if_none_match) {
  if (asset.empty()) asset = "index.html";
  for (size_t i = 0; i < kNumConsoleFiles; ++i) {
    const EmbeddedFile& f = kConsoleFiles[i];
    if (f.name != asset) continue;
    ApiResponse r;
    SecurityHeaders(&r);
    std::string etag = ETagOf(f.data);
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("ETag", etag);
    if (if_none_match == etag) {
      r.status = 304;
      r.content_type = std::string(ContentType(f.name));
      return r;
    }
    r.status = 200;
    r.content_type = std::string(ContentType(f.name));
    r.body = std::string(f.data);
    return r;
  }
  ApiResponse r = Api::Error(404, "no console file '" + std::string(asset) + "'", "asset");
  SecurityHeaders(&r);
  return r;
}

}  // namespace triage
