// AuditLog: one JSON line per agent or admin action and per refused token,
// saying who, what, when and from where. It answers "who claimed these
// messages", "who reopened this one", "who reloaded the rules" and "who is
// trying tokens" after the fact.
//
//   {"at":"2026-12-01T09:14:03.120Z","who":"desk-alice","from":"10.0.0.7:51514",
//    "action":"event","target":"x:1893","agent":"alice","type":"rerouted",
//    "to_queue":"comms","status":201}
//
// `at` is the wall clock (this is an operational record, not an output of
// the pipeline). `who` is the token's name ("" with authentication off).
// Tokens themselves are never written. The file is opened for appending and
// reopened on SIGHUP, so log rotation works by renaming it and sending
// SIGHUP; with no file configured the lines go to the daemon's log.
#ifndef TRIAGE_RUNTIME_SERVER_AUDIT_LOG_H_
#define TRIAGE_RUNTIME_SERVER_AUDIT_LOG_H_

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "base/status.h"

namespace triage {

struct AuditEntry {
  int64_t at_ms = 0;
  std::string who;
  std::string from;    // remote address
  std::string action;  // claim, event, heartbeat, agent_messages, reload, auth_failed
  std::string target;  // the queue, message id or agent the action names
  std::string agent;   // the agent acted as, when there is one
  std::string type;    // event type
  std::string to_queue;
  std::string reason;  // auth_failed: why
  unsigned status = 0; // the HTTP status answered
};

// The line written for `e` (without the newline).
std::string AuditLine(const AuditEntry& e);

class AuditLog {
 public:
  // `path` empty: lines go to `fallback` (the daemon's log) prefixed "audit ".
  AuditLog(std::string path, FILE* fallback) : path_(std::move(path)), fallback_(fallback) {}
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens (or reopens, after a rotation) the file. IOError names it.
  Status Open();
  void Record(const AuditEntry& e);

 private:
  std::string path_;
  FILE* fallback_;
  std::mutex mu_;
  FILE* file_ = nullptr;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_AUDIT_LOG_H_
