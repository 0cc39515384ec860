// MetricsAggregator: keeps the derived report aggregates of a store (the 'g'
// and 'd' records of engine/store/aggregates_format.h) as conversations
// change, for the queues' SLA targets and business hours. The store's writer
// calls it (engine/store/aggregates.h) in the write that changes the
// conversation.
//
// GroupAggregate ('g': one UTC day and one group) holds the counters of
// GroupMetrics and mergeable histograms (duration_histogram.h) of first
// response, next response and resolution. The SLA of a conversation
// without a reply is counted as unanswered, with its deadline in a 'd'
// record; a report splits unanswered into pending and missed as of its "now"
// by reading the deadlines still ahead (aggregate_report.h).
//
// A change is applied as "take the conversation's old outcome out, put the
// new one in", so a reply, a late message that becomes the conversation's
// first, or an event stamped out of order all land exactly.
#ifndef TRIAGE_ENGINE_METRICS_METRICS_AGGREGATOR_H_
#define TRIAGE_ENGINE_METRICS_METRICS_AGGREGATOR_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "engine/metrics/conversation_outcome.h"
#include "engine/metrics/duration_histogram.h"
#include "engine/metrics/response_metrics.h"
#include "engine/store/aggregates.h"

namespace triage {

struct GroupAggregate {
  int64_t conversations = 0, messages = 0, responded = 0, resolved = 0, resolved_in_channel = 0;
  int64_t public_conversations = 0, moved_private = 0, rerouted_messages = 0;
  int64_t sla_hit = 0, sla_missed = 0, sla_unanswered = 0;  // missed: answered late
  int64_t clock_skew_events = 0;
  DurationHistogram first_response, next_response, resolution;

  // sign +1 adds the outcome, -1 takes it out.
  void Add(const ConversationOutcome& o, int sign);
  std::string Encode() const;
  static bool Decode(std::string_view in, GroupAggregate* out);
  // The counters only, into *out (its histograms left empty); `visit` is
  // called for each histogram bucket (which: 0 first response, 1 next
  // response, 2 resolution). For adding many records up cheaply.
  static bool DecodeVisit(std::string_view in, GroupAggregate* out,
                          const std::function<void(int which, int bucket, int64_t count, int64_t sum)>& visit);
};

class MetricsAggregator : public ConversationAggregator {
 public:
  explicit MetricsAggregator(std::map<std::string, QueueTargets> queues) : queues_(std::move(queues)) {}
  // The targets and hours of every queue with a target, in name order.
  std::string Fingerprint() const override { return FingerprintOf(queues_); }
  static std::string FingerprintOf(const std::map<std::string, QueueTargets>& queues);
  void Changed(const ConversationRecord* before, const ConversationRecord& after, AggregateTxn& txn) const override;

 private:
  void Apply(const ConversationOutcome& o, int sign, AggregateTxn& txn) const;
  std::map<std::string, QueueTargets> queues_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_METRICS_AGGREGATOR_H_
