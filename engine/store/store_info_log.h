// StoreInfoLog: RocksDB's informational log (DIR/LOG), written so that a full
// disk cannot abort the process.
//
// RocksDB's own LOG writer goes through its WritableFileWriter, which
// remembers a failed write and, in a build with assertions (Debian's
// librocksdb is one), aborts on the next line it is asked to log: a full disk
// killed the daemon from inside DB::Write (SetBGError logs the error) before
// any error reached the store, and again at every restart. This logger writes
// with plain stdio and drops a line it cannot write: the log is for people,
// and losing some of it on a full disk is the right trade.
//
// At open the previous LOG is kept as LOG.old (one generation), then lines
// are appended. Thread-safe (RocksDB logs from its background threads).
#ifndef TRIAGE_ENGINE_STORE_STORE_INFO_LOG_H_
#define TRIAGE_ENGINE_STORE_STORE_INFO_LOG_H_

#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace triage {

class StoreInfoLog : public rocksdb::Logger {
 public:
  // Opens DIR/LOG for appending (after moving an existing one to LOG.old).
  // If it cannot be opened, lines are dropped.
  explicit StoreInfoLog(const std::string& dir);
  ~StoreInfoLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  std::mutex mu_;
  FILE* file_ = nullptr;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_STORE_INFO_LOG_H_
