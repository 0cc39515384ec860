// BackupJob: what POST /v1/admin/backup runs. Only one process can open the
// data directory for writing, so a running daemon is backed up by itself:
// QueueStore::Backup copies the open store while the writer goes on.
//
// A backup copies the whole store (the first time) and reads it back to
// check it, which takes seconds to minutes: it runs on the job's own thread,
// never on an I/O thread, and the request is answered when it is done. One
// backup at a time: a request while one runs is refused (Busy), not queued,
// since the one running already holds everything acknowledged before it.
//
// The daemon stops the job before it closes the store (Stop waits for a
// running backup to finish). A SIGKILL mid-backup leaves an unfinished
// backup that is never restored and that the next backup removes
// (store_backup.h).
#ifndef TRIAGE_RUNTIME_SERVER_BACKUP_JOB_H_
#define TRIAGE_RUNTIME_SERVER_BACKUP_JOB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "engine/store/queue_store.h"

namespace triage {

class BackupJob {
 public:
  using Log = std::function<void(const std::string&)>;
  // `store` must outlive the job (or its Stop()).
  BackupJob(QueueStore* store, std::string backup_dir, Log log);
  ~BackupJob();  // Stop()
  BackupJob(const BackupJob&) = delete;
  BackupJob& operator=(const BackupJob&) = delete;

  using Done = std::function<void(Status, BackupSummary)>;
  // Starts a backup into the backup directory on the job's thread and calls
  // `done` there with the outcome. When a backup is already running, or the
  // job is stopped, `done` is called at once (on the calling thread) with
  // Busy.
  void Start(Done done);
  // Waits for a running backup, then refuses new ones. Idempotent.
  void Stop();

  // Prometheus lines: backups by result and the time of the last good one.
  void AppendMetrics(std::string* out) const;

 private:
  QueueStore* store_;
  const std::string backup_dir_;
  Log log_;
  std::mutex mu_;
  bool running_ = false, stopped_ = false;
  std::thread thread_;  // the last backup's; joined before the next starts
  std::atomic<uint64_t> ok_{0}, failed_{0};
  std::atomic<int64_t> last_ok_s_{0};
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_BACKUP_JOB_H_
