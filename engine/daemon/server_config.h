// ServerConfig: every option of `triage serve`, its default, and how it is
// read from a YAML file. Command-line flags override the file.
//
// The annotated example with every default is serve.example.yaml at the top
// of the repository.
#ifndef TRIAGE_ENGINE_DAEMON_SERVER_CONFIG_H_
#define TRIAGE_ENGINE_DAEMON_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/status.h"

namespace triage {

struct QueueConfig {
  std::string name;
  int64_t sla_seconds = 0;  // first-response target; 0: none
  // pull (agents claim), round_robin or capacity (pushed to online agents)
  std::string assignment = "pull";
  int64_t max_open_per_agent = 0;  // push queues: open conversations per agent; 0: no limit
};

struct ServerConfig {
  // listen
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  // storage
  std::string data_dir = "triage-data";
  bool sync_writes = true;          // fsync the WAL per group commit
  size_t max_pending_writes = 10000;
  // rules
  std::string rules;                // empty: the bundled pack
  std::string cache_dir;            // empty: the default pattern cache
  // HTTP limits
  int io_threads = 2;
  size_t max_body_bytes = 8 << 20;
  size_t max_batch_messages = 10000;
  int header_timeout_seconds = 10;
  int idle_timeout_seconds = 60;
  size_t max_connections = 1024;
  int drain_timeout_seconds = 10;
  // claims
  int64_t default_lease_seconds = 300;
  int64_t max_lease_seconds = 86400;
  size_t max_claim = 100;
  // push assignment: an agent is online this long after its last heartbeat
  int64_t agent_ttl_seconds = 30;
  // queues with their SLA targets; queues that routes name but that are not
  // listed here exist too, without a target.
  std::vector<QueueConfig> queues = {{"support", 3600}, {"sales", 4 * 3600}, {"comms", 900},
                                     {"product", 3 * 86400}, {"unrouted", 0}};

  // Reads `path` over the defaults. Errors name the file, line and key.
  static Status LoadFile(const std::string& path, ServerConfig* config);
  // "host:port" or ":port".
  Status SetListen(const std::string& listen);
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DAEMON_SERVER_CONFIG_H_
