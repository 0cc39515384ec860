// The real `triage` binary in a child process, for the tests that kill it
// (daemon_crash_test.cc, backup_crash_test.cc): `triage serve` started on a
// free loopback port and stopped with any signal, and one-shot commands
// with their exit code and output.
#ifndef TRIAGE_TESTS_DAEMON_PROCESS_H_
#define TRIAGE_TESTS_DAEMON_PROCESS_H_

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace triage::test {

class DaemonProcess {
 public:
  DaemonProcess(std::string data, std::string log, std::string cache) : data_(data), log_(log), cache_(cache) {}
  // Before Start(): a config file to pass with --config, and a limit on the
  // child's open file descriptors (RLIMIT_NOFILE; 0: inherited).
  void set_config(std::string path) { config_ = std::move(path); }
  void set_max_open_files(rlim_t n) { max_open_files_ = n; }
  ~DaemonProcess() { Kill(SIGKILL); }

  // Starts the daemon and waits until it listens; returns its port.
  uint16_t Start() {
    std::ofstream(log_, std::ios::trunc).close();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_APPEND);
      dup2(fd, 2);
      dup2(fd, 1);
      setenv("TRIAGE_CACHE_DIR", cache_.c_str(), 1);
      if (max_open_files_ > 0) {
        rlimit limit{max_open_files_, max_open_files_};
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
      }
      if (!config_.empty())
        execl(TRIAGE_BINARY, "triage", "serve", "--config", config_.c_str(), "--listen", "127.0.0.1:0", "--data",
              data_.c_str(), "--rules", TRIAGE_RULES_DIR, static_cast<char*>(nullptr));
      else
        execl(TRIAGE_BINARY, "triage", "serve", "--listen", "127.0.0.1:0", "--data", data_.c_str(), "--rules",
              TRIAGE_RULES_DIR, static_cast<char*>(nullptr));
      _exit(127);
    }
    std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 600; ++i) {
      std::string log = ReadFile(log_);
      std::smatch m;
      if (std::regex_search(log, m, listening)) return static_cast<uint16_t>(std::stoi(m[1]));
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("daemon exited at start: " << log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("daemon did not start: " << ReadFile(log_));
    return 0;
  }

  void Kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  std::string data_, log_, cache_, config_;
  rlim_t max_open_files_ = 0;
  pid_t pid_ = -1;
};

// Runs the triage binary with `args`; returns its exit code, with what it
// printed (standard output and error together) in *output.
inline int RunTriage(const std::vector<std::string>& args, const std::string& log, std::string* output) {
  std::ofstream(log, std::ios::trunc).close();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>("triage")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(TRIAGE_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  *output = ReadFile(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace triage::test

#endif  // TRIAGE_TESTS_DAEMON_PROCESS_H_
