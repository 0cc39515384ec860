#include "engine/metrics/duration_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "engine/metrics/histogram_encoding.h"
#include "engine/store/aggregates_format.h"

namespace triage {

namespace {
constexpr int kExact = 256;  // buckets of width 1 below this
constexpr int kSubBits = 7;  // 128 buckets per power of two
constexpr int kFirstExp = 8; // 2^8 = kExact
}  // namespace

int DurationHistogram::BucketOf(int64_t ms) {
  if (ms < kExact) return ms < 0 ? 0 : static_cast<int>(ms);
  const int e = 63 - std::countl_zero(static_cast<uint64_t>(ms));
  const int sub = static_cast<int>((ms >> (e - kSubBits)) & ((1 << kSubBits) - 1));
  return kExact + (e - kFirstExp) * (1 << kSubBits) + sub;
}

int64_t DurationHistogram::LowerOf(int b) {
  if (b < kExact) return b;
  const int e = (b - kExact) / (1 << kSubBits) + kFirstExp;
  const int sub = (b - kExact) % (1 << kSubBits);
  return (int64_t{1} << e) + (static_cast<int64_t>(sub) << (e - kSubBits));
}

int64_t DurationHistogram::WidthOf(int b) {
  if (b < kExact) return 1;
  const int e = (b - kExact) / (1 << kSubBits) + kFirstExp;
  return int64_t{1} << (e - kSubBits);
}

void DurationHistogram::Add(int64_t ms, int64_t n) {
  if (n == 0) return;
  ms = std::max<int64_t>(ms, 0);
  const int b = BucketOf(ms);
  Bucket& c = buckets_[b];
  c.count += n;
  c.sum += n * ms;
  count_ += n;
  if (c.count == 0) buckets_.erase(b);
}

void DurationHistogram::Merge(const DurationHistogram& o) {
  for (const auto& [b, n] : o.buckets_) {
    Bucket& c = buckets_[b];
    c.count += n.count;
    c.sum += n.sum;
    if (c.count == 0) buckets_.erase(b);
  }
  count_ += o.count_;
}

int64_t DurationHistogram::Percentile(double q) const {
  if (count_ <= 0) return 0;
  // The same rank as Distribution::Percentile.
  int64_t rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (const auto& [b, n] : buckets_) {
    seen += n.count;
    if (seen >= rank && n.count > 0) {
      // The mean, rounded: an integer between the bucket's least and
      // greatest value. Clamped to the bucket in case counts were taken out
      // that were never put in.
      const int64_t mean = (n.sum + n.count / 2) / n.count;
      return std::clamp(mean, LowerOf(b), LowerOf(b) + WidthOf(b) - 1);
    }
  }
  return LowerOf(buckets_.rbegin()->first);
}

void DurationHistogram::AppendTo(std::string* out) const {
  PutVarint(buckets_.size(), out);
  int prev = 0;
  for (const auto& [b, n] : buckets_) {
    PutVarint(static_cast<uint64_t>(b - prev), out);
    PutVarint(ZigZag(n.count), out);
    PutVarint(ZigZag(n.sum), out);
    prev = b;
  }
}

bool DurationHistogram::ConsumeFrom(std::string_view* in) {
  buckets_.clear();
  count_ = 0;
  return VisitEncodedHistogram(in, [&](int b, int64_t c, int64_t sum) {
    buckets_[b] = Bucket{c, sum};
    count_ += c;
  });
}

bool VisitEncodedHistogram(std::string_view* in,
                           const std::function<void(int bucket, int64_t count, int64_t sum)>& visit) {
  uint64_t n = 0, delta = 0, c = 0, sum = 0;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  int prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (!GetVarint(in, &delta) || !GetVarint(in, &c) || !GetVarint(in, &sum) || delta > 8192) return false;
    prev += static_cast<int>(delta);
    visit(prev, UnZigZag(c), UnZigZag(sum));
  }
  return true;
}

std::string HistogramTotals::Encode() const {
  std::string o;
  size_t n = 0;
  for (int64_t c : count) n += c != 0;
  PutVarint(n, &o);
  int prev = 0;
  for (size_t b = 0; b < count.size(); ++b) {
    if (count[b] == 0) continue;
    PutVarint(static_cast<uint64_t>(static_cast<int>(b) - prev), &o);
    PutVarint(ZigZag(count[b]), &o);
    PutVarint(ZigZag(sum[b]), &o);
    prev = static_cast<int>(b);
  }
  return o;
}

}  // namespace triage
