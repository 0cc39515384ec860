#include "engine/route_table.h"

#include <algorithm>
#include <set>

namespace triage {

std::string_view RouteTable::DefaultQueue(Label label) {
  switch (label) {
    case Label::kLead: return "sales";
    case Label::kSupport: return "support";
    case Label::kFeedback: return "product";
    case Label::kCrisis: return "comms";
    case Label::kNone: break;
  }
  return "unrouted";
}

Routing RouteTable::Route(const Message& msg, const Verdict& v) const {
  for (const triage::Route& r : routes_) {
    if (r.when.Matches(msg, v.lang, v.label, v.priority)) {
      return Routing{r.queue, r.priority.value_or(v.priority), &r};
    }
  }
  Routing out{DefaultQueue(v.label), v.priority, nullptr};
  if (v.label == Label::kCrisis) out.priority = std::max(out.priority, Priority::kHigh);
  if (v.label == Label::kNone) out.priority = Priority::kLow;
  return out;
}

std::vector<std::string> RouteTable::Queues() const {
  std::set<std::string> q;
  for (Label l : kAllLabels) q.emplace(DefaultQueue(l));
  for (const auto& r : routes_) q.insert(r.queue);
  return {q.begin(), q.end()};
}

}  // namespace triage
