// The burst detector on generated traces (event time; deterministic RNG).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>

#include "engine/detector/burst_detector.h"

using namespace triage;

namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kStart = 1'790'000'000'000;  // an arbitrary event-time origin

// Poisson arrivals at `per_hour(t)` messages/hour between from and to.
std::vector<int64_t> Arrivals(std::mt19937_64& rng, int64_t from, int64_t to, double (*per_hour)(int64_t)) {
  std::vector<int64_t> out;
  std::uniform_real_distribution<double> u(0, 1);
  for (int64_t t = from; t < to; t += kMinute) {
    double lambda = per_hour(t) / 60.0;
    // Poisson draw for one minute by inversion.
    double l = std::exp(-lambda), p = 1;
    int k = 0;
    do {
      ++k;
      p *= u(rng);
    } while (p > l);
    for (int i = 0; i < k - 1; ++i) out.push_back(t + static_cast<int64_t>(u(rng) * kMinute));
  }
  std::sort(out.begin(), out.end());
  return out;
}

double Quiet(int64_t) { return 3.0; }  // three messages an hour
double Daily(int64_t t) {  // 3/h at night to 40/h in the afternoon
  double hour = std::fmod(static_cast<double>(t - kStart) / kHour, 24.0);
  return 3.0 + 37.0 * std::pow(std::sin(M_PI * hour / 24.0), 2);
}

}  // namespace

TEST_CASE("Poisson upper tail", "[detector]") {
  CHECK(PoissonUpperTail(0, 3.0) == 1.0);
  CHECK(PoissonUpperTail(1, 2.0) == Approx(1 - std::exp(-2.0)));
  CHECK(PoissonUpperTail(3, 2.0) == Approx(1 - std::exp(-2.0) * (1 + 2 + 2)));
  // Dominated by its first term, P(X = 10), plus about 2 % from the rest.
  CHECK(PoissonUpperTail(10, 0.2) == Approx(std::exp(-0.2) * std::pow(0.2, 10) / 3628800 * (1 + 0.2 / 11 + 0.04 / 132)).epsilon(0.001));
  CHECK(PoissonUpperTail(50, 50.0) > 0.4);
  CHECK(PoissonUpperTail(200, 1.0) < 1e-300);
}

TEST_CASE("A quiet baseline with one sharp burst raises exactly one alert, early, and closes it", "[detector]") {
  std::mt19937_64 rng(7);
  BurstDetector d;
  auto quiet = Arrivals(rng, kStart, kStart + 48 * kHour, Quiet);
  int alerts_opened = 0;
  for (size_t i = 0; i < quiet.size(); ++i) {
    bool opened = false;
    d.Observe("brand:Acme", quiet[i], "q" + std::to_string(i), &opened);
    alerts_opened += opened;
  }
  CHECK(alerts_opened == 0);
  // 50 messages in 10 minutes.
  int64_t burst_start = kStart + 48 * kHour + 5 * kMinute;
  int opened_at = -1;
  for (int i = 0; i < 50; ++i) {
    bool opened = false;
    d.Observe("brand:Acme", burst_start + i * 12'000, "b" + std::to_string(i), &opened);
    if (opened) {
      CHECK(opened_at == -1);
      opened_at = i;
    }
  }
  REQUIRE(opened_at >= 0);
  CHECK(opened_at < 15);
  REQUIRE(d.num_alerts() == 1);
  CHECK(d.alert(0).first_message == "b" + std::to_string(opened_at));
  CHECK(d.alert(0).messages == 50 - opened_at);
  CHECK(d.alert(0).closed_at_ms == 0);
  // Back to the quiet rate: the alert closes.
  auto after = Arrivals(rng, burst_start + 10 * kMinute, burst_start + 3 * kHour, Quiet);
  for (size_t i = 0; i < after.size(); ++i) d.Observe("brand:Acme", after[i], "a" + std::to_string(i));
  d.CloseQuiet(burst_start + 3 * kHour);
  CHECK(d.alert(0).closed_at_ms > 0);
  CHECK(d.num_alerts() == 1);
}

TEST_CASE("A slow daily rhythm raises no alert", "[detector]") {
  std::mt19937_64 rng(11);
  BurstDetector d;
  auto trace = Arrivals(rng, kStart, kStart + 7 * 24 * kHour, Daily);
  REQUIRE(trace.size() > 3000);
  for (size_t i = 0; i < trace.size(); ++i) d.Observe("brand:Acme", trace[i], "m" + std::to_string(i));
  CHECK(d.num_alerts() == 0);
}

TEST_CASE("Two simultaneous bursts on different brands raise two alerts", "[detector]") {
  std::mt19937_64 rng(3);
  BurstDetector d;
  auto base = Arrivals(rng, kStart, kStart + 24 * kHour, Quiet);
  for (size_t i = 0; i < base.size(); ++i) {
    d.Observe("brand:A", base[i], "a");
    d.Observe("brand:B", base[i] + 7000, "b");
  }
  int64_t t0 = kStart + 24 * kHour;
  for (int i = 0; i < 40; ++i) {
    d.Observe("brand:A", t0 + i * 10'000, "A" + std::to_string(i));
    d.Observe("brand:B", t0 + i * 10'000 + 5'000, "B" + std::to_string(i));
  }
  REQUIRE(d.num_alerts() == 2);
  CHECK(d.alert(0).topic != d.alert(1).topic);
  // A cooldown keeps a topic from alerting again right after it closed.
  d.CloseQuiet(t0 + 2 * kHour);
  for (int i = 0; i < 40; ++i) d.Observe("brand:A", t0 + 2 * kHour + i * 10'000, "again");
  CHECK(d.num_alerts() == 2);
}

TEST_CASE("Replaying the same trace gives the same alerts", "[detector][determinism]") {
  auto run = [] {
    std::mt19937_64 rng(5);
    BurstDetector d;
    auto t = Arrivals(rng, kStart, kStart + 12 * kHour, Quiet);
    for (size_t i = 0; i < t.size(); ++i) d.Observe("brand:A", t[i], std::to_string(i));
    for (int i = 0; i < 30; ++i) d.Observe("brand:A", kStart + 12 * kHour + i * 5000, "x" + std::to_string(i));
    std::string out;
    for (size_t i = 0; i < d.num_alerts(); ++i) out += d.alert(static_cast<int>(i)).id + ";";
    return out;
  };
  std::string a = run();
  CHECK_FALSE(a.empty());
  CHECK(a == run());
}

TEST_CASE("Memory stays bounded with many distinct topics", "[detector]") {
  BurstDetectorOptions o;
  o.max_topics = 1000;
  BurstDetector d(o);
  for (int i = 0; i < 200000; ++i) d.Observe("term:" + std::to_string(i), kStart + i * 100, "m");
  CHECK(d.num_topics() <= 1000);
  // A topic with an open alert is never evicted.
  for (int i = 0; i < 30; ++i) d.Observe("term:hot", kStart + 200000 * 100 + i * 1000, "h");
  REQUIRE(d.num_alerts() == 1);
  for (int i = 0; i < 5000; ++i) d.Observe("term:cold" + std::to_string(i), kStart + 200000 * 100 + 40000 + i, "m");
  bool opened = false;
  CHECK(d.Observe("term:hot", kStart + 200000 * 100 + 50000, "h2", &opened) == 0);
  CHECK(d.num_topics() <= 1000);
}

// ---------------------------------------------------------------------------
// CrisisDetector: topics, folding, decisions, replay and eval integration.

#include "cli/commands.h"
#include "format/archive_format.h"
#include "connectors/synthetic/archive_generator.h"
#include "engine/detector/crisis_detector.h"
#include "base/rfc3339.h"
#include "engine/text_normalizer.h"
#include "test_util.h"

namespace {

std::string ArchiveLine(const std::string& id, const std::string& brand, const std::string& text, int64_t ms,
                        const std::string& incident = "") {
  std::string ts = FormatRfc3339(ms);
  std::string line = R"({"id":")" + id + R"(","channel":"x","kind":"public","brand":")" + brand + R"(","text":")" + text +
                     R"(","lang":"en","created_at":")" + ts + R"(","label":"support")";
  if (!incident.empty()) line += R"(,"incident":")" + incident + "\"";
  return line + "}\n";
}

// Two days of a quiet trickle, then an outage burst of 40 messages in 8 minutes.
std::string OutageArchive() {
  std::string a;
  int n = 0;
  for (int64_t t = kStart; t < kStart + 48 * kHour; t += 25 * kMinute)
    a += ArchiveLine("q" + std::to_string(n++), "Acme", "love the new design", t);
  for (int i = 0; i < 40; ++i)
    a += ArchiveLine("b" + std::to_string(i), "Acme", "app is not working #AcmeDown", kStart + 48 * kHour + i * 12'000,
                     "acme-outage");
  for (int64_t t = kStart + 49 * kHour; t < kStart + 52 * kHour; t += 25 * kMinute)
    a += ArchiveLine("q" + std::to_string(n++), "Acme", "love the new design", t);
  return a;
}

}  // namespace

TEST_CASE("A message's topics are its brand, its fired rules, its hashtags and its terms", "[detector]") {
  auto p = test::PipelineFromYaml("rules:\n  - {id: broken, label: support, weight: 3, any: [broken]}\n");
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  Message m;
  m.id = "1";
  m.channel = "x";
  m.brand = "Acme";
  m.text = "The app is BROKEN, broken again! 2024 \xF0\x9F\x98\xA1 #AcmeDown #बिजली #x #a_b बिजली गुल";
  Decision d;
  REQUIRE(p->Decide(m, scratch.get(), &d).ok());
  CrisisDetectorOptions o;
  o.terms.stopwords = {"the", "again"};
  CrisisDetector detector(o);
  std::vector<std::string> topics;
  detector.Topics(m, p->pack(), d.verdict, scratch->normalized(), &topics);
  // Terms: lower-cased, once per message, no stopwords ("the", "again"), no
  // short words ("is", "x", "a", "b", "गुल" has 3 code points and stays), no
  // numbers, no emoji.
  CHECK(topics == std::vector<std::string>{"brand:Acme", "rule:broken", "tag:acmedown", "tag:बिजली", "tag:a_b",
                                           "term:app", "term:broken", "term:acmedown", "term:बिजली", "term:गुल"});
  // Terms can be switched off.
  o.terms.enabled = false;
  CrisisDetector no_terms(o);
  no_terms.Topics(m, p->pack(), d.verdict, scratch->normalized(), &topics);
  CHECK(topics == std::vector<std::string>{"brand:Acme", "rule:broken", "tag:acmedown", "tag:बिजली", "tag:a_b"});
}

TEST_CASE("Replay marks the burst's messages with one alert and writes it to --alerts", "[detector][replay]") {
  test::TempDir dir;
  std::string archive = dir.Write("outage.ndjson", OutageArchive());
  ReplayOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {archive};
  o.alerts = dir.path() + "/alerts.ndjson";
  test::CommandRun r = test::RunCommand(o, &RunReplay);
  REQUIRE(r.rc == kExitOk);
  std::string alerts = test::ReadFile(o.alerts);
  CHECK(std::count(alerts.begin(), alerts.end(), '\n') == 1);  // one incident, one alert
  CHECK_THAT(alerts, Catch::StartsWith("{\"type\":\"crisis_alert\",\"alert\":\"alert:"));
  CHECK_THAT(alerts, Catch::Contains("\"topic\":\"brand:Acme\""));
  CHECK(alerts.find("\"closed_at\":null") == std::string::npos);  // the trickle after it closed it
  // Messages of the burst carry the alert and at least high priority; the
  // quiet ones before do not. Labels are unchanged (each still needs help).
  CHECK(r.out.find("\"id\":\"q0\",\"label\":\"feedback\",\"queue\":\"product\",\"priority\":\"low\"") != std::string::npos);
  size_t b39 = r.out.find("\"id\":\"b39\"");
  REQUIRE(b39 != std::string::npos);
  std::string line = r.out.substr(b39, r.out.find('\n', b39) - b39);
  CHECK_THAT(line, Catch::Contains("\"label\":\"support\""));
  CHECK_THAT(line, Catch::Contains("\"priority\":\"high\""));
  CHECK_THAT(line, Catch::Contains("\"alert\":\"alert:"));
  // Same input, same bytes, alerts included.
  test::CommandRun again = test::RunCommand(o, &RunReplay);
  CHECK(again.out == r.out);
  CHECK(test::ReadFile(o.alerts) == alerts);
}

TEST_CASE("Eval reports, per incident, whether and when an alert fired, and false alarms", "[detector][eval]") {
  test::TempDir dir;
  EvalOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {dir.Write("outage.ndjson", OutageArchive())};
  o.json = true;
  test::CommandRun r = test::RunCommand(o, &RunEval);
  CHECK_THAT(r.out, Catch::Contains("\"alerts\":{\"incidents\":{\"acme-outage\":{\"messages\":40,\"alerted\":true,"));
  CHECK_THAT(r.out, Catch::Contains("\"false_alarms\":0}"));
  // The alert fired within the first 15 messages of the incident.
  size_t at = r.out.find("\"alerted_at_message\":");
  REQUIRE(at != std::string::npos);
  int k = std::stoi(r.out.substr(at + 21));
  CHECK(k >= 1);
  CHECK(k <= 15);
}

TEST_CASE("An influencer's negative public post is escalated, a small account's is not", "[detector][reach]") {
  test::TempDir dir;
  auto line = [](const std::string& id, int64_t followers, const std::string& kind, const std::string& text) {
    return R"({"id":")" + id + R"(","channel":"x","kind":")" + kind + R"(","author":{"id":"u","followers":)" +
           std::to_string(followers) + R"(},"text":")" + text + R"(","lang":"en","created_at":"2026-10-01T10:00:00Z"})" "\n";
  };
  const std::string angry = "This is a disgusting, horrible, terrible service. Awful people, worst company ever.";
  std::string archive = dir.Write("reach.ndjson", line("big", 250000, "public", angry) + line("small", 120, "public", angry) +
                                                      line("happy", 250000, "public", "I love this, great and wonderful team") +
                                                      line("dm", 250000, "private", angry));
  ReplayOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {archive};
  test::CommandRun r = test::RunCommand(o, &RunReplay);
  REQUIRE(r.rc == kExitOk);
  auto decision = [&](const std::string& id) {
    size_t at = r.out.find("{\"id\":\"" + id + "\"");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at, r.out.find('\n', at) - at);
  };
  CHECK_THAT(decision("big"), Catch::Contains("\"priority\":\"urgent\""));
  CHECK_THAT(decision("big"), Catch::Contains("\"escalation\":\"reach\""));
  CHECK(decision("small").find("escalation") == std::string::npos);
  CHECK(decision("happy").find("escalation") == std::string::npos);
  CHECK(decision("dm").find("escalation") == std::string::npos);
}

TEST_CASE("Sentiment lexicon: tone with negation, and load errors", "[detector][reach]") {
  SentimentLexicon lex;
  REQUIRE(SentimentLexicon::Load(SentimentLexicon::DefaultPath(), &lex).ok());
  CHECK(lex.size() > 5000);
  TextNormalizer n;
  std::string t;
  n.Normalize("this is terrible and awful", &t);
  double neg = lex.Compound(t);
  n.Normalize("this is great and lovely", &t);
  double pos = lex.Compound(t);
  n.Normalize("this is not great", &t);
  double negated = lex.Compound(t);
  CHECK(neg < -0.5);
  CHECK(pos > 0.5);
  CHECK(negated < 0);
  test::TempDir dir;
  CHECK_FALSE(SentimentLexicon::Load(dir.path() + "/missing.tsv", &lex).ok());
  Status bad = SentimentLexicon::Load(dir.Write("bad.tsv", "good\t2\nbroken line\n"), &lex);
  CHECK(bad.message() == dir.path() + "/bad.tsv:2: expected token<TAB>valence");
}

TEST_CASE("The tail screen never hides a count whose tail is below 1e-6", "[detector]") {
  // What BurstDetector skips (expected >= 1 and k < mean + 4 sd + 4) must
  // have a tail >= 1e-6.
  for (double lambda : {1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 200.0, 1000.0, 5000.0}) {
    for (int64_t k = 0; static_cast<double>(k) < lambda + 4 * std::sqrt(lambda) + 4; ++k) {
      INFO("lambda " << lambda << " k " << k);
      CHECK(PoissonUpperTail(k, lambda) >= 1e-6);
    }
  }
}

TEST_CASE("Negative binomial tail: Poisson in the limit, heavier with little history, screen still safe", "[detector]") {
  CHECK(NegBinomialUpperTail(10, 4.0, 1e9) == Approx(PoissonUpperTail(10, 4.0)));
  CHECK(NegBinomialUpperTail(0, 4.0, 3.0) == 1.0);
  // r = 1 is geometric: P(X >= k) = q^k with q = mean / (1 + mean).
  CHECK(NegBinomialUpperTail(5, 3.0, 1.0) == Approx(std::pow(0.75, 5)));
  CHECK(NegBinomialUpperTail(40, 20.0, 10.0) > 100 * PoissonUpperTail(40, 20.0));
  // The screen in BurstDetector skips k < mean + 4 sd + 4 (sd of the negative
  // binomial) when the mean is at least 1; all of those tails are >= 1e-6.
  for (double mean : {1.0, 2.0, 5.0, 20.0, 100.0, 1000.0})
    for (double shape : {0.5, 1.0, 3.0, 10.0, 100.0, 1e4}) {
      double sd = std::sqrt(mean + mean * mean / shape);
      for (int64_t k = 0; static_cast<double>(k) < mean + 4 * sd + 4; k += 1 + k / 50) {
        INFO("mean " << mean << " shape " << shape << " k " << k);
        CHECK(NegBinomialUpperTail(k, mean, shape) >= 1e-6);
      }
    }
}

TEST_CASE("An --alerts file that cannot be written is an error naming it", "[detector][replay]") {
  test::TempDir dir;
  ReplayOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {dir.Write("a.ndjson", ArchiveLine("1", "Acme", "hello", kStart))};
  o.alerts = dir.path() + "/no/such/dir/alerts.ndjson";
  test::CommandRun r = test::RunCommand(o, &RunReplay);
  CHECK(r.rc == kExitError);
  CHECK_THAT(r.err, Catch::Contains("no/such/dir/alerts.ndjson: cannot write alerts"));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);  // the decisions were still written
}

TEST_CASE("triage gen's burst is caught once: no aftershock alerts on its words, rules or brand", "[detector][gen]") {
  // Twenty thousand generated messages over twelve brands with a 40-message
  // outage on one: its words ("kestrel", "mobile", "down"), its rule and its
  // brand all stay elevated after the first alert, and must neither open
  // alerts of their own while it is open nor once it closes.
  test::TempDir dir;
  GenOptions g;
  g.messages = 20000;
  g.generator.seed = 3;
  g.generator.brands = 12;
  g.generator.burst_at = 15000;
  g.common.out = std::fopen((dir.path() + "/gen.ndjson").c_str(), "w");
  REQUIRE(RunGen(g) == kExitOk);
  std::fclose(g.common.out);
  EvalOptions o;
  o.common.rules = TRIAGE_RULES_DIR;
  o.common.no_cache = true;
  o.archives = {dir.path() + "/gen.ndjson"};
  o.json = true;
  test::CommandRun r = test::RunCommand(o, &RunEval);
  CHECK_THAT(r.out, Catch::Contains("\"gen-burst\":{\"messages\":40,\"alerted\":true,"));
  CHECK_THAT(r.out, Catch::Contains("\"false_alarms\":0}"));
  size_t at = r.out.find("\"alerted_at_message\":");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoi(r.out.substr(at + 21)) <= 15);
}

TEST_CASE("Event times before 1970 are not counted (bucket indices start at the epoch)", "[detector]") {
  BurstDetector d;
  bool opened = true;
  CHECK(d.Observe("brand:A", -5'000'000, "old", &opened) == -1);
  CHECK_FALSE(opened);
  CHECK(d.num_topics() == 0);
  auto p = test::PipelineFromYaml("rules:\n  - {id: r, label: support, any: [zzqq]}\n");
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  CrisisDetector c;
  Message m;
  m.id = "1";
  m.brand = "Acme";
  m.text = "hello";
  m.created_at_ms = -86'400'000LL * 365 * 70;  // 1900
  Decision dec;
  REQUIRE(p->Decide(m, scratch.get(), &dec).ok());
  CHECK(c.Observe(m, p->pack(), scratch->normalized(), &dec) == -1);
  CHECK(c.stats().topics == 0);
}

TEST_CASE("Streams interleaved out of event-time order raise no alerts, and each close is reported once", "[detector]") {
  // Four generated streams merged message by message: event time jumps back
  // and forth by up to tens of minutes, as when connectors deliver with
  // different lags. Steady traffic but for one outage in one stream: exactly
  // one alert. (Before late messages older than the window were dropped,
  // this raised 194 alerts; before closed incidents stopped taking messages,
  // closes were reported up to 3 times.)
  auto p = test::PipelineFromYaml("rules:\n  - {id: r, label: support, weight: 3, any: [refund, order]}\n");
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  CrisisDetector d;
  std::vector<std::unique_ptr<ArchiveGenerator>> gens;
  for (int i = 0; i < 4; ++i) {
    GeneratorOptions g;
    g.seed = 100 + static_cast<uint64_t>(i);
    g.id_prefix = "c" + std::to_string(i);
    if (i == 0) g.burst_at = 20000;  // one real outage, in one of the streams
    gens.push_back(std::make_unique<ArchiveGenerator>(g));
  }
  ArchiveParser parser;
  Message m;
  Decision dec;
  std::string line;
  std::vector<int> opened;
  std::map<int, int> closes_reported;
  for (int i = 0; i < 120000; ++i) {
    line.clear();
    gens[static_cast<size_t>(i % 4)]->AppendLine(&line);
    line.pop_back();
    REQUIRE(parser.ParseCopy(line, &m).ok());
    REQUIRE(p->Decide(m, scratch.get(), &dec).ok());
    d.Observe(m, p->pack(), scratch->normalized(), &dec, &opened);
    if (i % 1000 == 0)
      for (int c : d.TakeChanged())
        if (!d.alert_open(c)) ++closes_reported[c];
  }
  for (int c : d.TakeChanged())
    if (!d.alert_open(c)) ++closes_reported[c];
  REQUIRE(opened.size() == 1);
  CHECK(d.alert(opened[0]).first_message.rfind("c0:2", 0) == 0);  // c0:20001..c0:20040
  CHECK(closes_reported.size() == 1);
  for (const auto& [alert, n] : closes_reported) CHECK(n == 1);
}

TEST_CASE("A brand seen for the first time is new, not anomalous: nine messages open no alert, an explosion does",
          "[detector]") {
  auto p = test::PipelineFromYaml("rules:\n  - {id: price, label: lead, weight: 3, any: [price, cost]}\n");
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  CrisisDetector detector{CrisisDetectorOptions()};
  const int64_t t0 = 1'790'000'000'000;
  int n = 0;
  std::vector<std::string> texts;
  auto feed = [&](const std::string& brand, const std::string& text, int64_t t_ms) {
    texts.push_back(text);  // the message views it
    Message m;
    std::string id = "m" + std::to_string(++n);
    m.id = id;
    m.channel = "x";
    m.brand = brand;
    m.text = texts.back();
    m.lang = "en";
    m.created_at_ms = t_ms;
    Decision d;
    REQUIRE(p->Decide(m, scratch.get(), &d).ok());
    std::vector<int> opened;
    detector.Observe(m, p->pack(), scratch->normalized(), &d, &opened);
    return opened.size();
  };
  // Three hours of an established brand's ordinary traffic: past the warm-up.
  for (int i = 0; i < 180; ++i) CHECK(feed("Old Co", "hello there number " + std::to_string(i % 7), t0 + i * 60'000) == 0);
  // A brand never seen: nine pricing questions in three minutes.
  const int64_t t1 = t0 + 181 * 60'000;
  size_t opened = 0;
  const char* asks[] = {"what is the price", "price of the pro plan?", "how much does it cost", "cost for teams?",
                        "price per seat", "any student price", "cost in euros?", "price list please",
                        "what does the basic plan cost"};
  for (int i = 0; i < 9; ++i) opened += feed("Zorblax", asks[i], t1 + i * 20'000);
  CHECK(opened == 0);
  CHECK(detector.num_alerts() == 0);
  // The same new brand exploding (an outage: 40 messages in eight minutes)
  // is an anomaly even without a baseline.
  for (int i = 0; i < 40; ++i) opened += feed("Zorblax", "zorblax app down again " + std::to_string(i), t1 + 300'000 + i * 12'000);
  CHECK(opened >= 1);
}
