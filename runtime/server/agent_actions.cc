#include "runtime/server/api.h"

#include <algorithm>

#include "base/json_writer.h"
#include "base/rfc3339.h"
#include "format/archive_format.h"
#include "engine/metrics/history.h"
#include "runtime/server/request.h"

namespace triage {

void Api::Claim(const std::string& queue, std::string body, Respond respond) {
  if (!KnownQueue(queue)) return respond(Error(404, "no queue '" + queue + "'", "queue"));
  // A push queue hands its messages to agents itself: a claim would take them
  // from under the assignment.
  if (const QueueConfig* qc = QueueSettings(queue); qc && qc->assignment != "pull")
    return respond(Error(409, "queue '" + queue + "' assigns its messages to agents (" + qc->assignment +
                                  "); agents send heartbeats and read GET /v1/agents/{agent}/messages",
                         "queue"));
  JsonFields f;
  std::string bad;
  if (Status s = ParseFields(body, &f, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  if (Status s = CheckFieldTypes(f, FieldTypes{{"agent", "id"}, {"lease_seconds", "max"}, {}}, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  auto agent = f.strings.find("agent");
  if (agent == f.strings.end() || agent->second.empty() || HasControlChars(agent->second))
    return respond(Error(400, "'agent' is required: a non-empty string without control characters", "agent"));
  if (agent->second.size() > kMaxAgentBytes)
    return respond(Error(400, "'agent': " + std::to_string(agent->second.size()) + " bytes, over the limit of " +
                                  std::to_string(kMaxAgentBytes),
                         "agent"));
  int64_t lease = config_.default_lease_seconds;
  if (auto it = f.ints.find("lease_seconds"); it != f.ints.end()) lease = it->second;
  if (lease < 1 || lease > config_.max_lease_seconds)
    return respond(Error(400, "'lease_seconds' must be from 1 to " + std::to_string(config_.max_lease_seconds),
                         "lease_seconds"));
  int64_t max = 1;
  if (auto it = f.ints.find("max"); it != f.ints.end()) max = it->second;
  if (max < 1 || max > static_cast<int64_t>(config_.max_claim))
    return respond(Error(400, "'max' must be from 1 to " + std::to_string(config_.max_claim), "max"));
  // "id": that message only (the console claims an alert item by name).
  std::string only;
  if (auto id = f.strings.find("id"); id != f.strings.end()) {
    only = id->second;
    if (only.empty() || only.size() > kMaxIdBytes || HasControlChars(only))
      return respond(Error(400, "'id' must be a message id", "id"));
  }
  auto done = [respond = std::move(respond), metrics = metrics_, only, queue](Status st, std::vector<ClaimedMessage> got) {
                  if (!st.ok()) return respond(StoreFailure(st, metrics));
                  if (!only.empty() && got.empty())
                    return respond(Error(409, "message '" + only + "' is not ready on queue '" + queue +
                                                  "': claimed, assigned or closed already, or on another queue",
                                         "id"));
                  std::string body = "{\"messages\":[";
                  for (size_t i = 0; i < got.size(); ++i) {
                    if (i) body += ",";
                    body += "{\"id\":";
                    AppendJsonString(got[i].id, &body);
                    body += ",\"lease_until_ms\":" + std::to_string(got[i].lease_until) + ",\"message\":" +
                            (got[i].raw.empty() ? "null" : got[i].raw) +
                            ",\"decision\":" + (got[i].decision.empty() ? "null" : got[i].decision) + "}";
                  }
                  body += "]}";
                  respond(Json(200, std::move(body)));
                };
  if (only.empty()) store_->Claim(queue, agent->second, static_cast<size_t>(max), lease * 1000, std::move(done));
  else store_->ClaimMessage(queue, only, agent->second, lease * 1000, std::move(done));
}

void Api::AddEvent(const std::string& id, std::string body, Respond respond) {
  JsonFields f;
  std::string bad;
  if (Status s = ParseFields(body, &f, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  if (Status s = CheckFieldTypes(f, FieldTypes{{"type", "agent", "at", "to_queue", "note"}, {"at_ms"}, {}}, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  Event e;
  auto type = ParseEventType(f.strings.count("type") ? f.strings["type"] : "");
  if (!type) return respond(Error(400, "'type' must be " + EventTypeList(), "type"));
  e.type = *type;
  e.agent = f.strings.count("agent") ? f.strings["agent"] : "";
  if (e.agent.empty() || HasControlChars(e.agent))
    return respond(Error(400, "'agent' is required: a non-empty string without control characters", "agent"));
  std::string_view time_field = "at_ms";
  if (auto it = f.ints.find("at_ms"); it != f.ints.end()) {
    e.at_ms = it->second;
  } else if (auto at = f.strings.find("at"); at != f.strings.end()) {
    if (!ParseRfc3339(at->second, &e.at_ms)) return respond(Error(400, "'at' must be an RFC 3339 timestamp", "at"));
    time_field = "at";
  } else {
    // Not given: it happened now (the time the daemon records it).
    e.at_ms = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  }
  if (e.type == EventType::kRerouted) e.to_queue = f.strings.count("to_queue") ? f.strings["to_queue"] : "";
  if (auto n = f.strings.find("note"); n != f.strings.end()) e.note = n->second;
  // Sizes and the time first: a name over its limit is not echoed back in
  // an error below, and a time out of range never reaches the histograms.
  if (Status s = CheckEventLimits(e, time_field, &bad); !s.ok())
    return respond(Error(400, "'" + bad + "': " + s.message(), bad));
  if (e.type == EventType::kRerouted && (e.to_queue.empty() || !KnownQueue(e.to_queue)))
    return respond(Error(400, "'to_queue' must name a known queue for a reroute", "to_queue"));
  // Response-time histograms: the first reply and the first resolution of a
  // message, timed from its arrival (created_at, or when it was stored).
  std::string histogram_kind, histogram_queue;
  double histogram_seconds = 0;
  if (e.type == EventType::kReplied || e.type == EventType::kResolved) {
    StoredMessage stored;
    HistoryMessage h;
    std::string why;
    if (store_->Get(id, &stored).ok() && ToHistoryMessage(id, stored, &h, &why)) {
      bool first = std::none_of(h.events.begin(), h.events.end(), [&](const HistoryEvent& x) { return x.type == e.type; });
      if (first) {
        histogram_kind = e.type == EventType::kReplied ? "first_response" : "resolution";
        histogram_queue = h.queue;
        histogram_seconds = static_cast<double>(std::max<int64_t>(0, e.at_ms - h.arrival_ms)) / 1000.0;
      }
    }
  }
  store_->AddEvent(id, std::move(e), [respond = std::move(respond), id, metrics = metrics_, histogram_kind,
                                      histogram_queue, histogram_seconds](Status st) {
    if (st.code() == Status::Code::kNotFound) return respond(Error(404, st.message(), "id"));
    if (!st.ok()) return respond(StoreFailure(st, metrics));
    if (!histogram_kind.empty()) metrics->responses.Observe(histogram_kind, histogram_queue, histogram_seconds);
    std::string body = "{\"id\":";
    AppendJsonString(id, &body);
    body += ",\"status\":\"recorded\"}";
    respond(Json(201, std::move(body)));
  });
}

void Api::Heartbeat(const std::string& agent, std::string body, Respond respond) {
  JsonFields f;
  std::string bad;
  if (Status s = ParseFields(body, &f, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  if (Status s = CheckFieldTypes(f, FieldTypes{{}, {}, {"queues"}}, &bad); !s.ok()) return respond(Error(400, s.message(), bad));
  auto queues = f.lists.find("queues");
  if (queues == f.lists.end() || queues->second.empty())
    return respond(Error(400, "'queues' is required: the queues this agent works on", "queues"));
  if (queues->second.size() > kMaxListEntries)
    return respond(Error(400, "'queues': " + std::to_string(queues->second.size()) + " entries, over the limit of " +
                                  std::to_string(kMaxListEntries),
                         "queues"));
  for (const auto& q : queues->second) {
    if (q.size() > kMaxQueueNameBytes)
      return respond(Error(400, "'queues': an entry of " + std::to_string(q.size()) + " bytes, over the limit of " +
                                    std::to_string(kMaxQueueNameBytes),
                           "queues"));
    if (!KnownQueue(q)) return respond(Error(400, "no queue '" + q + "'", "queues"));
  }
  store_->Heartbeat(agent, queues->second,
                    [respond = std::move(respond), agent, metrics = metrics_](Status st, QueueStore::AgentStatus a) {
                      if (!st.ok()) return respond(StoreFailure(st, metrics));
                      std::string out = "{\"agent\":";
                      AppendJsonString(agent, &out);
                      out += ",\"online_until_ms\":" + std::to_string(a.online_until) +
                             ",\"open_conversations\":" + std::to_string(a.open_conversations) +
                             ",\"newly_assigned\":" + std::to_string(a.newly_assigned) + "}";
                      respond(Json(200, std::move(out)));
                    });
}

}  // namespace triage
