// The stored bytes of a DurationHistogram (duration_histogram.h), bucket by
// bucket, for code that adds up many stored histograms: a report over 90
// days reads thousands of them, and adding each one's buckets into a plain
// array is several times cheaper than building a DurationHistogram for each
// (aggregate_report.cc).
//
// Layout: the number of buckets, then per bucket, in increasing order, the
// index delta from the previous bucket, the count and the sum of its values
// (varints; count and sum zigzag-coded).
#ifndef TRIAGE_ENGINE_METRICS_HISTOGRAM_ENCODING_H_
#define TRIAGE_ENGINE_METRICS_HISTOGRAM_ENCODING_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace triage {

// Calls `visit` for each bucket of the histogram at the front of *in and
// advances *in past it. False for bytes that are not one.
bool VisitEncodedHistogram(std::string_view* in,
                           const std::function<void(int bucket, int64_t count, int64_t sum)>& visit);

// Per-bucket totals indexed by bucket, added up from many histograms, then
// encoded once (for DurationHistogram::ConsumeFrom).
struct HistogramTotals {
  std::vector<int64_t> count, sum;
  void Add(int bucket, int64_t c, int64_t s) {
    if (static_cast<size_t>(bucket) >= count.size()) {
      count.resize(bucket + 1);
      sum.resize(bucket + 1);
    }
    count[bucket] += c;
    sum[bucket] += s;
  }
  std::string Encode() const;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_HISTOGRAM_ENCODING_H_
