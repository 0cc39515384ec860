// detector_load: memory and speed of the crisis detector on a long stream
// with millions of distinct words, the case that would grow an unbounded
// topic table without limit.
//
//   bench/detector_load [MESSAGES] [NEW_WORDS_PER_MESSAGE]
//
// Each message carries NEW_WORDS_PER_MESSAGE words never seen before (random
// tokens), a few words from a shared vocabulary of 5,000, one of 200 brands
// and a hashtag from 2,000; event time advances 100 ms per message. Prints,
// at checkpoints, the distinct words seen so far, the detector's topic
// counts and the process's resident memory, then the throughput. The
// default settings of the detector are used (rules/default/detector.yaml).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "engine/detector/crisis_detector.h"
#include "engine/rule_pack.h"
#include "engine/text_normalizer.h"

using namespace triage;

namespace {

double RssMb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return 0;
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

std::string Token(std::mt19937_64& rng, int len) {
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyz";
  std::string s;
  for (int i = 0; i < len; ++i) s.push_back(kLetters[rng() % 26]);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const long long n = argc > 1 ? std::atoll(argv[1]) : 5'000'000;
  const int fresh = argc > 2 ? std::atoi(argv[2]) : 2;
  RulePack pack;
  if (Status s = RulePack::Load(TRIAGE_SOURCE_RULES, &pack); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  CrisisDetector detector(pack.detector());
  TextNormalizer norm;
  std::mt19937_64 rng(42);
  std::vector<std::string> vocabulary, brands, tags;
  for (int i = 0; i < 5000; ++i) vocabulary.push_back(Token(rng, 5 + static_cast<int>(rng() % 5)));
  for (int i = 0; i < 200; ++i) brands.push_back("brand" + std::to_string(i));
  for (int i = 0; i < 2000; ++i) tags.push_back("#" + Token(rng, 8));

  std::printf("| messages | distinct words | topics (exact) | topics (bounded) | terms tracked | RSS MB |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|\n");
  std::string text, normalized;
  Message msg;
  Decision d;
  const int64_t t0 = 1'790'000'000'000;
  auto start = std::chrono::steady_clock::now();
  double observe_secs = 0;
  long long distinct = 5000;
  for (long long i = 1; i <= n; ++i) {
    text.clear();
    for (int k = 0; k < fresh; ++k) text += Token(rng, 9) + " ";  // 26^9: new every time
    for (int k = 0; k < 4; ++k) text += vocabulary[rng() % vocabulary.size()] + " ";
    text += tags[rng() % tags.size()];
    distinct += fresh;
    msg.id = "m";
    msg.text = text;
    msg.brand = brands[rng() % brands.size()];
    msg.created_at_ms = t0 + i * 100;
    norm.Normalize(text, &normalized);
    auto a = std::chrono::steady_clock::now();
    detector.Observe(msg, pack, normalized, &d);
    observe_secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    if (i == n || ((i & (i - 1)) == 0 && i >= 65536)) {
      CrisisDetector::Stats s = detector.stats();
      std::printf("| %lld | %lld | %zu | %zu | %zu | %.1f |\n", i, distinct, s.topics - s.evictable_topics,
                  s.evictable_topics, s.terms_held, RssMb());
      std::fflush(stdout);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("\n%lld messages in %.1f s (generation included); Observe: %.2f us/message; alerts: %zu; peak RSS %.1f MB\n",
              n, secs, observe_secs / static_cast<double>(n) * 1e6, detector.num_alerts(), PeakRssMb());
  if (std::getenv("DETECTOR_LOAD_ALERTS"))
    for (size_t i = 0; i < detector.num_alerts(); ++i) std::printf("%s\n", detector.AlertJson(static_cast<int>(i)).c_str());
  return 0;
}
