// The daemon's detector checkpoint (runtime/server/detector_checkpoints.h):
// a restart restores it and replays only what was stored after it, derives
// the alerts a daemon that never stopped derives, and refuses a checkpoint
// that is damaged, truncated, of another version, other settings or another
// store, saying why, then replays the last six hours as before.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "base/rfc3339.h"
#include "format/archive_format.h"
#include "http_client.h"
#include "running_daemon.h"
#include "runtime/server/detector_checkpoints.h"
#include "runtime/server/live_detector.h"
#include "outage_batches.h"
#include "test_util.h"

using namespace triage;
using test::Msg;
using test::RunningDaemon;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kT0 = test::kOutageT0;

// Three hours of a quiet trickle on Acme, then an outage of forty messages in
// eight minutes (tests/outage_batches.h), cut in parts.
std::string Quiet() { return test::QuietBatch(); }
std::string Burst(int from, int to) { return test::BurstBatch(from, to); }

void Post(RunningDaemon& d, const std::string& batch, std::string* body = nullptr) {
  test::HttpClient c(d.port());
  auto r = c.Request("POST", "/v1/messages", batch);
  REQUIRE(r.status == 202);
  if (body) *body = r.body;
}

std::string Alerts(RunningDaemon& d) {
  test::HttpClient c(d.port());
  return c.Request("GET", "/v1/alerts").body;
}

std::string ReadBytes(const std::string& path) { return test::ReadFile(path); }
void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// What a daemon that never stops answers to the outage's second half, and
// its alerts then.
struct Reference {
  std::string second_half, alerts;
};
Reference NeverStopped() {
  RunningDaemon d;
  Post(d, Quiet());
  Post(d, Burst(0, 20));
  Reference r;
  Post(d, Burst(20, 40), &r.second_half);
  r.alerts = Alerts(d);
  return r;
}

}  // namespace

TEST_CASE("A daemon restarted mid-outage from its checkpoint derives the alert of one that never stopped",
          "[daemon][detector][checkpoint]") {
  const Reference ref = NeverStopped();
  REQUIRE(ref.alerts.find("\"type\":\"crisis_alert\"") != std::string::npos);
  REQUIRE(ref.second_half.find("\"alert\":\"alert:") != std::string::npos);

  test::TempDir dir;
  ServerConfig cfg;
  cfg.data_dir = dir.path() + "/data";
  const std::string ckpt = DetectorCheckpoints::PathIn(cfg.data_dir);
  std::string early;  // the checkpoint written after the quiet hours only
  {
    RunningDaemon d(cfg);
    CHECK_THAT(d.Log(), Catch::Contains("crisis detector checkpoint not used: no checkpoint at " + ckpt +
                                        " (the first start, or a store from before checkpoints)"));
    Post(d, Quiet());
  }  // a clean stop writes the checkpoint
  early = ReadBytes(ckpt);
  REQUIRE(early.size() > 100);
  {
    RunningDaemon d(cfg);
    CHECK_THAT(d.Log(), Catch::Contains("then 0 messages stored after it replayed"));
    Post(d, Burst(0, 20));
    // Half the outage: the alert is open when the daemon stops.
    CHECK_THAT(Alerts(d), Catch::Contains("\"closed_at\":null"));
  }
  // Two restarts of that store: from the checkpoint of the clean stop
  // (nothing stored after it), and from the older one, as after a crash
  // (the outage's first half stored after it).
  for (bool crashed : {false, true}) {
    INFO((crashed ? "from the older checkpoint" : "from the clean stop's checkpoint"));
    ServerConfig c = cfg;
    c.data_dir = dir.path() + (crashed ? "/crashed" : "/clean");
    fs::copy(cfg.data_dir, c.data_dir, fs::copy_options::recursive);
    if (crashed) WriteBytes(DetectorCheckpoints::PathIn(c.data_dir), early);
    RunningDaemon d(c);
    CHECK_THAT(d.Log(), Catch::Contains("crisis detector restored from " + DetectorCheckpoints::PathIn(c.data_dir)));
    CHECK_THAT(d.Log(), Catch::Contains(crashed ? "then 20 messages stored after it replayed"
                                                : "then 0 messages stored after it replayed"));
    std::string second_half;
    Post(d, Burst(20, 40), &second_half);
    CHECK(second_half == ref.second_half);
    CHECK(Alerts(d) == ref.alerts);
  }
}

TEST_CASE("A damaged, truncated, other-version, other-settings or other store's checkpoint is refused with its "
          "reason, and the daemon replays the last six hours",
          "[daemon][detector][checkpoint]") {
  test::TempDir dir;
  ServerConfig cfg;
  cfg.data_dir = dir.path() + "/data";
  {
    RunningDaemon d(cfg);
    Post(d, Quiet());
    Post(d, Burst(0, 20));
  }
  const std::string good = ReadBytes(DetectorCheckpoints::PathIn(cfg.data_dir));
  REQUIRE(good.size() > 100);

  // Each case on its own copy of the store.
  struct Case {
    std::string name, reason;
    std::function<std::string(const std::string&)> inject;  // the checkpoint's bytes from `good`
    std::function<void(ServerConfig*)> configure = [](ServerConfig*) {};
  };
  const std::vector<Case> cases = {
      {"damaged", "checksum mismatch over " + std::to_string(good.size()) + " bytes",
       [](std::string b) {
         b[b.size() / 2] = static_cast<char>(b[b.size() / 2] ^ 0x10);
         return b;
       }},
      {"truncated", "truncated or extended: " + std::to_string(good.size() / 2) + " bytes",
       [](const std::string& b) { return b.substr(0, b.size() / 2); }},
      {"another version", "format version 9, and this build reads version 1",
       [](std::string b) {
         b[8] = 9;
         return b;
       }},
      {"other settings", "made with different detector settings", [](const std::string& b) { return b; },
       [&](ServerConfig* c) {
         // The same pack with one detector setting changed.
         const std::string rules = dir.path() + "/rules";
         fs::copy(TRIAGE_RULES_DIR, rules, fs::copy_options::recursive);
         std::string y = ReadBytes(rules + "/detector.yaml");
         size_t at = y.find("max_topics: 100000");
         REQUIRE(at != std::string::npos);
         y.replace(at, 18, "max_topics: 90000");
         WriteBytes(rules + "/detector.yaml", y);
         c->rules = rules;
       }},
  };
  int n = 0;
  for (const Case& k : cases) {
    INFO(k.name);
    ServerConfig c = cfg;
    c.data_dir = dir.path() + "/case" + std::to_string(n++);
    fs::copy(cfg.data_dir, c.data_dir, fs::copy_options::recursive);
    WriteBytes(DetectorCheckpoints::PathIn(c.data_dir), k.inject(good));
    k.configure(&c);
    RunningDaemon d(c);
    const std::string log = d.Log();
    CHECK_THAT(log, Catch::Contains("crisis detector checkpoint not used: " + DetectorCheckpoints::PathIn(c.data_dir) +
                                    ": " + k.reason));
    // The six hours replayed instead: the open alert is back, and the rest
    // of the outage carries it.
    CHECK_THAT(log, Catch::Contains("replayed the 56 messages of the last 6 hours instead"));
    std::string second_half;
    Post(d, Burst(20, 40), &second_half);
    CHECK_THAT(second_half, Catch::Contains("{\"id\":\"o:39\",\"status\":\"stored\",\"decision\":{\"id\":\"o:39\","));
    CHECK_THAT(second_half, Catch::Contains("\"alert\":\"alert:"));
  }
  // A store restored from an older backup (here: an empty one) with the
  // checkpoint of a later state: it covers messages the store lacks.
  ServerConfig c = cfg;
  c.data_dir = dir.path() + "/empty";
  fs::create_directories(c.data_dir);
  WriteBytes(DetectorCheckpoints::PathIn(c.data_dir), good);
  RunningDaemon d(c);
  CHECK_THAT(d.Log(), Catch::Contains("crisis detector checkpoint not used: " + DetectorCheckpoints::PathIn(c.data_dir) +
                                      ": it covers messages up to arrival number "));
  CHECK_THAT(d.Log(), Catch::Contains(" and the store ends at 0 (restored from an older backup, or another store's checkpoint)"));
  CHECK_THAT(d.Log(), Catch::Contains("replayed the 0 messages of the last 6 hours instead"));
}

TEST_CASE("A message counted before the checkpoint and stored after it is replayed as a repeat, not counted twice",
          "[daemon][detector][checkpoint]") {
  std::unique_ptr<Pipeline> p;
  PatternDatabaseOptions o;
  o.cache_dir = "";
  REQUIRE(Pipeline::Load(TRIAGE_RULES_DIR, o, &p).ok());
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  ArchiveParser parser;
  const int64_t wall = 5'000'000;
  auto feed = [&](LiveDetector& live, const std::string& batch) {
    std::string marks;
    size_t pos = 0;
    while (pos < batch.size()) {
      size_t nl = batch.find('\n', pos);
      Message m;
      REQUIRE(parser.ParseCopy(batch.substr(pos, nl - pos), &m).ok());
      pos = nl + 1;
      Decision d;
      REQUIRE(p->Decide(m, scratch.get(), &d).ok());
      live.Observe(1, *p, m, scratch->normalized(), &d, wall);
      marks += d.alert + "|" + std::string(PriorityName(d.routing.priority)) + "\n";
    }
    return marks;
  };
  LiveDetector a(nullptr);
  feed(a, Quiet());
  feed(a, Burst(0, 20));
  std::string blob;
  REQUIRE(a.Checkpoint(57, wall, &blob));

  LiveDetector b(nullptr);
  DetectorCheckpointHeader h;
  Status s = b.RestoreCheckpoint(*p, blob, 100, wall, &h);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(h.position == 57);
  CHECK(h.last_event_ms == kT0 + 3 * 3600'000 + 19 * 12'000);
  // The last five were in flight: stored after the checkpoint, so replayed.
  feed(b, Burst(15, 20));
  CHECK(b.stats().repeats == 5);
  CHECK(b.stats().observed == 0);
  // From here on both derive the same.
  CHECK(feed(b, Burst(20, 40)) == feed(a, Burst(20, 40)));
  // A checkpoint past the end of the store is refused, and changes nothing.
  LiveDetector c(nullptr);
  CHECK_THAT(c.RestoreCheckpoint(*p, blob, 56, wall, &h).message(), Catch::Contains("the store ends at 55"));
  CHECK_FALSE(c.Checkpoint(1, wall, &blob));  // still no state
}

TEST_CASE("Checkpoints are written while the detector changes - one that cannot be written is logged and counted, "
          "and the previous one stays",
          "[daemon][detector][checkpoint]") {
  test::TempDir dir;
  ServerConfig cfg;
  cfg.data_dir = dir.path() + "/data";
  cfg.detector_checkpoint_seconds = 1;
  const std::string ckpt = DetectorCheckpoints::PathIn(cfg.data_dir);
  // Waits (a minute at most: a bound, not a speed) until `done`.
  auto eventually = [](const std::function<bool()>& done) {
    for (int i = 0; i < 1200 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  };
  auto metrics = [](RunningDaemon& d) {
    test::HttpClient c(d.port());
    return c.Request("GET", "/metrics").body;
  };
  std::string before;
  {
    RunningDaemon d(cfg);
    Post(d, Quiet());
    // Written by the job's thread, the daemon still running.
    REQUIRE(eventually([&] { return fs::exists(ckpt); }));
    CHECK(metrics(d).find("triage_detector_checkpoints_total{result=\"ok\"} 0\n") == std::string::npos);
    // The temporary file's name taken by a directory: every write fails
    // from here on (once a write in flight, if any, has renamed its file).
    REQUIRE(eventually([&] {
      std::error_code ec;
      fs::create_directory(ckpt + ".tmp", ec);
      return fs::is_directory(ckpt + ".tmp");
    }));
    before = ReadBytes(ckpt);
    Post(d, Burst(0, 20));
    REQUIRE(eventually([&] { return metrics(d).find("triage_detector_checkpoints_total{result=\"failed\"} 0\n") ==
                                    std::string::npos; }));
    CHECK_THAT(d.Log(), Catch::Contains("crisis detector checkpoint not written: cannot create " + ckpt + ".tmp: "));
    CHECK_THAT(d.Log(), Catch::Contains("(the previous one stays; retried in 1 s)"));
    CHECK(ReadBytes(ckpt) == before);
  }  // the write at the stop fails too, and the daemon still stops
  CHECK(ReadBytes(ckpt) == before);
  fs::remove(ckpt + ".tmp");
  RunningDaemon d(cfg);
  // The older checkpoint, and the outage's first half stored after it.
  CHECK_THAT(d.Log(), Catch::Contains("crisis detector restored from " + ckpt));
  CHECK_THAT(d.Log(), Catch::Contains("then 20 messages stored after it replayed"));
  CHECK_THAT(Alerts(d), Catch::Contains("\"closed_at\":null"));
}
