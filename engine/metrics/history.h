// History: the stored messages and their events, as ResponseMetrics reads
// them. Loads from a QueueStore (a data directory of `triage serve` or
// `triage replay --data`).
#ifndef TRIAGE_ENGINE_METRICS_HISTORY_H_
#define TRIAGE_ENGINE_METRICS_HISTORY_H_

#include <string>
#include <vector>

#include "engine/metrics/response_metrics.h"
#include "base/status.h"
#include "engine/store/queue_store.h"

namespace triage {

// One stored message as a HistoryMessage: channel, brand, kind,
// conversation and created_at from its archive line, label and queue from its
// decision, events from the events column. Crisis-alert items are not
// customer messages and are left out. Returns false (and says why) for a
// record it cannot read.
bool ToHistoryMessage(const std::string& id, const StoredMessage& stored, HistoryMessage* out, std::string* why);

// Every customer message in `store`. Unreadable records are counted in
// *skipped (may be null) and left out.
Status LoadHistory(const QueueStore& store, std::vector<HistoryMessage>* out, size_t* skipped = nullptr);

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_HISTORY_H_
