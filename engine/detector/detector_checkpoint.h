// The crisis detector's checkpoint: its state as one versioned, checksummed
// blob, so that a restarted daemon restores it instead of re-reading hours of
// messages (issue 19: 536,000 messages took 14.5 s and 559 MB to re-read).
//
// Layout (integers little-endian):
//
//   offset  size  field
//   0       8     magic "TRDETCK\n"
//   8       4     format version (kDetectorCheckpointVersion)
//   12      8     string-hash probe: std::hash of a fixed string. Topics and
//                 terms are keyed by std::hash; a build whose hash differs
//                 would read every key wrong, so it refuses the checkpoint.
//   20      8     settings fingerprint (DetectorSettingsFingerprint)
//   28      8     position: how far into the caller's log the state goes (the
//                 daemon: the store's next arrival sequence number)
//   36      8     written at (wall ms)
//   44      8     last event time observed (ms)
//   52      8     payload size N
//   60      N     payload (the caller's; CrisisDetector::SaveState inside)
//   60+N    4     CRC-32C of every byte before it
//
// Size: the payload holds only bounded structures (see SaveState of
// CrisisDetector, BurstDetector, SpaceSaving): brands and rules, at most
// max_topics other topics per time scale, `terms.capacity` term counters,
// the open alerts (each with at most 10,000 topic hashes); the daemon adds 2 MB of message ids (LiveDetector).
// Defaults, words of usual length: about 2 x 100,000 topics x ~70 bytes + 50,000 x ~14 bytes + 2 MB, some
// 17 MB, however many messages went through; bench/README.md has measured
// sizes (2.1 MB after 1,000,000 generated messages).
#ifndef TRIAGE_ENGINE_DETECTOR_DETECTOR_CHECKPOINT_H_
#define TRIAGE_ENGINE_DETECTOR_DETECTOR_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/detector_options.h"

namespace triage {

inline constexpr uint32_t kDetectorCheckpointVersion = 1;

struct DetectorCheckpointHeader {
  uint64_t settings = 0;
  uint64_t position = 0;
  int64_t written_at_ms = 0;
  int64_t last_event_ms = 0;
};

// A fingerprint of everything the detector's state depends on: every field
// of `options`, and `source`, the text of the rule pack's detector section
// (so that a setting added later without being listed here still changes
// the fingerprint when the section changes). Stable across runs and builds.
uint64_t DetectorSettingsFingerprint(const CrisisDetectorOptions& options, std::string_view source);

// The blob for `payload`.
std::string SealDetectorCheckpoint(const DetectorCheckpointHeader& header, std::string_view payload);

// Checks `blob` and, when it is sound and was made with `settings`, sets
// *header and *payload (a view into blob). Errors say what was wrong, in
// words for the log: truncated (and how), not a checkpoint, another format
// version, a checksum mismatch, another string hash, other settings. Never
// reads outside `blob`.
Status OpenDetectorCheckpoint(std::string_view blob, uint64_t settings, DetectorCheckpointHeader* header,
                              std::string_view* payload);

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_DETECTOR_CHECKPOINT_H_
