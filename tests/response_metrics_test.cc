// Response metrics and the maturity index on hand-checked event sequences.
#include <catch2/catch.hpp>

#include "engine/metrics/business_hours.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/response_metrics.h"
#include "test_util.h"

using namespace triage;

namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
// Monday 2026-11-16 00:00 UTC.
constexpr int64_t kMonday = 1'794'787'200'000;

HistoryMessage Msg(const std::string& id, int64_t at, const std::string& queue = "support",
                   const std::string& conversation = "", const std::string& channel = "x", bool is_public = true) {
  HistoryMessage m;
  m.id = id;
  m.conversation = conversation;
  m.queue = queue;
  m.label = "support";
  m.channel = channel;
  m.brand = "Acme";
  m.is_public = is_public;
  m.arrival_ms = at;
  return m;
}

HistoryEvent Ev(const std::string& type, int64_t at, const std::string& agent = "alice") {
  HistoryEvent e;
  e.type = *ParseEventType(type);
  e.agent = agent;
  e.at_ms = at;
  return e;
}

MetricsOptions Targets(int64_t sla_ms, const std::string& hours = "always", int64_t now = kMonday + 30 * kDay) {
  MetricsOptions o;
  o.now_ms = now;
  QueueTargets t;
  t.sla_ms = sla_ms;
  REQUIRE(BusinessHours::Parse(hours, &t.hours).ok());
  o.queues["support"] = t;
  return o;
}

}  // namespace

TEST_CASE("Business hours: parse, print and count only open time", "[metrics]") {
  BusinessHours h;
  REQUIRE(BusinessHours::Parse("mon-fri 09:00-17:00 UTC", &h).ok());
  CHECK(h.ToString() == "mon,tue,wed,thu,fri 09:00-17:00 +00:00");
  // Friday 16:30 to Monday 09:15: 30 minutes on Friday, 15 on Monday.
  int64_t fri = kMonday + 4 * kDay;
  CHECK(h.Between(fri + 16 * kHour + 30 * kMin, kMonday + 7 * kDay + 9 * kHour + 15 * kMin) == 45 * kMin);
  CHECK(h.Between(kMonday + 5 * kDay, kMonday + 7 * kDay) == 0);  // the weekend
  CHECK(h.Between(kMonday, kMonday + 7 * kDay) == 5 * 8 * kHour);
  CHECK(h.Between(kMonday + 10 * kHour, kMonday + 9 * kHour) == 0);
  // An offset moves the window: 09:00-17:00 at +02:00 is 07:00-15:00 UTC.
  REQUIRE(BusinessHours::Parse("mon 09:00-17:00 +02:00", &h).ok());
  CHECK(h.Between(kMonday + 6 * kHour, kMonday + 8 * kHour) == kHour);
  // Ranges wrap and lists combine.
  REQUIRE(BusinessHours::Parse("sat-mon,wed 00:00-24:00", &h).ok());
  CHECK(h.days == 0b1100101);
  BusinessHours always;
  CHECK(always.Between(0, 5 * kDay) == 5 * kDay);
  for (const char* bad : {"weekdays 09:00-17:00", "mon-fri 17:00-09:00", "mon-fri 9-5", "mon-fri 09:00-17:00 CET", ""}) {
    INFO(bad);
    CHECK_FALSE(BusinessHours::Parse(bad, &h).ok());
  }
}

TEST_CASE("First, next response and resolution of one conversation", "[metrics]") {
  int64_t t = kMonday + 10 * kHour;
  HistoryMessage a = Msg("a", t, "support", "c1");
  a.events = {Ev("replied", t + 30 * kMin), Ev("resolved", t + 2 * kHour)};
  HistoryMessage b = Msg("b", t + kHour, "support", "c1");  // a follow-up after the reply
  b.events = {Ev("replied", t + kHour + 20 * kMin, "bob")};
  MetricsSummary s = ComputeMetrics({a, b}, Targets(kHour), kMonday, kMonday + 7 * kDay);
  const GroupMetrics& g = s.all;
  CHECK(g.conversations == 1);
  CHECK(g.messages == 2);
  CHECK(g.responded == 1);
  CHECK(g.first_response.values == std::vector<int64_t>{30 * kMin});
  CHECK(g.next_response.values == std::vector<int64_t>{20 * kMin});
  CHECK(g.resolution.values == std::vector<int64_t>{2 * kHour});
  CHECK(g.sla_hit == 1);
  CHECK(g.ResponseRate() == 1.0);
  CHECK(g.InChannelResolutionRate() == 1.0);
  CHECK(s.activity.agents == std::set<std::string>{"alice", "bob"});
  CHECK(s.activity.hours.size() == 3);  // events at 10:30, 11:20 and 12:00
}

TEST_CASE("The SLA clock respects business hours", "[metrics]") {
  int64_t fri_1630 = kMonday + 4 * kDay + 16 * kHour + 30 * kMin;
  HistoryMessage m = Msg("m", fri_1630);
  m.events = {Ev("replied", kMonday + 7 * kDay + 9 * kHour + 15 * kMin)};
  MetricsSummary open = ComputeMetrics({m}, Targets(kHour, "mon-fri 09:00-17:00 UTC"), kMonday, kMonday + 7 * kDay);
  CHECK(open.all.first_response.values == std::vector<int64_t>{45 * kMin});
  CHECK(open.all.sla_hit == 1);
  MetricsSummary round_clock = ComputeMetrics({m}, Targets(kHour), kMonday, kMonday + 7 * kDay);
  CHECK(round_clock.all.first_response.values == std::vector<int64_t>{64 * kHour + 45 * kMin});
  CHECK(round_clock.all.sla_missed == 1);
}

TEST_CASE("Missing events: no reply is pending then missed, resolved without a reply counts", "[metrics]") {
  int64_t t = kMonday + 10 * kHour;
  HistoryMessage waiting = Msg("w", t);
  HistoryMessage closed = Msg("c", t + kMin);
  closed.events = {Ev("resolved", t + 10 * kMin)};
  MetricsSummary early = ComputeMetrics({waiting, closed}, Targets(kHour, "always", t + 30 * kMin), kMonday, kMonday + kDay);
  CHECK(early.all.sla_pending == 2);
  CHECK(early.all.responded == 0);
  CHECK(early.all.resolved == 1);
  CHECK(early.all.resolution.values == std::vector<int64_t>{9 * kMin});
  CHECK(early.all.first_response.count() == 0);
  MetricsSummary late = ComputeMetrics({waiting, closed}, Targets(kHour, "always", t + 2 * kHour), kMonday, kMonday + kDay);
  CHECK(late.all.sla_missed == 2);
  CHECK(late.all.SlaAttainment() == 0.0);
  REQUIRE(late.sla.size() == 2);
  CHECK(late.sla[0].conversation == "w");
  CHECK(late.sla[0].status == "missed");
  CHECK(late.sla[0].first_response_ms == -1);
}

TEST_CASE("Events count in time order whatever order they were recorded in", "[metrics]") {
  int64_t t = kMonday + 10 * kHour;
  HistoryMessage m = Msg("m", t);
  m.events = {Ev("resolved", t + 2 * kHour), Ev("replied", t + 40 * kMin), Ev("replied", t - 5 * kMin)};
  MetricsSummary s = ComputeMetrics({m}, Targets(kHour), kMonday, kMonday + kDay);
  // The reply stamped before the message (a skewed clock) counts at its start.
  CHECK(s.clock_skew_events == 1);
  CHECK(s.all.first_response.values == std::vector<int64_t>{0});
  CHECK(s.all.resolution.values == std::vector<int64_t>{2 * kHour});
}

TEST_CASE("In-channel resolution, deflection, private moves and reroutes", "[metrics]") {
  int64_t t = kMonday + 9 * kHour;
  HistoryMessage a = Msg("a", t);
  a.events = {Ev("replied", t + kMin), Ev("resolved", t + 2 * kMin)};
  HistoryMessage b = Msg("b", t + kMin);
  b.events = {Ev("replied", t + 2 * kMin), Ev("escalated_offchannel", t + 3 * kMin), Ev("resolved", t + kHour)};
  HistoryMessage c = Msg("c", t + 2 * kMin);
  c.events = {Ev("moved_private", t + 3 * kMin)};
  HistoryMessage d = Msg("d", t + 3 * kMin, "support", "", "whatsapp", false);
  HistoryEvent rr = Ev("rerouted", t + 4 * kMin);
  rr.to_queue = "sales";
  d.events = {rr};
  MetricsSummary s = ComputeMetrics({a, b, c, d}, Targets(0), kMonday, kMonday + kDay);
  CHECK(s.all.resolved == 2);
  CHECK(s.all.InChannelResolutionRate() == 0.5);
  CHECK(s.all.DeflectionRate() == 0.5);
  CHECK(s.all.public_conversations == 3);
  CHECK(s.all.PrivateMoveRate() == Approx(1.0 / 3));
  CHECK(s.all.RerouteRate() == 0.25);
  CHECK(s.all.sla_hit + s.all.sla_missed + s.all.sla_pending == 0);  // no target
  CHECK(s.by_channel.at("whatsapp").conversations == 1);
  CHECK(s.by_day.at("2026-11-16").conversations == 4);
  CHECK(s.by_week.at("2026-W47").conversations == 4);
  CHECK(s.channel_first_seen.at("whatsapp") == t + 3 * kMin);
}

TEST_CASE("Percentiles are nearest-rank and the period selects conversations by their start", "[metrics]") {
  Distribution d;
  for (int64_t v : {5, 1, 4, 2, 3, 10, 9, 8, 7, 6}) d.values.push_back(v);
  d.Finish();
  CHECK(d.Percentile(0.5) == 5);
  CHECK(d.Percentile(0.9) == 9);
  CHECK(d.Percentile(0.99) == 10);
  CHECK(d.Percentile(0.0) == 1);
  HistoryMessage before = Msg("before", kMonday - kHour);
  HistoryMessage inside = Msg("inside", kMonday + kHour);
  MetricsSummary s = ComputeMetrics({before, inside}, Targets(0), kMonday, kMonday + kDay);
  CHECK(s.all.conversations == 1);
  CHECK(s.channel_first_seen.at("x") == kMonday - kHour);  // adoption looks at the whole history
  std::string json = s.ToJson(true);
  CHECK_THAT(json, Catch::Contains("\"all\":{\"conversations\":1,\"messages\":1,"));
  CHECK_THAT(json, Catch::Contains("\"channels\":[{\"channel\":\"x\",\"first_seen\":\"2026-11-15\",\"in_period\":true}]"));
}

// ---------------------------------------------------------------------------
// The maturity index: four synthetic teams, one per quadrant.

namespace {

struct Team {
  int agents = 1;          // distinct agents each day
  int hours_per_day = 1;   // distinct hours with activity each day
  std::vector<std::string> channels = {"facebook"};
  bool old_channels = false;  // first seen more than a year before
  bool offchannel = false;    // resolutions go off-channel (phone, email)
  int64_t reply_after = 10 * kMin;
};

std::vector<HistoryMessage> Simulate(const Team& team) {
  std::vector<HistoryMessage> h;
  int n = 0;
  if (team.old_channels)
    for (const auto& ch : team.channels) h.push_back(Msg("old" + ch, kMonday - 400 * kDay, "support", "", ch));
  for (int day = 0; day < 14; ++day)
    for (int hour = 0; hour < team.hours_per_day; ++hour)
      for (int a = 0; a < team.agents; ++a) {
        const std::string& ch = team.channels[static_cast<size_t>(n) % team.channels.size()];
        int64_t t = kMonday + day * kDay + (8 + hour) * kHour + a * kMin;
        HistoryMessage m = Msg("m" + std::to_string(n++), t, "support", "", ch);
        m.events.push_back(Ev("replied", t + team.reply_after, "agent" + std::to_string(a)));
        if (team.offchannel) m.events.push_back(Ev("escalated_offchannel", t + team.reply_after + kMin, "agent" + std::to_string(a)));
        m.events.push_back(Ev("resolved", t + team.reply_after + 2 * kMin, "agent" + std::to_string(a)));
        h.push_back(std::move(m));
      }
  return h;
}

MaturityReport Assess(const Team& team) {
  MetricsSummary s = ComputeMetrics(Simulate(team), Targets(kHour), kMonday, kMonday + 14 * kDay);
  return AssessMaturity(s, MaturityConfig());
}

}  // namespace

TEST_CASE("Four synthetic teams land in the four quadrants", "[metrics][maturity]") {
  Team observers;  // one agent an hour a day, slow, one old channel, off-channel
  observers.old_channels = true;
  observers.offchannel = true;
  observers.reply_after = 3 * kHour;
  Team conservatives = observers;  // staffed and fast, still one old channel, off-channel
  conservatives.agents = 6;
  conservatives.hours_per_day = 12;
  conservatives.reply_after = 10 * kMin;
  Team contenders;  // thin team, but on five channels, new ones, resolving in channel
  contenders.channels = {"facebook", "instagram", "whatsapp", "tiktok", "x"};
  contenders.reply_after = 3 * kHour;
  Team social_first = contenders;
  social_first.agents = 6;
  social_first.hours_per_day = 12;
  social_first.reply_after = 10 * kMin;

  MaturityReport o = Assess(observers), c = Assess(conservatives), n = Assess(contenders), s = Assess(social_first);
  INFO(o.ToText() << c.ToText() << n.ToText() << s.ToText());
  CHECK(o.overall.quadrant == "Observers");
  CHECK(c.overall.quadrant == "Conservatives");
  CHECK(n.overall.quadrant == "Contenders");
  CHECK(s.overall.quadrant == "#SocialFirst");
  CHECK(s.overall.investment > c.overall.investment - 1);
  CHECK(o.recommendation != s.recommendation);
  // Contributions add up to each axis.
  double inv = 0, inn = 0;
  for (const auto& in : s.inputs) (in.axis == "investment" ? inv : inn) += in.contribution;
  CHECK(inv == Approx(s.overall.investment));
  CHECK(inn == Approx(s.overall.innovation));
  // Two weeks of history: a weekly trend of two points.
  REQUIRE(s.weekly.size() == 2);
  CHECK(s.weekly[0].period == "2026-W47");
  CHECK(s.weekly[1].quadrant == "#SocialFirst");
}

TEST_CASE("Quadrant boundaries, declared inputs and the maturity config", "[metrics][maturity]") {
  // At the threshold an axis counts as high.
  CHECK(QuadrantOf(50, 50, 50) == "#SocialFirst");
  CHECK(QuadrantOf(49.99, 50, 50) == "Contenders");
  CHECK(QuadrantOf(50, 49.99, 50) == "Conservatives");
  CHECK(QuadrantOf(0, 0, 50) == "Observers");

  Team thin;
  MetricsSummary s = ComputeMetrics(Simulate(thin), Targets(kHour), kMonday, kMonday + 14 * kDay);
  MaturityConfig declared;
  MaturityReport without = AssessMaturity(s, declared);
  for (const auto& in : without.inputs) CHECK_FALSE(in.declared);  // nothing declared: left out
  declared.budget = 100;
  declared.dedicated_headcount = 10;
  declared.executive_briefings_per_month = 4;
  MaturityReport with = AssessMaturity(s, declared);
  CHECK(with.overall.investment > without.overall.investment);
  CHECK(with.overall.innovation == without.overall.innovation);

  test::TempDir dir;
  MaturityConfig c;
  REQUIRE(MaturityConfig::LoadFile(dir.Write("m.yaml", "maturity:\n  budget: 70\n  threshold: 60\n  w_sla_attainment: 0.5\n"), &c).ok());
  CHECK(c.budget == 70);
  CHECK(c.threshold == 60);
  CHECK(c.w_sla_attainment == 0.5);
  Status bad = MaturityConfig::LoadFile(dir.Write("bad.yaml", "port: 1\nmaturity:\n  budget: 700\n"), &c);
  CHECK(bad.message() == dir.path() + "/bad.yaml:3: maturity.budget: is a rating from 0 to 100");
  bad = MaturityConfig::LoadFile(dir.Write("bad2.yaml", "maturity:\n  colour: 1\n"), &c);
  CHECK(bad.message() == dir.path() + "/bad2.yaml:2: maturity.colour: unknown key");
  bad = MaturityConfig::LoadFile(dir.Write("bad3.yaml", "maturity:\n  target_channels: 0\n"), &c);
  CHECK(bad.message() == dir.path() + "/bad3.yaml:2: maturity.target_channels: must be greater than 0");
}
