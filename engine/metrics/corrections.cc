#include "engine/metrics/corrections.h"

#include "engine/metrics/history.h"
#include "engine/route_table.h"

namespace triage {

std::optional<Label> LabelOfQueue(const RulePack& pack, std::string_view queue) {
  for (const Route& r : pack.routes()) {
    uint32_t bits = r.when.labels;
    if (r.queue != queue || bits == 0 || (bits & (bits - 1)) != 0) continue;  // exactly one label
    for (Label l : kAllLabels)
      if (bits == (1u << static_cast<int>(l))) return l;
  }
  for (Label l : kAllLabels)
    if (RouteTable::DefaultQueue(l) == queue) return l;
  return std::nullopt;
}

Status LabeledRecordsFromStore(const QueueStore& store, const RulePack& pack, std::vector<LabeledRecord>* out,
                               CorrectionCounts* counts) {
  out->clear();
  *counts = CorrectionCounts();
  return store.ForEach([&](const std::string& id, const StoredMessage& stored) {
    HistoryMessage h;
    std::string why;
    if (!ToHistoryMessage(id, stored, &h, &why)) {
      if (why != "alert") ++counts->skipped;
      return;
    }
    std::string rerouted_to;
    bool closed = false;
    for (const HistoryEvent& e : h.events) {
      if (e.type == EventType::kRerouted) rerouted_to = e.to_queue;  // the last reroute is the final word
      else closed = true;
    }
    LabeledRecord r;
    r.id = id;
    r.raw = stored.raw;
    if (!rerouted_to.empty()) {
      auto l = LabelOfQueue(pack, rerouted_to);
      if (!l) {
        ++counts->skipped;
        return;
      }
      r.label = *l;
      r.corrected = true;
      ++counts->corrected;
    } else if (closed) {
      auto l = ParseLabel(h.label);
      if (!l) {
        ++counts->skipped;
        return;
      }
      r.label = *l;
      ++counts->confirmed;
    } else {
      ++counts->open;
      return;
    }
    out->push_back(std::move(r));
  });
}

}  // namespace triage
