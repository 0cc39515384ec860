#include "engine/model/linear_model.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace triage {

namespace {

constexpr char kMagic[8] = {'T', 'R', 'I', 'A', 'G', 'E', 'M', 'D'};

}  // namespace

uint64_t ModelChecksum(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

template <typename T>
void Put(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the formats are little-endian, like every machine we build for
  out->append(b, sizeof(T));
}

// Reads fixed-size fields off a byte string, remembering the first failure.
class Reader {
 public:
  explicit Reader(const std::string& b) : b_(b) {}
  template <typename T>
  bool Get(T* v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Bytes(size_t n, std::string* out) {
    if (b_.size() - pos_ < n) return false;
    out->assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  const std::string& b_;
  size_t pos_ = 0;
};

}  // namespace

Label TopLabel(const LabelProbs& p) {
  Label best = Label::kNone;
  double bp = -1;
  for (Label l : kUrgencyOrder)
    if (p[static_cast<int>(l)] > bp) {
      bp = p[static_cast<int>(l)];
      best = l;
    }
  return best;
}

LinearModel::LinearModel(const FeatureOptions& options)
    : hasher_(options), weights_(static_cast<size_t>(hasher_.dim()) * kNumLabels, 0.0f) {}

double LinearModel::Scores(const std::vector<uint32_t>& features, LabelProbs* z) const {
  double scale = features.empty() ? 0.0 : 1.0 / std::sqrt(static_cast<double>(features.size()));
  float acc[kNumLabels] = {0, 0, 0, 0, 0};
  for (uint32_t f : features) {
    const float* row = &weights_[static_cast<size_t>(f) * kNumLabels];
    for (int l = 0; l < kNumLabels; ++l) acc[l] += row[l];
  }
  for (int l = 0; l < kNumLabels; ++l) (*z)[l] = bias_[l] + scale * acc[l];
  return scale;
}

void LinearModel::Predict(const std::vector<uint32_t>& features, LabelProbs* p) const {
  Scores(features, p);
  double mx = (*p)[0];
  for (int l = 1; l < kNumLabels; ++l) mx = std::max(mx, (*p)[l]);
  double sum = 0;
  for (int l = 0; l < kNumLabels; ++l) sum += ((*p)[l] = std::exp((*p)[l] - mx));
  for (int l = 0; l < kNumLabels; ++l) (*p)[l] /= sum;
}

void LinearModel::Update(const std::vector<uint32_t>& features, Label truth, double lr, double weight, double l2) {
  LabelProbs p;
  Predict(features, &p);
  double scale = features.empty() ? 0.0 : 1.0 / std::sqrt(static_cast<double>(features.size()));
  float g[kNumLabels];
  for (int l = 0; l < kNumLabels; ++l) {
    double grad = p[l] - (l == static_cast<int>(truth) ? 1.0 : 0.0);
    g[l] = static_cast<float>(lr * weight * grad * scale);
    bias_[l] -= static_cast<float>(lr * weight * grad);
  }
  float decay = static_cast<float>(1.0 - lr * l2);
  for (uint32_t f : features) {
    float* row = &weights_[static_cast<size_t>(f) * kNumLabels];
    for (int l = 0; l < kNumLabels; ++l) row[l] = row[l] * decay - g[l];
  }
}

size_t LinearModel::nonzero_rows() const {
  size_t n = 0;
  for (size_t r = 0; r < weights_.size() / kNumLabels; ++r)
    for (int l = 0; l < kNumLabels; ++l)
      if (weights_[r * kNumLabels + l] != 0.0f) {
        ++n;
        break;
      }
  return n;
}

std::string LinearModel::Serialize() const {
  const FeatureOptions& o = hasher_.options();
  std::string out(kMagic, sizeof kMagic);
  Put<uint32_t>(&out, kVersion);
  Put<uint32_t>(&out, kNumLabels);
  Put<uint32_t>(&out, o.dim_bits);
  Put<uint32_t>(&out, o.char_min);
  Put<uint32_t>(&out, o.char_max);
  Put<uint32_t>(&out, o.word_bigrams ? 1 : 0);
  Put<uint64_t>(&out, o.seed);
  Put<uint32_t>(&out, static_cast<uint32_t>(description_.size()));
  out += description_;
  for (float b : bias_) Put<float>(&out, b);
  Put<uint32_t>(&out, static_cast<uint32_t>(nonzero_rows()));
  for (size_t r = 0; r < weights_.size() / kNumLabels; ++r) {
    const float* row = &weights_[r * kNumLabels];
    bool any = false;
    for (int l = 0; l < kNumLabels; ++l) any = any || row[l] != 0.0f;
    if (!any) continue;
    Put<uint32_t>(&out, static_cast<uint32_t>(r));
    for (int l = 0; l < kNumLabels; ++l) Put<float>(&out, row[l]);
  }
  Put<uint64_t>(&out, ModelChecksum(out.data(), out.size()));
  return out;
}

Status LinearModel::Save(const std::string& path) const {
  std::string bytes = Serialize();
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::IOError(path + ": cannot write");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) return Status::IOError(path + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError(path + ": cannot rename " + tmp);
  return Status::OK();
}

Status LinearModel::Load(const std::string& path, LinearModel* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": cannot open model file");
  std::stringstream ss;
  ss << f.rdbuf();
  return Parse(ss.str(), path, out);
}

Status LinearModel::Parse(const std::string& b, const std::string& name, LinearModel* out) {
  auto bad = [&](const std::string& why) { return Status::Corruption(name + ": " + why); };
  if (b.size() < sizeof kMagic || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0)
    return Status::InvalidArgument(name + ": not a triage model file (it does not start with TRIAGEMD)");
  if (b.size() < sizeof kMagic + 8) return bad("truncated model file");
  uint64_t stored;
  std::memcpy(&stored, b.data() + b.size() - 8, 8);
  Reader r(b);
  std::string magic;
  r.Bytes(sizeof kMagic, &magic);
  uint32_t version = 0, labels = 0, dim_bits = 0, char_min = 0, char_max = 0, bigrams = 0, dlen = 0, rows = 0;
  uint64_t seed = 0;
  if (!r.Get(&version)) return bad("truncated model file");
  if (version != kVersion)
    return bad("model format version " + std::to_string(version) + "; this triage reads version " +
               std::to_string(kVersion) + " (retrain with triage train)");
  if (ModelChecksum(b.data(), b.size() - 8) != stored) return bad("checksum mismatch: the file is corrupt or truncated");
  if (!r.Get(&labels) || !r.Get(&dim_bits) || !r.Get(&char_min) || !r.Get(&char_max) || !r.Get(&bigrams) ||
      !r.Get(&seed) || !r.Get(&dlen))
    return bad("truncated header");
  if (labels != kNumLabels) return bad("model has " + std::to_string(labels) + " labels, expected 5");
  if (dim_bits < 8 || dim_bits > 22) return bad("dim_bits " + std::to_string(dim_bits) + " out of range 8..22");
  if (char_max > 8 || (char_max > 0 && char_min > char_max) || (char_min == 0 && char_max > 0))
    return bad("character n-gram range " + std::to_string(char_min) + ".." + std::to_string(char_max) + " invalid");
  FeatureOptions o;
  o.dim_bits = dim_bits;
  o.char_min = char_min;
  o.char_max = char_max;
  o.word_bigrams = bigrams != 0;
  o.seed = seed;
  LinearModel m(o);
  if (!r.Bytes(dlen, &m.description_)) return bad("truncated description");
  for (float& bias : m.bias_)
    if (!r.Get(&bias)) return bad("truncated biases");
  if (!r.Get(&rows)) return bad("truncated weights");
  for (uint32_t i = 0; i < rows; ++i) {
    uint32_t slot;
    if (!r.Get(&slot)) return bad("truncated weights");
    if (slot >= m.hasher_.dim()) return bad("weight row " + std::to_string(slot) + " out of range");
    for (int l = 0; l < kNumLabels; ++l) {
      float w;
      if (!r.Get(&w)) return bad("truncated weights");
      if (!std::isfinite(w)) return bad("weight row " + std::to_string(slot) + " is not a finite number");
      m.weights_[static_cast<size_t>(slot) * kNumLabels + l] = w;
    }
  }
  if (r.pos() != b.size() - 8) return bad("trailing bytes after the weights");
  *out = std::move(m);
  return Status::OK();
}

}  // namespace triage
