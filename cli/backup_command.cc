// triage backup and triage restore: checked backups of a data directory
// (engine/store/store_backup.h) and their restore into a new one.
//
// `triage backup` opens the store read-only, which RocksDB refuses while a
// process has it open for writing: a store that a running `triage serve`
// holds is backed up by the daemon itself (POST /v1/admin/backup, into its
// backup_dir), and the command says so with the call to make. It does not
// make that call itself: the daemon's address and an admin token are the
// operator's to give to curl, and one way to do it is enough.
#include "base/rfc3339.h"
#include "cli/commands.h"
#include "engine/store/queue_store.h"
#include "engine/store/erasure.h"
#include "engine/store/store_backup.h"

#include <filesystem>

namespace triage {

namespace {

std::string Time(int64_t seconds) { return FormatRfc3339(seconds * 1000); }

std::string Messages(int64_t n) { return n < 0 ? "-" : std::to_string(n); }

int List(const BackupOptions& opts) {
  FILE* out = opts.common.out;
  BackupListing listing;
  if (Status s = ListBackups(opts.to, &listing); !s.ok()) {
    std::fprintf(opts.common.err, "triage backup: --to %s\n", s.message().c_str());
    return kExitError;
  }
  int rc = kExitOk;
  std::fprintf(out, "%-6s %-24s %14s %7s %10s%s\n", "id", "time", "bytes", "files", "messages",
               opts.verify ? "  check" : "");
  for (const BackupSummary& b : listing.backups) {
    std::string check;
    if (opts.verify) {
      Status v = VerifyStoreBackup(opts.to, b.id);
      check = v.ok() ? "  ok" : "  DAMAGED: " + v.message();
      if (!v.ok()) rc = kExitError;
    }
    std::fprintf(out, "%-6u %-24s %14llu %7u %10s%s\n", b.id, Time(b.time_s).c_str(),
                 static_cast<unsigned long long>(b.bytes), b.files, Messages(b.messages).c_str(), check.c_str());
  }
  if (listing.backups.empty()) std::fprintf(out, "(no complete backup in %s)\n", opts.to.c_str());
  for (uint32_t id : listing.damaged) {
    std::fprintf(out, "backup %u: damaged (its meta file is unreadable or names missing files); never restored\n", id);
    rc = kExitError;
  }
  for (uint32_t id : listing.unfinished)
    std::fprintf(out, "backup %u: unfinished (%s); never restored\n", id,
                 listing.writer_active ? "being written now"
                                       : "interrupted; the next backup removes what it left");
  return rc;
}

// Erases again, in the restored store, every author of `erasures` that its
// own ledger does not list (the backup was made before the erasure), and
// warns with how many.
int ReapplyErasures(const RestoreOptions& opts, const std::vector<ErasureRecord>& erasures) {
  FILE* err = opts.common.err;
  std::unique_ptr<QueueStore> store;
  std::vector<ErasureRecord> done;
  Status s = QueueStore::Open(opts.to, QueueStoreOptions(), &store);
  if (s.ok()) s = store->Erasures(&done);
  uint64_t reapplied = 0, messages = 0;
  for (const ErasureRecord& e : erasures) {
    if (!s.ok()) break;
    bool known = false;
    for (const ErasureRecord& d : done) known = known || SameAuthor(d, e);
    if (known) continue;
    ErasureRecord r;
    s = store->EraseAuthorSync(e.channel, e.author_id, &r);
    if (!s.ok()) break;
    done.push_back(r);
    ++reapplied;
    messages += r.messages;
  }
  if (!s.ok()) {
    std::fprintf(err,
                 "triage restore: ERROR: the restored store in %s may hold messages of erased authors: re-applying "
                 "the erasure ledger failed: %s\nDo not serve it: remove it, or run the restore again.\n",
                 opts.to.c_str(), s.message().c_str());
    return kExitError;
  }
  if (reapplied > 0)
    std::fprintf(err,
                 "triage restore: warning: the backup predates %llu erasure(s) in the erasure ledger; re-applied them "
                 "(%llu message(s) of erased authors redacted)\n",
                 static_cast<unsigned long long>(reapplied), static_cast<unsigned long long>(messages));
  return kExitOk;
}

}  // namespace

int RunBackup(const BackupOptions& opts) {
  FILE* err = opts.common.err;
  if (opts.to.empty()) {
    std::fprintf(err, "triage backup: --to BACKUP_DIR is required\n");
    return kExitUsage;
  }
  if (opts.list || opts.verify) {
    if (!opts.data.empty()) {
      std::fprintf(err, "triage backup: --list and --verify read the backup directory; they take no --data\n");
      return kExitUsage;
    }
    return List(opts);
  }
  if (opts.data.empty()) {
    std::fprintf(err, "triage backup: --data DIR (the store to back up) or --list is required\n");
    return kExitUsage;
  }
  std::unique_ptr<QueueStore> store;
  if (Status s = QueueStore::OpenReadOnly(opts.data, &store); !s.ok()) {
    std::fprintf(err, "triage backup: --data %s\n", s.message().c_str());
    if (s.message().find("lock") != std::string::npos)
      std::fprintf(err,
                   "A running `triage serve` holds it: ask the daemon for the backup (it writes into the "
                   "backup_dir of its config):\n"
                   "  curl -XPOST -H \"Authorization: Bearer $ADMIN_TOKEN\" http://HOST:PORT/v1/admin/backup\n");
    return kExitError;
  }
  BackupSummary b;
  if (Status s = store->Backup(opts.to, &b); !s.ok()) {
    std::fprintf(err, "triage backup: %s\n", s.message().c_str());
    return kExitError;
  }
  std::fprintf(opts.common.out, "backup %u of %s written to %s and checked: %u files, %llu bytes, %s messages\n",
               b.id, opts.data.c_str(), opts.to.c_str(), b.files, static_cast<unsigned long long>(b.bytes),
               Messages(b.messages).c_str());
  return kExitOk;
}

int RunRestore(const RestoreOptions& opts) {
  FILE* err = opts.common.err;
  if (opts.from.empty() || opts.to.empty()) {
    std::fprintf(err, "triage restore: --from BACKUP_DIR and --to DATA_DIR are required\n");
    return kExitUsage;
  }
  // Erasures a backup may predate: those recorded beside the backups, and
  // those of the store being replaced. Read before the restore replaces it.
  std::vector<ErasureRecord> erasures;
  if (Status s = ReadErasureLedgerFile(ErasureLedgerPath(opts.from), &erasures); !s.ok()) {
    std::fprintf(err, "triage restore: the erasure ledger: %s; nothing restored\n", s.message().c_str());
    return kExitError;
  }
  std::error_code ec;
  if (opts.force && std::filesystem::exists(std::filesystem::path(opts.to) / "CURRENT", ec)) {
    std::unique_ptr<QueueStore> old;
    std::vector<ErasureRecord> old_ledger;
    Status s = QueueStore::OpenReadOnly(opts.to, &old);
    if (s.ok()) s = old->Erasures(&old_ledger);
    if (!s.ok()) {
      std::fprintf(err, "triage restore: --to %s (reading its erasure ledger); nothing restored\n", s.message().c_str());
      return kExitError;
    }
    erasures.insert(erasures.end(), old_ledger.begin(), old_ledger.end());
  }
  RestoreRequest request;
  request.backup_id = opts.backup;
  request.replace = opts.force;
  BackupSummary b;
  if (Status s = RestoreStoreBackup(opts.from, opts.to, request, &b); !s.ok()) {
    std::fprintf(err, "triage restore: %s\n", s.message().c_str());
    return kExitError;
  }
  std::fprintf(opts.common.out, "backup %u of %s (made %s, %s messages) restored into %s, checked and opened\n", b.id,
               opts.from.c_str(), Time(b.time_s).c_str(), Messages(b.messages).c_str(), opts.to.c_str());
  if (erasures.empty()) return kExitOk;
  return ReapplyErasures(opts, erasures);
}

}  // namespace triage
