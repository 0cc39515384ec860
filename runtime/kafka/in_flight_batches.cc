#include "runtime/kafka/in_flight_batches.h"

#include <algorithm>

namespace triage {

uint64_t InFlightBatches::Open(Offsets offsets, size_t messages, Clock::time_point deadline) {
  Batch b;
  b.offsets = std::move(offsets);
  b.messages = messages;
  b.deadline = deadline;
  batches_.push_back(std::move(b));
  return first_seq_ + batches_.size() - 1;
}

InFlightBatches::Batch* InFlightBatches::Find(uint64_t seq) {
  if (seq < first_seq_ || seq - first_seq_ >= batches_.size()) return nullptr;
  return &batches_[seq - first_seq_];
}

void InFlightBatches::Produced(uint64_t seq) {
  if (Batch* b = Find(seq)) ++b->outstanding;
}

void InFlightBatches::Delivered(uint64_t seq, const std::string* error) {
  Batch* b = Find(seq);
  if (!b) return;
  if (b->outstanding > 0) --b->outstanding;
  if (error && !b->failed) {
    b->failed = true;
    b->why = "outputs not acknowledged: " + *error;
  }
}

void InFlightBatches::Fail(uint64_t seq, const std::string& why) {
  Batch* b = Find(seq);
  if (!b || b->failed) return;
  b->failed = true;
  b->why = why;
}

size_t InFlightBatches::Committable(std::map<PartitionKey, int64_t>* commit) const {
  commit->clear();
  size_t n = 0;
  for (const Batch& b : batches_) {
    if (b.failed || b.outstanding > 0) break;
    for (const auto& [partition, range] : b.offsets) {
      int64_t& next = (*commit)[partition];
      next = std::max(next, range.second + 1);
    }
    ++n;
  }
  return n;
}

size_t InFlightBatches::Committed(size_t n) {
  n = std::min(n, batches_.size());
  size_t messages = 0;
  for (size_t i = 0; i < n; ++i) messages += batches_[i].messages;
  batches_.erase(batches_.begin(), batches_.begin() + static_cast<std::ptrdiff_t>(n));
  first_seq_ += n;
  return messages;
}

bool InFlightBatches::Failed(Clock::time_point now, std::string* why) const {
  if (batches_.empty()) return false;
  const Batch& b = batches_.front();
  if (b.failed) {
    *why = b.why;
    return true;
  }
  if (b.outstanding > 0 && now >= b.deadline) {
    *why = "outputs not acknowledged: " + std::to_string(b.outstanding) + " still awaited at the deadline";
    return true;
  }
  return false;
}

size_t InFlightBatches::GiveUpAll(std::map<PartitionKey, int64_t>* seek, size_t* batches) {
  seek->clear();
  size_t messages = 0;
  for (const Batch& b : batches_) {
    messages += b.messages;
    for (const auto& [partition, range] : b.offsets) {
      auto [it, fresh] = seek->emplace(partition, range.first);
      if (!fresh) it->second = std::min(it->second, range.first);
    }
  }
  if (batches) *batches = batches_.size();
  first_seq_ += batches_.size();
  batches_.clear();
  return messages;
}

}  // namespace triage
