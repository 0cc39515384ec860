// Status: the result of an operation that can fail, returned instead of
// throwing across module boundaries (in the manner of LevelDB's Status).
//
// A Status is either OK or carries a code and a message written for a person:
// "rules/default/lead.yaml:12: rule 'pricing': unknown key 'wieght'".
#ifndef TRIAGE_ENGINE_STATUS_H_
#define TRIAGE_ENGINE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace triage {

class Status {
 public:
  enum class Code { kOk = 0, kInvalidArgument, kNotFound, kIOError, kCorruption, kInternal };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
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

#endif  // TRIAGE_ENGINE_STATUS_H_
