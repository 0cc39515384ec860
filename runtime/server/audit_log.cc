#include "runtime/server/audit_log.h"

#include <cerrno>
#include <cstring>

#include "base/json_writer.h"
#include "base/rfc3339.h"

namespace triage {

std::string AuditLine(const AuditEntry& e) {
  std::string out = "{\"at\":";
  AppendJsonString(FormatRfc3339(e.at_ms), &out);
  auto field = [&out](std::string_view name, const std::string& v) {
    if (v.empty()) return;
    out += ",\"";
    out += name;
    out += "\":";
    AppendJsonString(v, &out);
  };
  out += ",\"who\":";
  AppendJsonString(e.who, &out);
  field("from", e.from);
  field("action", e.action);
  field("target", e.target);
  field("agent", e.agent);
  field("type", e.type);
  field("to_queue", e.to_queue);
  field("reason", e.reason);
  if (e.status) out += ",\"status\":" + std::to_string(e.status);
  out += "}";
  return out;
}

AuditLog::~AuditLog() {
  if (file_) std::fclose(file_);
}

Status AuditLog::Open() {
  if (path_.empty()) return Status::OK();
  FILE* f = std::fopen(path_.c_str(), "ae");
  if (!f) return Status::IOError("audit_log: cannot open '" + path_ + "' for appending: " + std::strerror(errno));
  std::lock_guard<std::mutex> l(mu_);
  if (file_) std::fclose(file_);
  file_ = f;
  return Status::OK();
}

void AuditLog::Record(const AuditEntry& e) {
  std::string line = AuditLine(e);
  std::lock_guard<std::mutex> l(mu_);
  if (file_) {
    line += "\n";
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  } else if (fallback_) {
    std::fprintf(fallback_, "triage serve: audit %s\n", line.c_str());
    std::fflush(fallback_);
  }
}

}  // namespace triage
