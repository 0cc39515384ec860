// CheckpointWriter / CheckpointReader: the byte encoding of the crisis
// detector's checkpoint payload (detector_checkpoint.h has the envelope).
//
// Unsigned integers are LEB128 varints (most counts and ring slots are small;
// a ten-bucket ring of a quiet topic takes ten bytes, not forty), signed ones
// zigzag varints, hashes and doubles eight bytes little-endian (a double is
// stored bit for bit, so a restored baseline is the same number, and the
// alerts derived from it are the same), strings a varint length then bytes.
//
// The reader never reads past its input: once a read fails every later read
// fails too, and error() names the first field that could not be read. The
// payload has already passed its checksum, so a failure here means a bug or
// a crafted file; either way it is refused, never trusted.
#ifndef TRIAGE_ENGINE_DETECTOR_CHECKPOINT_CODEC_H_
#define TRIAGE_ENGINE_DETECTOR_CHECKPOINT_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace triage {

class CheckpointWriter {
 public:
  explicit CheckpointWriter(std::string* out) : out_(out) {}
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Fixed64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>(v >> (8 * i)));
  }
  void Double(double d) {
    uint64_t v;
    std::memcpy(&v, &d, sizeof v);
    Fixed64(v);
  }
  void Bool(bool b) { out_->push_back(b ? 1 : 0); }
  void String(std::string_view s) {
    Varint(s.size());
    out_->append(s);
  }

 private:
  std::string* out_;
};

class CheckpointReader {
 public:
  explicit CheckpointReader(std::string_view in) : in_(in) {}

  // Each returns false (and leaves *v alone) once a read has failed; `what`
  // names the field for error().
  bool Varint(uint64_t* v, const char* what) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1, what)) return false;
      auto b = static_cast<unsigned char>(in_[pos_++]);
      r |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return Fail(what, "varint longer than ten bytes");
  }
  // A varint that must be at most `max` (a count sized by the settings, an
  // index into what was read before it).
  bool Bounded(uint64_t* v, uint64_t max, const char* what) {
    uint64_t r = 0;
    if (!Varint(&r, what)) return false;
    if (r > max) return Fail(what, std::to_string(r) + " is over its bound " + std::to_string(max));
    *v = r;
    return true;
  }
  bool Signed(int64_t* v, const char* what) {
    uint64_t u = 0;
    if (!Varint(&u, what)) return false;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool Fixed64(uint64_t* v, const char* what) {
    if (!Need(8, what)) return false;
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    *v = r;
    return true;
  }
  bool Double(double* d, const char* what) {
    uint64_t v = 0;
    if (!Fixed64(&v, what)) return false;
    std::memcpy(d, &v, sizeof v);
    return true;
  }
  bool Bool(bool* b, const char* what) {
    if (!Need(1, what)) return false;
    auto c = static_cast<unsigned char>(in_[pos_++]);
    if (c > 1) return Fail(what, "a flag that is neither 0 nor 1");
    *b = c == 1;
    return true;
  }
  bool String(std::string* s, const char* what) {
    uint64_t n = 0;
    if (!Varint(&n, what)) return false;
    if (!Need(n, what)) return false;
    s->assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  // Records a failure found by the caller (an index out of range, a
  // duplicate); returns false.
  bool Fail(const char* what, const std::string& why) {
    if (error_.empty()) error_ = std::string(what) + ": " + why + " (at byte " + std::to_string(pos_) + ")";
    failed_ = true;
    return false;
  }

  bool ok() const { return !failed_; }
  bool at_end() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  const std::string& error() const { return error_; }

 private:
  bool Need(uint64_t n, const char* what) {
    if (failed_) return false;
    if (n > in_.size() - pos_) return Fail(what, "ends early");
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_CHECKPOINT_CODEC_H_
