// Status: the result of an operation that can fail, returned instead of
// throwing across module boundaries (in the manner of LevelDB's Status).
//
// A Status is either OK or carries a code and a message written for a person:
// "rules/default/lead.yaml:12: rule 'pricing': unknown key 'wieght'".
// It is [[nodiscard]]: an error is handled or passed on, never dropped by
// accident (where dropping is right, the code says so with a cast to void and
// a comment why).
#ifndef TRIAGE_BASE_STATUS_H_
#define TRIAGE_BASE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace triage {

class [[nodiscard]] Status {
 public:
  // kBusy: over capacity for now; the same request may succeed later (HTTP
  // 503 with Retry-After). kNoSpace: the disk is full (an I/O error with a
  // cause the operator can act on: free space; HTTP 507).
  enum class Code { kOk = 0, kInvalidArgument, kNotFound, kIOError, kCorruption, kInternal, kBusy, kNoSpace };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(Code::kNoSpace, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsNoSpace() const { return code_ == Code::kNoSpace; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  // "OK" or the message.
  std::string ToString() const { return ok() ? std::string("OK") : msg_; }

 private:
  Status(Code code, std::string msg) : code_(code), msg_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string msg_;
};

}  // namespace triage

#endif  // TRIAGE_BASE_STATUS_H_
