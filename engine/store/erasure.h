// Edits, deletes and erasure: what the store does when a person's content
// must change or go (QueueStore::ApplyContentChanges, QueueStore::EraseAuthor).
//
// Edit (a platform says the author changed a message): the stored archive
// line gets the new text; the decision stays as it was made (the message is
// not classified or routed again: it may already be in an agent's hands, and
// a route that changes under them is worse than a label made on the first
// text); an `edited` event records when (format/content_event.h), with the
// text it replaced when keep_edit_history is on. An edit of an unknown
// message is dropped (kUnknown); of a deleted one, or of an erased author's,
// ignored (kDeleted, kErased).
//
// Delete (a platform says the message was deleted, unsent or revoked): the
// archive line loses its text and author (redaction.h), the free text of its
// events goes, its author-index entry goes, it leaves its queue (status
// `deleted`), and a `deleted` event records when. Its state stays: a
// redelivery of the message is a duplicate, and the metrics still count it.
// A delete of an unknown id stores a tombstone (a `deleted` state and event
// with no message), so that a late arrival of the message is a duplicate
// and never stored. (Not when the two meet in one group commit with the
// delete first: the duplicate check reads the database, not the group's
// batch. A webhook payload puts its messages before its deletes.)
//
// Erasure of an author (a data-subject request): every message the author
// index lists for (channel, author id) is redacted like a delete's and the
// free text of its events removed, but keeps its state, queue, label and
// times (the metrics need them); the index entries go; and the erasure is
// recorded in the ledger (the `erasures` column family), so a backup
// restored later can be erased again (`triage restore`: see
// ReadErasureLedgerFile). The author index is written with every ingest
// (store_format.h); a database from before it gets it built at its next
// read-write open.
//
// Ledger records, in the store and in BACKUP_DIR/erasures.jsonl, one JSON
// object each: {"channel":..,"author_id":..,"erased_ms":..,"messages":N,"events":N}.
#ifndef TRIAGE_ENGINE_STORE_ERASURE_H_
#define TRIAGE_ENGINE_STORE_ERASURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace triage {

struct ContentChange {
  enum class Type : uint8_t { kEdit, kDelete };
  Type type = Type::kEdit;
  std::string id;     // the stored message's id (the platform's, namespaced)
  std::string text;   // kEdit: the new text
  std::string agent;  // who did it, as the platform says ("" when it does not)
  int64_t at_ms = 0;  // when, as the platform says (0: unknown)
};

enum class ContentOutcome : uint8_t {
  kApplied,     // the stored message changed
  kTombstoned,  // a delete of an unknown id: a tombstone now holds the id
  kUnknown,     // an edit of an unknown id: nothing stored
  kDeleted,     // the message was already deleted: nothing changed
  kErased,      // an edit of an erased author's message: nothing changed
};

struct ErasureRecord {
  std::string channel;
  std::string author_id;
  int64_t erased_ms = 0;
  uint64_t messages = 0;  // messages redacted
  uint64_t events = 0;    // events whose free text was removed

  std::string ToJson() const;
};

// Reads one ledger record. InvalidArgument naming the field.
Status ParseErasureJson(std::string_view json, ErasureRecord* out);

// The ledger file kept beside the backups: BACKUP_DIR/erasures.jsonl.
std::string ErasureLedgerPath(const std::string& backup_dir);
// Appends one record (a line) and syncs it to disk.
Status AppendErasureLedgerFile(const std::string& path, const ErasureRecord& r);
// Every record of the file (none when it does not exist). InvalidArgument
// naming the line when one is unreadable.
Status ReadErasureLedgerFile(const std::string& path, std::vector<ErasureRecord>* out);

class QueueStore;
// Appends to BACKUP_DIR/erasures.jsonl every erasure of `store`'s ledger that
// the file does not hold yet (QueueStore::Backup calls it after each backup,
// so an erasure made with `triage erase` reaches the file by the next backup
// at the latest).
Status CopyErasureLedger(const QueueStore& store, const std::string& backup_dir);

// Whether the two records name the same author.
inline bool SameAuthor(const ErasureRecord& a, const ErasureRecord& b) {
  return a.channel == b.channel && a.author_id == b.author_id;
}

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_ERASURE_H_
