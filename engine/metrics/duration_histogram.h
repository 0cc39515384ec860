// DurationHistogram: a mergeable histogram of durations in milliseconds, so
// that percentiles over any set of days and groups come from adding stored
// histograms rather than from the values themselves.
//
// Buckets are log-linear: below 256 ms one bucket per millisecond (exact);
// above, each power of two [2^e, 2^(e+1)) is cut into 128 equal buckets of
// width 2^(e-7). Each bucket keeps the count and the sum of its values. A
// percentile is read as the mean of the bucket holding the nearest-rank
// value (the definition Distribution uses): it lies between the bucket's
// smallest and largest value, so it is off from the exact one by less than a
// bucket width, 2^(e-7) <= v/128: the relative error is below 1/128 (0.79%),
// kRelativeError, and nil when the bucket holds one distinct value (a
// typical round "30 minutes"). At most 7,296 buckets exist; a histogram
// stores only the ones it has (sparse).
//
// Counts may be taken out again (Add with a negative n) to retract a value a
// conversation no longer has: an emptied bucket disappears.
#ifndef TRIAGE_ENGINE_METRICS_DURATION_HISTOGRAM_H_
#define TRIAGE_ENGINE_METRICS_DURATION_HISTOGRAM_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace triage {

class DurationHistogram {
 public:
  static constexpr double kRelativeError = 1.0 / 128;

  // Adds n (negative: removes) values of `ms` (negative durations count as 0).
  void Add(int64_t ms, int64_t n = 1);
  void Merge(const DurationHistogram& other);
  int64_t count() const { return count_; }
  bool operator==(const DurationHistogram&) const = default;
  // Nearest rank, the mean of its bucket; 0 when empty.
  int64_t Percentile(double q) const;

  // Sparse encoding: bucket count, then (index delta, count, sum) varints.
  void AppendTo(std::string* out) const;
  bool ConsumeFrom(std::string_view* in);

  static int BucketOf(int64_t ms);
  static int64_t LowerOf(int bucket);
  static int64_t WidthOf(int bucket);

 private:
  struct Bucket {
    int64_t count = 0, sum = 0;
    bool operator==(const Bucket&) const = default;
  };
  std::map<int, Bucket> buckets_;
  int64_t count_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_DURATION_HISTOGRAM_H_
