// InFlightBatches: the Kafka bridge's batches whose outputs are produced and
// whose inbound offsets are not yet committed, oldest first.
//
// Why: waiting for a batch's acknowledgements before reading the next one
// left the bridge idle for a broker round trip per batch (latency-bound:
// a third of a core on the mock cluster). With several batches in flight,
// batch N+1 is decided while N's acks are outstanding, and at-least-once
// still holds because offsets are committed strictly in order: a batch's
// offsets are committed only when every output of it and of every older
// batch was acknowledged. Any failure (an output refused, a store error,
// acks past their deadline, a failed commit) gives up that batch and every
// younger one together: the consumer seeks back to their lowest offsets and
// reads them all again (downstream deduplicates by message id).
//
// Pure bookkeeping, no librdkafka: the bridge feeds it delivery reports by
// batch sequence number (the opaque of each produced output). Not
// thread-safe (the bridge's consumer thread serves the delivery reports).
#ifndef TRIAGE_RUNTIME_KAFKA_IN_FLIGHT_BATCHES_H_
#define TRIAGE_RUNTIME_KAFKA_IN_FLIGHT_BATCHES_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

namespace triage {

class InFlightBatches {
 public:
  using Clock = std::chrono::steady_clock;
  using PartitionKey = std::pair<std::string, int32_t>;          // (topic, partition)
  using Offsets = std::map<PartitionKey, std::pair<int64_t, int64_t>>;  // lowest and highest offset read

  // Opens a batch that read `offsets` (`messages` inbound records) and must be
  // acknowledged by `deadline`. Returns its sequence number.
  uint64_t Open(Offsets offsets, size_t messages, Clock::time_point deadline);
  // One more output of batch `seq` awaits its acknowledgement.
  void Produced(uint64_t seq);
  // The delivery report of one output of `seq`: acknowledged, or failed with
  // `error`. Reports of batches already given up are ignored (their outputs
  // may still be reported after the seek back).
  void Delivered(uint64_t seq, const std::string* error);
  // Batch `seq` cannot be committed (an output refused, its messages not
  // stored); `why` is said when it is given up.
  void Fail(uint64_t seq, const std::string& why);

  // How many of the oldest batches are complete (every output acknowledged,
  // nothing failed), and the offsets to commit for them (highest + 1 per
  // partition). Nothing changes until Committed().
  size_t Committable(std::map<PartitionKey, int64_t>* commit) const;
  // The oldest `n` batches' offsets are committed: forgets them. Returns the
  // inbound records they held.
  size_t Committed(size_t n);

  // Whether the oldest batch failed or is past its deadline; *why says how.
  bool Failed(Clock::time_point now, std::string* why) const;
  // Gives every batch up: *seek gets, per partition, the lowest offset any of
  // them read (where to read again from). Returns the inbound records they
  // held; *batches (if given) how many batches.
  size_t GiveUpAll(std::map<PartitionKey, int64_t>* seek, size_t* batches = nullptr);

  size_t size() const { return batches_.size(); }
  bool empty() const { return batches_.empty(); }

 private:
  struct Batch {
    Offsets offsets;
    size_t messages = 0;
    Clock::time_point deadline;
    uint64_t outstanding = 0;  // outputs produced and not yet reported
    bool failed = false;
    std::string why;
  };
  Batch* Find(uint64_t seq);

  std::deque<Batch> batches_;
  uint64_t first_seq_ = 1;  // sequence number of batches_.front()
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_KAFKA_IN_FLIGHT_BATCHES_H_
