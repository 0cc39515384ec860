// libFuzzer target: the model file parser (LinearModel::Parse). The first
// byte chooses whether the input's last eight bytes are replaced by the
// correct checksum, so the fuzzer reaches the fields behind the checksum
// check. Invariants: no crash; a failed load says why; a file that loads
// serializes back to the same bytes and predicts a probability distribution.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/model/linear_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) && bytes.size() >= 8) {
    uint64_t sum = triage::ModelChecksum(bytes.data(), bytes.size() - 8);
    std::memcpy(&bytes[bytes.size() - 8], &sum, 8);
  }
  triage::LinearModel m;
  triage::Status s = triage::LinearModel::Parse(bytes, "fuzz.model", &m);
  if (!s.ok()) {
    if (s.message().empty()) std::abort();
    return 0;
  }
  triage::LinearModel again;
  if (!triage::LinearModel::Parse(m.Serialize(), "again", &again).ok()) std::abort();
  if (again.Serialize() != m.Serialize()) std::abort();
  triage::FeatureVector features;
  m.hasher().ExtractText(" refund please कृपया ", &features);
  triage::ModelOutput out;
  m.Predict(features, &out);
  if (!(out.coverage >= 0 && out.coverage <= 1)) std::abort();
  double total = 0;
  for (double v : out.probs) {
    if (!(v >= 0 && v <= 1)) std::abort();
    total += v;
  }
  if (std::fabs(total - 1) > 1e-6) std::abort();
  return 0;
}
