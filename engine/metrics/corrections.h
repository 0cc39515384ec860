// Corrections: the labels that a team's handling of stored messages implies,
// for retraining the learned model on the team's own history
// (`triage train --data DIR`).
//
//   - a message an agent rerouted to another queue gets the label that the
//     pack routes to that queue: a person's correction is a label;
//   - a message closed (replied, resolved, moved private, escalated) without
//     a reroute keeps the engine's label, now confirmed by the team;
//   - a message nobody handled yet says nothing and is left out.
//
// The label of a queue comes from the pack's routes: the first route that
// names exactly one label and sends it to the queue; else the queue a label
// goes to by default (RouteTable::DefaultQueue).
#ifndef TRIAGE_ENGINE_METRICS_CORRECTIONS_H_
#define TRIAGE_ENGINE_METRICS_CORRECTIONS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format/label.h"
#include "engine/rule_pack.h"
#include "base/status.h"
#include "engine/store/queue_store.h"

namespace triage {

struct LabeledRecord {
  std::string id;
  std::string raw;  // the stored archive line
  Label label = Label::kNone;
  bool corrected = false;  // from a reroute (else: the engine's label, confirmed)
};

// The label whose messages `pack` routes to `queue`, if one does.
std::optional<Label> LabelOfQueue(const RulePack& pack, std::string_view queue);

struct CorrectionCounts {
  size_t corrected = 0, confirmed = 0, open = 0, skipped = 0;  // skipped: unreadable, or a queue with no label
};

// Every stored customer message that the team rerouted or closed.
Status LabeledRecordsFromStore(const QueueStore& store, const RulePack& pack, std::vector<LabeledRecord>* out,
                               CorrectionCounts* counts);

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_CORRECTIONS_H_
