// Retention (engine/store/retention.h): the sweep drops closed messages
// older than their queue's limit, and nothing else; the report aggregates
// answer the same after it; the serve config's retention_days errors name
// the file, line and field; the daemon's job counts what it dropped.
#include <atomic>
#include <catch2/catch.hpp>

#include "base/rfc3339.h"
#include "engine/metrics/aggregate_report.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/metrics_aggregator.h"
#include "engine/store/queue_store.h"
#include "runtime/server/retention_job.h"
#include "runtime/server/server_config.h"
#include "test_util.h"

using namespace triage;

namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kNow = 1'795'000'000'000;

IngestItem Item(const std::string& id, const std::string& queue, int64_t created_ms, const std::string& author) {
  IngestItem it;
  it.id = id;
  it.raw = R"({"id":")" + id + R"(","channel":"x","kind":"public","author":{"id":")" + author + R"(","handle":"@)" +
           author + R"(","followers":1,"verified":false},"text":"hi","lang":"en","created_at":")" +
           FormatRfc3339(created_ms) + "\"}";
  it.decision = R"({"id":")" + id + R"(","label":"question","queue":")" + queue + R"(","priority":"normal"})";
  it.queue = queue;
  return it;
}

std::string Report(const QueueStore& store, const std::map<std::string, QueueTargets>& targets) {
  MetricsOptions o;
  o.queues = targets;
  o.now_ms = kNow;
  MetricsSummary s;
  Status st = AggregateSummary(store, o, kNow - 90 * kDay, kNow, &s);
  REQUIRE(st.ok());
  REQUIRE(AggregateSlaPage(store, o, kNow - 90 * kDay, kNow, "", 1000, &s).ok());
  return s.ToJson(true) + AssessMaturity(s, MaturityConfig()).ToJson();
}

}  // namespace

TEST_CASE("A retention sweep drops only old closed messages of queues with retention, and reports stay the same",
          "[store][retention]") {
  test::TempDir dir;
  std::map<std::string, QueueTargets> targets;
  targets["support"] = QueueTargets{3'600'000, BusinessHours()};
  QueueStoreOptions o;
  o.now_ms = [] { return kNow; };
  o.sync_writes = false;
  o.aggregator = std::make_shared<MetricsAggregator>(targets);
  std::unique_ptr<QueueStore> store;
  REQUIRE(QueueStore::Open(dir.path(), o, &store).ok());
  REQUIRE(store
              ->IngestSync({Item("old-closed", "support", kNow - 60 * kDay, "a1"),
                            Item("old-open", "support", kNow - 60 * kDay, "a2"),
                            Item("recent-closed", "support", kNow - 5 * kDay, "a3"),
                            Item("old-closed-billing", "billing", kNow - 60 * kDay, "a4"),
                            Item("old-late-reply", "support", kNow - 60 * kDay, "a5"),
                            Item("old-deleted", "support", kNow - 70 * kDay, "a6")},
                           nullptr)
              .ok());
  auto event = [&](const std::string& id, EventType t, int64_t at) {
    REQUIRE(store->AddEventSync(id, Event{t, "alice", at, "", ""}).ok());
  };
  event("old-closed", EventType::kReplied, kNow - 59 * kDay);
  event("recent-closed", EventType::kResolved, kNow - 4 * kDay);
  event("old-closed-billing", EventType::kReplied, kNow - 59 * kDay);
  event("old-late-reply", EventType::kReplied, kNow - 2 * kDay);  // closed, but active lately
  std::vector<ContentOutcome> out;
  REQUIRE(store
              ->ApplyContentChangesSync(
                  {ContentChange{ContentChange::Type::kDelete, "old-deleted", "", "", kNow - 69 * kDay}}, &out)
              .ok());
  const std::string before = Report(*store, targets);

  RetentionSweep sweep;
  REQUIRE(store->SweepRetention({{"support", 30 * kDay}}, &sweep, /*step=*/2).ok());
  CHECK(sweep.visited == 6);
  CHECK(sweep.steps >= 3);
  CHECK(sweep.dropped == std::map<std::string, uint64_t>{{"support", 2}});
  StoredMessage m;
  for (const char* gone : {"old-closed", "old-deleted"}) {
    INFO(gone);
    CHECK(store->Get(gone, &m).code() == Status::Code::kNotFound);
  }
  for (const char* kept : {"old-open", "recent-closed", "old-closed-billing", "old-late-reply"}) {
    INFO(kept);
    CHECK(store->Get(kept, &m).ok());
  }
  // The author index has no entry left for the dropped message.
  ErasureRecord r;
  REQUIRE(store->EraseAuthorSync("x", "a1", &r).ok());
  CHECK(r.messages == 0);
  // The reports read the aggregates, which the sweep left alone.
  CHECK(Report(*store, targets) == before);
  // A second sweep finds nothing more; nor does it after a restart.
  REQUIRE(store->SweepRetention({{"support", 30 * kDay}}, &sweep).ok());
  CHECK(sweep.dropped.empty());
  store.reset();
  REQUIRE(QueueStore::Open(dir.path(), o, &store).ok());
  CHECK(Report(*store, targets) == before);
  CHECK(store->Get("old-open", &m).ok());
}

TEST_CASE("The retention job counts what it dropped, by queue", "[store][retention]") {
  test::TempDir dir;
  QueueStoreOptions o;
  o.now_ms = [] { return kNow; };
  o.sync_writes = false;
  std::unique_ptr<QueueStore> store;
  REQUIRE(QueueStore::Open(dir.path(), o, &store).ok());
  REQUIRE(store
              ->IngestSync({Item("a", "support", kNow - 60 * kDay, "u1"), Item("b", "support", kNow - 60 * kDay, "u2")},
                           nullptr)
              .ok());
  REQUIRE(store->AddEventSync("a", Event{EventType::kResolved, "bob", kNow - 50 * kDay, "", ""}).ok());
  std::string logged;
  // An interval of a day: the job's own thread does not sweep during the test.
  RetentionJob job(store.get(), {{"support", 30 * kDay}, {"sales", 7 * kDay}}, kDay,
                   [&](const std::string& l) { logged += l; });
  std::string metrics;
  job.AppendMetrics(&metrics);
  CHECK_THAT(metrics, Catch::Contains("triage_retention_dropped_total{queue=\"support\"} 0"));
  CHECK_THAT(metrics, Catch::Contains("triage_retention_last_sweep_timestamp_seconds 0\n"));
  REQUIRE(job.SweepOnce().ok());
  metrics.clear();
  job.AppendMetrics(&metrics);
  CHECK_THAT(metrics, Catch::Contains("triage_retention_dropped_total{queue=\"support\"} 1"));
  CHECK_THAT(metrics, Catch::Contains("triage_retention_dropped_total{queue=\"sales\"} 0"));
  CHECK_THAT(metrics, !Catch::Contains("triage_retention_last_sweep_timestamp_seconds 0\n"));
  CHECK_THAT(logged, Catch::Contains("dropped 1"));
  job.Stop();
}

TEST_CASE("retention_days in the serve config: errors name the file, line and field", "[daemon][config][retention]") {
  test::TempDir dir;
  const std::string bad = dir.Write("serve.yaml",
                                    "queues:\n  - name: support\n    retention_days: -3\n  - name: sales\n"
                                    "    retention_days: soon\nretention_sweep_seconds: 5\n");
  ServerConfig c;
  Status s = ServerConfig::LoadFile(bad, &c);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains(bad + ":3: queues.support.retention_days: must be between 0 and"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":5: queues.sales.retention_days: must be an integer, got 'soon'"));
  CHECK_THAT(s.message(), Catch::Contains(bad + ":6: retention_sweep_seconds: must be between 60 and"));
  const std::string good = dir.Write("good.yaml", "queues:\n  - name: support\n    retention_days: 90\n");
  ServerConfig g;
  REQUIRE(ServerConfig::LoadFile(good, &g).ok());
  REQUIRE(g.queues.size() == 1);
  CHECK(g.queues[0].retention_days == 90);
}
