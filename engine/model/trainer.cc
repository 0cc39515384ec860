#include "engine/model/trainer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace triage {

namespace {

struct SparseValue {
  uint32_t row;
  float value;
};

// The vector Predict() computes for `f`, over the vocabulary `rows`
// (key -> row) with `idf` per row. Kept in step with LinearModel::Predict
// (a test checks that both give the same logits).
void Vectorize(const FeatureVector& f, const std::unordered_map<uint32_t, uint32_t>& rows,
               const std::vector<float>& idf, std::vector<SparseValue>* out) {
  out->clear();
  auto block = [&](uint32_t begin, uint32_t end) {
    size_t first = out->size();
    double norm2 = 0;
    for (uint32_t i = begin; i < end; ++i) {
      auto it = rows.find(f.keys[i]);
      if (it == rows.end()) continue;
      double v = idf[it->second];
      norm2 += v * v;
      out->push_back({it->second, static_cast<float>(v)});
    }
    if (norm2 > 0) {
      float scale = static_cast<float>(1.0 / std::sqrt(norm2));
      for (size_t k = first; k < out->size(); ++k) (*out)[k].value *= scale;
    }
  };
  block(0, f.chars_begin);
  block(f.chars_begin, f.flags_begin);
  for (size_t i = f.flags_begin; i < f.keys.size(); ++i) {
    auto it = rows.find(f.keys[i]);
    if (it != rows.end()) out->push_back({it->second, 1.0f});
  }
}

}  // namespace

void Train(const std::vector<const TrainingExample*>& data, const TrainOptions& options, LinearModel* model) {
  const size_t n = data.size();
  // 1. Document frequencies and the vocabulary, in key order.
  std::unordered_map<uint32_t, uint32_t> df;
  std::vector<uint32_t> unique;
  for (const TrainingExample* e : data) {
    unique = e->features.keys;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (uint32_t k : unique) ++df[k];
  }
  std::vector<uint32_t> keys;
  for (const auto& [k, c] : df)
    if (c >= options.min_df) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  std::unordered_map<uint32_t, uint32_t> rows;
  std::vector<float> idf(keys.size());
  for (uint32_t r = 0; r < keys.size(); ++r) {
    rows[keys[r]] = r;
    idf[r] = static_cast<float>(std::log((1.0 + static_cast<double>(n)) / (1.0 + df[keys[r]])) + 1.0);
  }

  // 2. The examples as Predict() sees them.
  std::vector<std::vector<SparseValue>> x(n);
  for (size_t i = 0; i < n; ++i) Vectorize(data[i]->features, rows, idf, &x[i]);

  // 3. AdaGrad.
  std::array<double, kNumLabels> class_weight;
  class_weight.fill(1.0);
  if (options.balance) {
    std::array<size_t, kNumLabels> count{};
    for (const TrainingExample* e : data) ++count[static_cast<int>(e->label)];
    int present = 0;
    for (size_t c : count) present += c > 0;
    for (int l = 0; l < kNumLabels; ++l)
      class_weight[l] = count[l] ? static_cast<double>(n) / (present * static_cast<double>(count[l])) : 0.0;
  }
  const size_t dim = keys.size() * kNumLabels;
  std::vector<float> w(dim, 0.0f), g2(dim, 0.0f);
  std::array<double, kNumLabels> bias{}, bias_g2{};
  constexpr double kEps = 1e-8;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng(options.seed);
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    SeededShuffle(&order, &rng);
    for (size_t i : order) {
      const auto& xi = x[i];
      std::array<double, kNumLabels> z = bias, p;
      for (const SparseValue& sv : xi)
        for (int l = 0; l < kNumLabels; ++l) z[l] += w[sv.row * kNumLabels + l] * sv.value;
      Softmax(z, &p);
      const int truth = static_cast<int>(data[i]->label);
      const double cw = class_weight[truth];
      std::array<double, kNumLabels> g;
      for (int l = 0; l < kNumLabels; ++l) g[l] = cw * (p[l] - (l == truth ? 1.0 : 0.0));
      for (int l = 0; l < kNumLabels; ++l) {
        bias_g2[l] += g[l] * g[l];
        bias[l] -= options.learning_rate * g[l] / std::sqrt(bias_g2[l] + kEps);
      }
      for (const SparseValue& sv : xi)
        for (int l = 0; l < kNumLabels; ++l) {
          size_t k = sv.row * kNumLabels + l;
          double grad = g[l] * sv.value + options.l2 * w[k];
          g2[k] += static_cast<float>(grad * grad);
          w[k] -= static_cast<float>(options.learning_rate * grad / std::sqrt(g2[k] + kEps));
        }
    }
  }

  std::vector<LinearModel::Entry> entries(keys.size());
  for (uint32_t r = 0; r < keys.size(); ++r) {
    entries[r].key = keys[r];
    entries[r].idf = idf[r];
    for (int l = 0; l < kNumLabels; ++l) entries[r].w[l] = w[r * kNumLabels + l];
  }
  model->SetEntries(entries);
  for (int l = 0; l < kNumLabels; ++l) model->bias()[l] = static_cast<float>(bias[l]);
}

std::vector<int> AssignFolds(size_t n, int k, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng(seed ^ 0x5eedf01dull);
  SeededShuffle(&order, &rng);
  std::vector<int> fold(n);
  for (size_t i = 0; i < n; ++i) fold[order[i]] = static_cast<int>(i % static_cast<size_t>(k));
  return fold;
}

}  // namespace triage
