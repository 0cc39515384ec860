// LinearModel: a multinomial logistic regression over hashed features
// (FeatureHasher), one weight per feature slot and label plus a bias per
// label. Predict() gives a probability per label (softmax); it reads one
// 20-byte row per feature and allocates nothing.
//
// The model file (written by `triage train`, read at pack load):
//
//   "TRIAGEMD"            8 bytes magic
//   u32 version           1
//   u32 labels            5 (lead, support, feedback, crisis, none)
//   u32 dim_bits, char_min, char_max, word_bigrams
//   u64 hash seed
//   u32 n + n bytes       description (UTF-8: what it was trained on)
//   f32 x 5               biases
//   u32 rows              rows with a non-zero weight
//   rows x (u32 slot, f32 x 5)
//   u64 checksum          FNV-1a of every byte before it
//
// little-endian throughout. Load() checks every field and the checksum, so a
// truncated, corrupt or foreign file is a clear error naming the file, never
// a model that quietly predicts nonsense.
#ifndef TRIAGE_ENGINE_MODEL_LINEAR_MODEL_H_
#define TRIAGE_ENGINE_MODEL_LINEAR_MODEL_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/label.h"
#include "engine/model/feature_hasher.h"
#include "engine/status.h"

namespace triage {

using LabelProbs = std::array<double, kNumLabels>;

class LinearModel {
 public:
  static constexpr uint32_t kVersion = 1;

  // An untrained model (all weights zero: uniform probabilities).
  explicit LinearModel(const FeatureOptions& options = FeatureOptions());

  static Status Load(const std::string& path, LinearModel* out);
  static Status Parse(const std::string& bytes, const std::string& name, LinearModel* out);
  Status Save(const std::string& path) const;
  std::string Serialize() const;

  // Probabilities per label of the feature vector `features` (indices from
  // hasher(); repeats count).
  void Predict(const std::vector<uint32_t>& features, LabelProbs* probs) const;

  // One stochastic gradient step on (features, truth) with step size `lr`
  // and importance `weight` (training; not thread-safe).
  void Update(const std::vector<uint32_t>& features, Label truth, double lr, double weight, double l2);

  const FeatureHasher& hasher() const { return hasher_; }
  const std::string& description() const { return description_; }
  void set_description(std::string d) { description_ = std::move(d); }
  size_t nonzero_rows() const;

 private:
  double Scores(const std::vector<uint32_t>& features, LabelProbs* z) const;

  FeatureHasher hasher_;
  std::string description_;
  std::array<float, kNumLabels> bias_{};
  std::vector<float> weights_;  // [slot * kNumLabels + label]
};

// The checksum the model file ends with: FNV-1a 64 of `n` bytes.
uint64_t ModelChecksum(const char* p, size_t n);

// The label with the highest probability (ties: the more urgent label).
Label TopLabel(const LabelProbs& p);

}  // namespace triage

#endif  // TRIAGE_ENGINE_MODEL_LINEAR_MODEL_H_
