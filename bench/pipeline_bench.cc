// Google Benchmark: the cost of each stage of the core pipeline with the
// bundled rule pack, on generated messages (connectors/synthetic/archive_generator.h).
//
//   BM_MemchrLines    a memchr pass that only finds the lines (the I/O floor)
//   BM_ParseOnly      simdjson parse of archive lines into Message (the floor)
//   BM_Normalize      TextNormalizer on the message text
//   BM_Classify       normalize + Hyperscan scan + scoring, per message
//   BM_Replay         parse + classify + route + format the decision line
//
// Run: build/release/bench/pipeline_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "connectors/synthetic/archive_generator.h"
#include "format/archive_format.h"
#include "engine/pipeline.h"

namespace triage {
namespace {

constexpr int kMessages = 20000;

// One padded buffer of generated lines and their offsets.
struct Corpus {
  std::string data;
  std::vector<std::pair<size_t, size_t>> lines;
  Corpus() {
    ArchiveGenerator gen(42);
    for (int i = 0; i < kMessages; ++i) {
      size_t start = data.size();
      gen.AppendLine(&data);
      lines.emplace_back(start, data.size() - start - 1);
    }
    data.append(simdjson::SIMDJSON_PADDING, ' ');
  }
};

const Corpus& TheCorpus() {
  static Corpus c;
  return c;
}

// The bundled pack with its learned model (model = true, the default) or
// with the rules alone (--model none), so both are measured in one run.
const Pipeline& ThePipeline(bool model = true) {
  auto load = [](const char* which) {
    std::unique_ptr<Pipeline> out;
    Status s = Pipeline::Load(Pipeline::DefaultRulesPath(), PatternDatabaseOptions{}, which, &out);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::abort();
    }
    return out;
  };
  static std::unique_ptr<Pipeline> with = load("");
  static std::unique_ptr<Pipeline> without = load("none");
  return model ? *with : *without;
}

// Parsed copies of the messages (texts owned here) for the stages after parsing.
struct ParsedCorpus {
  std::vector<std::string> texts, langs;
  std::vector<Message> messages;
  ParsedCorpus() {
    const Corpus& c = TheCorpus();
    ArchiveParser parser;
    Message m;
    texts.reserve(c.lines.size());
    langs.reserve(c.lines.size());
    for (auto [off, len] : c.lines) {
      if (!parser.Parse(std::string_view(c.data.data() + off, len), c.data.size() - off, &m).ok()) std::abort();
      texts.emplace_back(m.text);
      langs.emplace_back(m.lang);
      messages.push_back(m);
    }
    for (size_t i = 0; i < messages.size(); ++i) {
      messages[i].text = texts[i];
      messages[i].lang = langs[i];
      messages[i].id = "gen";
      messages[i].channel = "x";
      messages[i].brand = "b";
      messages[i].author = {};
      messages[i].conversation_id = messages[i].created_at = messages[i].label = {};
    }
  }
};

const ParsedCorpus& TheParsed() {
  static ParsedCorpus p;
  return p;
}

void SetCounters(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// The floor under every reader: one memchr pass over the bytes to find lines.
void BM_MemchrLines(benchmark::State& state) {
  const Corpus& c = TheCorpus();
  const size_t n = c.data.size() - simdjson::SIMDJSON_PADDING;
  size_t bytes = 0, lines = 0;
  for (auto _ : state) {
    const char* p = c.data.data();
    const char* end = p + n;
    while (const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p))) {
      p = static_cast<const char*>(nl) + 1;
      ++lines;
    }
    bytes += n;
    benchmark::DoNotOptimize(lines);
  }
  state.SetItemsProcessed(static_cast<int64_t>(lines));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_MemchrLines);

void BM_ParseOnly(benchmark::State& state) {
  const Corpus& c = TheCorpus();
  ArchiveParser parser;
  Message m;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto [off, len] = c.lines[i];
    Status s = parser.Parse(std::string_view(c.data.data() + off, len), c.data.size() - off, &m);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(m.text.data());
    bytes += len + 1;
    if (++i == c.lines.size()) i = 0;
  }
  SetCounters(state, bytes);
}
BENCHMARK(BM_ParseOnly);

void BM_Normalize(benchmark::State& state) {
  const ParsedCorpus& p = TheParsed();
  TextNormalizer norm;
  std::string out;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    norm.Normalize(p.messages[i].text, &out);
    benchmark::DoNotOptimize(out.data());
    bytes += p.messages[i].text.size();
    if (++i == p.messages.size()) i = 0;
  }
  SetCounters(state, bytes);
}
BENCHMARK(BM_Normalize);

void BM_Classify(benchmark::State& state) {
  const ParsedCorpus& p = TheParsed();
  const Pipeline& pipe = ThePipeline(state.range(0) != 0);
  std::unique_ptr<ClassifierScratch> scratch;
  if (!pipe.NewScratch(&scratch).ok()) std::abort();
  Verdict v;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    if (!pipe.classifier().Classify(p.messages[i], scratch.get(), &v).ok()) std::abort();
    benchmark::DoNotOptimize(v.label);
    bytes += p.messages[i].text.size();
    if (++i == p.messages.size()) i = 0;
  }
  SetCounters(state, bytes);
}
BENCHMARK(BM_Classify)->ArgName("model")->Arg(0)->Arg(1);

// The model's two halves: hashing the features of a normalized text, and
// the dot products plus softmax over them.
void BM_ModelFeatures(benchmark::State& state) {
  const ParsedCorpus& p = TheParsed();
  const LinearModel* model = ThePipeline(true).classifier().model();
  if (!model) std::abort();
  TextNormalizer norm;
  std::vector<std::string> normalized(p.messages.size());
  for (size_t k = 0; k < p.messages.size(); ++k) norm.Normalize(p.messages[k].text, &normalized[k]);
  FeatureVector f;
  size_t i = 0, bytes = 0, features = 0;
  for (auto _ : state) {
    f.Clear();
    model->hasher().ExtractText(normalized[i], &f);
    benchmark::DoNotOptimize(f.keys.data());
    features += f.keys.size();
    bytes += normalized[i].size();
    if (++i == normalized.size()) i = 0;
  }
  SetCounters(state, bytes);
  state.counters["features/msg"] = static_cast<double>(features) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ModelFeatures);

void BM_ModelPredict(benchmark::State& state) {
  const ParsedCorpus& p = TheParsed();
  const LinearModel* model = ThePipeline(true).classifier().model();
  TextNormalizer norm;
  std::vector<FeatureVector> feats(p.messages.size());
  std::string n;
  for (size_t k = 0; k < p.messages.size(); ++k) {
    norm.Normalize(p.messages[k].text, &n);
    model->hasher().ExtractText(n, &feats[k]);
  }
  ModelOutput out;
  size_t i = 0;
  for (auto _ : state) {
    model->Predict(feats[i], &out);
    benchmark::DoNotOptimize(out.probs.data());
    if (++i == feats.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ModelPredict);

void BM_Replay(benchmark::State& state) {
  const Corpus& c = TheCorpus();
  const Pipeline& pipe = ThePipeline(state.range(0) != 0);
  std::unique_ptr<ClassifierScratch> scratch;
  if (!pipe.NewScratch(&scratch).ok()) std::abort();
  DecisionWriter writer(pipe.pack());
  ArchiveParser parser;
  Message m;
  Decision d;
  std::string out;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    auto [off, len] = c.lines[i];
    if (!parser.Parse(std::string_view(c.data.data() + off, len), c.data.size() - off, &m).ok()) std::abort();
    (void)(pipe.Decide(m, scratch.get(), &d));
    writer.Append(m, d, &out);
    if (out.size() > (1 << 16)) out.clear();
    bytes += len + 1;
    if (++i == c.lines.size()) i = 0;
  }
  SetCounters(state, bytes);
}
BENCHMARK(BM_Replay)->ArgName("model")->Arg(0)->Arg(1);

}  // namespace
}  // namespace triage

BENCHMARK_MAIN();
