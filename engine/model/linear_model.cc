#include "engine/model/linear_model.h"

#include <algorithm>
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

void Softmax(const LabelProbs& z, LabelProbs* p) {
  double mx = z[0];
  for (int l = 1; l < kNumLabels; ++l) mx = std::max(mx, z[l]);
  double sum = 0;
  for (int l = 0; l < kNumLabels; ++l) sum += ((*p)[l] = std::exp(z[l] - mx));
  for (int l = 0; l < kNumLabels; ++l) (*p)[l] /= sum;
}

LinearModel::LinearModel(const FeatureOptions& options) : hasher_(options) { SetEntries({}); }

const LinearModel::Entry* LinearModel::Find(uint32_t key) const {
  for (uint32_t i = key & mask_;; i = (i + 1) & mask_) {
    const Entry& e = table_[i];
    if (e.key == key) return &e;
    if (e.key == 0) return nullptr;
  }
}

void LinearModel::SetEntries(const std::vector<Entry>& entries) {
  size_t cap = 16;
  while (cap * 3 < entries.size() * 4 + 4) cap *= 2;  // load factor at most 3/4
  table_.assign(cap, Entry{});
  mask_ = static_cast<uint32_t>(cap - 1);
  entries_ = 0;
  for (const Entry& e : entries) {
    if (e.key == 0) continue;
    for (uint32_t i = e.key & mask_;; i = (i + 1) & mask_) {
      if (table_[i].key == 0) {
        table_[i] = e;
        ++entries_;
        break;
      }
      if (table_[i].key == e.key) {
        table_[i] = e;  // a repeated key: the last wins
        break;
      }
    }
  }
}

std::vector<LinearModel::Entry> LinearModel::Entries() const {
  std::vector<Entry> out;
  for (const Entry& e : table_)
    if (e.key) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  return out;
}

void LinearModel::set_fingerprint(std::vector<uint64_t> text_hashes) {
  std::sort(text_hashes.begin(), text_hashes.end());
  text_hashes.erase(std::unique(text_hashes.begin(), text_hashes.end()), text_hashes.end());
  fingerprint_ = std::move(text_hashes);
}

bool LinearModel::TrainedOn(uint64_t text_hash) const {
  return std::binary_search(fingerprint_.begin(), fingerprint_.end(), text_hash);
}

void LinearModel::Predict(const FeatureVector& f, ModelOutput* out) const {
  std::array<double, kNumLabels> acc;
  for (int l = 0; l < kNumLabels; ++l) acc[l] = bias_[l];
  size_t known = 0;
  // Each text block: IDF-weighted, scaled to unit length (one pass: the
  // block's sum is scaled once its norm is known).
  auto block = [&](uint32_t begin, uint32_t end) {
    std::array<double, kNumLabels> part{};
    double norm2 = 0;
    for (uint32_t i = begin; i < end; ++i) {
      const Entry* e = Find(f.keys[i]);
      if (!e) continue;
      ++known;
      double v = e->idf;
      norm2 += v * v;
      for (int l = 0; l < kNumLabels; ++l) part[l] += e->w[l] * v;
    }
    if (norm2 > 0) {
      double scale = 1.0 / std::sqrt(norm2);
      for (int l = 0; l < kNumLabels; ++l) acc[l] += part[l] * scale;
    }
  };
  block(0, f.chars_begin);
  block(f.chars_begin, f.flags_begin);
  for (size_t i = f.flags_begin; i < f.keys.size(); ++i)
    if (const Entry* e = Find(f.keys[i]))
      for (int l = 0; l < kNumLabels; ++l) acc[l] += e->w[l];
  out->logits = acc;
  out->coverage = f.flags_begin ? static_cast<double>(known) / f.flags_begin : 0.0;
  Calibrate(out->logits, out->coverage, &out->probs);
}

std::vector<std::pair<size_t, double>> LinearModel::Contributions(const FeatureVector& f, Label label) const {
  // Relative to the mean over labels: softmax only sees differences, so a
  // weight every label shares says nothing for or against this one.
  std::vector<std::pair<size_t, double>> out;
  const int l = static_cast<int>(label);
  auto relative = [&](const Entry& e) {
    double mean = 0;
    for (float w : e.w) mean += w;
    return e.w[l] - mean / kNumLabels;
  };
  auto block = [&](uint32_t begin, uint32_t end) {
    double norm2 = 0;
    for (uint32_t i = begin; i < end; ++i)
      if (const Entry* e = Find(f.keys[i])) norm2 += static_cast<double>(e->idf) * e->idf;
    if (norm2 <= 0) return;
    double scale = 1.0 / std::sqrt(norm2);
    for (uint32_t i = begin; i < end; ++i)
      if (const Entry* e = Find(f.keys[i])) out.emplace_back(i, relative(*e) * e->idf * scale);
  };
  block(0, f.chars_begin);
  block(f.chars_begin, f.flags_begin);
  for (size_t i = f.flags_begin; i < f.keys.size(); ++i)
    if (const Entry* e = Find(f.keys[i])) out.emplace_back(i, relative(*e));
  return out;
}

void LinearModel::Calibrate(const LabelProbs& logits, double coverage, LabelProbs* probs) const {
  double scale = 1.0 / calibration_.temperature;
  if (calibration_.familiar_coverage > 0 && coverage < calibration_.familiar_coverage)
    scale *= coverage / calibration_.familiar_coverage;
  LabelProbs z;
  for (int l = 0; l < kNumLabels; ++l) z[l] = logits[l] * scale;
  Softmax(z, probs);
}

std::string LinearModel::Serialize() const {
  const FeatureOptions& o = hasher_.options();
  std::string out(kMagic, sizeof kMagic);
  Put<uint32_t>(&out, kVersion);
  Put<uint32_t>(&out, kNumLabels);
  Put<uint32_t>(&out, o.char_min);
  Put<uint32_t>(&out, o.char_max);
  Put<uint32_t>(&out, o.word_bigrams ? 1 : 0);
  Put<uint64_t>(&out, o.seed);
  Put<uint32_t>(&out, static_cast<uint32_t>(description_.size()));
  out += description_;
  Put<double>(&out, calibration_.temperature);
  Put<double>(&out, calibration_.familiar_coverage);
  Put<double>(&out, calibration_.crisis_threshold);
  Put<double>(&out, calibration_.review_threshold);
  Put<uint32_t>(&out, static_cast<uint32_t>(fingerprint_.size()));
  for (uint64_t h : fingerprint_) Put<uint64_t>(&out, h);
  for (float b : bias_) Put<float>(&out, b);
  std::vector<Entry> entries = Entries();
  Put<uint32_t>(&out, static_cast<uint32_t>(entries.size()));
  for (const Entry& e : entries) {
    Put<uint32_t>(&out, e.key);
    Put<float>(&out, e.idf);
    for (float w : e.w) Put<float>(&out, w);
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
  if (b.size() < sizeof kMagic + 12) return bad("truncated model file");
  uint64_t stored;
  std::memcpy(&stored, b.data() + b.size() - 8, 8);
  Reader r(b);
  std::string magic;
  r.Bytes(sizeof kMagic, &magic);
  uint32_t version = 0, labels = 0, char_min = 0, char_max = 0, bigrams = 0, dlen = 0, nprint = 0, n = 0;
  uint64_t seed = 0;
  if (!r.Get(&version)) return bad("truncated model file");
  if (version != kVersion)
    return bad("model format version " + std::to_string(version) + "; this triage reads version " +
               std::to_string(kVersion) + " (retrain with triage train)");
  if (ModelChecksum(b.data(), b.size() - 8) != stored) return bad("checksum mismatch: the file is corrupt or truncated");
  if (!r.Get(&labels) || !r.Get(&char_min) || !r.Get(&char_max) || !r.Get(&bigrams) || !r.Get(&seed) ||
      !r.Get(&dlen))
    return bad("truncated header");
  if (labels != kNumLabels) return bad("model has " + std::to_string(labels) + " labels, expected 5");
  if (char_max > 8 || (char_max > 0 && char_min > char_max) || (char_min == 0 && char_max > 0))
    return bad("character n-gram range " + std::to_string(char_min) + ".." + std::to_string(char_max) + " invalid");
  FeatureOptions o;
  o.char_min = char_min;
  o.char_max = char_max;
  o.word_bigrams = bigrams != 0;
  o.seed = seed;
  LinearModel m(o);
  if (dlen > b.size() || !r.Bytes(dlen, &m.description_)) return bad("truncated description");
  Calibration& c = m.calibration_;
  if (!r.Get(&c.temperature) || !r.Get(&c.familiar_coverage) || !r.Get(&c.crisis_threshold) ||
      !r.Get(&c.review_threshold))
    return bad("truncated calibration");
  if (!(c.temperature > 0.01 && c.temperature < 100)) return bad("calibration temperature out of range");
  if (!(c.familiar_coverage >= 0 && c.familiar_coverage <= 1)) return bad("familiar_coverage out of range 0..1");
  if (!(c.crisis_threshold >= 0 && c.crisis_threshold <= 2)) return bad("crisis_threshold out of range 0..2");
  if (!(c.review_threshold >= 0 && c.review_threshold <= 1)) return bad("review_threshold out of range 0..1");
  if (!r.Get(&nprint) || nprint > (b.size() - r.pos()) / 8) return bad("truncated training fingerprint");
  m.fingerprint_.resize(nprint);
  for (uint32_t i = 0; i < nprint; ++i) {
    r.Get(&m.fingerprint_[i]);
    if (i && m.fingerprint_[i] <= m.fingerprint_[i - 1]) return bad("training fingerprint is not sorted");
  }
  for (float& bias : m.bias_)
    if (!r.Get(&bias) || !std::isfinite(bias)) return bad("truncated or invalid biases");
  if (!r.Get(&n) || n > (b.size() - r.pos()) / sizeof(float) / (kNumLabels + 2)) return bad("truncated weights");
  std::vector<Entry> entries(n);
  for (uint32_t i = 0; i < n; ++i) {
    Entry& e = entries[i];
    if (!r.Get(&e.key) || !r.Get(&e.idf)) return bad("truncated weights");
    if (e.key == 0 || (i && e.key <= entries[i - 1].key)) return bad("feature keys not sorted and distinct at entry " + std::to_string(i));
    if (!std::isfinite(e.idf) || e.idf <= 0) return bad("feature " + std::to_string(i) + " has an invalid IDF");
    for (float& w : e.w)
      if (!r.Get(&w) || !std::isfinite(w)) return bad("feature " + std::to_string(i) + ": truncated or not a finite weight");
  }
  if (r.pos() != b.size() - 8) return bad("trailing bytes after the weights");
  m.SetEntries(entries);
  *out = std::move(m);
  return Status::OK();
}

}  // namespace triage
