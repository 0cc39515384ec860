// A daemon on a free loopback port for the duration of a test, and the
// message lines the daemon tests post. Shared by the daemon_*_test.cc files.
#ifndef TRIAGE_TESTS_RUNNING_DAEMON_H_
#define TRIAGE_TESTS_RUNNING_DAEMON_H_

#include <catch2/catch.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>

#include "runtime/server/auth.h"
#include "runtime/server/daemon.h"
#include "test_util.h"

namespace triage::test {


// A config for a daemon a test creates itself: a free loopback port, data
// and pattern cache under `dir`, the bundled rules without the model (as
// RunningDaemon does).
inline ServerConfig LocalConfig(const TempDir& dir) {
  ServerConfig c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.data_dir = dir.path() + "/data";
  c.rules = TRIAGE_RULES_DIR;
  c.model = "none";
  c.cache_dir = dir.path() + "/cache";
  return c;
}

// Runs a daemon on a free loopback port for the duration of a test.
struct RunningDaemon {
  TempDir dir;
  std::unique_ptr<Daemon> daemon;
  std::thread thread;
  FILE* log = std::tmpfile();

  // `before_run` may register things on the daemon before it serves.
  explicit RunningDaemon(ServerConfig config = ServerConfig(), const std::function<void(Daemon*)>& before_run = {}) {
    config.host = "127.0.0.1";
    config.port = 0;
    if (config.data_dir == ServerConfig().data_dir) config.data_dir = dir.path() + "/data";
    if (config.rules.empty()) config.rules = TRIAGE_RULES_DIR;
    // The daemon's mechanics are tested on the rules alone, so that these
    // tests do not move when the bundled model is retrained (the model has
    // tests of its own, and one daemon test below runs with it).
    if (config.model.empty()) config.model = "none";
    config.cache_dir = dir.path() + "/cache";
    Status s = Daemon::Create(config, log, &daemon);
    INFO(s.message());
    REQUIRE(s.ok());
    if (before_run) before_run(daemon.get());
    thread = std::thread([this] { daemon->Run(/*handle_signals=*/false); });
  }
  ~RunningDaemon() {
    daemon->Stop();
    thread.join();
    std::fclose(log);
  }
  uint16_t port() const { return daemon->port(); }
  std::string Log() { return Slurp(log); }
};

inline std::string Msg(const std::string& id, const std::string& text, const std::string& extra = "") {
  return R"({"id":")" + id + R"(","channel":"x","kind":"public","text":")" + text + R"(","lang":"en")" + extra + "}";
}


// An API token entry (the config's `auth:` list) for `token` with these
// scopes, acting as `agent` when it has the agent scope.
inline TokenEntry ApiToken(const std::string& name, const std::string& token, std::initializer_list<Scope> scopes,
                           const std::string& agent = "") {
  TokenEntry e;
  e.name = name;
  REQUIRE(ParseSha256Hex(TokenSha256Hex(token), &e.sha256));
  for (Scope s : scopes) e.scopes |= static_cast<Scopes>(s);
  e.agent = agent;
  return e;
}

}  // namespace triage::test

#endif  // TRIAGE_TESTS_RUNNING_DAEMON_H_
