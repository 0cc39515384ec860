// AggregateReport: the response metrics of a period read from the store's
// aggregates (engine/store/aggregates.h) rather than from every stored
// message, for GET /v1/metrics/summary and /v1/maturity.
//
// Cost: the 'g' records of the whole UTC days in the period (days x groups
// seen on them), the conversation records of the partial days at either end
// (a period that starts or ends off midnight: those conversations are
// evaluated one by one, exactly), the SLA deadlines still ahead of "now",
// the agents' activity hours of the period and one record per channel. No
// message is read.
//
// It answers the same as ComputeMetrics over the same history (the
// agreement test holds it to that), except:
//  - percentiles come from histograms: within DurationHistogram::kRelativeError
//    (1/128) of the exact nearest-rank value;
//  - the per-conversation SLA list is one page (AggregateSlaPage), in order of
//    (first arrival, conversation id);
//  - activity in an hour that holds both ends of a period shorter than an hour
//    counts an agent with events before and after the period in that hour;
//  - week_end_ms may be later than the week's last conversation start when a
//    conversation's first message arrived after a later one of it.
// NotFound when the store has no aggregates or they were made for other
// targets than `options.queues` (a config reload changed an SLA or hours):
// the caller then computes exactly (LoadHistory + ComputeMetrics); the next
// open of the store rebuilds them.
#ifndef TRIAGE_ENGINE_METRICS_AGGREGATE_REPORT_H_
#define TRIAGE_ENGINE_METRICS_AGGREGATE_REPORT_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/metrics/response_metrics.h"
#include "engine/store/queue_store.h"

namespace triage {

// Conversations whose first message arrived in [from_ms, to_ms); SLA
// pending vs missed as of options.now_ms. `out->sla` stays empty.
Status AggregateSummary(const QueueStore& store, const MetricsOptions& options, int64_t from_ms, int64_t to_ms,
                        MetricsSummary* out);

// Up to `limit` conversations with an SLA target that began in [from_ms,
// to_ms), after `cursor` ("": from the first), into out->sla; sets
// out->sla_paged and out->sla_next_cursor ("" when the list is complete).
// InvalidArgument (field "cursor") for a cursor this did not make.
Status AggregateSlaPage(const QueueStore& store, const MetricsOptions& options, int64_t from_ms, int64_t to_ms,
                        const std::string& cursor, size_t limit, MetricsSummary* out);

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_AGGREGATE_REPORT_H_
