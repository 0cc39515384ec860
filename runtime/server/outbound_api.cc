// The outbound dead letters through the API (admin scope):
//   GET  /v1/outbound/{sink}/dead-letters?limit=N      oldest first
//   POST /v1/outbound/{sink}/dead-letters/{n}/retry    back into the outbox
#include <charconv>

#include "base/json_writer.h"
#include "runtime/server/api.h"
#include "runtime/server/request.h"

namespace triage {

void Api::DeadLetters(const std::string& sink, std::string_view query, Respond respond) {
  if (!outbound_ || !outbound_->HasSink(sink)) return respond(Error(404, "no outbound sink '" + sink + "'", "sink"));
  size_t limit = 0;
  if (!LimitParam(query, 100, 10000, &limit))
    return respond(Error(400, "limit must be an integer from 1 to 10000", "limit"));
  std::string body;
  if (Status s = outbound_->DeadLettersJson(sink, limit, &body); !s.ok()) return respond(Error(500, s.message()));
  respond(Json(200, std::move(body)));
}

void Api::RetryDeadLetter(const std::string& sink, const std::string& id, Respond respond) {
  if (!outbound_ || !outbound_->HasSink(sink)) return respond(Error(404, "no outbound sink '" + sink + "'", "sink"));
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || p != id.data() + id.size() || n == 0)
    return respond(Error(400, "the dead letter id must be a positive integer", "n"));
  if (draining_) return respond(Error(503, "draining: no new retries"));
  outbound_->Retry(sink, n, [respond = std::move(respond), sink, n, metrics = metrics_](Status s) {
    if (s.code() == Status::Code::kNotFound) return respond(Error(404, s.message(), "n"));
    if (!s.ok()) return respond(StoreFailure(s, metrics));
    std::string body = "{\"sink\":";
    AppendJsonString(sink, &body);
    body += ",\"id\":" + std::to_string(n) + ",\"status\":\"requeued\"}";
    respond(Json(202, std::move(body)));
  });
}

}  // namespace triage
