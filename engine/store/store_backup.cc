// Backups with RocksDB's BackupEngine: QueueStore::Backup, the listing, the
// check and the restore. The layout and why a backup is consistent:
// store_backup.h.
#include "engine/store/store_backup.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>

#include "engine/store/queue_store.h"
#include "engine/store/queue_store_impl.h"

namespace triage {

namespace {

namespace fs = std::filesystem;

// Our metadata in each backup's meta file: a version, then what a listing
// shows without opening the backup.
constexpr std::string_view kMetadataPrefix = "triage-backup 1 messages=";

int64_t MessagesOf(const std::string& metadata) {
  if (metadata.rfind(kMetadataPrefix, 0) != 0) return -1;
  int64_t n = -1;
  const char* begin = metadata.data() + kMetadataPrefix.size();
  const char* end = metadata.data() + metadata.size();
  auto [ptr, ec] = std::from_chars(begin, end, n);
  return ec == std::errc() && ptr == end ? n : -1;
}

BackupSummary Summarize(const rocksdb::BackupInfo& info) {
  BackupSummary s;
  s.id = info.backup_id;
  s.time_s = info.timestamp;
  s.bytes = info.size;
  s.files = info.number_files;
  s.messages = MessagesOf(info.app_metadata);
  return s;
}

// RocksDB asks that every open of one backup directory use the same
// options: these, everywhere. (The defaults: table files shared between
// backups and named by their checksum, every file synced.)
rocksdb::BackupEngineOptions EngineOptions(const std::string& backup_dir) {
  return rocksdb::BackupEngineOptions(backup_dir);
}

// Like FromRocks (group_writer.h), but a damaged file stays Corruption and
// NotFound keeps RocksDB's words (which say what is missing).
Status FromBackupEngine(const rocksdb::Status& s, const std::string& what) {
  std::string msg = what + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsNotFound()) return Status::NotFound(msg);
  return Status::IOError(msg);
}

// The one writer of a backup directory: an exclusive flock on
// BACKUP_DIR/LOCK, held while a backup is written. RocksDB leaves the
// outcome of two writers on one directory unspecified (the second one's
// open deletes the first one's files in progress), and they may be two
// processes: `triage backup` and the daemon.
class BackupDirLock {
 public:
  BackupDirLock() = default;
  BackupDirLock(const BackupDirLock&) = delete;
  BackupDirLock& operator=(const BackupDirLock&) = delete;
  ~BackupDirLock() {
    if (fd_ >= 0) ::close(fd_);  // drops the lock
  }
  Status Acquire(const std::string& backup_dir) {
    const std::string path = backup_dir + "/LOCK";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IOError(path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return Status::OK();
    if (errno == EWOULDBLOCK) return Status::Busy(backup_dir + ": another backup into this directory is running");
    return Status::IOError(path + ": cannot lock: " + std::strerror(errno));
  }

 private:
  int fd_ = -1;
};

// Whether a backup is being written into `backup_dir` now (its LOCK held).
bool WriterActive(const std::string& backup_dir) {
  int fd = ::open((backup_dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

// `p` made absolute, with . and .. and the symbolic links that exist
// resolved, and no trailing separator.
fs::path Resolved(const std::string& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  if (!r.has_filename() && r.has_parent_path()) r = r.parent_path();
  return r;
}

// Whether `inner` is `outer` or lies inside it.
bool Inside(const std::string& inner, const std::string& outer) {
  fs::path a = Resolved(inner), b = Resolved(outer);
  auto [bi, ai] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return bi == b.end();
}

Status OpenReader(const std::string& backup_dir, std::unique_ptr<rocksdb::BackupEngineReadOnly>* out) {
  std::error_code ec;
  if (!fs::is_directory(backup_dir, ec)) return Status::NotFound(backup_dir + ": no such backup directory");
  // meta/ is made by the first backup: without it, there is nothing to read
  // (and RocksDB's read-only open fails).
  if (!fs::is_directory(fs::path(backup_dir) / "meta", ec)) return Status::NotFound(backup_dir + ": holds no backup");
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(EngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromBackupEngine(s, backup_dir + ": cannot read the backup directory");
  out->reset(raw);
  return Status::OK();
}

std::string IdList(const rocksdb::BackupEngineReadOnly& engine) {
  std::vector<rocksdb::BackupInfo> infos;
  engine.GetBackupInfo(&infos);
  if (infos.empty()) return "it holds none";
  std::string ids;
  for (const auto& i : infos) ids += (ids.empty() ? "" : ", ") + std::to_string(i.backup_id);
  return "it holds " + ids;
}

// Backup `id` (0: the latest complete one) of an open reader, checked file
// by file. Errors name the backup directory and, when damaged, the file.
Status FindVerified(const rocksdb::BackupEngineReadOnly& engine, const std::string& backup_dir, uint32_t id,
                    rocksdb::BackupInfo* info) {
  rocksdb::Status s = id == 0 ? engine.GetLatestBackupInfo(info) : engine.GetBackupInfo(id, info);
  // (GetLatestBackupInfo skips damaged backups: "latest" is the latest whole one.)
  if (id == 0 && s.IsNotFound()) return Status::NotFound(backup_dir + ": holds no complete backup");
  if (s.IsNotFound()) return Status::NotFound(backup_dir + ": no backup " + std::to_string(id) + " (" + IdList(engine) + ")");
  if (!s.ok()) return FromBackupEngine(s, backup_dir + ": backup " + std::to_string(id) + " is unreadable");
  rocksdb::IOStatus v = engine.VerifyBackup(info->backup_id, /*verify_with_checksum=*/true);
  if (!v.ok())
    return Status::Corruption(backup_dir + ": backup " + std::to_string(info->backup_id) + " is damaged: " + v.ToString());
  return Status::OK();
}

}  // namespace

Status QueueStore::Backup(const std::string& backup_dir, BackupSummary* out) const {
  const Impl& p = *impl_;
  if (backup_dir.empty()) return Status::InvalidArgument("no backup directory given");
  if (Inside(backup_dir, p.dir))
    return Status::InvalidArgument(backup_dir + ": inside the data directory " + p.dir +
                                   "; keep backups elsewhere (on another disk, ideally)");
  std::error_code ec;
  fs::create_directories(backup_dir, ec);
  if (ec) return Status::IOError(backup_dir + ": cannot create the backup directory: " + ec.message());
  BackupDirLock lock;
  if (Status s = lock.Acquire(backup_dir); !s.ok()) return s;
  int64_t messages = 0;
  {
    std::lock_guard<std::mutex> l(p.mu);
    messages = static_cast<int64_t>(p.next_seq) - 1;  // one sequence number per stored message
  }
  // The database handle stays as it is for the whole copy (a recovery's
  // reopen waits).
  auto dl = p.ReadLock();
  if (!p.db) return Impl::Unavailable();
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(EngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromBackupEngine(s, backup_dir + ": cannot open the backup directory");
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions options;
  // A read-only store (or one read-only after a write failure) cannot
  // flush; its WAL is copied instead (the same content, restored by
  // replaying it).
  options.flush_before_backup = p.db_writable;
  // The copy competes with the daemon's own work: let that go first.
  options.decrease_background_thread_cpu_priority = true;
  options.background_thread_cpu_priority = rocksdb::CpuPriority::kLow;
  rocksdb::BackupID id = 0;
  s = engine->CreateNewBackupWithMetadata(options, p.db.get(), std::string(kMetadataPrefix) + std::to_string(messages),
                                          &id);
  if (!s.ok()) return FromBackupEngine(s, backup_dir + ": backup of " + p.dir + " failed");
  // Read back what was written: a backup that is not whole is not one.
  if (rocksdb::IOStatus v = engine->VerifyBackup(id, /*verify_with_checksum=*/true); !v.ok()) {
    rocksdb::IOStatus d = engine->DeleteBackup(id);
    return Status::Corruption(backup_dir + ": backup " + std::to_string(id) + " failed its check and was " +
                              (d.ok() ? "deleted" : "kept (deleting it failed: " + d.ToString() + ")") + ": " +
                              v.ToString());
  }
  rocksdb::BackupInfo info;
  if (rocksdb::Status i = engine->GetBackupInfo(id, &info); !i.ok()) return FromBackupEngine(i, backup_dir);
  if (out) *out = Summarize(info);
  // The erasures this store knows, beside the backups too (erasure.h).
  return CopyErasureLedger(*this, backup_dir);
}

Status ListBackups(const std::string& backup_dir, BackupListing* out) {
  *out = BackupListing();
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine;
  if (Status s = OpenReader(backup_dir, &engine); s.ok()) {
    std::vector<rocksdb::BackupInfo> infos;
    engine->GetBackupInfo(&infos);
    for (const auto& i : infos) out->backups.push_back(Summarize(i));
    std::sort(out->backups.begin(), out->backups.end(),
              [](const BackupSummary& a, const BackupSummary& b) { return a.id < b.id; });
    engine->GetCorruptedBackups(&out->damaged);
    std::sort(out->damaged.begin(), out->damaged.end());
  } else {
    std::error_code ec;
    if (!fs::is_directory(backup_dir, ec) || fs::is_directory(fs::path(backup_dir) / "meta", ec)) return s;
    // A directory no backup has finished in yet: an empty listing.
  }
  // A backup is copied into private/N.tmp, which is renamed private/N, and
  // its meta file is written last: either directory without meta/N never
  // finished.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(backup_dir) / "private", ec)) {
    const std::string name = e.path().filename().string();
    uint32_t id = 0;
    auto [ptr, err] = std::from_chars(name.data(), name.data() + name.size(), id);
    const std::string_view rest(ptr, name.data() + name.size() - ptr);
    if (err != std::errc() || (!rest.empty() && rest != ".tmp")) continue;
    if (!fs::exists(fs::path(backup_dir) / "meta" / std::to_string(id), ec) &&
        std::find(out->unfinished.begin(), out->unfinished.end(), id) == out->unfinished.end())
      out->unfinished.push_back(id);
  }
  std::sort(out->unfinished.begin(), out->unfinished.end());
  out->writer_active = WriterActive(backup_dir);
  return Status::OK();
}

Status VerifyStoreBackup(const std::string& backup_dir, uint32_t id) {
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine;
  if (Status s = OpenReader(backup_dir, &engine); !s.ok()) return s;
  rocksdb::BackupInfo info;
  return FindVerified(*engine, backup_dir, id, &info);
}

Status RestoreStoreBackup(const std::string& backup_dir, const std::string& data_dir, const RestoreRequest& request,
                          BackupSummary* out) {
  if (data_dir.empty()) return Status::InvalidArgument("no data directory given");
  fs::path target = fs::path(data_dir).lexically_normal();
  if (!target.has_filename() && target.has_parent_path()) target = target.parent_path();
  const std::string dir = target.string();
  if (Inside(dir, backup_dir) || Inside(backup_dir, dir))
    return Status::InvalidArgument(dir + ": the backup directory " + backup_dir +
                                   " and the data directory must not contain one another");
  std::error_code ec;
  const bool exists = fs::exists(target, ec);
  bool replacing = false;  // a store is in the target
  if (exists) {
    if (!fs::is_directory(target, ec)) return Status::InvalidArgument(dir + ": exists and is not a directory");
    if (DatabaseLockHeld(dir + "/LOCK"))
      return Status::IOError(dir + ": the database is locked by another process (a running `triage serve`?); "
                             "stop it before restoring over it");
    if (!fs::is_empty(target, ec)) {
      if (!request.replace)
        return Status::InvalidArgument(dir + ": not empty; restore into an empty or new directory, or pass "
                                       "--force to replace the store in it");
      if (!fs::exists(target / "CURRENT", ec))
        return Status::InvalidArgument(dir + ": not empty and holds no store (no CURRENT file); --force "
                                       "replaces only a store");
      replacing = true;
    }
  }
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine;
  if (Status s = OpenReader(backup_dir, &engine); !s.ok()) return s;
  rocksdb::BackupInfo info;
  if (Status s = FindVerified(*engine, backup_dir, request.backup_id, &info); !s.ok()) {
    if (s.code() != Status::Code::kCorruption || info.backup_id <= 1) return s;
    return Status::Corruption(s.message() + "; nothing restored (`triage backup --list` shows the others; "
                              "--backup N restores one)");
  }
  // A new directory or a store being replaced: restored beside it, checked,
  // then moved into place, so that a restore that fails leaves nothing
  // half-made and the old store as it was. An existing empty directory (a
  // mount point, say: it can be neither removed nor renamed onto) is
  // restored into directly and emptied again if that fails.
  const bool staged = !exists || replacing;
  const std::string into = staged ? dir + ".restoring" : dir;
  auto clean = [&] {
    if (staged) {
      fs::remove_all(into, ec);
      return;
    }
    for (const auto& e : fs::directory_iterator(into, ec)) fs::remove_all(e.path(), ec);
  };
  if (staged) {
    fs::remove_all(into, ec);
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  }
  const std::string backup_n = "backup " + std::to_string(info.backup_id);
  rocksdb::IOStatus r = engine->RestoreDBFromBackup(rocksdb::RestoreOptions(), info.backup_id, into, into);
  if (!r.ok()) {
    clean();
    return FromBackupEngine(r, backup_dir + ": restoring " + backup_n + " into " + into + " failed");
  }
  {
    std::unique_ptr<QueueStore> check;
    if (Status s = QueueStore::OpenReadOnly(into, &check); !s.ok()) {
      clean();
      return Status::Corruption(backup_dir + ": " + backup_n + " was restored but does not open as a store: " +
                                s.message());
    }
  }
  if (staged) {
    if (replacing) fs::remove_all(target, ec);
    if (!ec) fs::rename(into, target, ec);
    if (ec)
      return Status::IOError(dir + ": cannot move the restored store into place (" + ec.message() + "); it is in " +
                             into);
  }
  if (out) *out = Summarize(info);
  return Status::OK();
}

}  // namespace triage
