#include "engine/detector/detector_checkpoint.h"

#include <functional>

#include "base/crc32c.h"
#include "engine/detector/checkpoint_codec.h"

namespace triage {

namespace {

constexpr std::string_view kMagic = "TRDETCK\n";
constexpr size_t kHeaderSize = 60;  // up to the payload
constexpr size_t kTrailerSize = 4;  // the CRC

uint64_t HashProbe() { return std::hash<std::string_view>{}("triage detector checkpoint: string hash probe"); }

// FNV-1a, 64 bits: fixed by its definition, unlike std::hash.
uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

void PutFixed(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetFixed(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

void PutThresholds(const std::map<std::string, TopicThresholds, std::less<>>& m, CheckpointWriter* w) {
  w->Varint(m.size());
  for (const auto& [name, th] : m) {
    w->String(name);
    w->Signed(th.min_count ? *th.min_count : -1);
    w->Double(th.p_value ? *th.p_value : -1.0);
  }
}

void PutScale(const BurstDetectorOptions& o, CheckpointWriter* w) {
  w->Signed(o.bucket_ms);
  w->Signed(o.window_buckets);
  w->Double(o.baseline_tau_ms);
  w->Double(o.p_value);
  w->Signed(o.min_count);
  w->Double(o.floor_rate);
  w->Signed(o.young_ms);
  w->Signed(o.young_min_count);
  w->Double(o.close_ratio);
  w->Signed(o.cooldown_ms);
  w->Varint(o.max_topics);
  w->Varint(o.pinned_prefixes.size());
  for (const std::string& p : o.pinned_prefixes) w->String(p);
  PutThresholds(o.overrides, w);
}

}  // namespace

uint64_t DetectorSettingsFingerprint(const CrisisDetectorOptions& o, std::string_view source) {
  std::string bytes;
  CheckpointWriter w(&bytes);
  w.Bool(o.enabled);
  w.Signed(o.warmup_ms);
  PutScale(o.fast, &w);
  PutScale(o.slow, &w);
  w.Signed(o.reach.min_followers);
  w.Bool(o.reach.verified_counts);
  w.Double(o.reach.max_compound);
  w.Bool(o.terms.enabled);
  w.Varint(o.terms.capacity);
  w.Signed(o.terms.admit_count);
  w.Signed(o.terms.min_codepoints);
  w.Signed(o.terms.halve_every_ms);
  w.Varint(o.terms.stopwords.size());
  for (const std::string& s : o.terms.stopwords) w.String(s);
  w.Varint(o.ignore.size());
  for (const std::string& s : o.ignore) w.String(s);
  PutThresholds(o.brands, &w);
  w.String(source);
  return Fnv1a(bytes);
}

std::string SealDetectorCheckpoint(const DetectorCheckpointHeader& h, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderSize + payload.size() + kTrailerSize);
  out.append(kMagic);
  PutFixed(kDetectorCheckpointVersion, 4, &out);
  PutFixed(HashProbe(), 8, &out);
  PutFixed(h.settings, 8, &out);
  PutFixed(h.position, 8, &out);
  PutFixed(static_cast<uint64_t>(h.written_at_ms), 8, &out);
  PutFixed(static_cast<uint64_t>(h.last_event_ms), 8, &out);
  PutFixed(payload.size(), 8, &out);
  out.append(payload);
  PutFixed(Crc32c(out), 4, &out);
  return out;
}

Status OpenDetectorCheckpoint(std::string_view blob, uint64_t settings, DetectorCheckpointHeader* header,
                              std::string_view* payload) {
  const std::string size = std::to_string(blob.size()) + " bytes";
  if (blob.size() < kMagic.size() + 4)
    return Status::Corruption("truncated: " + size + ", shorter than the header");
  if (blob.substr(0, kMagic.size()) != kMagic)
    return Status::Corruption("not a detector checkpoint (it does not start with the TRDETCK magic)");
  const uint64_t version = GetFixed(blob, 8, 4);
  if (version != kDetectorCheckpointVersion)
    return Status::InvalidArgument("format version " + std::to_string(version) + ", and this build reads version " +
                                   std::to_string(kDetectorCheckpointVersion));
  if (blob.size() < kHeaderSize + kTrailerSize)
    return Status::Corruption("truncated: " + size + ", shorter than the header");
  const uint64_t n = GetFixed(blob, 52, 8);
  if (n != blob.size() - kHeaderSize - kTrailerSize)
    return Status::Corruption("truncated or extended: " + size + " where the header announces " +
                              std::to_string(n + kHeaderSize + kTrailerSize));
  const uint32_t stored = static_cast<uint32_t>(GetFixed(blob, blob.size() - kTrailerSize, 4));
  const uint32_t computed = Crc32c(blob.substr(0, blob.size() - kTrailerSize));
  if (stored != computed)
    return Status::Corruption("checksum mismatch over " + size + " (stored " + std::to_string(stored) + ", computed " +
                              std::to_string(computed) + "): the file is damaged");
  if (GetFixed(blob, 12, 8) != HashProbe())
    return Status::InvalidArgument("written by a build whose string hash differs (topics are keyed by it)");
  DetectorCheckpointHeader h;
  h.settings = GetFixed(blob, 20, 8);
  if (h.settings != settings)
    return Status::InvalidArgument("made with different detector settings (the rule pack's detector: section changed)");
  h.position = GetFixed(blob, 28, 8);
  h.written_at_ms = static_cast<int64_t>(GetFixed(blob, 36, 8));
  h.last_event_ms = static_cast<int64_t>(GetFixed(blob, 44, 8));
  *header = h;
  *payload = blob.substr(kHeaderSize, n);
  return Status::OK();
}

}  // namespace triage
