// RouteTable: puts a classified message on a team queue with a priority.
//
// The pack's routes are tried in file order and the first whose conditions
// match wins. When none matches, the built-in defaults apply:
//   lead -> sales, support -> support, feedback -> product,
//   crisis -> comms (priority at least high), none -> unrouted (priority low).
// A route without a priority keeps the priority the rules gave the message.
#ifndef TRIAGE_ENGINE_ROUTE_TABLE_H_
#define TRIAGE_ENGINE_ROUTE_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

#include "engine/decision.h"
#include "engine/rule_pack.h"

namespace triage {


class RouteTable {
 public:
  // `routes` must outlive the table (they live in the RulePack).
  explicit RouteTable(const std::vector<Route>& routes) : routes_(routes) {}

  Routing Route(const Message& msg, const Verdict& verdict) const;

  // The queue a label goes to when no route matches.
  static std::string_view DefaultQueue(Label label);

  // Every queue a message can be routed to, defaults included, sorted.
  std::vector<std::string> Queues() const;

 private:
  const std::vector<triage::Route>& routes_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_ROUTE_TABLE_H_
