// Backups of a store: consistent copies of a data directory, taken while the
// daemon keeps writing to it, and their restore into a fresh directory.
//
// Made with RocksDB's BackupEngine into a backup directory of numbered
// backups (1, 2, 3, ...):
//
//   BACKUP_DIR/meta/N             backup N: its files with size and checksum, and our metadata
//   BACKUP_DIR/shared_checksum/   table files, shared by every backup that has them
//   BACKUP_DIR/private/N/         backup N's own files: MANIFEST, CURRENT, OPTIONS, the WAL
//   BACKUP_DIR/LOCK               held while a backup is written (one writer at a time)
//
// Why BackupEngine and not a Checkpoint: a checkpoint hard-links table files
// into a directory on the same file system, one full directory per copy, with
// no record of what it should contain. BackupEngine copies (so backups can
// live on another disk), copies a table file only once for all backups
// (incremental), records a checksum of every file and checks them on demand
// (VerifyBackup) and while restoring, and writes a backup's meta file last,
// by rename: a backup interrupted half-way (a crash, SIGKILL) has no meta
// file, is never listed or restored, and the next backup removes its files.
//
// Consistency: a backup is the database at one instant. With
// flush_before_backup, RocksDB flushes every column family, then lists the
// live files and the write-ahead log up to its current length; the WAL holds
// whole write batches, and each of our group commits is one batch, so a
// restored store holds every operation acknowledged before the backup began,
// each one whole, and nothing half-written. (Flushing the column families
// one after another is not atomic, but what one has flushed and another not
// is still in the copied WAL, and recovery replays it.)
//
// Users: QueueStore::Backup (queue_store.h) makes a backup of an open store;
// `triage backup` / `triage restore` and POST /v1/admin/backup call these.
#ifndef TRIAGE_ENGINE_STORE_STORE_BACKUP_H_
#define TRIAGE_ENGINE_STORE_STORE_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace triage {

struct BackupSummary {
  uint32_t id = 0;
  int64_t time_s = 0;     // when it was made, seconds since the epoch
  uint64_t bytes = 0;     // its files' sizes (table files shared with other backups included)
  uint32_t files = 0;
  // Messages stored when the backup began (the backup may hold a few more,
  // acknowledged while it ran); -1 when the backup does not say.
  int64_t messages = -1;
};

struct BackupListing {
  std::vector<BackupSummary> backups;  // complete ones, oldest first
  std::vector<uint32_t> damaged;       // listed in meta/ but unreadable or missing files
  // private/N directories of backups that never finished: being written
  // now (writer_active), or interrupted (a crash). Never restored; the next
  // backup removes what an interrupted one left.
  std::vector<uint32_t> unfinished;
  bool writer_active = false;  // a backup into the directory is running (its LOCK is held)
};

// What backup_dir holds. NotFound naming it when it is not a directory.
// Reads only (no lock): safe while a backup is being written.
Status ListBackups(const std::string& backup_dir, BackupListing* out);

// Reads every file of backup `id` and compares its size and checksum with
// those recorded when it was made. Corruption naming the damaged file.
Status VerifyStoreBackup(const std::string& backup_dir, uint32_t id);

struct RestoreRequest {
  uint32_t backup_id = 0;  // 0: the latest complete backup
  // Replace a data directory that holds a store (never one a process has
  // open, and never a non-empty directory that is not a store).
  bool replace = false;
};

// Restores a backup into `data_dir`, which must be absent or empty unless
// request.replace. The backup is verified first (a damaged one is refused,
// naming the file: there is no silent fall-back to an older backup), then
// restored and opened read-only to check it: a new directory or a replaced
// store by way of DATA_DIR.restoring beside it, moved into place once it
// opens; an existing empty directory directly. *out describes the backup
// restored.
Status RestoreStoreBackup(const std::string& backup_dir, const std::string& data_dir, const RestoreRequest& request,
                          BackupSummary* out);

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_STORE_BACKUP_H_
