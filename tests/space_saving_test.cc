// SpaceSaving (bounded heavy hitters) and the detector's open-vocabulary
// topics: admission, ignore rules, per-brand overrides, and settings read
// from a rule pack's `detector:` section.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "engine/detector/crisis_detector.h"
#include "engine/detector/space_saving.h"
#include "engine/rule_pack.h"
#include "test_util.h"

using namespace triage;

TEST_CASE("Space-Saving keeps every key above N over capacity, with honest bounds", "[detector][space-saving]") {
  // A Zipf-like stream: key k appears about 1/k as often as key 1, among a
  // long tail of one-off keys. Exact counts on the side.
  SpaceSaving ss(100);
  std::map<std::string, uint64_t> truth;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  uint64_t n = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string key;
    if (u(rng) < 0.5) key = "tail" + std::to_string(i);  // seen once
    else key = "k" + std::to_string(static_cast<int>(1 / (u(rng) * 0.98 + 0.02)));  // 1..50, Zipf-ish
    ++truth[key];
    ++n;
    ss.Add(key);
  }
  CHECK(ss.size() == 100);
  for (const auto& [key, count] : truth) {
    INFO(key << " true " << count << " est " << ss.Estimate(key) << " guaranteed " << ss.Guaranteed(key));
    if (count > n / 100) CHECK(ss.Estimate(key) > 0);  // held
    if (ss.Estimate(key) > 0) {
      CHECK(ss.Guaranteed(key) <= count);
      CHECK(ss.Estimate(key) >= count);
    }
  }
}

TEST_CASE("Space-Saving: a new key enters at min + 1, halving follows recent traffic", "[detector][space-saving]") {
  SpaceSaving ss(2);
  CHECK(ss.Add("a") == 1);
  CHECK(ss.Add("a") == 2);
  CHECK(ss.Add("b") == 1);
  CHECK(ss.Add("c") == 1);  // replaces b (count 1): count 2, error 1
  CHECK(ss.Estimate("b") == 0);
  CHECK(ss.Estimate("c") == 2);
  CHECK(ss.Guaranteed("c") == 1);
  ss.Halve();
  CHECK(ss.Estimate("a") == 1);
  CHECK(ss.Estimate("c") == 1);
  CHECK(ss.Guaranteed("c") == 1);
  for (int i = 0; i < 5; ++i) ss.Add("d");  // the newcomer displaces the smallest
  CHECK(ss.Estimate("d") >= 5);
  CHECK(ss.size() == 2);
}

namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kT0 = 1'790'000'000'000;

struct Feed {
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<ClassifierScratch> scratch;
  explicit Feed(const std::string& yaml) : pipeline(test::PipelineFromYaml(yaml)) {
    REQUIRE(pipeline->NewScratch(&scratch).ok());
  }
  // Returns the alert index the message carries (-1 if none).
  int Send(CrisisDetector* d, const std::string& brand, const std::string& text, int64_t t, std::vector<int>* opened) {
    Message m;
    static int n = 0;
    std::string id = "m" + std::to_string(n++);
    m.id = id;
    m.channel = "x";
    m.brand = brand;
    m.text = text;
    m.created_at_ms = t;
    Decision dec;
    REQUIRE(pipeline->Decide(m, scratch.get(), &dec).ok());
    return d->Observe(m, pipeline->pack(), scratch->normalized(), &dec, opened);
  }
};

const char* kNoRules = "rules:\n  - {id: never, label: support, any: [zzqqxx]}\n";

// Six hours of varied chatter over 30 brands, then 40 messages in 10 minutes
// that share only one new word (in Bengali), each on a different brand.
std::vector<int> RunWordBurst(CrisisDetector* d, Feed* f, const std::string& word) {
  std::vector<int> opened;
  std::mt19937_64 rng(5);
  const char* words[] = {"delivery", "order", "pricing", "support", "login", "refund", "design", "update", "store"};
  for (int64_t t = kT0; t < kT0 + 6 * kHour; t += 40'000) {
    std::string text = std::string(words[rng() % 9]) + " " + words[rng() % 9] + " question";
    f->Send(d, "brand" + std::to_string(rng() % 30), text, t, &opened);
  }
  size_t quiet_alerts = opened.size();
  CHECK(quiet_alerts == 0);
  for (int i = 0; i < 40; ++i)
    f->Send(d, "other" + std::to_string(i), "আজ " + word + " " + words[i % 9], kT0 + 6 * kHour + i * 15'000, &opened);
  return opened;
}

}  // namespace

TEST_CASE("A burst of one new word across many brands raises one alert on the term", "[detector][terms]") {
  Feed f(kNoRules);
  CrisisDetector d;
  std::vector<int> opened = RunWordBurst(&d, &f, "বিদ্যুৎবিভ্রাট");
  REQUIRE(opened.size() == 1);
  CHECK(d.alert(opened[0]).topic == "term:বিদ্যুৎবিভ্রাট");
  // Ignored topics are not counted: no alert at all.
  CrisisDetectorOptions o;
  o.ignore = {"term:*"};
  CrisisDetector ignoring(o);
  CHECK(RunWordBurst(&ignoring, &f, "বিদ্যুৎবিভ্রাট").empty());
  o.ignore = {"term:বিদ্যুৎবিভ্রাট"};
  CrisisDetector ignoring_one(o);
  CHECK(RunWordBurst(&ignoring_one, &f, "বিদ্যুৎবিভ্রাট").empty());
}

TEST_CASE("Open-vocabulary topics stay bounded with millions of distinct words", "[detector][terms]") {
  Feed f(kNoRules);
  CrisisDetectorOptions o;
  o.terms.capacity = 2000;
  o.fast.max_topics = o.slow.max_topics = 500;
  CrisisDetector d(o);
  std::vector<int> opened;
  // 200,000 messages, each with three words never seen before and two from a
  // small shared vocabulary.
  for (int i = 0; i < 200000; ++i) {
    std::string text = "w" + std::to_string(i) + "a w" + std::to_string(i) + "b w" + std::to_string(i) + "c common" +
                       std::to_string(i % 50) + " shared" + std::to_string(i % 7);
    f.Send(&d, "acme", text, kT0 + i * 1000, &opened);
  }
  CrisisDetector::Stats s = d.stats();
  CHECK(s.terms_held <= 2000);
  CHECK(s.evictable_topics <= 1000);  // both scales
  // The shared words were admitted and have burst state on both scales; the
  // one-off words never were (they would need 3 sightings).
  CHECK(s.topics >= 2 * (50 + 7 + 1));
  CHECK(opened.empty());
}

TEST_CASE("Per-brand thresholds apply to that brand only", "[detector]") {
  Feed f(kNoRules);
  CrisisDetectorOptions o;
  o.terms.enabled = false;
  o.brands["Loud"].min_count = 1000;  // never alerts in this test
  CrisisDetector d(o);
  std::vector<int> opened;
  for (int64_t t = kT0; t < kT0 + 6 * kHour; t += 20 * kMinute) {
    f.Send(&d, "Loud", "hello there", t, &opened);
    f.Send(&d, "Quiet", "hello there", t + 1000, &opened);
  }
  for (int i = 0; i < 40; ++i) {
    f.Send(&d, "Loud", "hello there", kT0 + 6 * kHour + i * 10'000, &opened);
    f.Send(&d, "Quiet", "hello there", kT0 + 6 * kHour + i * 10'000 + 5000, &opened);
  }
  REQUIRE(opened.size() == 1);
  CHECK(d.alert(opened[0]).topic == "brand:Quiet");
}

TEST_CASE("A pack's detector section sets the detector, with errors naming file and line", "[detector][rule-pack]") {
  RulePack pack;
  Status s = RulePack::LoadFromString(R"(detector:
  warmup: 2h
  p_value: 1.0e-9
  baseline: 12h
  cooldown: 90s
  fast: {bucket: 30s, window: 20, min_count: 5}
  slow: {bucket: 1h, window: 4}
  terms: {capacity: 1000, admit_count: 5, min_length: 4, halve_every: 2h, stopwords: [Qué, "por favor"]}
  reach: {min_followers: 1000, verified: false, max_compound: -0.2}
  ignore: ["tag:giveaway", "term:*"]
  brands: {"Acme Air": {min_count: 30, p_value: 1.0e-12}}
)",
                                      "d.yaml", &pack);
  REQUIRE(s.ok());
  const CrisisDetectorOptions& o = pack.detector();
  CHECK(o.warmup_ms == 2 * kHour);
  CHECK(o.fast.p_value == 1e-9);
  CHECK(o.slow.p_value == 1e-9);
  CHECK(o.fast.baseline_tau_ms == 12.0 * kHour);
  CHECK(o.fast.cooldown_ms == 90'000);
  CHECK(o.fast.bucket_ms == 30'000);
  CHECK(o.fast.window_buckets == 20);
  CHECK(o.fast.min_count == 5);
  CHECK(o.slow.bucket_ms == kHour);
  CHECK(o.slow.window_buckets == 4);
  CHECK(o.slow.min_count == 10);  // default kept
  CHECK(o.terms.capacity == 1000);
  CHECK(o.terms.admit_count == 5);
  CHECK(o.terms.min_codepoints == 4);
  CHECK(o.terms.halve_every_ms == 2 * kHour);
  CHECK(o.terms.stopwords == std::vector<std::string>{"que", "por", "favor"});
  CHECK(o.reach.min_followers == 1000);
  CHECK_FALSE(o.reach.verified_counts);
  CHECK(o.reach.max_compound == -0.2);
  CHECK(o.ignore == std::vector<std::string>{"tag:giveaway", "term:*"});
  REQUIRE(o.brands.count("Acme Air"));
  CHECK(*o.brands.at("Acme Air").min_count == 30);
  CHECK(*o.brands.at("Acme Air").p_value == 1e-12);
  CHECK_FALSE(pack.detector_source().empty());

  // Errors: each names the file, the line and the key.
  s = RulePack::LoadFromString("detector:\n  cooldown: soon\n  fast: {window: 0}\n  terms: {colour: red}\n  bogus: 1\n",
                               "bad.yaml", &pack);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("bad.yaml:2: detector: 'cooldown' must be a positive duration such as 90s"));
  CHECK_THAT(s.message(), Catch::Contains("bad.yaml:3: detector: 'fast.window' must be between 1 and 10000, got 0"));
  CHECK_THAT(s.message(), Catch::Contains("bad.yaml:4: detector: unknown key 'terms.colour'"));
  CHECK_THAT(s.message(), Catch::Contains("bad.yaml:5: detector: unknown key 'bogus'"));
  // At most one detector section per pack.
  test::TempDir dir;
  dir.Write("a.yaml", "detector: {enabled: false}\n");
  dir.Write("b.yaml", "rules:\n  - {id: r, label: support, any: [x1]}\ndetector:\n  enabled: true\n");
  s = RulePack::Load(dir.path(), &pack);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("b.yaml:4: detector: defined twice (first at " + dir.path() + "/a.yaml:1)"));
}

TEST_CASE("The default pack's detector settings equal the built-in defaults except the stopwords", "[detector][rule-pack]") {
  RulePack pack;
  REQUIRE(RulePack::Load(TRIAGE_RULES_DIR, &pack).ok());
  const CrisisDetectorOptions& o = pack.detector();
  CrisisDetectorOptions d;
  auto same_scale = [](const BurstDetectorOptions& a, const BurstDetectorOptions& b) {
    return a.bucket_ms == b.bucket_ms && a.window_buckets == b.window_buckets && a.baseline_tau_ms == b.baseline_tau_ms &&
           a.floor_rate == b.floor_rate && a.close_ratio == b.close_ratio && a.cooldown_ms == b.cooldown_ms &&
           a.max_topics == b.max_topics;
  };
  CHECK(same_scale(o.fast, d.fast));
  CHECK(same_scale(o.slow, d.slow));
  CHECK(o.terms.capacity == d.terms.capacity);
  CHECK(o.terms.admit_count == d.terms.admit_count);
  CHECK(o.terms.min_codepoints == d.terms.min_codepoints);
  CHECK(o.terms.halve_every_ms == d.terms.halve_every_ms);
  CHECK(o.warmup_ms == d.warmup_ms);
  CHECK(o.reach.min_followers == d.reach.min_followers);
  CHECK(o.reach.max_compound == d.reach.max_compound);
  CHECK(o.terms.stopwords.size() > 300);
}
