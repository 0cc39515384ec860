// DetectorCheckpoints: where the daemon keeps the crisis detector's
// checkpoint, when it writes it, and how a start uses it (issue 19: the
// warm-up re-read six hours of messages, 14.5 s and 559 MB for 536,000).
//
// Where: one file, DATA_DIR/detector.ckpt, replaced atomically (written to
// detector.ckpt.tmp, fsynced, renamed over, the directory fsynced): a crash
// leaves the old checkpoint or the new one, never half of one. Not a key in
// the store: the checkpoint is megabytes rewritten whole every interval,
// which through the store would go through the single writer's group
// commit (holding acknowledgements of ingest batches behind a multi-megabyte
// WAL write) and then be rewritten again by compaction; and it is derived
// state, whose loss costs a longer start, nothing more. RocksDB leaves files
// it does not know in its directory alone. A backup (store_backup.h) does not
// copy it: a store restored from a backup starts with the six-hour replay.
//
// When: every `interval` (detector_checkpoint_seconds, 60 by default) on this
// job's own thread, only if the detector changed since the last one, and once
// more at a clean shutdown (after the last request, so the next start has
// nothing to replay). Each records the store's next arrival sequence number,
// read before the state is copied: every message stored below it was counted.
//
// Start (Restore, then Api::WarmDetectorFrom): the checkpoint is restored and
// only messages stored at or after its position are replayed; the in-flight
// ones among them (counted before the checkpoint, stored after it) are known
// by their ids and not counted twice. A missing, corrupt, truncated,
// other-version or other-settings checkpoint, or one past the end of the
// store, is refused with the reason, and the daemon replays the last six
// hours as before.
#ifndef TRIAGE_RUNTIME_SERVER_DETECTOR_CHECKPOINTS_H_
#define TRIAGE_RUNTIME_SERVER_DETECTOR_CHECKPOINTS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "engine/store/queue_store.h"
#include "runtime/server/live_detector.h"

namespace triage {

class DetectorCheckpoints {
 public:
  using Log = std::function<void(const std::string&)>;
  // `detector` and `store` must outlive the job (or its Stop()).
  DetectorCheckpoints(LiveDetector* detector, QueueStore* store, std::string data_dir, Log log);
  ~DetectorCheckpoints();  // Stop()
  DetectorCheckpoints(const DetectorCheckpoints&) = delete;
  DetectorCheckpoints& operator=(const DetectorCheckpoints&) = delete;

  static std::string PathIn(const std::string& data_dir) { return data_dir + "/detector.ckpt"; }
  const std::string& path() const { return path_; }

  // Restores the detector from the checkpoint file for pipeline `p`. On
  // success *header says what it covers and *bytes its size. NotFound when
  // there is no file; any other error says what was wrong with it. Nothing
  // changes on error.
  Status Restore(const Pipeline& p, DetectorCheckpointHeader* header, size_t* bytes);

  // Writes a checkpoint now (nothing when the detector has no state yet).
  // Safe from any thread; writes are serialized.
  Status WriteNow();

  // Writes one every `interval_ms` while the detector changes, on the job's
  // thread. interval_ms <= 0: none (only WriteNow calls).
  void Start(int64_t interval_ms);
  // Stops the thread (a write in progress finishes). Idempotent.
  void Stop();

  // Prometheus lines: writes by result, the last size and time.
  void AppendMetrics(std::string* out) const;

  // Before serving: the detector's state from the checkpoint plus the
  // messages stored after it (`replay_from(position)` replays them), or else
  // (no usable checkpoint, said why) `replay_window(ms)` replays the
  // messages stored in the last six hours. Returns the log line saying which
  // and how long it took.
  std::string WarmAtStart(const Pipeline& p, const std::function<size_t(uint64_t position)>& replay_from,
                          const std::function<size_t(int64_t window_ms)>& replay_window);

 private:
  LiveDetector* detector_;
  QueueStore* store_;
  const std::string path_;
  Log log_;
  std::mutex write_mu_;  // one write at a time
  uint64_t written_changes_ = ~0ull;  // changes() at the last write (under write_mu_)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  std::atomic<uint64_t> ok_{0}, failed_{0}, last_bytes_{0};
  std::atomic<int64_t> last_ok_s_{0}, last_ms_{0};
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_DETECTOR_CHECKPOINTS_H_
