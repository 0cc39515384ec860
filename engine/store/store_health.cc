#include "engine/store/store_health.h"

namespace triage {

std::string StoreHealth::ShortCause(const Status& cause) {
  if (cause.IsNoSpace()) return "No space left on device";
  return cause.message();
}

std::string StoreHealth::FailureLine(const Status& cause, bool at_open) {
  std::string line = at_open ? "store: cannot open the database for writing (" : "store: write failed (";
  line += ShortCause(cause);
  line += cause.IsNoSpace() ? "): read-only until space is freed" : "): read-only until the disk works again";
  return line;
}

void StoreHealth::SetReadOnly(const Status& cause, bool count_failure) {
  std::lock_guard<std::mutex> l(mu_);
  if (count_failure) ++info_.write_failures;
  info_.writable = false;
  info_.no_space = cause.IsNoSpace();
  info_.cause = ShortCause(cause);
  cause_ = cause;
}

void StoreHealth::StillReadOnly(const Status& cause) {
  std::lock_guard<std::mutex> l(mu_);
  info_.no_space = cause.IsNoSpace();
  info_.cause = ShortCause(cause);
  cause_ = cause;
}

void StoreHealth::SetWritable() {
  std::lock_guard<std::mutex> l(mu_);
  if (!info_.writable) ++info_.recoveries;
  info_.writable = true;
  info_.no_space = false;
  info_.cause.clear();
  cause_ = Status::OK();
}

StoreHealthInfo StoreHealth::Get() const {
  std::lock_guard<std::mutex> l(mu_);
  return info_;
}

Status StoreHealth::Refusal() const {
  std::lock_guard<std::mutex> l(mu_);
  if (info_.writable) return Status::OK();
  if (info_.no_space)
    return Status::NoSpace("store is read-only: no space left on device; retry once space is freed");
  return Status::IOError("store is read-only after an I/O error (" + info_.cause + "); retry later");
}

}  // namespace triage
