#include "engine/metrics/conversation_outcome.h"

#include <algorithm>
#include <limits>

namespace triage {

std::string ConversationOutcome::SlaStatusAt(int64_t now_ms) const {
  switch (sla) {
    case Sla::kNone: return "";
    case Sla::kHit: return "hit";
    case Sla::kMissed: return "missed";
    case Sla::kUnanswered: return now_ms >= deadline_ms ? "missed" : "pending";
  }
  return "";
}

int64_t SlaDeadline(const BusinessHours& hours, int64_t start_ms, int64_t sla_ms) {
  constexpr int64_t kNever = 20LL * 366 * kAggDayMs;
  auto over = [&](int64_t t) { return hours.Between(start_ms, t) > sla_ms; };
  // Between is non-decreasing in t: find a time over the target by doubling,
  // then the first one by bisection.
  int64_t lo = start_ms, span = sla_ms + 1;
  while (!over(start_ms + span)) {
    if (span > kNever) return std::numeric_limits<int64_t>::max();
    lo = start_ms + span;
    span *= 2;
  }
  int64_t hi = start_ms + span;
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (over(mid) ? hi : lo) = mid;
  }
  return hi;
}

ConversationOutcome EvaluateConversation(const ConversationRecord& r, const std::map<std::string, QueueTargets>& queues) {
  // The same steps as ComputeMetrics (response_metrics.cc) for one
  // conversation, which the agreement test holds them to.
  ConversationOutcome o;
  o.key = r.key;
  o.start_ms = r.start_ms;
  o.day = AggFloorDiv(r.start_ms, kAggDayMs);
  o.group = GroupKey{r.queue, r.label, r.channel, r.brand};
  o.is_public = r.is_public;
  o.messages = static_cast<int64_t>(r.messages.size());
  auto qt = queues.find(r.queue);
  const QueueTargets targets = qt == queues.end() ? QueueTargets() : qt->second;
  struct Timed {
    int64_t at;
    int kind;  // 0 customer message, 1 event
    EventType type;
  };
  std::vector<Timed> timeline;
  timeline.reserve(r.messages.size() + r.events.size());
  for (const auto& m : r.messages) {
    timeline.push_back({m.arrival_ms, 0, EventType::kReplied});
    if (m.rerouted) ++o.rerouted_messages;
  }
  for (const auto& e : r.events) {
    int64_t at = e.at_ms;
    if (at < r.start_ms) {
      ++o.clock_skew_events;
      at = r.start_ms;
    }
    const auto type = static_cast<EventType>(e.type);
    timeline.push_back({at, 1, type});
    if (type == EventType::kEscalatedOffchannel) o.escalated = true;
    if (type == EventType::kMovedPrivate) o.moved_private = true;
  }
  std::stable_sort(timeline.begin(), timeline.end(),
                   [](const Timed& a, const Timed& b) { return a.at != b.at ? a.at < b.at : a.kind < b.kind; });
  int64_t first_reply = -1, resolved_at = -1, waiting_since = -1;
  for (const Timed& t : timeline) {
    if (t.kind == 0) {
      if (first_reply >= 0 && waiting_since < 0) waiting_since = t.at;
      continue;
    }
    if (t.type == EventType::kReplied) {
      if (first_reply < 0) {
        first_reply = t.at;
      } else if (waiting_since >= 0) {
        o.next_waits_ms.push_back(targets.hours.Between(waiting_since, t.at));
        waiting_since = -1;
      }
    } else if (t.type == EventType::kResolved && resolved_at < 0) {
      resolved_at = t.at;
    }
  }
  if (first_reply >= 0) o.first_response_ms = targets.hours.Between(r.start_ms, first_reply);
  if (resolved_at >= 0) o.resolution_ms = targets.hours.Between(r.start_ms, resolved_at);
  if (targets.sla_ms > 0) {
    if (o.first_response_ms >= 0) {
      o.sla = o.first_response_ms <= targets.sla_ms ? ConversationOutcome::Sla::kHit : ConversationOutcome::Sla::kMissed;
    } else {
      o.sla = ConversationOutcome::Sla::kUnanswered;
      o.deadline_ms = SlaDeadline(targets.hours, r.start_ms, targets.sla_ms);
    }
  }
  return o;
}

}  // namespace triage
