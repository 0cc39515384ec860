#include "engine/store/store_info_log.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

namespace triage {

StoreInfoLog::StoreInfoLog(const std::string& dir) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // a new store: RocksDB would create it a moment later
  const std::string path = dir + "/LOG";
  std::rename(path.c_str(), (path + ".old").c_str());  // fails harmlessly when there is none
  file_ = std::fopen(path.c_str(), "ae");
}

StoreInfoLog::~StoreInfoLog() {
  if (file_) std::fclose(file_);
}

void StoreInfoLog::Logv(const char* format, va_list ap) {
  if (!file_) return;
  char line[1024];
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm t;
  localtime_r(&tv.tv_sec, &t);
  int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ", t.tm_year + 1900, t.tm_mon + 1,
                        t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<long>(tv.tv_usec));
  if (n < 0) return;
  va_list copy;
  va_copy(copy, ap);
  int m = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n), format, copy);
  va_end(copy);
  if (m < 0) return;
  size_t len = std::min(sizeof line - 1, static_cast<size_t>(n) + static_cast<size_t>(m));
  std::lock_guard<std::mutex> l(mu_);
  // Errors (a full disk) are dropped: see the header.
  if (std::fwrite(line, 1, len, file_) == len) std::fputc('\n', file_);
  std::fflush(file_);
  std::clearerr(file_);
}

}  // namespace triage
