// InFlightBatches: the Kafka bridge's batches awaiting acks. Offsets are
// committed strictly in order, and any failure gives every batch in flight
// up with the lowest offsets to read again from.
#include <catch2/catch.hpp>

#include "runtime/kafka/in_flight_batches.h"

using namespace triage;

namespace {

using Clock = InFlightBatches::Clock;
using Offsets = InFlightBatches::Offsets;

Offsets Read(int32_t partition, int64_t first, int64_t last) { return {{{"in", partition}, {first, last}}}; }

const Clock::time_point kLater = Clock::now() + std::chrono::hours(1);

}  // namespace

TEST_CASE("InFlightBatches commits in order: a younger batch acknowledged first waits for the older", "[kafka][in_flight]") {
  InFlightBatches f;
  const uint64_t a = f.Open(Read(0, 0, 9), 10, kLater);
  const uint64_t b = f.Open(Read(0, 10, 19), 10, kLater);
  f.Produced(a);
  f.Produced(a);
  f.Produced(b);
  std::map<InFlightBatches::PartitionKey, int64_t> commit;
  CHECK(f.Committable(&commit) == 0);
  f.Delivered(b, nullptr);  // b complete, a not: nothing may be committed
  CHECK(f.Committable(&commit) == 0);
  CHECK(commit.empty());
  f.Delivered(a, nullptr);
  CHECK(f.Committable(&commit) == 0);  // one of a's outputs still awaited
  f.Delivered(a, nullptr);
  REQUIRE(f.Committable(&commit) == 2);
  CHECK(commit.at({"in", 0}) == 20);  // past the last offset of both
  f.Committed(2);
  CHECK(f.empty());
  std::string why;
  CHECK_FALSE(f.Failed(Clock::now(), &why));
}

TEST_CASE("InFlightBatches: a failed younger batch lets the older commit, then gives itself and the rest up", "[kafka][in_flight]") {
  InFlightBatches f;
  const uint64_t a = f.Open(Read(0, 0, 9), 10, kLater);
  Offsets two = Read(0, 10, 19);
  two[{"in", 1}] = {5, 8};
  const uint64_t b = f.Open(two, 14, kLater);
  const uint64_t c = f.Open(Read(1, 9, 12), 4, kLater);
  f.Produced(a);
  f.Produced(b);
  f.Produced(c);
  const std::string refused = "Broker: Message size too large";
  f.Delivered(b, &refused);
  f.Delivered(c, nullptr);
  std::string why;
  CHECK_FALSE(f.Failed(Clock::now(), &why));  // a, the oldest, is still fine and awaited
  f.Delivered(a, nullptr);
  std::map<InFlightBatches::PartitionKey, int64_t> commit;
  REQUIRE(f.Committable(&commit) == 1);
  CHECK(commit.at({"in", 0}) == 10);
  CHECK(commit.count({"in", 1}) == 0);
  f.Committed(1);
  REQUIRE(f.Failed(Clock::now(), &why));
  CHECK(why == "outputs not acknowledged: " + refused);
  std::map<InFlightBatches::PartitionKey, int64_t> seek;
  size_t batches = 0;
  CHECK(f.GiveUpAll(&seek, &batches) == 18);
  CHECK(batches == 2);
  CHECK(seek.at({"in", 0}) == 10);
  CHECK(seek.at({"in", 1}) == 5);  // the lowest of b's and c's
  CHECK(f.empty());
  // Reports of given-up batches arriving late change nothing.
  f.Delivered(b, nullptr);
  f.Delivered(c, &refused);
  const uint64_t d = f.Open(Read(0, 10, 19), 10, kLater);
  CHECK(d > c);
  CHECK_FALSE(f.Failed(Clock::now(), &why));
  CHECK(f.Committable(&commit) == 1);  // d produced nothing yet: complete
}

TEST_CASE("InFlightBatches: acks past the deadline, or a store that failed, give the batch up", "[kafka][in_flight]") {
  InFlightBatches f;
  const Clock::time_point t0 = Clock::now();
  const uint64_t a = f.Open(Read(0, 0, 0), 1, t0 + std::chrono::seconds(1));
  f.Produced(a);
  std::string why;
  CHECK_FALSE(f.Failed(t0, &why));
  REQUIRE(f.Failed(t0 + std::chrono::seconds(2), &why));
  CHECK(why == "outputs not acknowledged: 1 still awaited at the deadline");
  f.Delivered(a, nullptr);  // arrived after all: complete, no longer late
  CHECK_FALSE(f.Failed(t0 + std::chrono::seconds(2), &why));

  const uint64_t b = f.Open(Read(0, 1, 1), 1, kLater);
  f.Fail(b, "messages not stored: disk full");
  f.Fail(b, "a second reason is not kept");
  std::map<InFlightBatches::PartitionKey, int64_t> commit;
  CHECK(f.Committable(&commit) == 1);
  f.Committed(1);
  REQUIRE(f.Failed(Clock::now(), &why));
  CHECK(why == "messages not stored: disk full");
  CHECK(f.Committable(&commit) == 0);
}
