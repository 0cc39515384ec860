// QueueStore: the durable home of accepted messages and the team queues.
//
// Everything lives in one embedded RocksDB database in a data directory: the
// messages, their decision lines, their state, their events and the crisis
// alerts. The column families and every byte in them: store_format.h.
//
// A message is on exactly one queue. Queues are ordered by priority (urgent
// first) then arrival. A claimed message carries a lease; when the lease
// expires without an event from the agent the message is ready again
// (at-least-once delivery to agents).
//
// Writes: every mutation (ingest, claim, event) is an operation handed to one
// writer thread, which applies a group of pending operations to one
// WriteBatch and writes it with a single WAL sync (group commit), then
// completes each operation's callback. A callback therefore runs only once
// its effects are durable (when sync_writes is on). Duplicate message ids are
// detected in the writer (single-threaded, so check-then-write is exact) and
// answered as duplicates: retries are idempotent.
//
// Reads (queue listings, peeks, GET of one message) are served from an
// in-memory index rebuilt from the state column family at open, plus point
// reads from RocksDB. They may show an operation up to one group commit
// before it is durable.
//
// If RocksDB fails a write (a full disk, an I/O error), the store turns
// read-only: it makes no further write to the database, every mutation fails
// with the cause (Status::NoSpace when the disk is full, else IOError),
// healthy() is false, and reads go on, from an index rebuilt from what is
// durable (the failed group's effects are dropped: its callers got the
// error). It recovers by itself: at once, then every recovery_interval_ms and
// on RequestRecovery(), the writer thread closes the database and opens it
// again for writing; once that works it rebuilds the index and takes writes
// again. Until it works the database is open with OpenForReadOnly. A store
// whose database cannot be opened for writing at start-up (a full disk)
// starts the same way, read-only, instead of failing to open.
// store_health.h has the state; why RocksDB's LOG is written by the store:
// store_info_log.h.
//
// Threads and the reopen: the database handle changes only on the writer
// thread, holding the store's db lock exclusively (and the index mutex);
// every read holds the db lock shared while it uses the handle. So a reopen
// waits for the reads in progress (a backup included) and reads wait for the
// reopen; neither sees a closed handle.
//
// Inside (engine/store/): store_format.h (bytes on disk), queue_index.h (the
// in-memory queues), assignment.h (push queues), group_writer.h (the writer
// thread); queue_store.cc opens, recovers and ties them together.
#ifndef TRIAGE_ENGINE_STORE_QUEUE_STORE_H_
#define TRIAGE_ENGINE_STORE_QUEUE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/store/erasure.h"
#include "engine/store/outbox.h"
#include "engine/store/retention.h"
#include "engine/store/store_backup.h"
#include "engine/store/store_format.h"
#include "engine/store/store_health.h"
#include "format/event.h"
#include "format/label.h"

namespace rocksdb {
class Env;
}

namespace triage {

class ConversationAggregator;  // aggregates.h

// How a queue hands out its messages. Pull: agents claim. Push: the store
// assigns each message to an online agent (see QueueStore::Heartbeat), keeping
// a conversation with the agent who already has it; round-robin takes the
// next online agent in turn, capacity-aware the one with the fewest open
// conversations. Either way an agent is not given more than max_open
// conversations (0: no limit), except a conversation it already has.
enum class AssignmentMode : uint8_t { kPull, kRoundRobin, kCapacity };

struct QueueAssignment {
  AssignmentMode mode = AssignmentMode::kPull;
  size_t max_open = 0;
};

struct QueueStoreOptions {
  bool sync_writes = true;            // fsync the WAL once per group commit
  size_t max_pending_ops = 10000;     // beyond this, Submit fails with Busy (HTTP 503)
  size_t max_group_ops = 4096;        // operations per group commit at most
  int64_t lease_check_interval_ms = 1000;
  // Push queues by name; queues not listed are pull queues.
  std::map<std::string, QueueAssignment> assignment;
  // An agent is online until this long after its last heartbeat. When it goes
  // offline, the messages assigned to it and not closed go back to the queue.
  int64_t agent_ttl_ms = 30000;
  // A platform edit keeps the text it replaces in its `edited` event
  // ("previous_text"), for audit; off: the old text is gone (erasure.h).
  bool keep_edit_history = false;
  // Clock in milliseconds since the epoch; tests inject their own.
  std::function<int64_t()> now_ms;
  // Read-only after a write failure: how often to try to become writable again.
  int64_t recovery_interval_ms = 5000;
  // The store's own log lines (read-only, writable again); stderr when unset.
  // Called on the writer thread.
  std::function<void(const std::string&)> log;
  // Tests only: the RocksDB Env (its FileSystem) the database is opened with,
  // to inject I/O errors. Not owned; must outlive the store. Null: the default.
  rocksdb::Env* test_env = nullptr;
  // Keeps the reports' derived aggregates (aggregates.h) as messages and
  // events are written; null: only the facts are kept, and the next open
  // with an aggregator rebuilds the derived records.
  std::shared_ptr<const ConversationAggregator> aggregator;
};

struct IngestItem {
  std::string id;
  std::string raw;       // the archive line
  std::string decision;  // the decision line, without newline
  std::string queue;
  Priority priority = Priority::kNormal;
  std::string conversation_id;
  // Its author, for the author index (erasure.h). When channel is empty
  // both are read from `raw`.
  std::string channel{};
  std::string author_id{};
};

enum class IngestOutcome : uint8_t { kStored, kDuplicate };

// What became of one ingested item. A duplicate carries the decision stored
// with the first copy: a retry is answered with what was decided then, not
// with a fresh decision of a text that may differ.
struct IngestResult {
  IngestOutcome outcome = IngestOutcome::kStored;
  std::string stored_decision;  // duplicates only
};

// A crisis alert's latest state, written (overwritten) in the same batch as
// the messages that changed it.
struct AlertRecord {
  std::string id;
  std::string json;
};

struct ClaimedMessage {
  std::string id;
  std::string raw;
  std::string decision;
  int64_t lease_until = 0;
};


struct QueueInfo {
  std::string name;
  uint64_t depth = 0;     // ready to claim
  uint64_t claimed = 0;   // under lease
  uint64_t assigned = 0;  // pushed to an agent, not closed yet
  int64_t oldest_age_ms = 0;  // age of the oldest ready message (0 if none)
};

struct StoredMessage {
  std::string raw;
  std::string decision;
  MessageState state;
  std::vector<std::string> events;  // JSON objects, in order
};

class QueueStore {
 public:
  ~QueueStore();  // drains pending operations, then closes RocksDB cleanly

  static Status Open(const std::string& dir, QueueStoreOptions options, std::unique_ptr<QueueStore>* out);
  // Opens an existing data directory for reading only (RocksDB
  // OpenForReadOnly), for reports over a history (`triage maturity`,
  // `triage train --data`): nothing is created or written, so a mistyped
  // path is an error naming it (NotFound) instead of a new empty database.
  // A directory whose database another process has open (a running `triage
  // serve`) is refused with an IOError that says "locked": RocksDB does not
  // support reading a database while a writer has it. Every mutation of the
  // returned store fails.
  static Status OpenReadOnly(const std::string& dir, std::unique_ptr<QueueStore>* out);

  // Asynchronous mutations. `done` runs on the writer thread once the
  // operation's group is durable (or failed); keep it short (post elsewhere).
  // A full pending queue fails immediately with a Busy status.
  using IngestDone = std::function<void(Status, std::vector<IngestResult>)>;
  void Ingest(std::vector<IngestItem> items, IngestDone done) { Ingest(std::move(items), {}, std::move(done)); }
  // The same, with alert records written atomically with the messages.
  void Ingest(std::vector<IngestItem> items, std::vector<AlertRecord> alerts, IngestDone done);
  using ClaimDone = std::function<void(Status, std::vector<ClaimedMessage>)>;
  void Claim(std::string queue, std::string agent, size_t max_messages, int64_t lease_ms, ClaimDone done);
  // Claims message `id` only, if it is ready on `queue` (an alert item the
  // console claims by name); else `done` gets OK and no message.
  void ClaimMessage(std::string queue, std::string id, std::string agent, int64_t lease_ms, ClaimDone done);
  using EventDone = std::function<void(Status)>;
  void AddEvent(std::string id, Event event, EventDone done);
  // The same for the newest open (queued, claimed or assigned) message of a
  // conversation: for replies that name no message, such as Messenger and
  // Instagram page echoes. NotFound when the conversation has none open.
  void AddEventToConversation(std::string conversation_id, Event event, EventDone done);
  // The same, at most once per `dedupe_key` (the platform's id of the reply):
  // an event whose key is already stored is not recorded again and `done`
  // gets OK, so a platform's retry of a delivery counts once. The key is
  // stored with the event, in the same write.
  void AddEvent(std::string id, Event event, std::string dedupe_key, EventDone done);
  void AddEventToConversation(std::string conversation_id, Event event, std::string dedupe_key, EventDone done);

  // Marks `agent` online for `queues` until now + agent_ttl_ms, and assigns it
  // waiting messages of those push queues up to its capacity.
  struct AgentStatus {
    int64_t online_until = 0;
    size_t open_conversations = 0;
    size_t newly_assigned = 0;
  };
  using HeartbeatDone = std::function<void(Status, AgentStatus)>;
  void Heartbeat(std::string agent, std::vector<std::string> queues, HeartbeatDone done);

  // Blocking forms, for tests and tools.
  Status HeartbeatSync(const std::string& agent, const std::vector<std::string>& queues, AgentStatus* out);
  Status IngestSync(std::vector<IngestItem> items, std::vector<IngestOutcome>* out);
  Status IngestSyncResults(std::vector<IngestItem> items, std::vector<IngestResult>* out);
  Status ClaimSync(const std::string& queue, const std::string& agent, size_t n, int64_t lease_ms,
                   std::vector<ClaimedMessage>* out);
  Status AddEventSync(const std::string& id, Event event);

  // Reads.
  std::vector<QueueInfo> Queues(const std::vector<std::string>& known_queues) const;
  // The next `limit` ready messages of a queue, in claim order: (id, decision).
  std::vector<std::pair<std::string, std::string>> Peek(const std::string& queue, size_t limit) const;
  Status Get(const std::string& id, StoredMessage* out) const;
  // The archive line and decision line of `id` alone (no state, no events).
  Status GetLines(const std::string& id, std::string* raw, std::string* decision) const;
  // A bounded walk for search: visits the stored messages in id order,
  // starting after `after` ("": from the first), at most `max_visit` of them,
  // each with its stored state; `fn` returns false to stop early. *last is
  // the last id visited ("" if none) and *at_end whether the walk ran off
  // the end of the store. The cost is at most `max_visit` entries of the
  // state column family read in sequence, whatever the store's size.
  // The states are as written (durable), possibly one group commit behind
  // the in-memory index.
  // `fn` reads a visited message's lines through `lines` (GetLines' answer,
  // under the lock the walk already holds).
  using ScanLines = std::function<Status(std::string* raw, std::string* decision)>;
  Status Scan(const std::string& after, size_t max_visit,
              const std::function<bool(const std::string& id, const MessageState& state, const ScanLines& lines)>& fn,
              std::string* last, bool* at_end) const;
  // Messages assigned to an agent and not closed: (id, decision), oldest first.
  std::vector<std::pair<std::string, std::string>> AssignedTo(const std::string& agent) const;
  struct AgentInfo {
    std::string name;
    int64_t online_until = 0;
    std::vector<std::string> queues;
    size_t open_conversations = 0;
  };
  std::vector<AgentInfo> Agents() const;
  // Calls `fn` for every stored message (with its decision, state and
  // events), in id order. For reports over the whole history.
  Status ForEach(const std::function<void(const std::string& id, const StoredMessage& m)>& fn) const;
  // The aggregates column family (aggregates_format.h has its keys), read
  // under one snapshot: `fn` calls `scan` for as many key ranges
  // [begin, end) as it needs, in key order or (`backward`) from the end;
  // `visit` returns false to stop a scan early.
  // NotFound for a store without aggregates (an older store opened
  // read-only). The cost is the records visited.
  using AggregateVisit = std::function<bool(std::string_view key, std::string_view value)>;
  using AggregateScan =
      std::function<Status(std::string_view begin, std::string_view end, bool backward, const AggregateVisit& visit)>;
  Status ReadAggregates(const std::function<Status(const AggregateScan& scan)>& fn) const;
  // Every stored alert (JSON), in id order (ids start with the opening time).
  std::vector<std::string> Alerts() const;
  // The raw lines of messages received at or after `since_ms` (store clock),
  // in arrival order, at most `max` (the newest ones). For warming up the
  // crisis detector after a restart. Scans the state column family.
  Status RecentMessages(int64_t since_ms, size_t max, std::vector<std::string>* raw) const;
  // The same for the messages with arrival sequence number >= first_seq
  // (those stored after a crisis detector checkpoint). Also a scan of the
  // state column family; the caller skips it when first_seq == next_seq().
  Status MessagesFrom(uint64_t first_seq, size_t max, std::vector<std::string>* raw) const;
  // The sequence number the next stored message will get: every message
  // stored so far (durable or still in its group commit) has a lower one.
  uint64_t next_seq() const;
  uint64_t pending_ops() const;
  // False while read-only after a write failure (see the top of this file).
  bool healthy() const;
  StoreHealthInfo health() const;
  // Try to become writable again now (SIGHUP) rather than at the next
  // interval. Returns at once; no effect when writable.
  void RequestRecovery();

  // Writes a consistent backup of the store into `backup_dir` (created if
  // missing), then reads it back and checks every file's checksum
  // (store_backup.h has the layout and why it is consistent). Writes go on
  // meanwhile; the call takes as long as the copy, so never make it on a
  // thread that must answer quickly. Busy when another backup into
  // `backup_dir` is running, in any process; InvalidArgument for a
  // backup_dir inside the data directory. A backup that fails its check is
  // deleted and the error (Corruption) names the file. A read-only store is
  // copied without a flush: its write-ahead log is copied as it is.
  Status Backup(const std::string& backup_dir, BackupSummary* out) const;

  // Platform edits and deletes, and erasure of an author (erasure.h has
  // what each does to the stored bytes). Asynchronous like the other
  // mutations: `done` runs on the writer thread once durable.
  using ContentDone = std::function<void(Status, std::vector<ContentOutcome>)>;
  void ApplyContentChanges(std::vector<ContentChange> changes, ContentDone done);
  Status ApplyContentChangesSync(std::vector<ContentChange> changes, std::vector<ContentOutcome>* out);
  using EraseDone = std::function<void(Status, ErasureRecord)>;
  void EraseAuthor(std::string channel, std::string author_id, EraseDone done);
  Status EraseAuthorSync(const std::string& channel, const std::string& author_id, ErasureRecord* out);
  // The erasure ledger: every erasure this store has applied, by author.
  Status Erasures(std::vector<ErasureRecord>* out) const;

  static bool IsBusy(const Status& s) { return s.IsBusy(); }

  // Drops the closed messages older than their queue's limit (retention.h),
  // in steps of at most `step` messages, each one write through the writer.
  // Blocks until the whole store was visited: call it off the I/O threads.
  Status SweepRetention(const RetentionPolicy& policy, RetentionSweep* out, size_t step = 1000);

  // The outbox (outbox.h; implemented in queue_store_outbox.cc). With a
  // router set, every stored message and every alert change it routes to a
  // sink is written with an outbox entry for that sink, in the same batch.
  // An alert record identical to the stored one changes nothing and owes
  // nothing (a warm-up after a restart rewrites the same alerts).
  void SetOutboxRouter(std::shared_ptr<const OutboxRouter> router);
  // Up to `max` entries of `sink` with seq > after_seq, in seq order.
  Status ReadOutbox(const std::string& sink, uint64_t after_seq, size_t max, std::vector<OutboxEntry>* out) const;
  // Delivered: removes the entry (a write through the writer; `done` once durable).
  void OutboxDelivered(std::string sink, uint64_t seq, EventDone done);
  // Given up: moves the entry to the sink's dead letters.
  void OutboxDeadLetter(DeadLetter letter, EventDone done);
  // The dead letters of `sink`, oldest first, at most `max`.
  Status DeadLetters(const std::string& sink, size_t max, std::vector<DeadLetter>* out) const;
  // Moves dead letter `seq` of `sink` back to the end of its outbox (a new
  // seq, the same delivery_id). NotFound if there is none.
  void RetryDeadLetter(std::string sink, uint64_t seq, EventDone done);
  // Entries waiting in the outbox and dead letters, per sink.
  struct OutboxCounts {
    uint64_t pending = 0;
    uint64_t dead = 0;
  };
  std::map<std::string, OutboxCounts> OutboxDepths() const;

 private:
  struct Impl;
  struct ContentOps;  // erasure.cc
  // Builds the author index of a database from before it (erasure.cc).
  Status BackfillAuthorIndex();
  // Builds the aggregates of a database from before them, and rebuilds the
  // derived ones made under other targets (aggregates.h).
  Status PrepareAggregates(bool backfill);
  explicit QueueStore(std::unique_ptr<Impl> impl);
  static Status OpenImpl(const std::string& dir, QueueStoreOptions options, bool read_only,
                         std::unique_ptr<QueueStore>* out);
  void ClaimImpl(std::string queue, std::string only_id, std::string agent, size_t max_messages, int64_t lease_ms,
                 ClaimDone done);
  void AddEventImpl(std::string id, std::string conversation_id, Event event, std::string dedupe_key, EventDone done);
  Status RecentLines(int64_t since_ms, uint64_t first_seq, size_t max, std::vector<std::string>* raw) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_QUEUE_STORE_H_
