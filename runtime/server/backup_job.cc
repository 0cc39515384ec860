#include "runtime/server/backup_job.h"

#include <chrono>

namespace triage {

BackupJob::BackupJob(QueueStore* store, std::string backup_dir, Log log)
    : store_(store), backup_dir_(std::move(backup_dir)), log_(std::move(log)) {}

BackupJob::~BackupJob() { Stop(); }

void BackupJob::Start(Done done) {
  std::thread previous;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return done(Status::Busy("the daemon is stopping"), BackupSummary());
    if (running_)
      return done(Status::Busy("a backup into " + backup_dir_ + " is already running; it holds everything "
                               "acknowledged before it began"),
                  BackupSummary());
    running_ = true;
    previous = std::move(thread_);  // finished (running_ was false): joins at once
    thread_ = std::thread([this, done = std::move(done)] {
      auto start = std::chrono::steady_clock::now();
      BackupSummary b;
      Status s = store_->Backup(backup_dir_, &b);
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (s.ok()) {
        ok_.fetch_add(1);
        last_ok_s_.store(b.time_s);
        log_("backup " + std::to_string(b.id) + " written to " + backup_dir_ + " and checked: " +
             std::to_string(b.files) + " files, " + std::to_string(b.bytes) + " bytes, " +
             std::to_string(b.messages) + " messages, " + std::to_string(static_cast<int64_t>(seconds * 1000)) +
             " ms");
      } else if (s.IsBusy()) {
        log_("backup not made: " + s.message());  // refused, not failed: the other backup goes on
      } else {
        failed_.fetch_add(1);
        log_("backup failed: " + s.message());
      }
      // Answered after running_ is cleared: a client that gets its answer
      // may start the next backup at once.
      {
        std::lock_guard<std::mutex> l(mu_);
        running_ = false;
      }
      done(s, b);
    });
  }
  if (previous.joinable()) previous.join();
}

void BackupJob::Stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopped_ = true;
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

void BackupJob::AppendMetrics(std::string* out) const {
  *out += "# HELP triage_backups_total Backups made through POST /v1/admin/backup, by result\n"
          "# TYPE triage_backups_total counter\n"
          "triage_backups_total{result=\"ok\"} " + std::to_string(ok_.load()) + "\n"
          "triage_backups_total{result=\"failed\"} " + std::to_string(failed_.load()) + "\n"
          "# HELP triage_backup_last_success_timestamp_seconds When the last good backup was made (0: none since start)\n"
          "# TYPE triage_backup_last_success_timestamp_seconds gauge\n"
          "triage_backup_last_success_timestamp_seconds " + std::to_string(last_ok_s_.load()) + "\n";
}

}  // namespace triage
