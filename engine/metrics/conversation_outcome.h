// ConversationOutcome: what one conversation contributes to the response
// metrics, computed from its stored record (engine/store/aggregates_format.h)
// by the definitions of response_metrics.h: first response, next responses
// and resolution in the business hours of its queue, the flags the rates
// count, and its SLA as far as it is known without a clock.
//
// The SLA of a conversation without a reply depends on "now"; the outcome
// holds instead the moment it turns from pending to missed (its deadline:
// the first time at which more business time than the target has passed
// since it began), so that stored aggregates stay valid as time goes on.
#ifndef TRIAGE_ENGINE_METRICS_CONVERSATION_OUTCOME_H_
#define TRIAGE_ENGINE_METRICS_CONVERSATION_OUTCOME_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/metrics/response_metrics.h"
#include "engine/store/aggregates_format.h"

namespace triage {

struct ConversationOutcome {
  enum class Sla : uint8_t { kNone, kHit, kMissed, kUnanswered };
  std::string key;  // the conversation
  int64_t start_ms = 0;
  int64_t day = 0;  // start_ms in whole UTC days since the epoch
  GroupKey group;
  bool is_public = false, moved_private = false, escalated = false;
  int64_t messages = 0, rerouted_messages = 0, clock_skew_events = 0;
  int64_t first_response_ms = -1, resolution_ms = -1;  // -1: none
  std::vector<int64_t> next_waits_ms;
  Sla sla = Sla::kNone;
  int64_t deadline_ms = 0;  // kUnanswered: when it turns missed (INT64_MAX: never)

  bool operator==(const ConversationOutcome&) const = default;
  // "hit", "missed" or "pending" as of `now_ms`; "" without a target.
  std::string SlaStatusAt(int64_t now_ms) const;
};

ConversationOutcome EvaluateConversation(const ConversationRecord& r, const std::map<std::string, QueueTargets>& queues);

// The first time t after `start_ms` with hours.Between(start_ms, t) > sla_ms;
// INT64_MAX when that is more than 20 years away (hours that never open).
int64_t SlaDeadline(const BusinessHours& hours, int64_t start_ms, int64_t sla_ms);

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_CONVERSATION_OUTCOME_H_
