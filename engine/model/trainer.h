// Training a LinearModel: multinomial logistic regression on TF-IDF features.
//
//   1. Vocabulary: a feature is kept when it occurs in at least min_df
//      training messages (a word seen once is noise, and unknown features
//      are what tells the model a text is unfamiliar); its IDF is
//      ln((1 + N) / (1 + df)) + 1.
//   2. Each message becomes the vector Predict() sees (LinearModel: IDF
//      weights, each text block scaled to unit length, flags 1).
//   3. AdaGrad on the logistic loss with L2 decay on the rows an example
//      touches, and (by default) class weights that make each label count as
//      much as any other whatever its frequency, so a rare label such as
//      crisis is not drowned by support.
//
// Deterministic: the order of examples in each epoch comes from a seeded
// SplitMix64 shuffle written out here (not std::shuffle, whose algorithm
// differs between standard libraries), and the vocabulary is in key order, so
// the same data, options and seed give the same model file, byte for byte.
#ifndef TRIAGE_ENGINE_MODEL_TRAINER_H_
#define TRIAGE_ENGINE_MODEL_TRAINER_H_

#include <cstdint>
#include <vector>

#include "format/label.h"
#include "engine/model/linear_model.h"

namespace triage {

struct TrainingExample {
  FeatureVector features;  // from the model's FeatureHasher
  Label label = Label::kNone;
};

struct TrainOptions {
  int epochs = 25;
  double learning_rate = 0.3;  // AdaGrad's base step
  double l2 = 2e-5;
  uint64_t seed = 1;
  bool balance = true;   // weight examples by N / (labels x count of their label)
  uint32_t min_df = 2;   // messages a feature must occur in to be kept
};

// Trains `model` in place (its vocabulary, IDF, weights and biases) on the
// examples `data` points to. The model's feature options must be those the
// examples were extracted with.
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
