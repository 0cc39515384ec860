// ResponseMetrics: how the team responded, computed from stored messages and
// their events (replied, resolved, rerouted, moved_private,
// escalated_offchannel). Pure computation over a History; loading one from a
// data directory is history.h.
//
// Definitions (README.md, "Response metrics", says the same for users):
//  - A conversation is the messages sharing a conversation_id (a message
//    without one is a conversation of its own). It is counted in the period
//    in which its first message arrived, under that message's queue, label,
//    channel and brand. Arrival is the message's created_at (event time),
//    or when it was stored if it has none.
//  - First response: first message's arrival to the first `replied` event on
//    any message of the conversation. Next response: each later customer
//    message that arrives after a reply, to the next reply after it.
//    Resolution: first arrival to the first `resolved`. All three count only
//    the business hours of the conversation's queue.
//  - SLA (per conversation, when its queue has a target): hit if the first
//    response came within the target, missed if it came later or if none came
//    and the target has passed (as of `now`), else pending.
//  - Response rate: conversations with a reply / conversations. In-channel
//    resolution rate: resolved without `escalated_offchannel` / resolved
//    (the deflection rate is its complement). Private-move rate: public
//    conversations with `moved_private` / public conversations. Reroute rate:
//    messages a person moved to another queue / messages.
//  - Events are ordered by their time whatever order they were recorded in;
//    an event stamped before the conversation began counts as at its start
//    (and is counted in clock_skew_events).
#ifndef TRIAGE_ENGINE_METRICS_RESPONSE_METRICS_H_
#define TRIAGE_ENGINE_METRICS_RESPONSE_METRICS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/metrics/business_hours.h"
#include "engine/metrics/duration_histogram.h"
#include "format/event.h"

namespace triage {

// What a person did with a message (format/event.h: typed, as stored).
using HistoryEvent = Event;

struct HistoryMessage {
  std::string id;
  std::string conversation;  // empty: the message is its own conversation
  std::string queue;         // where the engine routed it (its decision)
  std::string label;
  std::string channel;
  std::string brand;
  bool is_public = false;
  int64_t arrival_ms = 0;
  std::vector<HistoryEvent> events;
};

struct QueueTargets {
  int64_t sla_ms = 0;  // 0: no target
  BusinessHours hours;
};

struct MetricsOptions {
  std::map<std::string, QueueTargets> queues;  // queues not listed: no target, always open
  int64_t now_ms = 0;                          // for "pending" vs "missed"
};

// Durations in milliseconds with their percentiles: the values themselves
// (ComputeMetrics: exact), or, in a summary made from the store's
// aggregates (aggregate_report.h), only a histogram of them (percentiles
// within DurationHistogram::kRelativeError).
struct Distribution {
  std::vector<int64_t> values;  // sorted by Finish()
  DurationHistogram histogram;  // used when `values` is empty
  void Finish();
  size_t count() const { return values.empty() ? static_cast<size_t>(histogram.count()) : values.size(); }
  int64_t Percentile(double q) const;  // nearest rank; 0 when empty
};

struct GroupMetrics {
  int64_t conversations = 0, messages = 0, responded = 0, resolved = 0, resolved_in_channel = 0;
  int64_t public_conversations = 0, moved_private = 0, rerouted_messages = 0;
  int64_t sla_hit = 0, sla_missed = 0, sla_pending = 0;
  Distribution first_response, next_response, resolution;

  double ResponseRate() const { return Ratio(responded, conversations); }
  double SlaAttainment() const { return Ratio(sla_hit, sla_hit + sla_missed); }
  double InChannelResolutionRate() const { return Ratio(resolved_in_channel, resolved); }
  double DeflectionRate() const { return resolved ? 1 - InChannelResolutionRate() : 0; }
  double PrivateMoveRate() const { return Ratio(moved_private, public_conversations); }
  double RerouteRate() const { return Ratio(rerouted_messages, messages); }
  static double Ratio(int64_t a, int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0; }
};

// Team activity in a period: who acted, and in how many distinct clock hours.
struct Activity {
  std::set<std::string> agents;
  std::set<int64_t> hours;  // hour index since the epoch with any agent event
  std::set<int64_t> days;   // day index since the epoch with any agent event
  std::set<std::pair<int64_t, std::string>> agent_days;  // (day, agent) pairs
};

struct ConversationSla {
  std::string conversation;
  std::string queue;
  std::string status;  // hit, missed, pending
  int64_t first_response_ms = -1;  // -1: none yet
};

struct MetricsSummary {
  int64_t from_ms = 0, to_ms = 0;
  GroupMetrics all;
  std::map<std::string, GroupMetrics> by_queue, by_label, by_channel, by_brand, by_day, by_week;
  std::map<std::string, int64_t> channel_first_seen;  // over the whole history
  std::set<std::string> channels_in_period;
  Activity activity;                                   // in the period
  std::map<std::string, Activity> activity_by_week;    // ISO week "2026-W47"
  std::map<std::string, std::set<std::string>> channels_by_week;  // channels with conversations
  std::map<std::string, int64_t> week_end_ms;  // just after the week's last conversation start
  std::vector<ConversationSla> sla;                    // conversations with a target, in arrival order
  // A summary from the aggregates lists one page of `sla`: then ToJson
  // says where the next page starts ("sla_by_conversation_next", null at
  // the end).
  bool sla_paged = false;
  std::string sla_next_cursor;
  int64_t clock_skew_events = 0;

  // Distinct agent-active hours per week of the period.
  double HoursCoveredPerWeek() const;
  // Mean distinct agents per day of the period.
  double AgentsPerDay() const;
  std::string ToJson(bool with_conversations = false) const;
};

// Conversations whose first message arrived in [from_ms, to_ms).
MetricsSummary ComputeMetrics(const std::vector<HistoryMessage>& history, const MetricsOptions& options,
                              int64_t from_ms, int64_t to_ms);

// "2026-W47" (ISO 8601 week of the UTC date) and "2026-11-23".
std::string IsoWeek(int64_t ms);
std::string IsoDay(int64_t ms);

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_RESPONSE_METRICS_H_
