#include "runtime/server/api.h"

#include <charconv>

#include "base/json_writer.h"
#include "base/rfc3339.h"
#include "engine/metrics/aggregate_report.h"
#include "engine/metrics/history.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/maturity_html.h"
#include "runtime/server/request.h"

namespace triage {

namespace {

bool ParseIndex(std::string_view s, size_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

void Api::GetMessage(const std::string& id, Respond respond) {
  StoredMessage m;
  Status s = store_->Get(id, &m);
  if (s.code() == Status::Code::kNotFound) return respond(Error(404, "message '" + id + "' not found", "id"));
  if (!s.ok()) return respond(Error(500, s.message()));
  std::string body = "{\"id\":";
  AppendJsonString(id, &body);
  body += ",\"message\":" + m.raw + ",\"decision\":" + (m.decision.empty() ? "null" : m.decision) + ",\"state\":{\"queue\":";
  AppendJsonString(m.state.queue, &body);
  body += ",\"priority\":\"" + std::string(PriorityName(m.state.priority)) + "\",\"status\":\"" +
          std::string(MessageStatusName(m.state.status)) + "\",\"agent\":";
  AppendJsonString(m.state.agent, &body);
  body += ",\"lease_until_ms\":" + std::to_string(m.state.lease_until) +
          ",\"received_ms\":" + std::to_string(m.state.received_ms) + "},\"events\":[";
  for (size_t i = 0; i < m.events.size(); ++i) body += (i ? "," : "") + m.events[i];
  body += "]}";
  respond(Json(200, std::move(body)));
}

void Api::ListQueues(Respond respond) {
  std::string body = "{\"queues\":[";
  bool first = true;
  for (const QueueInfo& q : store_->Queues(KnownQueues())) {
    if (!first) body += ",";
    first = false;
    body += "{\"name\":";
    AppendJsonString(q.name, &body);
    body += ",\"depth\":" + std::to_string(q.depth) + ",\"claimed\":" + std::to_string(q.claimed) +
            ",\"oldest_age_seconds\":";
    AppendJsonNumber(static_cast<double>(q.oldest_age_ms) / 1000.0, &body);
    const QueueConfig* qc = QueueSettings(q.name);
    body += ",\"assigned\":" + std::to_string(q.assigned) + ",\"sla_seconds\":" +
            std::to_string(qc ? qc->sla_seconds : 0) + ",\"assignment\":\"" + (qc ? qc->assignment : "pull") + "\"}";
  }
  body += "]}";
  respond(Json(200, std::move(body)));
}

void Api::Peek(const std::string& queue, std::string_view query, Respond respond) {
  if (!KnownQueue(queue)) return respond(Error(404, "no queue '" + queue + "'", "queue"));
  size_t limit = 0;
  if (!LimitParam(query, 20, 100000, &limit))
    return respond(Error(400, "limit must be an integer from 1 to 100000", "limit"));
  std::string body = "{\"queue\":";
  AppendJsonString(queue, &body);
  body += ",\"messages\":";
  AppendIdDecisions(store_->Peek(queue, limit), &body);
  body += "}";
  respond(Json(200, std::move(body)));
}

void Api::ListAlerts(std::string_view query, Respond respond) {
  std::string_view state = QueryParam(query, "state");
  if (state.empty()) state = "all";
  if (state != "all" && state != "open" && state != "closed")
    return respond(Error(400, "state must be open, closed or all", "state"));
  size_t limit = 0;
  if (!LimitParam(query, 100, 10000, &limit))
    return respond(Error(400, "limit must be an integer from 1 to 10000", "limit"));
  std::vector<std::string> all = store_->Alerts();
  std::string body = "{\"alerts\":[";
  size_t n = 0;
  // Ids begin with the opening time, so the last ones are the newest.
  for (auto it = all.rbegin(); it != all.rend() && n < limit; ++it) {
    bool open = it->find("\"closed_at\":null") != std::string::npos;
    if ((state == "open" && !open) || (state == "closed" && open)) continue;
    if (n++) body += ",";
    body += *it;
  }
  body += "]}";
  respond(Json(200, std::move(body)));
}

void Api::ListAgents(Respond respond) {
  std::string out = "{\"agents\":[";
  bool first = true;
  for (const auto& a : store_->Agents()) {
    if (!first) out += ",";
    first = false;
    out += "{\"agent\":";
    AppendJsonString(a.name, &out);
    out += ",\"online_until_ms\":" + std::to_string(a.online_until) +
           ",\"open_conversations\":" + std::to_string(a.open_conversations) + ",\"queues\":[";
    for (size_t i = 0; i < a.queues.size(); ++i) {
      if (i) out += ",";
      AppendJsonString(a.queues[i], &out);
    }
    out += "]}";
  }
  out += "]}";
  respond(Json(200, std::move(out)));
}

void Api::AgentMessages(const std::string& agent, Respond respond) {
  std::string out = "{\"agent\":";
  AppendJsonString(agent, &out);
  out += ",\"messages\":";
  AppendIdDecisions(store_->AssignedTo(agent), &out);
  out += "}";
  respond(Json(200, std::move(out)));
}

void Api::Report(bool maturity, std::string_view query, Respond respond) {
  // Period: ?from=YYYY-MM-DD&to=YYYY-MM-DD (or RFC 3339 times); default the
  // last 28 days. "Now" for targets not yet due is the wall clock.
  const int64_t now = now_seconds_ ? now_seconds_() * 1000 : WallMs();
  auto parse_time = [](std::string_view v, int64_t* ms) {
    std::string s(v);
    if (s.size() == 10) s += "T00:00:00Z";
    return ParseRfc3339(s, ms);
  };
  int64_t to = now, from = now - 28 * 86'400'000LL;
  std::string_view f = QueryParam(query, "from"), t = QueryParam(query, "to");
  if (!f.empty() && !parse_time(f, &from)) return respond(Error(400, "from must be YYYY-MM-DD or RFC 3339", "from"));
  if (!t.empty() && !parse_time(t, &to)) return respond(Error(400, "to must be YYYY-MM-DD or RFC 3339", "to"));
  if (to <= from) return respond(Error(400, "to must be after from", "to"));
  std::string_view format = QueryParam(query, "format");
  if (format.empty()) format = "json";
  if (format != "json" && (!maturity || format != "html"))
    return respond(Error(400, maturity ? "format must be json or html" : "format must be json", "format"));
  std::string_view conversations = QueryParam(query, "conversations");
  if (!conversations.empty() && conversations != "true" && conversations != "false")
    return respond(Error(400, "conversations must be true or false", "conversations"));
  // The per-conversation list is paged: ?limit= (1-10000, default 1000) and
  // ?cursor= (sla_by_conversation_next of the page before).
  size_t limit = 0;
  if (!LimitParam(query, 1000, 10000, &limit))
    return respond(Error(400, "limit must be an integer from 1 to 10000", "limit"));
  std::string cursor(QueryParam(query, "cursor"));
  const bool html = format == "html";
  const bool with_conversations = !maturity && conversations == "true";
  auto job = [this, maturity, html, with_conversations, from, to, now, limit, cursor = std::move(cursor),
              respond](bool refused) {
    if (refused) return respond(Error(503, "shutting down: no new report"));
    MetricsOptions options = config_.MetricsOptionsFor(now);
    MetricsSummary summary;
    Status s = AggregateSummary(*store_, options, from, to, &summary);
    if (s.ok() && with_conversations) s = AggregateSlaPage(*store_, options, from, to, cursor, limit, &summary);
    if (s.code() == Status::Code::kInvalidArgument) return respond(Error(400, s.message(), "cursor"));
    if (s.code() == Status::Code::kNotFound) {
      // No aggregates for these targets (a reload changed them): the exact
      // computation over every stored message, slow but right.
      std::vector<HistoryMessage> history;
      if (Status hs = LoadHistory(*store_, &history); !hs.ok()) return respond(Error(500, hs.message()));
      summary = ComputeMetrics(history, options, from, to);
      if (with_conversations) {
        // Paged by position here: cursor "n<index>".
        size_t begin = 0;
        if (!cursor.empty() && (cursor[0] != 'n' || !ParseIndex(cursor.substr(1), &begin)))
          return respond(Error(400, "cursor: not a cursor from sla_by_conversation_next", "cursor"));
        std::vector<ConversationSla> page;
        for (size_t i = begin; i < summary.sla.size() && page.size() < limit; ++i) page.push_back(summary.sla[i]);
        summary.sla_paged = true;
        if (begin + page.size() < summary.sla.size()) summary.sla_next_cursor = "n" + std::to_string(begin + page.size());
        summary.sla = std::move(page);
      }
    } else if (!s.ok()) {
      return respond(Error(500, s.message()));
    }
    if (!maturity) return respond(Json(200, summary.ToJson(with_conversations)));
    MaturityReport report = AssessMaturity(summary, config_.maturity);
    if (html) {
      ApiResponse r;
      r.status = 200;
      r.body = MaturityHtml(report);
      r.content_type = "text/html; charset=utf-8";
      return respond(std::move(r));
    }
    respond(Json(200, report.ToJson()));
  };
  if (!report_runner_) return job(false);
  if (!report_runner_(job)) {
    ApiResponse r = Error(503, "busy: too many reports waiting");
    r.retry_after_seconds = 1;
    respond(std::move(r));
  }
}

}  // namespace triage
