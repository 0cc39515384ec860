// CRC-32C (Castagnoli): a checksum for bytes written to disk by the project
// itself (the crisis detector's checkpoint), so that a torn or bit-rotted
// file is recognised and refused instead of being read as state.
//
// CRC-32C rather than a hash: it detects every burst error up to 32 bits and
// every odd number of flipped bits, which is what a disk or a torn write
// produces; it is the checksum RocksDB and ext4 use, so its strength is well
// known. This is the plain table-driven form (about 400 MB/s): checkpoints
// are a few megabytes, written once a minute.
#ifndef TRIAGE_BASE_CRC32C_H_
#define TRIAGE_BASE_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace triage {

// The CRC-32C of `data`, continuing from `crc` (0 to start). Extending
// Crc32c(a) with b gives Crc32c(a + b).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace triage

#endif  // TRIAGE_BASE_CRC32C_H_
