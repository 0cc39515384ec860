// Google Benchmark: multi-pattern matching of rule packs of 10, 100, 1,000
// and 10,000 rules, the same patterns through Hyperscan (the engine's
// PatternDatabase), RE2::Set and a loop of PCRE2-JIT matches, in one binary
// on one machine, so the ratios come from one run.
//
// Rules are synthetic (five word patterns each): while the corpus has words
// left, one that occurs in the generated messages (each used once) and four
// that do not; then five that do not. So hits stay realistic as the pack
// grows and large packs are mostly patterns that must be ruled out. Patterns are in the engine's normalized form, " word "
// (spaces are word boundaries), and run over messages normalized by
// TextNormalizer. Items are messages.
//
// BM_BundledPack_* run the bundled pack's own ~2,000 patterns (words,
// prefixes and regexes in 11 languages) the same three ways.
//
// Run: build/release/bench/matchers_bench --benchmark_counters_tabular=true
#define PCRE2_CODE_UNIT_WIDTH 8
#include <benchmark/benchmark.h>
#include <hs/hs.h>
#include <pcre2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "format/archive_format.h"
#include "connectors/synthetic/archive_generator.h"
#include "engine/pattern_database.h"
#include "engine/pipeline.h"
#include "engine/rule_pack.h"
#include "engine/text_normalizer.h"

namespace triage {
namespace {

constexpr int kMessages = 2000;

struct Texts {
  std::vector<std::string> normalized;
  std::vector<std::string> vocabulary;  // words of the corpus, most frequent first
  Texts() {
    ArchiveGenerator gen(7);
    std::string line;
    ArchiveParser parser;
    TextNormalizer norm;
    Message m;
    std::map<std::string, int> freq;
    for (int i = 0; i < kMessages; ++i) {
      line.clear();
      gen.AppendLine(&line);
      line.pop_back();
      if (!parser.ParseCopy(line, &m).ok()) std::abort();
      std::string n;
      norm.Normalize(m.text, &n);
      for (size_t p = 1; p < n.size();) {
        size_t e = n.find(' ', p);
        if (e == std::string::npos) break;
        std::string w = n.substr(p, e - p);
        bool ascii = std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
        if (ascii && w.size() >= 3) ++freq[w];
        p = e + 1;
      }
      normalized.push_back(std::move(n));
    }
    std::vector<std::pair<int, std::string>> byf;
    for (auto& [w, f] : freq) byf.emplace_back(-f, w);
    std::sort(byf.begin(), byf.end());
    for (auto& [f, w] : byf) vocabulary.push_back(w);
  }
};

const Texts& TheTexts() {
  static Texts t;
  return t;
}

// 5 x rules patterns, " word " each.
std::vector<std::string> Patterns(int rules) {
  const Texts& t = TheTexts();
  std::vector<std::string> out;
  uint64_t s = 12345;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  };
  for (int r = 0; r < rules; ++r) {
    // Each corpus word once (a pack's patterns are distinct: RulePack
    // dedupes them), then only words the messages never contain.
    int random_words = 4;
    if (static_cast<size_t>(r) < t.vocabulary.size()) out.push_back(" " + t.vocabulary[static_cast<size_t>(r)] + " ");
    else random_words = 5;
    for (int k = 0; k < random_words; ++k) {
      std::string w;
      int len = 6 + static_cast<int>(next() % 4);
      for (int i = 0; i < len; ++i) w.push_back(static_cast<char>('a' + next() % 26));
      out.push_back(" " + w + " ");
    }
  }
  return out;
}

// The same pack sizes with the pattern kinds real packs use: per rule one
// corpus word, one prefix (the first four letters of a corpus word, open
// end), one never-seen word, and two regexes in the engine's regex form
// (caseless, Unicode): a proximity pattern "w1 .{0,30} w2" (RE2 and
// Hyperscan must track it across the message) and "w\w{0,4} \d{2,6}" (a word
// then a number, such as an order reference). Patterns are for
// RE2/PCRE2 as text, with (?i) on regexes as RulePack gives Hyperscan.
struct MixedPack {
  std::vector<std::string> exprs;
  std::vector<Expression> hs;
};
MixedPack MixedPatterns(int rules) {
  const Texts& t = TheTexts();
  MixedPack out;
  uint64_t s = 777;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  };
  auto random_word = [&] {
    std::string w;
    int len = 6 + static_cast<int>(next() % 4);
    for (int i = 0; i < len; ++i) w.push_back(static_cast<char>('a' + next() % 26));
    return w;
  };
  auto corpus_word = [&](size_t i) { return i < t.vocabulary.size() ? t.vocabulary[i] : random_word(); };
  std::set<std::string> seen;
  auto add = [&](const std::string& e, bool regex) {
    if (!seen.insert(e).second) return;
    out.exprs.push_back(regex ? "(?i)" + e : e);
    out.hs.push_back({e, HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH | (regex ? HS_FLAG_UCP | HS_FLAG_CASELESS : 0u)});
  };
  const size_t v = t.vocabulary.size();
  for (int r = 0; r < rules; ++r) {
    size_t i = static_cast<size_t>(r);
    add(" " + corpus_word(i) + " ", false);
    std::string stem = corpus_word(v ? (i * 7 + 3) % (2 * v) : 0);
    add(" " + stem.substr(0, std::min<size_t>(4, stem.size())), false);
    add(" " + random_word() + " ", false);
    add(" " + corpus_word(v ? (i * 13 + 1) % v : 0) + " .{0,30} " + corpus_word(v ? (i * 31 + 5) % (3 * v) : 0) + " ",
        true);
    add(" " + corpus_word(v ? (i * 17 + 2) % (4 * v) : 0) + "\\w{0,4} \\d{2,6} ", true);
  }
  return out;
}

void Counters(benchmark::State& state, size_t patterns, uint64_t matches, uint64_t messages) {
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  state.counters["patterns"] = static_cast<double>(patterns);
  state.counters["matches_per_msg"] = messages ? static_cast<double>(matches) / static_cast<double>(messages) : 0;
}

// One runner per engine, for both the synthetic packs and the bundled one.
// Hyperscan takes the expressions with their flags; RE2 and PCRE2 take the
// same patterns as text (caseless ones carry (?i)).

void RunHyperscan(benchmark::State& state, const std::vector<Expression>& exprs) {
  const Texts& t = TheTexts();
  std::unique_ptr<PatternDatabase> db;
  if (!PatternDatabase::Build(exprs, PatternDatabaseOptions{}, &db).ok()) std::abort();
  hs_scratch_t* scratch = nullptr;
  if (!db->NewScratch(&scratch).ok()) std::abort();
  uint64_t matches = 0, messages = 0;
  auto on_match = [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) -> int {
    ++*static_cast<uint64_t*>(ctx);
    return 0;
  };
  size_t i = 0;
  for (auto _ : state) {
    const std::string& text = t.normalized[i++ % t.normalized.size()];
    hs_scan(db->database(), text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match, &matches);
    ++messages;
  }
  hs_free_scratch(scratch);
  Counters(state, exprs.size(), matches, messages);
}

void RunRE2Set(benchmark::State& state, const std::vector<std::string>& patterns) {
  const Texts& t = TheTexts();
  RE2::Options o;
  o.set_max_mem(int64_t{1} << 31);
  RE2::Set set(o, RE2::UNANCHORED);
  for (const auto& p : patterns)
    if (set.Add(p, nullptr) < 0) std::abort();
  if (!set.Compile()) std::abort();
  uint64_t matches = 0, messages = 0;
  std::vector<int> hit;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& text = t.normalized[i++ % t.normalized.size()];
    hit.clear();
    set.Match(text, &hit);
    matches += hit.size();
    ++messages;
  }
  Counters(state, patterns.size(), matches, messages);
}

void RunPCRE2JitLoop(benchmark::State& state, const std::vector<std::string>& patterns, uint32_t options) {
  const Texts& t = TheTexts();
  std::vector<pcre2_code*> codes;
  for (const auto& p : patterns) {
    int err = 0;
    PCRE2_SIZE off = 0;
    pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(), options, &err, &off, nullptr);
    if (!c || pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0) std::abort();
    codes.push_back(c);
  }
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  uint64_t matches = 0, messages = 0;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& text = t.normalized[i++ % t.normalized.size()];
    for (pcre2_code* c : codes)
      if (pcre2_jit_match(c, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, md, nullptr) >= 0) ++matches;
    ++messages;
  }
  pcre2_match_data_free(md);
  for (pcre2_code* c : codes) pcre2_code_free(c);
  Counters(state, codes.size(), matches, messages);
}

void BM_Hyperscan(benchmark::State& state) {
  std::vector<Expression> exprs;
  for (const auto& p : Patterns(static_cast<int>(state.range(0)))) exprs.push_back({p, HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH});
  RunHyperscan(state, exprs);
}
BENCHMARK(BM_Hyperscan)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);

void BM_RE2Set(benchmark::State& state) { RunRE2Set(state, Patterns(static_cast<int>(state.range(0)))); }
BENCHMARK(BM_RE2Set)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);

void BM_PCRE2JitLoop(benchmark::State& state) {
  RunPCRE2JitLoop(state, Patterns(static_cast<int>(state.range(0))), PCRE2_UTF);
}
BENCHMARK(BM_PCRE2JitLoop)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000);

// Mixed pattern kinds (see MixedPatterns) at the same sizes.
void BM_Mixed_Hyperscan(benchmark::State& state) { RunHyperscan(state, MixedPatterns(static_cast<int>(state.range(0))).hs); }
// Not at 300 or 1,000 rules: Hyperscan's compile of 600 or 2,000 caseless Unicode regexes
// of these shapes ran over 5 minutes and was stopped (bench/README.md).
BENCHMARK(BM_Mixed_Hyperscan)->Arg(10)->Arg(100);

void BM_Mixed_RE2Set(benchmark::State& state) { RunRE2Set(state, MixedPatterns(static_cast<int>(state.range(0))).exprs); }
BENCHMARK(BM_Mixed_RE2Set)->Arg(10)->Arg(100);

void BM_Mixed_PCRE2JitLoop(benchmark::State& state) {
  RunPCRE2JitLoop(state, MixedPatterns(static_cast<int>(state.range(0))).exprs, PCRE2_UTF | PCRE2_UCP);
}
BENCHMARK(BM_Mixed_PCRE2JitLoop)->Arg(10)->Arg(100);

// The bundled pack's own patterns (words, prefixes and regexes, 11
// languages, as RulePack compiles them), deduplicated: the real workload.
// Regexes are case-insensitive in the engine; (?i) gives RE2 and PCRE2 the
// same.
struct PackPatterns {
  std::vector<std::string> exprs;  // for RE2 and PCRE2
  std::vector<Expression> hs;      // for Hyperscan, with the engine's flags
  PackPatterns() {
    RulePack pack;
    if (!RulePack::Load(Pipeline::DefaultRulesPath(), &pack).ok()) std::abort();
    std::set<std::pair<std::string, bool>> seen;
    for (const Rule& r : pack.rules())
      for (const auto* list : {&r.any, &r.all, &r.unless})
        for (const Pattern& p : *list) {
          bool regex = p.kind == PatternKind::kRegex;
          if (!seen.emplace(p.expression, regex).second) continue;
          exprs.push_back(regex ? "(?i)" + p.expression : p.expression);
          hs.push_back({p.expression, HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH | (regex ? HS_FLAG_UCP | HS_FLAG_CASELESS : 0u)});
        }
  }
};

const PackPatterns& ThePack() {
  static PackPatterns p;
  return p;
}

void BM_BundledPack_Hyperscan(benchmark::State& state) { RunHyperscan(state, ThePack().hs); }
BENCHMARK(BM_BundledPack_Hyperscan);

void BM_BundledPack_RE2Set(benchmark::State& state) { RunRE2Set(state, ThePack().exprs); }
BENCHMARK(BM_BundledPack_RE2Set);

void BM_BundledPack_PCRE2JitLoop(benchmark::State& state) {
  RunPCRE2JitLoop(state, ThePack().exprs, PCRE2_UTF | PCRE2_UCP);
}
BENCHMARK(BM_BundledPack_PCRE2JitLoop);

}  // namespace
}  // namespace triage

BENCHMARK_MAIN();
