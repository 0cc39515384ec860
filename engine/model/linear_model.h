// LinearModel: a multinomial logistic regression over hashed TF-IDF
// features (FeatureHasher), with its calibration.
//
// The model keeps a vocabulary of feature keys (those seen in enough training
// messages), each with an inverse document frequency and one weight per
// label, in an open-addressing table. Predict():
//   1. looks each feature up; unknown features are skipped but counted;
//   2. within the words block and within the characters block, weighs each
//      known feature by its IDF and scales the block to unit length (so a
//      long post does not outvote a short one); flags count 1;
//   3. logit(label) = bias + sum of weight x value;
//   4. calibrates: the logits are divided by a temperature fitted on held-out
//      data (so "0.8" means right about 80 % of the time), and shrunk toward
//      uniform when the text is unfamiliar: when less of it is known than of
//      nearly all training-like text (coverage below `familiar_coverage`),
//      the logits are scaled by coverage / familiar_coverage. Text the model
//      has not learned gives flat probabilities, never a confident label.
// It reads one 28-byte table entry per feature and allocates nothing.
//
// The model file (written by `triage train`, read at pack load):
//
//   "TRIAGEMD"            8 bytes magic
//   u32 version           2
//   u32 labels            5 (lead, support, feedback, crisis, none)
//   u32 char_min, char_max, word_bigrams
//   u64 hash seed
//   u32 n + n bytes       description (UTF-8: what it was trained on)
//   f64 temperature, familiar_coverage, crisis_threshold, review_threshold
//   u32 n + n x u64       training fingerprint: sorted hashes of the
//                         normalized texts it was trained on
//   f32 x 5               biases
//   u32 entries
//   entries x (u32 key, f32 idf, f32 x 5 weights)
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

#include "format/label.h"
#include "engine/model/feature_hasher.h"
#include "base/status.h"

namespace triage {

// A probability per label (the same type as engine/decision.h's).
using LabelProbs = std::array<double, kNumLabels>;

// How far to believe the model, fitted on held-out data by `triage train`.
struct Calibration {
  double temperature = 1.0;        // logits are divided by it
  double familiar_coverage = 0.0;  // below this share of known text, logits shrink (0: never)
  // The model alone may label a message crisis (and so send it to comms,
  // urgent) only with P(crisis) at least this; above 1: never without a
  // crisis rule.
  double crisis_threshold = 2.0;
  // A decision whose confidence is below this is marked for review.
  double review_threshold = 0.5;
};

// What Predict() gives.
struct ModelOutput {
  LabelProbs probs{};     // calibrated
  LabelProbs logits{};    // before calibration (training and calibration read these)
  double coverage = 0;    // share of the text features (occurrences) the model knows
};

class LinearModel {
 public:
  static constexpr uint32_t kVersion = 2;

  struct Entry {
    uint32_t key = 0;  // 0: empty slot
    float idf = 0;
    std::array<float, kNumLabels> w{};
  };

  explicit LinearModel(const FeatureOptions& options = FeatureOptions());

  static Status Load(const std::string& path, LinearModel* out);
  static Status Parse(const std::string& bytes, const std::string& name, LinearModel* out);
  Status Save(const std::string& path) const;
  std::string Serialize() const;

  void Predict(const FeatureVector& features, ModelOutput* out) const;
  // What each feature adds to the logit of `label` beyond its mean over all
  // labels (known features only, as Predict() weighs them): (index into
  // features.keys, contribution). The contributions plus the bias's sum to
  // the label's logit minus the mean logit. For explanations; allocates.
  std::vector<std::pair<size_t, double>> Contributions(const FeatureVector& features, Label label) const;
  // The calibrated probabilities of raw logits at a coverage.
  void Calibrate(const LabelProbs& logits, double coverage, LabelProbs* probs) const;

  // Building (the trainer): the entries replace the vocabulary.
  void SetEntries(const std::vector<Entry>& entries);
  std::vector<Entry> Entries() const;  // in key order
  std::array<float, kNumLabels>& bias() { return bias_; }
  const Entry* Find(uint32_t key) const;

  const FeatureHasher& hasher() const { return hasher_; }
  const std::string& description() const { return description_; }
  void set_description(std::string d) { description_ = std::move(d); }
  const Calibration& calibration() const { return calibration_; }
  void set_calibration(const Calibration& c) { calibration_ = c; }
  size_t entries() const { return entries_; }

  // The training-data fingerprint: hashes (FeatureHasher::TextHash) of the
  // normalized texts the model was trained on.
  void set_fingerprint(std::vector<uint64_t> text_hashes);
  bool TrainedOn(uint64_t text_hash) const;
  size_t fingerprint_size() const { return fingerprint_.size(); }

 private:
  FeatureHasher hasher_;
  std::string description_;
  Calibration calibration_;
  std::vector<uint64_t> fingerprint_;  // sorted
  std::array<float, kNumLabels> bias_{};
  std::vector<Entry> table_;  // open addressing, linear probing; size a power of two
  uint32_t mask_ = 0;
  size_t entries_ = 0;
};

// The checksum the model file ends with: FNV-1a 64 of `n` bytes.
uint64_t ModelChecksum(const char* p, size_t n);

// The label with the highest probability (ties: the more urgent label).
Label TopLabel(const LabelProbs& p);

// Softmax of `z` into *p.
void Softmax(const LabelProbs& z, LabelProbs* p);

}  // namespace triage

#endif  // TRIAGE_ENGINE_MODEL_LINEAR_MODEL_H_
