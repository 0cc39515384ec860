// Long file: the agreement, survival, backfill, fault and API tests share one history generator and one comparison.
// The store's report aggregates (engine/store/aggregates.h) against the
// exact computation (LoadHistory + ComputeMetrics) on the same messages and
// events: counts equal, percentiles within the histogram's error bound; and
// that they survive erasure, platform deletes, a restart, the backfill of a
// store from before them and a change of targets.
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

#include "base/rfc3339.h"
#include "engine/metrics/aggregate_report.h"
#include "engine/metrics/duration_histogram.h"
#include "engine/metrics/history.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/metrics_aggregator.h"
#include "engine/pipeline.h"
#include "engine/store/queue_store.h"
#include "engine/store/store_format.h"
#include "fault_fs.h"
#include "runtime/server/api.h"
#include "runtime/server/metrics.h"
#include "runtime/server/pipeline_holder.h"
#include "test_util.h"

using namespace triage;

namespace {

constexpr int64_t kHour = 3'600'000, kDay = 24 * kHour;
constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21T...Z, a Monday-ish base

std::map<std::string, QueueTargets> Targets(int64_t support_sla_ms = 2 * kHour) {
  std::map<std::string, QueueTargets> q;
  QueueTargets support;
  support.sla_ms = support_sla_ms;
  REQUIRE(BusinessHours::Parse("mon-fri 09:00-18:00 +01:00", &support.hours).ok());
  q["support"] = support;
  q["sales"] = QueueTargets{30 * 60'000, BusinessHours()};
  return q;  // "billing": no target
}

std::string Line(const std::string& id, const std::string& channel, const std::string& brand, bool is_public,
                 const std::string& conversation, const std::string& author, int64_t created_ms) {
  return R"({"id":")" + id + R"(","channel":")" + channel + R"(","kind":")" + (is_public ? "public" : "private") +
         "\"" + (conversation.empty() ? "" : R"(,"conversation_id":")" + conversation + "\"") + R"(,"brand":")" +
         brand + R"(","author":{"id":")" + author + R"(","handle":"@)" + author +
         R"(","followers":3,"verified":false},"text":"hello","lang":"en","created_at":")" + FormatRfc3339(created_ms) +
         "\"}";
}

struct Fixture {
  test::TempDir dir;
  std::shared_ptr<std::atomic<int64_t>> clock = std::make_shared<std::atomic<int64_t>>(kT0 + 40 * kDay);

  std::unique_ptr<QueueStore> Open(std::shared_ptr<const ConversationAggregator> agg) {
    QueueStoreOptions o;
    auto c = clock;
    o.now_ms = [c] { return c->load(); };
    o.sync_writes = false;
    o.aggregator = std::move(agg);
    std::unique_ptr<QueueStore> s;
    Status st = QueueStore::Open(dir.path(), o, &s);
    INFO(st.message());
    REQUIRE(st.ok());
    return s;
  }
};

struct Generated {
  std::vector<IngestItem> items;
  struct Ev {
    std::string id;
    Event e;
  };
  std::vector<Ev> events;
};

// A deterministic history: conversations over ~3 weeks in three queues,
// messages stored out of order (so a conversation's first message often
// comes after a later one), replies, resolutions, reroutes, private moves,
// off-channel escalations, events stamped before the conversation began.
Generated Generate(unsigned seed, int conversations) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(*(xs.begin() + static_cast<long>(rng() % xs.size())));
  };
  Generated g;
  const char* queues[] = {"support", "sales", "billing"};
  for (int c = 0; c < conversations; ++c) {
    const std::string conv = rng() % 5 == 0 ? "" : "conv-" + std::to_string(c);
    const int64_t start = kT0 + static_cast<int64_t>(rng() % (21 * kDay / 1000)) * 1000;
    const int n = conv.empty() ? 1 : 1 + static_cast<int>(rng() % 4);
    const std::string channel = pick({"x", "instagram", "whatsapp", "facebook"});
    const std::string brand = pick({"acme", "globex"});
    const bool pub = rng() % 2;
    for (int m = 0; m < n; ++m) {
      IngestItem it;
      it.id = "m" + std::to_string(c) + "-" + std::to_string(m);
      const int64_t at = start + (m == 0 ? 0 : static_cast<int64_t>(rng() % (10 * kHour / 1000)) * 1000);
      const std::string queue = queues[rng() % 3];
      it.raw = Line(it.id, channel, brand, pub, conv, "u" + std::to_string(c), at);
      it.decision = R"({"id":")" + it.id + R"(","label":")" + pick({"complaint", "question", "praise"}) +
                    R"(","queue":")" + queue + R"(","priority":"normal"})";
      it.queue = queue;
      it.conversation_id = conv;
      g.items.push_back(std::move(it));
      const std::string& id = g.items.back().id;
      // Events on this message.
      const int k = static_cast<int>(rng() % 4);
      for (int e = 0; e < k; ++e) {
        Event ev;
        const int r = static_cast<int>(rng() % 10);
        ev.type = r < 5   ? EventType::kReplied
                  : r < 7 ? EventType::kResolved
                  : r < 8 ? EventType::kRerouted
                  : r < 9 ? EventType::kMovedPrivate
                          : EventType::kEscalatedOffchannel;
        if (ev.type == EventType::kRerouted) ev.to_queue = "sales";
        ev.agent = rng() % 6 == 0 ? "" : pick({"alice", "bob", "carol", "dave"});
        // Mostly after the message; now and then stamped before it began.
        ev.at_ms =
            at + (rng() % 12 == 0 ? -static_cast<int64_t>(rng() % kHour) : static_cast<int64_t>(rng() % (30 * kHour)));
        g.events.push_back({id, ev});
      }
    }
  }
  std::shuffle(g.items.begin(), g.items.end(), rng);
  return g;
}

void Store(QueueStore& store, const Generated& g) {
  // In a few batches (several group commits), then the events.
  for (size_t i = 0; i < g.items.size(); i += 37) {
    std::vector<IngestItem> batch(g.items.begin() + static_cast<long>(i),
                                  g.items.begin() + static_cast<long>(std::min(g.items.size(), i + 37)));
    REQUIRE(store.IngestSync(std::move(batch), nullptr).ok());
  }
  for (const auto& e : g.events) REQUIRE(store.AddEventSync(e.id, e.e).ok());
}

MetricsSummary Exact(const QueueStore& store, const MetricsOptions& o, int64_t from, int64_t to) {
  std::vector<HistoryMessage> history;
  REQUIRE(LoadHistory(store, &history).ok());
  return ComputeMetrics(history, o, from, to);
}

MetricsSummary FromAggregates(const QueueStore& store, const MetricsOptions& o, int64_t from, int64_t to) {
  MetricsSummary s;
  Status st = AggregateSummary(store, o, from, to, &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

void CheckDistribution(const std::string& what, const Distribution& exact, const Distribution& agg) {
  INFO(what);
  REQUIRE(agg.count() == exact.count());
  for (double q : {0.5, 0.9, 0.99, 1.0}) {
    const double e = static_cast<double>(exact.Percentile(q)), a = static_cast<double>(agg.Percentile(q));
    INFO("q " << q << " exact " << e << " aggregated " << a);
    CHECK(std::abs(a - e) <= e * DurationHistogram::kRelativeError);
  }
}

void CheckGroup(const std::string& what, const GroupMetrics& e, const GroupMetrics& a) {
  INFO(what);
  CHECK(a.conversations == e.conversations);
  CHECK(a.messages == e.messages);
  CHECK(a.responded == e.responded);
  CHECK(a.resolved == e.resolved);
  CHECK(a.resolved_in_channel == e.resolved_in_channel);
  CHECK(a.public_conversations == e.public_conversations);
  CHECK(a.moved_private == e.moved_private);
  CHECK(a.rerouted_messages == e.rerouted_messages);
  CHECK(a.sla_hit == e.sla_hit);
  CHECK(a.sla_missed == e.sla_missed);
  CHECK(a.sla_pending == e.sla_pending);
  CheckDistribution(what + " first_response", e.first_response, a.first_response);
  CheckDistribution(what + " next_response", e.next_response, a.next_response);
  CheckDistribution(what + " resolution", e.resolution, a.resolution);
}

void CheckGroups(const std::string& what, const std::map<std::string, GroupMetrics>& e,
                 const std::map<std::string, GroupMetrics>& a) {
  std::vector<std::string> ek, ak;
  for (const auto& [k, v] : e) ek.push_back(k);
  for (const auto& [k, v] : a) ak.push_back(k);
  INFO(what);
  REQUIRE(ak == ek);
  for (const auto& [k, g] : e) CheckGroup(what + " " + k, g, a.at(k));
}

void CheckAgree(const MetricsSummary& e, const MetricsSummary& a) {
  CheckGroup("all", e.all, a.all);
  CheckGroups("by_queue", e.by_queue, a.by_queue);
  CheckGroups("by_label", e.by_label, a.by_label);
  CheckGroups("by_channel", e.by_channel, a.by_channel);
  CheckGroups("by_brand", e.by_brand, a.by_brand);
  CheckGroups("by_day", e.by_day, a.by_day);
  CheckGroups("by_week", e.by_week, a.by_week);
  CHECK(a.channel_first_seen == e.channel_first_seen);
  CHECK(a.channels_in_period == e.channels_in_period);
  CHECK(a.channels_by_week == e.channels_by_week);
  CHECK(a.week_end_ms == e.week_end_ms);
  CHECK(a.clock_skew_events == e.clock_skew_events);
  CHECK(a.activity.agents == e.activity.agents);
  CHECK(a.activity.hours == e.activity.hours);
  CHECK(a.activity.days == e.activity.days);
  CHECK(a.activity.agent_days == e.activity.agent_days);
  REQUIRE(a.activity_by_week.size() == e.activity_by_week.size());
  for (const auto& [w, act] : e.activity_by_week) {
    INFO("activity week " << w);
    REQUIRE(a.activity_by_week.count(w));
    CHECK(a.activity_by_week.at(w).agent_days == act.agent_days);
    CHECK(a.activity_by_week.at(w).hours == act.hours);
  }
}

// Periods: whole days, ragged ends, one inside a day, all of it; and "now"
// before, inside and after the history (pending against missed).
void CheckAllPeriods(const QueueStore& store, const std::map<std::string, QueueTargets>& targets) {
  const std::vector<std::pair<int64_t, int64_t>> periods = {
      {kT0 - kT0 % kDay, kT0 - kT0 % kDay + 28 * kDay},
      {kT0 + 3 * kDay + 5 * kHour + 17'000, kT0 + 12 * kDay + 7 * kHour},
      {kT0 + 2 * kDay + 3 * kHour, kT0 + 2 * kDay + 11 * kHour},
      {kT0 + 5 * kDay + 2 * kHour + 1, kT0 + 5 * kDay + 2 * kHour + 1000},
      {kT0 - 40 * kDay, kT0 + 60 * kDay},
  };
  for (int64_t now : {kT0 + 4 * kDay + 13 * kHour, kT0 + 11 * kDay + 2 * kHour, kT0 + 60 * kDay}) {
    MetricsOptions o;
    o.queues = targets;
    o.now_ms = now;
    for (const auto& [from, to] : periods) {
      INFO("period " << FormatRfc3339(from) << " to " << FormatRfc3339(to) << ", now " << FormatRfc3339(now));
      CheckAgree(Exact(store, o, from, to), FromAggregates(store, o, from, to));
    }
  }
}

std::string Report(const QueueStore& store, const std::map<std::string, QueueTargets>& targets) {
  MetricsOptions o;
  o.queues = targets;
  o.now_ms = kT0 + 30 * kDay;
  MetricsSummary s = FromAggregates(store, o, kT0 - kT0 % kDay - 7 * kDay, kT0 + 30 * kDay);
  REQUIRE(AggregateSlaPage(store, o, kT0 - kT0 % kDay - 7 * kDay, kT0 + 30 * kDay, "", 100000, &s).ok());
  return s.ToJson(true) + AssessMaturity(s, MaturityConfig()).ToJson();
}

}  // namespace

TEST_CASE("Duration histogram percentiles stay within the documented relative error", "[metrics][aggregates]") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    Distribution exact;
    DurationHistogram h;
    const int n = 1 + static_cast<int>(rng() % 500);
    for (int i = 0; i < n; ++i) {
      int64_t v = static_cast<int64_t>(rng() % (1LL << (rng() % 40)));
      exact.values.push_back(v);
      h.Add(v);
    }
    exact.Finish();
    for (double q : {0.01, 0.5, 0.9, 0.99, 1.0}) {
      const double e = static_cast<double>(exact.Percentile(q)), a = static_cast<double>(h.Percentile(q));
      INFO("q " << q << " exact " << e << " histogram " << a);
      CHECK(std::abs(a - e) <= e * DurationHistogram::kRelativeError);
    }
    // Taking values out again leaves what was there before them.
    DurationHistogram copy = h;
    h.Add(123'456, 3);
    h.Add(123'456, -3);
    CHECK(h == copy);
    std::string enc;
    h.AppendTo(&enc);
    std::string_view in(enc);
    DurationHistogram back;
    REQUIRE(back.ConsumeFrom(&in));
    CHECK(back == h);
  }
  CHECK(DurationHistogram().Percentile(0.5) == 0);
}

TEST_CASE("Report aggregates agree with ComputeMetrics: counts exactly, percentiles within the bound",
          "[metrics][aggregates]") {
  Fixture f;
  const auto targets = Targets();
  auto store = f.Open(std::make_shared<MetricsAggregator>(targets));
  Store(*store, Generate(42, 160));
  CheckAllPeriods(*store, targets);
}

TEST_CASE("The per-conversation SLA list is paged and matches ComputeMetrics'", "[metrics][aggregates]") {
  Fixture f;
  const auto targets = Targets();
  auto store = f.Open(std::make_shared<MetricsAggregator>(targets));
  Store(*store, Generate(5, 80));
  MetricsOptions o;
  o.queues = targets;
  o.now_ms = kT0 + 9 * kDay;
  const int64_t from = kT0 - kDay, to = kT0 + 25 * kDay;
  MetricsSummary exact = Exact(*store, o, from, to);
  std::map<std::string, std::pair<std::string, int64_t>> want, got;
  for (const auto& c : exact.sla) want[c.conversation] = {c.status, c.first_response_ms};
  REQUIRE(want.size() > 10);
  std::string cursor;
  int pages = 0;
  do {
    MetricsSummary page;
    REQUIRE(AggregateSlaPage(*store, o, from, to, cursor, 7, &page).ok());
    CHECK(page.sla.size() <= 7);
    for (const auto& c : page.sla)
      CHECK(got.emplace(c.conversation, std::make_pair(c.status, c.first_response_ms)).second);
    cursor = page.sla_next_cursor;
    CHECK(page.ToJson(true).find("\"sla_by_conversation_next\":") != std::string::npos);
    ++pages;
  } while (!cursor.empty() && pages < 100);
  CHECK(pages > 1);
  CHECK(got == want);
  MetricsSummary bad;
  CHECK(AggregateSlaPage(*store, o, from, to, "zz", 7, &bad).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("Report aggregates survive erasure, platform deletes and a restart", "[metrics][aggregates][erasure]") {
  Fixture f;
  const auto targets = Targets();
  auto agg = std::make_shared<MetricsAggregator>(targets);
  Generated g = Generate(11, 60);
  std::string before;
  {
    auto store = f.Open(agg);
    Store(*store, g);
    before = Report(*store, targets);
    // Erase two authors, delete one message on the platform.
    size_t erased = 0;
    for (size_t i : {3, 8}) {
      const std::string& raw = g.items[i].raw;
      const size_t at = raw.find("\"channel\":\"") + 11;
      const std::string channel = raw.substr(at, raw.find('"', at) - at);
      const std::string& id = g.items[i].id;  // "m<conversation>-<n>", written by "u<conversation>"
      ErasureRecord r;
      REQUIRE(store->EraseAuthorSync(channel, "u" + id.substr(1, id.find('-') - 1), &r).ok());
      erased += r.messages;
    }
    CHECK(erased >= 2);
    std::vector<ContentOutcome> out;
    REQUIRE(store
                ->ApplyContentChangesSync(
                    {ContentChange{ContentChange::Type::kDelete, g.items[0].id, "", "", kT0 + 30 * kDay}}, &out)
                .ok());
    CHECK(out == std::vector<ContentOutcome>{ContentOutcome::kApplied});
    CHECK(Report(*store, targets) == before);
  }
  auto store = f.Open(agg);
  CHECK(Report(*store, targets) == before);
}

TEST_CASE("A store from before the aggregates gets them built at its first writable open", "[metrics][aggregates]") {
  Fixture f;
  const auto targets = Targets();
  {
    auto store = f.Open(nullptr);
    Store(*store, Generate(3, 70));
  }
  {
    // Make it an older store: no aggregates column family at all.
    rocksdb::DBOptions dbo;
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (std::string_view name : kColumnFamilyNames)
      descs.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(dbo, f.dir.path(), descs, &h, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    REQUIRE(db->DropColumnFamily(h[kAggregatesCf]).ok());
    for (auto* c : h) REQUIRE(db->DestroyColumnFamilyHandle(c).ok());
  }
  {
    // Read-only, it has none: the reports say so (and the server computes exactly).
    std::unique_ptr<QueueStore> ro;
    REQUIRE(QueueStore::OpenReadOnly(f.dir.path(), &ro).ok());
    MetricsSummary s;
    MetricsOptions o;
    o.queues = targets;
    CHECK(AggregateSummary(*ro, o, kT0, kT0 + kDay, &s).code() == Status::Code::kNotFound);
  }
  auto store = f.Open(std::make_shared<MetricsAggregator>(targets));
  CheckAllPeriods(*store, targets);
}

TEST_CASE("Derived aggregates are rebuilt when the targets change or a session kept none", "[metrics][aggregates]") {
  Fixture f;
  Generated g = Generate(9, 60);
  {
    auto store = f.Open(std::make_shared<MetricsAggregator>(Targets(2 * kHour)));
    Store(*store, Generated{{g.items.begin(), g.items.begin() + 40}, {}});
  }
  {
    // A session without an aggregator (a replay into the data directory).
    auto store = f.Open(nullptr);
    Store(*store, Generated{{g.items.begin() + 40, g.items.end()}, g.events});
    MetricsSummary s;
    MetricsOptions o;
    o.queues = Targets(2 * kHour);
    CHECK(AggregateSummary(*store, o, kT0, kT0 + kDay, &s).code() == Status::Code::kNotFound);
  }
  const auto targets = Targets(45 * 60'000);
  auto store = f.Open(std::make_shared<MetricsAggregator>(targets));
  CheckAllPeriods(*store, targets);
  // Asked with other targets than the store keeps (a reload changed them).
  MetricsSummary s;
  MetricsOptions o;
  o.queues = Targets(2 * kHour);
  CHECK(AggregateSummary(*store, o, kT0, kT0 + kDay, &s).code() == Status::Code::kNotFound);
}

TEST_CASE("A write the disk refuses changes no aggregate, and after recovery they count what is durable",
          "[metrics][aggregates][fault]") {
  test::TempDir dir;
  test::FaultEnv fe;
  const auto targets = Targets();
  QueueStoreOptions o;
  o.now_ms = [] { return kT0 + 40 * kDay; };
  o.aggregator = std::make_shared<MetricsAggregator>(targets);
  o.test_env = fe.env.get();
  o.recovery_interval_ms = 3'600'000;  // only when asked
  o.log = [](const std::string&) {};
  std::unique_ptr<QueueStore> store;
  REQUIRE(QueueStore::Open(dir.path(), o, &store).ok());
  Generated g = Generate(21, 50);
  const size_t half = g.items.size() / 2;
  Store(*store, Generated{{g.items.begin(), g.items.begin() + static_cast<long>(half)}, {}});
  const std::string before = Report(*store, targets);

  fe.fs->set_full(true);
  std::vector<IngestItem> rest(g.items.begin() + static_cast<long>(half), g.items.end());
  CHECK_FALSE(store->IngestSync(rest, nullptr).ok());
  CHECK_FALSE(store->AddEventSync(g.items[0].id, Event{EventType::kReplied, "alice", kT0 + kDay, "", ""}).ok());
  CHECK(Report(*store, targets) == before);  // read-only: reports go on, unchanged
  fe.fs->set_full(false);
  for (int i = 0; i < 500 && !store->healthy(); ++i) {
    store->RequestRecovery();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(store->healthy());
  CHECK(Report(*store, targets) == before);  // the refused group left nothing behind
  // Stored again, now durably: the aggregates agree with the messages.
  REQUIRE(store->IngestSync(rest, nullptr).ok());
  for (const auto& e : g.events) REQUIRE(store->AddEventSync(e.id, e.e).ok());
  CheckAllPeriods(*store, targets);
}

TEST_CASE("Reports run on the report runner: four waiting reports do not hold up /healthz", "[api][aggregates]") {
  Fixture f;
  ServerConfig config;
  QueueConfig support;
  support.name = "support";
  support.sla_seconds = 7200;
  config.queues.push_back(support);
  const auto targets = config.MetricsOptionsFor(0).queues;
  auto store = f.Open(std::make_shared<MetricsAggregator>(targets));
  Store(*store, Generate(33, 40));
  PipelineHolder pipelines{Pipeline::DefaultRulesPath(), PatternDatabaseOptions{}, "none"};
  REQUIRE(pipelines.Reload().ok());
  ServerMetrics metrics;
  Api api(config, store.get(), &pipelines, &metrics);
  api.set_clock([] { return (kT0 + 30 * kDay) / 1000; });
  std::vector<std::function<void(bool)>> jobs;
  api.set_report_runner([&](std::function<void(bool)> job) {
    if (jobs.size() == 4) return false;  // full
    jobs.push_back(std::move(job));
    return true;
  });
  std::vector<ApiResponse> answers;
  std::mutex mu;
  auto call = [&](const std::string& target) {
    api.Handle(
        "GET", target, [](std::string_view) { return std::string(); }, "",
        [&](ApiResponse r) {
          std::lock_guard<std::mutex> l(mu);
          answers.push_back(std::move(r));
        });
  };
  const std::string period = "from=" + IsoDay(kT0 - kDay) + "&to=" + IsoDay(kT0 + 25 * kDay);
  for (int i = 0; i < 3; ++i) call("/v1/metrics/summary?" + period);
  call("/v1/metrics/summary?" + period + "&conversations=true&limit=5");
  CHECK(answers.empty());  // waiting for the report thread
  call("/healthz");
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].status == 200);
  call("/v1/maturity?" + period);  // a fifth: refused, not queued
  REQUIRE(answers.size() == 2);
  CHECK(answers[1].status == 503);
  CHECK(answers[1].retry_after_seconds > 0);
  answers.clear();
  std::thread reporter([&] {
    for (auto& j : jobs) j(false);
  });
  reporter.join();
  REQUIRE(answers.size() == 4);
  MetricsOptions o = config.MetricsOptionsFor(kT0 + 30 * kDay);
  MetricsSummary exact = Exact(*store, o, kT0 - kT0 % kDay - kDay, kT0 - kT0 % kDay + 25 * kDay);
  for (const auto& a : answers) {
    CHECK(a.status == 200);
    CHECK(a.body.find("\"all\":{\"conversations\":" + std::to_string(exact.all.conversations) + ",") !=
          std::string::npos);
  }
  // The per-conversation list: one page, and where the next begins.
  const ApiResponse& page = answers[3];
  CHECK(page.body.find("\"sla_by_conversation\":[") != std::string::npos);
  CHECK(page.body.find("\"sla_by_conversation_next\":\"") != std::string::npos);
  jobs.clear();
  answers.clear();
  call("/v1/metrics/summary?" + period + "&conversations=true&cursor=nonsense");
  REQUIRE(jobs.size() == 1);
  jobs[0](false);
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].status == 400);
  CHECK(answers[0].body.find("\"field\":\"cursor\"") != std::string::npos);
}

TEST_CASE("After erasure the SLA list shows the conversation id without the author's id, and counts stay",
          "[metrics][aggregates][erasure]") {
  Fixture f;
  const auto targets = Targets();
  auto store = f.Open(std::make_shared<MetricsAggregator>(targets));
  std::vector<IngestItem> items;
  for (const char* id : {"wa:1", "wa:2"}) {
    IngestItem it;
    it.id = id;
    it.raw = Line(id, "whatsapp", "acme", false, "wa-conv-15551234567", "15551234567", kT0 + (id[3] - '0') * 60'000);
    it.decision = R"({"id":")" + it.id + R"(","label":"question","queue":"sales","priority":"normal"})";
    it.queue = "sales";
    it.conversation_id = "wa-conv-15551234567";
    items.push_back(it);
  }
  REQUIRE(store->IngestSync(items, nullptr).ok());
  MetricsOptions o;
  o.queues = targets;
  o.now_ms = kT0 + kDay;
  auto page = [&] {
    MetricsSummary s = FromAggregates(*store, o, kT0 - kT0 % kDay, kT0 - kT0 % kDay + 2 * kDay);
    REQUIRE(AggregateSlaPage(*store, o, kT0 - kT0 % kDay, kT0 - kT0 % kDay + 2 * kDay, "", 100, &s).ok());
    return s;
  };
  MetricsSummary before = page();
  REQUIRE(before.sla.size() == 1);
  CHECK(before.sla[0].conversation == "wa-conv-15551234567");
  ErasureRecord r;
  REQUIRE(store->EraseAuthorSync("whatsapp", "15551234567", &r).ok());
  REQUIRE(r.messages == 2);
  MetricsSummary after = page();
  CHECK(after.ToJson(true).find("15551234567") == std::string::npos);
  REQUIRE(after.sla.size() == 1);
  CHECK(after.sla[0].conversation == "wa-conv-erased");
  CHECK(after.all.conversations == 1);
  CHECK(after.all.messages == 2);
  // A reply after the erasure still counts for the conversation.
  REQUIRE(store->AddEventSync("wa:2", Event{EventType::kReplied, "alice", kT0 + 10 * 60'000, "", ""}).ok());
  MetricsSummary replied = page();
  CHECK(replied.all.responded == 1);
  CHECK(replied.sla[0].status == "hit");
  CHECK(replied.sla[0].conversation == "wa-conv-erased");
}
