#include "engine/model/trainer.h"

#include <array>
#include <numeric>

namespace triage {

void Train(const std::vector<const TrainingExample*>& data, const TrainOptions& options, LinearModel* model) {
  std::vector<size_t> use(data.size());
  std::iota(use.begin(), use.end(), 0);
  std::array<double, kNumLabels> weight;
  weight.fill(1.0);
  if (options.balance) {
    std::array<size_t, kNumLabels> count{};
    for (const TrainingExample* e : data) ++count[static_cast<int>(e->label)];
    int present = 0;
    for (size_t c : count) present += c > 0;
    for (int l = 0; l < kNumLabels; ++l)
      weight[l] = count[l] ? static_cast<double>(use.size()) / (present * static_cast<double>(count[l])) : 0.0;
  }
  SplitMix64 rng(options.seed);
  for (int e = 0; e < options.epochs; ++e) {
    SeededShuffle(&use, &rng);
    double lr = options.learning_rate / (1.0 + e / 2.0);
    for (size_t i : use) {
      const TrainingExample& ex = *data[i];
      model->Update(ex.features, ex.label, lr, weight[static_cast<int>(ex.label)], options.l2);
    }
  }
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
