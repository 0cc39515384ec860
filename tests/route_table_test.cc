#include <catch2/catch.hpp>

#include "engine/pipeline.h"
#include "test_util.h"

using namespace triage;

namespace {

Routing RouteFor(const Pipeline& p, Label label, Priority prio, const Message& m) {
  Verdict v;
  v.label = label;
  v.priority = prio;
  v.lang = m.lang;
  return p.routes().Route(m, v);
}

Message Msg(std::string_view channel = "x", int64_t followers = 0, Kind kind = Kind::kPublic) {
  Message m;
  m.id = "t";
  m.channel = channel;
  m.kind = kind;
  m.author.followers = followers;
  m.lang = "en";
  m.brand = "Acme";
  return m;
}

}  // namespace

TEST_CASE("Without routes, every label goes to its default queue", "[routes]") {
  auto p = test::PipelineFromYaml("rules:\n  - {id: r, label: lead, weight: 3, any: [x]}\n");
  Message m = Msg();
  CHECK(RouteFor(*p, Label::kLead, Priority::kNormal, m).queue == "sales");
  CHECK(RouteFor(*p, Label::kSupport, Priority::kNormal, m).queue == "support");
  CHECK(RouteFor(*p, Label::kFeedback, Priority::kNormal, m).queue == "product");
  CHECK(RouteFor(*p, Label::kCrisis, Priority::kNormal, m).queue == "comms");
  CHECK(RouteFor(*p, Label::kCrisis, Priority::kNormal, m).priority == Priority::kHigh);
  CHECK(RouteFor(*p, Label::kCrisis, Priority::kUrgent, m).priority == Priority::kUrgent);
  CHECK(RouteFor(*p, Label::kNone, Priority::kHigh, m).queue == "unrouted");
  CHECK(RouteFor(*p, Label::kNone, Priority::kHigh, m).priority == Priority::kLow);
  CHECK(RouteFor(*p, Label::kSupport, Priority::kNormal, m).route == nullptr);
}

TEST_CASE("The first matching route wins - later ones and defaults are not consulted", "[routes]") {
  auto p = test::PipelineFromYaml(R"(
rules:
  - {id: r, label: lead, weight: 3, any: [x]}
routes:
  - {id: vip, when: {label: support, min_followers: 50000, kind: public}, queue: vip, priority: urgent}
  - {id: wa, when: {label: support, channel: whatsapp}, queue: support-wa}
  - {id: es, when: {lang: es}, queue: latam}
  - {id: hot, when: {priority: [high, urgent]}, queue: hot}
  - {id: acme, when: {brand: Acme, label: support}, queue: acme-support}
)");
  Routing r = RouteFor(*p, Label::kSupport, Priority::kNormal, Msg("x", 80000));
  CHECK(r.queue == "vip");
  CHECK(r.priority == Priority::kUrgent);
  CHECK(r.route->id == "vip");

  // Same follower count but private: the VIP route does not apply.
  r = RouteFor(*p, Label::kSupport, Priority::kNormal, Msg("whatsapp", 80000, Kind::kPrivate));
  CHECK(r.queue == "support-wa");
  CHECK(r.priority == Priority::kNormal);  // no priority on the route: kept

  Message es = Msg();
  es.lang = "es";
  CHECK(RouteFor(*p, Label::kFeedback, Priority::kNormal, es).queue == "latam");
  CHECK(RouteFor(*p, Label::kFeedback, Priority::kHigh, Msg()).queue == "hot");
  CHECK(RouteFor(*p, Label::kSupport, Priority::kNormal, Msg()).queue == "acme-support");
  CHECK(RouteFor(*p, Label::kLead, Priority::kNormal, Msg()).queue == "sales");  // default
}

TEST_CASE("Queues lists defaults and routed queues", "[routes]") {
  auto p = test::PipelineFromYaml(
      "rules:\n  - {id: r, label: lead, weight: 3, any: [x]}\nroutes:\n  - {id: a, when: {label: lead}, queue: "
      "enterprise}\n");
  auto q = p->routes().Queues();
  CHECK(q == std::vector<std::string>{"comms", "enterprise", "product", "sales", "support", "unrouted"});
}
