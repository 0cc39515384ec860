#include "engine/metrics/aggregate_report.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <unordered_map>

#include "engine/metrics/conversation_outcome.h"
#include "engine/metrics/histogram_encoding.h"
#include "engine/metrics/metrics_aggregator.h"
#include "engine/store/aggregates_format.h"

namespace triage {

namespace {

// The seven GroupMetrics a conversation that began at `start_ms` in `g` counts in.
std::array<GroupMetrics*, 7> GroupsOf(MetricsSummary* s, int64_t start_ms, const GroupKey& g) {
  return {&s->all,
          &s->by_queue[g.queue],
          &s->by_label[g.label],
          &s->by_channel[g.channel],
          &s->by_brand[g.brand],
          &s->by_day[IsoDay(start_ms)],
          &s->by_week[IsoWeek(start_ms)]};
}

void Seen(MetricsSummary* s, int64_t start_ms, const GroupKey& g) {
  s->channels_in_period.insert(g.channel);
  s->channels_by_week[IsoWeek(start_ms)].insert(g.channel);
}

void WeekEnd(MetricsSummary* s, int64_t start_ms) {
  int64_t& week_end = s->week_end_ms[IsoWeek(start_ms)];
  week_end = std::max(week_end, start_ms + 1);
}

// The three histograms of one GroupMetrics, as per-bucket totals.
using Totals = std::array<HistogramTotals, 3>;
using TotalsMap = std::unordered_map<GroupMetrics*, Totals>;

void AddValue(Totals& t, int which, int64_t ms) {
  ms = std::max<int64_t>(ms, 0);
  t[which].Add(DurationHistogram::BucketOf(ms), 1, ms);
}

// One conversation evaluated from its record (the partial days at the ends).
void AddOutcome(MetricsSummary* s, const ConversationOutcome& o, int64_t now_ms, TotalsMap* totals) {
  Seen(s, o.start_ms, o.group);
  WeekEnd(s, o.start_ms);
  s->clock_skew_events += o.clock_skew_events;
  const std::string sla = o.SlaStatusAt(now_ms);
  for (GroupMetrics* g : GroupsOf(s, o.start_ms, o.group)) {
    ++g->conversations;
    g->messages += o.messages;
    g->rerouted_messages += o.rerouted_messages;
    Totals& t = (*totals)[g];
    if (o.first_response_ms >= 0) {
      ++g->responded;
      AddValue(t, 0, o.first_response_ms);
    }
    for (int64_t w : o.next_waits_ms) AddValue(t, 1, w);
    if (o.resolution_ms >= 0) {
      ++g->resolved;
      AddValue(t, 2, o.resolution_ms);
      if (!o.escalated) ++g->resolved_in_channel;
    }
    if (o.is_public) {
      ++g->public_conversations;
      if (o.moved_private) ++g->moved_private;
    }
    if (sla == "hit")
      ++g->sla_hit;
    else if (sla == "missed")
      ++g->sla_missed;
    else if (sla == "pending")
      ++g->sla_pending;
  }
}

// A whole day's group: every unanswered conversation counts as missed here;
// the deadlines still ahead move some back to pending. Counters only: the
// histograms are added up in HistogramTotals (AddHistograms).
void AddAggregate(MetricsSummary* s, int64_t day, const GroupKey& key, const GroupAggregate& a,
                  const std::array<GroupMetrics*, 7>& groups) {
  Seen(s, day * kAggDayMs, key);
  s->clock_skew_events += a.clock_skew_events;
  for (GroupMetrics* g : groups) {
    g->conversations += a.conversations;
    g->messages += a.messages;
    g->responded += a.responded;
    g->resolved += a.resolved;
    g->resolved_in_channel += a.resolved_in_channel;
    g->public_conversations += a.public_conversations;
    g->moved_private += a.moved_private;
    g->rerouted_messages += a.rerouted_messages;
    g->sla_hit += a.sla_hit;
    g->sla_missed += a.sla_missed + a.sla_unanswered;
  }
}

void AddHistograms(const TotalsMap& totals) {
  for (const auto& [g, t] : totals) {
    Distribution* d[3] = {&g->first_response, &g->next_response, &g->resolution};
    for (int which = 0; which < 3; ++which) {
      const std::string bytes = t[which].Encode();
      std::string_view in(bytes);
      DurationHistogram h;
      if (h.ConsumeFrom(&in)) d[which]->histogram.Merge(h);
    }
  }
}

Status CheckFingerprint(const QueueStore::AggregateScan& scan, const MetricsOptions& options) {
  std::string stored;
  bool found = false;
  const std::string key(kAggFingerprintKey);
  Status s = scan(key, key + '\0', false, [&](std::string_view, std::string_view v) {
    stored = std::string(v);
    found = true;
    return false;
  });
  if (!s.ok()) return s;
  if (!found || stored != MetricsAggregator::FingerprintOf(options.queues))
    return Status::NotFound("the report aggregates were made for other queue targets (rebuilt at the next start)");
  return Status::OK();
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string o;
  for (unsigned char c : bytes) {
    o += kDigits[c >> 4];
    o += kDigits[c & 15];
  }
  return o;
}

bool Unhex(std::string_view hex, std::string* out) {
  auto val = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  if (hex.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = val(hex[i]), lo = val(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

Status AggregateSummary(const QueueStore& store, const MetricsOptions& options, int64_t from_ms, int64_t to_ms,
                        MetricsSummary* out) {
  MetricsSummary s;
  s.from_ms = from_ms;
  s.to_ms = to_ms;
  const int64_t now = options.now_ms;
  // Whole days [first_day, end_day) from the 'g' records; the rest of the
  // period from the conversations themselves.
  int64_t first_day = AggFloorDiv(from_ms + kAggDayMs - 1, kAggDayMs), end_day = AggFloorDiv(to_ms, kAggDayMs);
  if (first_day >= end_day) first_day = end_day = AggFloorDiv(to_ms, kAggDayMs) + 1;  // none: all partial
  const int64_t whole_from = first_day * kAggDayMs, whole_to = end_day * kAggDayMs;
  const bool has_whole = first_day < end_day;

  Status st = store.ReadAggregates([&](const QueueStore::AggregateScan& scan) -> Status {
    if (Status f = CheckFingerprint(scan, options); !f.ok()) return f;
    Status bad;
    auto corrupt = [&](const std::string& what) {
      bad = Status::Corruption("report aggregates: an unreadable " + what + " record");
      return false;
    };
    // Every channel's first arrival, over the whole history.
    Status rs = scan(std::string(1, kAggChannel), std::string(1, kAggChannel + 1), false,
                     [&](std::string_view k, std::string_view v) {
                       if (v.size() != 8) return corrupt("channel");
                       s.channel_first_seen[std::string(k.substr(1))] = GetOrderedBE64(v);
                       return true;
                     });
    std::map<std::string, int64_t> last_day;  // ISO week -> its last whole day with conversations
    TotalsMap totals;
    if (has_whole && rs.ok()) {
      rs = scan(AggKey(kAggGroup, first_day), AggKey(kAggGroup, end_day), false,
                [&](std::string_view k, std::string_view v) {
                  if (k.size() < 9) return corrupt("group");
                  int64_t day = GetOrderedBE64(k.substr(1));
                  std::string_view rest = k.substr(9);
                  GroupKey key;
                  if (!ConsumeGroupKey(&rest, &key)) return corrupt("group");
                  const std::array<GroupMetrics*, 7> groups = GroupsOf(&s, day * kAggDayMs, key);
                  std::array<Totals*, 7> sums;
                  for (size_t i = 0; i < groups.size(); ++i) sums[i] = &totals[groups[i]];
                  GroupAggregate a;
                  if (!GroupAggregate::DecodeVisit(v, &a, [&](int which, int b, int64_t c, int64_t sum) {
                        for (Totals* t : sums) (*t)[which].Add(b, c, sum);
                      }))
                    return corrupt("group");
                  AddAggregate(&s, day, key, a, groups);
                  int64_t& last = last_day[IsoWeek(day * kAggDayMs)];
                  last = std::max(last, day);
                  return true;
                });
      // Each week's last conversation start: the last conversation record
      // of the week's last day with any.
      for (const auto& [week, day] : last_day) {
        if (!rs.ok()) break;
        rs = scan(AggKey(kAggConversation, day * kAggDayMs), AggKey(kAggConversation, (day + 1) * kAggDayMs), true,
                  [&](std::string_view k, std::string_view) {
                    WeekEnd(&s, GetOrderedBE64(k.substr(1)));
                    return false;
                  });
      }
      // Unanswered conversations whose deadline is still ahead are pending.
      if (rs.ok() && now < std::numeric_limits<int64_t>::max())
        rs = scan(AggKey(kAggDeadline, now + 1), std::string(1, kAggDeadline + 1), false,
                  [&](std::string_view, std::string_view v) {
                    GroupKey key;
                    if (v.size() < 8) return corrupt("deadline");
                    int64_t start = GetOrderedBE64(v);
                    std::string_view rest = v.substr(8);
                    if (!ConsumeGroupKey(&rest, &key)) return corrupt("deadline");
                    if (start < whole_from || start >= whole_to) return true;
                    for (GroupMetrics* g : GroupsOf(&s, start, key)) {
                      --g->sla_missed;
                      ++g->sla_pending;
                    }
                    return true;
                  });
    }
    // The partial days at the ends, conversation by conversation.
    auto partial = [&](int64_t a, int64_t b) -> Status {
      if (a >= b) return Status::OK();
      return scan(AggKey(kAggConversation, a), AggKey(kAggConversation, b), false,
                  [&](std::string_view, std::string_view v) {
                    ConversationRecord r;
                    if (!DecodeConversation(v, &r)) return corrupt("conversation");
                    AddOutcome(&s, EvaluateConversation(r, options.queues), now, &totals);
                    return true;
                  });
    };
    if (rs.ok()) rs = has_whole ? partial(from_ms, whole_from) : partial(from_ms, to_ms);
    if (rs.ok() && has_whole) rs = partial(whole_to, to_ms);
    // Activity: the agents' event hours in the period.
    if (rs.ok())
      rs = scan(
          AggKey(kAggHour, AggFloorDiv(from_ms, kAggHourMs)), AggKey(kAggHour, AggFloorDiv(to_ms - 1, kAggHourMs) + 1),
          false, [&](std::string_view k, std::string_view v) {
            if (k.size() < 9 || v.size() != 16) return corrupt("activity");
            const int64_t hour = GetOrderedBE64(k.substr(1));
            const int64_t first = GetOrderedBE64(v), last = GetOrderedBE64(v.substr(8));
            const int64_t lo = std::max(from_ms, hour * kAggHourMs), hi = std::min(to_ms, (hour + 1) * kAggHourMs);
            // An event inside [lo, hi): certain when the first or last is;
            // when they straddle it (a period inside one hour), assumed.
            bool in = (first >= lo && first < hi) || (last >= lo && last < hi) || (first < lo && last >= hi);
            if (!in) return true;
            const std::string agent(k.substr(9));
            const int64_t day = AggFloorDiv(hour * kAggHourMs, kAggDayMs);
            for (Activity* a : {&s.activity, &s.activity_by_week[IsoWeek(hour * kAggHourMs)]}) {
              a->agents.insert(agent);
              a->hours.insert(hour);
              a->days.insert(day);
              a->agent_days.emplace(day, agent);
            }
            return true;
          });
    AddHistograms(totals);
    return rs.ok() ? bad : rs;
  });
  if (!st.ok()) return st;
  *out = std::move(s);
  return Status::OK();
}

Status AggregateSlaPage(const QueueStore& store, const MetricsOptions& options, int64_t from_ms, int64_t to_ms,
                        const std::string& cursor, size_t limit, MetricsSummary* out) {
  std::string begin = AggKey(kAggConversation, from_ms);
  const std::string end = AggKey(kAggConversation, to_ms);
  if (!cursor.empty()) {
    std::string after;
    if (!Unhex(cursor, &after) || after.empty() || after[0] != kAggConversation)
      return Status::InvalidArgument("cursor: not a cursor from sla_by_conversation_next");
    begin = std::max(begin, after + '\0');
  }
  out->sla.clear();
  out->sla_paged = true;
  out->sla_next_cursor.clear();
  return store.ReadAggregates([&](const QueueStore::AggregateScan& scan) -> Status {
    bool bad = false;
    Status s = scan(begin, end, false, [&](std::string_view k, std::string_view v) {
      ConversationRecord r;
      if (!DecodeConversation(v, &r)) {
        bad = true;
        return false;
      }
      ConversationOutcome o = EvaluateConversation(r, options.queues);
      if (o.sla == ConversationOutcome::Sla::kNone) return true;
      out->sla.push_back(ConversationSla{r.shown_key.empty() ? o.key : r.shown_key, o.group.queue,
                                         o.SlaStatusAt(options.now_ms), o.first_response_ms});
      if (out->sla.size() < limit) return true;
      out->sla_next_cursor = Hex(k);
      return false;
    });
    if (!s.ok()) return s;
    return bad ? Status::Corruption("report aggregates: an unreadable conversation record") : Status::OK();
  });
}

}  // namespace triage
