#include "runtime/server/detector_checkpoints.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "runtime/server/request.h"

namespace triage {

namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// temp + fsync + rename + fsync of the directory: after a crash the path
// holds the old content or the new, whole.
Status WriteFileAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = Errno("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = Errno("cannot sync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::close(fd) != 0) return Errno("cannot close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot rename " + tmp + " to", path);
    ::unlink(tmp.c_str());
    return s;
  }
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("cannot open the directory of", path);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return Errno("cannot sync the directory of", path);
  return Status::OK();
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DetectorCheckpoints::DetectorCheckpoints(LiveDetector* detector, QueueStore* store, std::string data_dir, Log log)
    : detector_(detector), store_(store), path_(PathIn(data_dir)), log_(std::move(log)) {}

DetectorCheckpoints::~DetectorCheckpoints() { Stop(); }

Status DetectorCheckpoints::Restore(const Pipeline& p, DetectorCheckpointHeader* header, size_t* bytes) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::NotFound("no checkpoint at " + path_) : Errno("cannot open", path_);
  std::string blob;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("cannot read", path_);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    blob.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  *bytes = blob.size();
  return detector_->RestoreCheckpoint(p, blob, store_->next_seq(), WallMs(), header);
}

Status DetectorCheckpoints::WriteNow() {
  std::lock_guard<std::mutex> l(write_mu_);
  const int64_t start = SteadyMs();
  const uint64_t changes = detector_->changes();
  // Read before the state is copied: whatever is stored below it now was
  // counted by the detector before it was handed to the store.
  const uint64_t position = store_->next_seq();
  std::string blob;
  if (!detector_->Checkpoint(position, WallMs(), &blob)) return Status::OK();
  Status s = WriteFileAtomically(path_, blob);
  if (!s.ok()) {
    failed_.fetch_add(1);
    return Status::IOError("crisis detector checkpoint not written: " + s.message());
  }
  written_changes_ = changes;
  ok_.fetch_add(1);
  last_bytes_.store(blob.size());
  last_ok_s_.store(WallMs() / 1000);
  last_ms_.store(SteadyMs() - start);
  return Status::OK();
}

void DetectorCheckpoints::Start(int64_t interval_ms) {
  if (interval_ms <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this, interval_ms] {
    std::unique_lock<std::mutex> l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(interval_ms), [this] { return stop_; })) {
      l.unlock();
      bool due;
      {
        std::lock_guard<std::mutex> w(write_mu_);
        due = detector_->changes() != written_changes_;
      }
      if (due)
        if (Status s = WriteNow(); !s.ok()) log_(s.message() + " (the previous one stays; retried in " +
                                                 std::to_string(interval_ms / 1000) + " s)");
      l.lock();
    }
  });
}

void DetectorCheckpoints::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DetectorCheckpoints::AppendMetrics(std::string* out) const {
  *out += "# HELP triage_detector_checkpoints_total Crisis detector checkpoints written, by result\n"
          "# TYPE triage_detector_checkpoints_total counter\n"
          "triage_detector_checkpoints_total{result=\"ok\"} " + std::to_string(ok_.load()) + "\n"
          "triage_detector_checkpoints_total{result=\"failed\"} " + std::to_string(failed_.load()) + "\n"
          "# HELP triage_detector_checkpoint_bytes Size of the last checkpoint written\n"
          "# TYPE triage_detector_checkpoint_bytes gauge\n"
          "triage_detector_checkpoint_bytes " + std::to_string(last_bytes_.load()) + "\n"
          "# HELP triage_detector_checkpoint_duration_ms Time the last checkpoint took (copy and write)\n"
          "# TYPE triage_detector_checkpoint_duration_ms gauge\n"
          "triage_detector_checkpoint_duration_ms " + std::to_string(last_ms_.load()) + "\n"
          "# HELP triage_detector_checkpoint_last_success_timestamp_seconds When the last checkpoint was written (0: none since start)\n"
          "# TYPE triage_detector_checkpoint_last_success_timestamp_seconds gauge\n"
          "triage_detector_checkpoint_last_success_timestamp_seconds " + std::to_string(last_ok_s_.load()) + "\n";
}

std::string DetectorCheckpoints::WarmAtStart(const Pipeline& p, const std::function<size_t(uint64_t)>& replay_from,
                                             const std::function<size_t(int64_t)>& replay_window) {
  const auto start = std::chrono::steady_clock::now();
  auto ms = [&] {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
  };
  DetectorCheckpointHeader h;
  size_t bytes = 0;
  Status s = Restore(p, &h, &bytes);
  if (s.ok()) {
    size_t tail = replay_from(h.position);
    return "crisis detector restored from " + path_ + " (" + std::to_string(bytes) + " bytes, up to arrival " +
           std::to_string(h.position - 1) + "), then " + std::to_string(tail) +
           " messages stored after it replayed, in " + ms() + " ms";
  }
  const int64_t warm_window_ms = 6 * 3600'000;
  size_t warmed = replay_window(warm_window_ms);
  return std::string("crisis detector checkpoint not used: ") +
         (s.code() == Status::Code::kNotFound ? s.message() + " (the first start, or a store from before checkpoints)"
                                              : path_ + ": " + s.message()) +
         "; replayed the " + std::to_string(warmed) + " messages of the last 6 hours instead, in " + ms() + " ms";
}

}  // namespace triage
