#include "engine/metrics/response_metrics.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <unordered_map>

#include "base/json_writer.h"

namespace triage {

namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;

std::tm Utc(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Conversation {
  std::vector<const HistoryMessage*> messages;  // in arrival order
};

void AppendDistribution(const Distribution& d, std::string* o) {
  *o += "{\"count\":";
  AppendJsonInt(static_cast<int64_t>(d.count()), o);
  for (auto [name, q] : {std::pair<const char*, double>{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}}) {
    *o += ",\"";
    *o += name;
    *o += "_seconds\":";
    if (d.count()) AppendJsonNumber(static_cast<double>(d.Percentile(q)) / 1000.0, o);
    else *o += "null";
  }
  *o += "}";
}

void AppendGroup(const GroupMetrics& g, std::string* o) {
  auto field = [&](const char* k, int64_t v) {
    *o += ",\"";
    *o += k;
    *o += "\":";
    AppendJsonInt(v, o);
  };
  auto rate = [&](const char* k, double v) {
    *o += ",\"";
    *o += k;
    *o += "\":";
    AppendJsonNumber(std::round(v * 1e4) / 1e4, o);
  };
  *o += "{\"conversations\":";
  AppendJsonInt(g.conversations, o);
  field("messages", g.messages);
  field("responded", g.responded);
  field("resolved", g.resolved);
  field("resolved_in_channel", g.resolved_in_channel);
  field("public_conversations", g.public_conversations);
  field("moved_private", g.moved_private);
  field("rerouted_messages", g.rerouted_messages);
  field("sla_hit", g.sla_hit);
  field("sla_missed", g.sla_missed);
  field("sla_pending", g.sla_pending);
  rate("response_rate", g.ResponseRate());
  rate("sla_attainment", g.SlaAttainment());
  rate("in_channel_resolution_rate", g.InChannelResolutionRate());
  rate("deflection_rate", g.DeflectionRate());
  rate("private_move_rate", g.PrivateMoveRate());
  rate("reroute_rate", g.RerouteRate());
  *o += ",\"first_response\":";
  AppendDistribution(g.first_response, o);
  *o += ",\"next_response\":";
  AppendDistribution(g.next_response, o);
  *o += ",\"resolution\":";
  AppendDistribution(g.resolution, o);
  *o += "}";
}

void AppendGroups(const char* name, const std::map<std::string, GroupMetrics>& groups, std::string* o) {
  *o += ",\"";
  *o += name;
  *o += "\":{";
  bool first = true;
  for (const auto& [k, g] : groups) {
    if (!first) *o += ",";
    first = false;
    AppendJsonString(k, o);
    *o += ":";
    AppendGroup(g, o);
  }
  *o += "}";
}

}  // namespace

void Distribution::Finish() { std::sort(values.begin(), values.end()); }

int64_t Distribution::Percentile(double q) const {
  if (values.empty()) return histogram.Percentile(q);
  // Nearest rank: the smallest value with at least q of the values at or below it.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size(), std::max<size_t>(rank, 1)) - 1];
}

std::string IsoDay(int64_t ms) {
  std::tm tm = Utc(ms);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string IsoWeek(int64_t ms) {
  std::tm tm = Utc(ms);
  char buf[16];
  std::strftime(buf, sizeof buf, "%G-W%V", &tm);
  return buf;
}

double MetricsSummary::HoursCoveredPerWeek() const {
  double weeks = static_cast<double>(to_ms - from_ms) / (7.0 * kDayMs);
  return weeks > 0 ? static_cast<double>(activity.hours.size()) / std::max(weeks, 1.0 / 7) : 0;
}

double MetricsSummary::AgentsPerDay() const {
  // Distinct agents of each day, averaged over the days of the period.
  double days = std::ceil(static_cast<double>(to_ms - from_ms) / kDayMs);
  return days > 0 ? static_cast<double>(activity.agent_days.size()) / days : 0;
}

MetricsSummary ComputeMetrics(const std::vector<HistoryMessage>& history, const MetricsOptions& options,
                              int64_t from_ms, int64_t to_ms) {
  MetricsSummary s;
  s.from_ms = from_ms;
  s.to_ms = to_ms;
  std::unordered_map<std::string, Conversation> conversations;
  std::vector<std::string> order;
  for (const HistoryMessage& m : history) {
    auto& first = s.channel_first_seen[m.channel];
    if (first == 0 || m.arrival_ms < first) first = m.arrival_ms;
    for (const HistoryEvent& e : m.events) {
      if (e.at_ms < from_ms || e.at_ms >= to_ms || e.agent.empty()) continue;
      s.activity.agents.insert(e.agent);
      s.activity.hours.insert(FloorDiv(e.at_ms, kHourMs));
      s.activity.days.insert(FloorDiv(e.at_ms, kDayMs));
      s.activity.agent_days.emplace(FloorDiv(e.at_ms, kDayMs), e.agent);
      Activity& w = s.activity_by_week[IsoWeek(e.at_ms)];
      w.agents.insert(e.agent);
      w.hours.insert(FloorDiv(e.at_ms, kHourMs));
      w.days.insert(FloorDiv(e.at_ms, kDayMs));
      w.agent_days.emplace(FloorDiv(e.at_ms, kDayMs), e.agent);
    }
    const std::string& key = m.conversation.empty() ? m.id : m.conversation;
    auto [it, inserted] = conversations.try_emplace(key);
    if (inserted) order.push_back(key);
    it->second.messages.push_back(&m);
  }

  struct Timed {
    int64_t at;
    int kind;  // 0 customer message, 1 event
    const HistoryEvent* event;
  };
  std::vector<std::pair<int64_t, const std::string*>> arrival_order;
  for (const std::string& key : order) {
    Conversation& c = conversations[key];
    std::stable_sort(c.messages.begin(), c.messages.end(),
                     [](const HistoryMessage* a, const HistoryMessage* b) { return a->arrival_ms < b->arrival_ms; });
    arrival_order.emplace_back(c.messages.front()->arrival_ms, &key);
  }
  std::stable_sort(arrival_order.begin(), arrival_order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  for (const auto& [start, key] : arrival_order) {
    if (start < from_ms || start >= to_ms) continue;
    const Conversation& c = conversations[*key];
    const HistoryMessage& head = *c.messages.front();
    s.channels_in_period.insert(head.channel);
    s.channels_by_week[IsoWeek(start)].insert(head.channel);
    int64_t& week_end = s.week_end_ms[IsoWeek(start)];
    week_end = std::max(week_end, start + 1);
    auto qt = options.queues.find(head.queue);
    QueueTargets targets = qt == options.queues.end() ? QueueTargets() : qt->second;
    auto business = [&](int64_t a, int64_t b) { return targets.hours.Between(a, b); };

    // One timeline: customer messages and events, by time (events first on
    // ties only if they are stamped earlier; a message and a reply in the
    // same millisecond keep arrival first).
    std::vector<Timed> timeline;
    int64_t rerouted_messages = 0;
    bool escalated = false, moved_private = false;
    for (const HistoryMessage* m : c.messages) {
      timeline.push_back({m->arrival_ms, 0, nullptr});
      bool rerouted = false;
      for (const HistoryEvent& e : m->events) {
        int64_t at = e.at_ms;
        if (at < start) {
          ++s.clock_skew_events;
          at = start;
        }
        timeline.push_back({at, 1, &e});
        if (e.type == EventType::kRerouted) rerouted = true;
        if (e.type == EventType::kEscalatedOffchannel) escalated = true;
        if (e.type == EventType::kMovedPrivate) moved_private = true;
      }
      if (rerouted) ++rerouted_messages;
    }
    std::stable_sort(timeline.begin(), timeline.end(), [](const Timed& a, const Timed& b) {
      return a.at != b.at ? a.at < b.at : a.kind < b.kind;
    });
    int64_t first_reply = -1, resolved_at = -1;
    std::vector<int64_t> next_waits;
    int64_t waiting_since = -1;  // a customer message after a reply, not answered yet
    for (const Timed& t : timeline) {
      if (t.kind == 0) {
        if (first_reply >= 0 && waiting_since < 0) waiting_since = t.at;
        continue;
      }
      const EventType type = t.event->type;
      if (type == EventType::kReplied) {
        if (first_reply < 0) {
          first_reply = t.at;
        } else if (waiting_since >= 0) {
          next_waits.push_back(business(waiting_since, t.at));
          waiting_since = -1;
        }
      } else if (type == EventType::kResolved && resolved_at < 0) {
        resolved_at = t.at;
      }
    }
    int64_t frt = first_reply >= 0 ? business(start, first_reply) : -1;
    int64_t ttr = resolved_at >= 0 ? business(start, resolved_at) : -1;
    std::string sla_status;
    if (targets.sla_ms > 0) {
      if (frt >= 0) sla_status = frt <= targets.sla_ms ? "hit" : "missed";
      else sla_status = business(start, std::max(options.now_ms, start)) > targets.sla_ms ? "missed" : "pending";
      s.sla.push_back(ConversationSla{*key, head.queue, sla_status, frt});
    }

    GroupMetrics* groups[] = {&s.all,
                              &s.by_queue[head.queue],
                              &s.by_label[head.label],
                              &s.by_channel[head.channel],
                              &s.by_brand[head.brand],
                              &s.by_day[IsoDay(start)],
                              &s.by_week[IsoWeek(start)]};
    for (GroupMetrics* g : groups) {
      ++g->conversations;
      g->messages += static_cast<int64_t>(c.messages.size());
      g->rerouted_messages += rerouted_messages;
      if (frt >= 0) {
        ++g->responded;
        g->first_response.values.push_back(frt);
      }
      for (int64_t w : next_waits) g->next_response.values.push_back(w);
      if (ttr >= 0) {
        ++g->resolved;
        g->resolution.values.push_back(ttr);
        if (!escalated) ++g->resolved_in_channel;
      }
      if (head.is_public) {
        ++g->public_conversations;
        if (moved_private) ++g->moved_private;
      }
      if (sla_status == "hit") ++g->sla_hit;
      else if (sla_status == "missed") ++g->sla_missed;
      else if (sla_status == "pending") ++g->sla_pending;
    }
  }
  auto finish = [](GroupMetrics& g) {
    g.first_response.Finish();
    g.next_response.Finish();
    g.resolution.Finish();
  };
  finish(s.all);
  for (auto* m : {&s.by_queue, &s.by_label, &s.by_channel, &s.by_brand, &s.by_day, &s.by_week})
    for (auto& [k, g] : *m) finish(g);
  return s;
}

std::string MetricsSummary::ToJson(bool with_conversations) const {
  std::string o = "{\"from\":";
  AppendJsonString(IsoDay(from_ms), &o);
  o += ",\"to\":";
  AppendJsonString(IsoDay(to_ms), &o);
  o += ",\"all\":";
  AppendGroup(all, &o);
  AppendGroups("by_queue", by_queue, &o);
  AppendGroups("by_label", by_label, &o);
  AppendGroups("by_channel", by_channel, &o);
  AppendGroups("by_brand", by_brand, &o);
  AppendGroups("by_day", by_day, &o);
  AppendGroups("by_week", by_week, &o);
  o += ",\"channels\":[";
  bool first = true;
  for (const auto& [ch, at] : channel_first_seen) {
    if (!first) o += ",";
    first = false;
    o += "{\"channel\":";
    AppendJsonString(ch, &o);
    o += ",\"first_seen\":";
    AppendJsonString(IsoDay(at), &o);
    o += ",\"in_period\":";
    o += channels_in_period.count(ch) ? "true" : "false";
    o += "}";
  }
  o += "],\"agents_active\":";
  AppendJsonInt(static_cast<int64_t>(activity.agents.size()), &o);
  o += ",\"agents_per_day\":";
  AppendJsonNumber(std::round(AgentsPerDay() * 100) / 100, &o);
  o += ",\"hours_covered\":";
  AppendJsonInt(static_cast<int64_t>(activity.hours.size()), &o);
  o += ",\"hours_covered_per_week\":";
  AppendJsonNumber(std::round(HoursCoveredPerWeek() * 10) / 10, &o);
  o += ",\"clock_skew_events\":";
  AppendJsonInt(clock_skew_events, &o);
  if (with_conversations) {
    o += ",\"sla_by_conversation\":[";
    for (size_t i = 0; i < sla.size(); ++i) {
      if (i) o += ",";
      o += "{\"conversation\":";
      AppendJsonString(sla[i].conversation, &o);
      o += ",\"queue\":";
      AppendJsonString(sla[i].queue, &o);
      o += ",\"status\":";
      AppendJsonString(sla[i].status, &o);
      o += ",\"first_response_seconds\":";
      if (sla[i].first_response_ms >= 0) AppendJsonNumber(static_cast<double>(sla[i].first_response_ms) / 1000, &o);
      else o += "null";
      o += "}";
    }
    o += "]";
    if (sla_paged) {
      o += ",\"sla_by_conversation_next\":";
      if (sla_next_cursor.empty()) o += "null";
      else AppendJsonString(sla_next_cursor, &o);
    }
  }
  o += "}";
  return o;
}

}  // namespace triage
