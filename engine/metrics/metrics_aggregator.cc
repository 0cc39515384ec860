#include "engine/metrics/metrics_aggregator.h"

#include <algorithm>
#include <optional>

#include "engine/metrics/histogram_encoding.h"

namespace triage {

namespace {
constexpr char kGroupVersion = 1;
}  // namespace

void GroupAggregate::Add(const ConversationOutcome& o, int sign) {
  conversations += sign;
  messages += sign * o.messages;
  rerouted_messages += sign * o.rerouted_messages;
  clock_skew_events += sign * o.clock_skew_events;
  if (o.first_response_ms >= 0) {
    responded += sign;
    first_response.Add(o.first_response_ms, sign);
  }
  for (int64_t w : o.next_waits_ms) next_response.Add(w, sign);
  if (o.resolution_ms >= 0) {
    resolved += sign;
    resolution.Add(o.resolution_ms, sign);
    if (!o.escalated) resolved_in_channel += sign;
  }
  if (o.is_public) {
    public_conversations += sign;
    if (o.moved_private) moved_private += sign;
  }
  if (o.sla == ConversationOutcome::Sla::kHit) sla_hit += sign;
  else if (o.sla == ConversationOutcome::Sla::kMissed) sla_missed += sign;
  else if (o.sla == ConversationOutcome::Sla::kUnanswered) sla_unanswered += sign;
}

std::string GroupAggregate::Encode() const {
  std::string o(1, kGroupVersion);
  for (int64_t v : {conversations, messages, responded, resolved, resolved_in_channel, public_conversations,
                    moved_private, rerouted_messages, sla_hit, sla_missed, sla_unanswered, clock_skew_events})
    PutVarint(ZigZag(v), &o);
  first_response.AppendTo(&o);
  next_response.AppendTo(&o);
  resolution.AppendTo(&o);
  return o;
}

// The version byte and the counters, in Encode's order, off the front of *in.
static bool ConsumeCounters(std::string_view* in, GroupAggregate* g) {
  if (in->empty() || in->front() != kGroupVersion) return false;
  in->remove_prefix(1);
  for (int64_t* v : {&g->conversations, &g->messages, &g->responded, &g->resolved, &g->resolved_in_channel,
                     &g->public_conversations, &g->moved_private, &g->rerouted_messages, &g->sla_hit, &g->sla_missed,
                     &g->sla_unanswered, &g->clock_skew_events}) {
    uint64_t u = 0;
    if (!GetVarint(in, &u)) return false;
    *v = UnZigZag(u);
  }
  return true;
}

bool GroupAggregate::Decode(std::string_view in, GroupAggregate* out) {
  GroupAggregate g;
  if (!ConsumeCounters(&in, &g)) return false;
  if (!g.first_response.ConsumeFrom(&in) || !g.next_response.ConsumeFrom(&in) || !g.resolution.ConsumeFrom(&in) ||
      !in.empty())
    return false;
  *out = std::move(g);
  return true;
}

bool GroupAggregate::DecodeVisit(std::string_view in, GroupAggregate* out,
                                 const std::function<void(int which, int bucket, int64_t count, int64_t sum)>& visit) {
  GroupAggregate g;
  if (!ConsumeCounters(&in, &g)) return false;
  for (int which = 0; which < 3; ++which)
    if (!VisitEncodedHistogram(&in, [&](int b, int64_t c, int64_t s) { visit(which, b, c, s); })) return false;
  if (!in.empty()) return false;
  *out = std::move(g);
  return true;
}

std::string MetricsAggregator::FingerprintOf(const std::map<std::string, QueueTargets>& queues) {
  std::string f = "v1";
  for (const auto& [name, t] : queues) {
    if (t.sla_ms <= 0 && t.hours.always) continue;  // the same as no entry
    f += "\n" + name + "\x1f" + std::to_string(t.sla_ms) + "\x1f" + t.hours.ToString();
  }
  return f;
}

void MetricsAggregator::Apply(const ConversationOutcome& o, int sign, AggregateTxn& txn) const {
  const std::string key = GroupRecordKey(o.day, o.group);
  GroupAggregate g;
  std::string v;
  if (txn.Get(key, &v) && !GroupAggregate::Decode(v, &g)) g = GroupAggregate();
  g.Add(o, sign);
  if (g.conversations <= 0) txn.Delete(key);
  else txn.Put(key, g.Encode());
  if (o.sla != ConversationOutcome::Sla::kUnanswered) return;
  const std::string dkey = AggKey(kAggDeadline, o.deadline_ms, o.key);
  if (sign < 0) return txn.Delete(dkey);
  std::string dv;
  PutOrderedBE64(o.start_ms, &dv);
  AppendGroupKey(o.group, &dv);
  txn.Put(dkey, std::move(dv));
}

void MetricsAggregator::Changed(const ConversationRecord* before, const ConversationRecord& after,
                                AggregateTxn& txn) const {
  ConversationOutcome now = EvaluateConversation(after, queues_);
  if (before) {
    ConversationOutcome old = EvaluateConversation(*before, queues_);
    if (old == now) return;  // an event that changes no figure (activity only)
    Apply(old, -1, txn);
  }
  Apply(now, +1, txn);
}

}  // namespace triage
