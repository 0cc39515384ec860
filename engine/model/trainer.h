// Training a LinearModel: stochastic gradient descent on the multinomial
// logistic loss, with a step size that decays per epoch, light L2 decay on
// the rows an example touches, and (by default) class weights that make each
// label count as much as any other whatever its frequency, so a rare label
// such as crisis is not drowned by support.
//
// Deterministic: the order of examples in each epoch comes from a seeded
// SplitMix64 shuffle written out here (not std::shuffle, whose algorithm
// differs between standard libraries), so the same data, options and seed
// give the same model file, byte for byte.
#ifndef TRIAGE_ENGINE_MODEL_TRAINER_H_
#define TRIAGE_ENGINE_MODEL_TRAINER_H_

#include <cstdint>
#include <vector>

#include "engine/label.h"
#include "engine/model/linear_model.h"

namespace triage {

struct TrainingExample {
  std::vector<uint32_t> features;  // from the model's FeatureHasher
  Label label = Label::kNone;
};

struct TrainOptions {
  int epochs = 12;
  double learning_rate = 0.6;  // first epoch's step; epoch e uses lr / (1 + e / 2)
  double l2 = 1e-5;
  uint64_t seed = 1;
  bool balance = true;  // weight examples by N / (labels x count of their label)
};

// Trains `model` in place on the examples `data` points to.
void Train(const std::vector<const TrainingExample*>& data, const TrainOptions& options, LinearModel* model);

// Assigns each of n examples to one of k folds, in a seeded random order,
// so fold sizes differ by at most one.
std::vector<int> AssignFolds(size_t n, int k, uint64_t seed);

// SplitMix64: a small, portable pseudo-random generator.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n > 0); the modulo bias is negligible for our n.
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

// Fisher-Yates with SplitMix64.
template <typename T>
void SeededShuffle(std::vector<T>* v, SplitMix64* rng) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng->Below(i)]);
}

}  // namespace triage

#endif  // TRIAGE_ENGINE_MODEL_TRAINER_H_
