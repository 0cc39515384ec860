// report_bench DIR N [--exact]: stores N generated messages (conversations of
// one to three messages over 90 days, four channels, two brands, three
// queues with SLA targets and business hours, replies and resolutions for
// most, reroutes now and then) into a fresh data directory DIR with the
// report aggregates kept, then times the reports the daemon answers from
// them (bench/README.md, "Reports at 1 M messages"). With --exact it also
// times the full scan (LoadHistory + ComputeMetrics) they replace. A DIR
// that already holds a store is reused as it is (no new messages).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <string>

#include "base/rfc3339.h"
#include "engine/metrics/aggregate_report.h"
#include "engine/metrics/history.h"
#include "engine/metrics/maturity.h"
#include "engine/metrics/metrics_aggregator.h"
#include "engine/store/queue_store.h"

using namespace triage;

namespace {

constexpr int64_t kHour = 3'600'000, kDay = 24 * kHour;
constexpr int64_t kStart = 1'780'272'000'000;  // 2026-06-01T00:00:00Z

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::map<std::string, QueueTargets> Targets() {
  std::map<std::string, QueueTargets> q;
  QueueTargets support{2 * kHour, BusinessHours()};
  BusinessHours::Parse("mon-fri 09:00-18:00 +01:00", &support.hours);
  q["support"] = support;
  q["sales"] = QueueTargets{kHour, BusinessHours()};
  q["billing"] = QueueTargets{8 * kHour, BusinessHours()};
  return q;
}

void Fill(QueueStore& store, long long n) {
  std::mt19937_64 rng(1);
  const char* channels[] = {"x", "instagram", "whatsapp", "facebook"};
  const char* labels[] = {"complaint", "question", "praise", "billing", "outage", "other"};
  const char* queues[] = {"support", "sales", "billing"};
  const char* agents[] = {"amira", "bo", "chen", "dana", "eli", "fay", "gus", "hana"};
  auto t0 = std::chrono::steady_clock::now();
  long long stored = 0, conv = 0;
  std::vector<IngestItem> batch;
  std::vector<std::pair<std::string, Event>> events;
  while (stored < n) {
    const int k = 1 + static_cast<int>(rng() % 3);
    const std::string c = "c" + std::to_string(conv++);
    const int64_t start = kStart + static_cast<int64_t>(rng() % (90 * kDay));
    const std::string channel = channels[rng() % 4], brand = rng() % 2 ? "acme" : "globex";
    const char* queue = queues[rng() % 3];
    for (int m = 0; m < k && stored < n; ++m, ++stored) {
      IngestItem it;
      it.id = c + "-" + std::to_string(m);
      const int64_t at = start + m * static_cast<int64_t>(rng() % (2 * kHour));
      it.raw =
          R"({"id":")" + it.id + R"(","channel":")" + channel + R"(","kind":")" + (rng() % 2 ? "public" : "private") +
          R"(","conversation_id":")" + c + R"(","brand":")" + brand + R"(","author":{"id":"u)" + c +
          R"(","handle":"@u","followers":10,"verified":false},"text":"where is my order","lang":"en","created_at":")" +
          FormatRfc3339(at - at % 1000) + "\"}";
      it.decision = R"({"id":")" + it.id + R"(","label":")" + labels[rng() % 6] + R"(","queue":")" + queue +
                    R"(","priority":"normal"})";
      it.queue = queue;
      it.conversation_id = c;
      const std::string id = it.id;
      batch.push_back(std::move(it));
      const int r = static_cast<int>(rng() % 100);
      if (r < 80) {
        Event e{EventType::kReplied, agents[rng() % 8], at + static_cast<int64_t>(rng() % (6 * kHour)), "", ""};
        events.emplace_back(id, e);
        if (r < 60) events.emplace_back(id, Event{EventType::kResolved, e.agent, e.at_ms + kHour, "", ""});
      } else if (r < 83) {
        events.emplace_back(id, Event{EventType::kRerouted, agents[rng() % 8], at + kHour, "sales", ""});
      }
    }
    if (batch.size() >= 1000 || stored >= n) {
      if (Status s = store.IngestSync(std::move(batch), nullptr); !s.ok()) {
        std::fprintf(stderr, "ingest: %s\n", s.message().c_str());
        std::exit(1);
      }
      batch.clear();
      // Events asynchronously, a window at a time (the writer groups them).
      std::atomic<size_t> left{events.size()};
      std::promise<void> all;
      if (events.empty()) all.set_value();
      for (auto& [id, e] : events)
        store.AddEvent(id, e, [&](Status) {
          if (--left == 0) all.set_value();
        });
      all.get_future().wait();
      events.clear();
      if (stored % 100000 < 1000) std::fprintf(stderr, "%lld messages stored, %.0f s\n", stored, Seconds(t0));
    }
  }
  std::fprintf(stderr, "stored %lld messages in %lld conversations in %.1f s\n", stored, conv, Seconds(t0));
}

template <typename F>
void Time(const char* what, int runs, F f) {
  double best = 1e9, total = 0;
  for (int i = 0; i < runs; ++i) {
    auto t = std::chrono::steady_clock::now();
    f();
    double s = Seconds(t);
    best = std::min(best, s);
    total += s;
  }
  std::printf("%-58s best %8.1f ms  mean %8.1f ms  (%d runs)\n", what, best * 1e3, total / runs * 1e3, runs);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: report_bench DIR N [--exact]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const long long n = std::atoll(argv[2]);
  const bool exact = argc > 3 && std::string(argv[3]) == "--exact";
  const bool fresh = !std::filesystem::exists(dir);
  QueueStoreOptions o;
  o.sync_writes = false;
  o.max_pending_ops = 1'000'000;
  const auto targets = Targets();
  o.aggregator = std::make_shared<MetricsAggregator>(targets);
  std::unique_ptr<QueueStore> store;
  if (Status s = QueueStore::Open(dir, o, &store); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  if (fresh) Fill(*store, n);
  MetricsOptions mo;
  mo.queues = targets;
  mo.now_ms = kStart + 90 * kDay + 5 * kHour + 1234;
  const int64_t now = mo.now_ms;
  size_t bytes = 0;
  auto summary = [&](int64_t from, int64_t to, bool maturity) {
    MetricsSummary s;
    if (Status st = AggregateSummary(*store, mo, from, to, &s); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      std::exit(1);
    }
    bytes = maturity ? AssessMaturity(s, MaturityConfig()).ToJson().size() : s.ToJson().size();
  };
  Time("summary, last 28 days (ragged ends, the default)", 5, [&] { summary(now - 28 * kDay, now, false); });
  Time("summary, 90 whole days", 5, [&] { summary(kStart, kStart + 90 * kDay, false); });
  Time("maturity, last 28 days", 5, [&] { summary(now - 28 * kDay, now, true); });
  Time("summary, one whole day", 5, [&] { summary(kStart + 40 * kDay, kStart + 41 * kDay, false); });
  Time("sla_by_conversation, one page of 1000", 5, [&] {
    MetricsSummary s;
    AggregateSlaPage(*store, mo, now - 28 * kDay, now, "", 1000, &s);
  });
  std::printf("maturity JSON: %zu bytes\n", bytes);
  if (exact) {
    Time("exact: LoadHistory + ComputeMetrics, last 28 days", 1, [&] {
      std::vector<HistoryMessage> h;
      LoadHistory(*store, &h);
      ComputeMetrics(h, mo, now - 28 * kDay, now);
    });
  }
  return 0;
}
