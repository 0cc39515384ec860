// Assignment: the push side of QueueStore. For a push queue (QueueAssignment
// in QueueStoreOptions) it decides which online agent gets each ready
// message, and remembers who has what:
//
//   agents             name -> online until (last heartbeat + TTL), queues served
//   open conversations agent -> conversation -> open messages in it
//   assigned           agent -> its messages in arrival order; queue -> count
//   affinity           conversation -> the agent who last got it
//   round robin        queue -> whose turn is next
//
// Agents live only in memory: they announce themselves with heartbeats, again
// after a restart. Recovery re-records the assigned messages (Restore) and
// gives their agents a grace period of one TTL to come back.
//
// The choice of an agent, for a message of conversation c in queue q:
//   1. the agent that has c already, if it is online for q (affinity: even
//      beyond max_open, a conversation stays with one person);
//   2. otherwise among the agents online for q with fewer than max_open open
//      conversations (0: no limit), in name order: round robin takes the one
//      at the queue's cursor, capacity the one with fewest open conversations
//      (the first in name order on a tie).
// A backlog (AssignBacklog: after a heartbeat, a closed conversation, an agent
// gone) is handed out in passes: in one pass an agent gets at most max_open
// messages, or kBacklogPerPass without a limit, and only the least loaded
// agents are candidates. So a backlog is spread over the agents as they come
// online instead of going whole to the first one. Tests pin down who gets
// what: the order and tie-breaking above are behaviour, not detail.
//
// Boundary with the store: Assignment moves a message between the
// QueueIndex's ready list and its own records and updates the message's state
// in the index (status, agent). It writes nothing: each state it changes is
// handed to the StateSink, which the store turns into a Put in the batch of
// the group commit being built, so the change is durable together with the
// operation that caused it. The store glue does the rest of a message's life
// (ingest, claim, events, leases) and calls Release when an assigned message
// leaves its agent.
//
// Thread safety: none of its own; guarded by QueueStore's mutex, like the
// index it points to. Changed on the writer thread only; read under the mutex
// by the store's reads (Agents, AssignedTo, Queues).
#ifndef TRIAGE_ENGINE_STORE_ASSIGNMENT_H_
#define TRIAGE_ENGINE_STORE_ASSIGNMENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/store/queue_index.h"
#include "engine/store/queue_store.h"

namespace triage {

class Assignment {
 public:
  // Receives every state Assignment changes, to be written.
  using StateSink = std::function<void(const std::string& id, const MessageState& s)>;

  struct Agent {
    int64_t online_until = 0;
    std::set<std::string> queues;
  };

  // `config`: the push queues (a queue not in it, or kPull, is a pull queue
  // and never assigned). `index` must outlive this.
  Assignment(std::map<std::string, QueueAssignment> config, int64_t agent_ttl_ms, QueueIndex* index);

  // Marks `agent` online for `queues` until now + TTL and hands it waiting
  // messages of those queues (one backlog pass each).
  QueueStore::AgentStatus Heartbeat(const std::string& agent, const std::vector<std::string>& queues, int64_t now,
                                    const StateSink& put);
  // A ready (kQueued) message of a push queue goes to an agent if one can
  // take it: off the ready list, `s` (its state in the index) becomes
  // kAssigned to that agent. False, with nothing changed, otherwise.
  bool TryAssign(const std::string& id, MessageState& s, int64_t now, const StateSink& put);
  // One backlog pass over the ready messages of `queue`, in claim order,
  // until a message finds no agent.
  void AssignBacklog(const std::string& queue, int64_t now, const StateSink& put);
  // Agents whose heartbeat ran out are forgotten; their open messages go back
  // to the ready list and, through a backlog pass, to the agents still online.
  void ExpireAgents(int64_t now, const StateSink& put);
  // An assigned message leaves its agent (closed, rerouted): forget it. `s`
  // is its state as assigned. The caller moves it on in the index.
  void Release(const std::string& id, const MessageState& s);
  // Recovery: `s` was found assigned in the database. Its agent is online
  // for its queue until now + TTL (a grace period to heartbeat again).
  void Restore(const std::string& id, const MessageState& s, int64_t now);

  // Reads.
  const std::map<std::string, Agent>& agents() const { return agents_; }
  size_t OpenConversations(const std::string& agent) const;
  // Ids of the messages assigned to `agent`, oldest first.
  std::vector<std::string> AssignedTo(const std::string& agent) const;
  // queue -> assigned messages not closed (queues stay listed at zero).
  const std::map<std::string, uint64_t>& assigned_counts() const { return assigned_count_; }

 private:
  // Without a cap on open conversations, one backlog pass gives an agent at
  // most this many; the rest waits for the next heartbeat (of any agent), so
  // an agent that comes online second still gets its share.
  static constexpr size_t kBacklogPerPass = 5;
  using Pass = std::map<std::string, size_t>;  // agent -> messages it got in this pass

  const QueueAssignment* PushConfig(const std::string& queue) const;
  bool Serves(const std::string& agent, const std::string& queue, int64_t now) const;
  std::string PickAgent(const std::string& queue, const std::string& conversation, int64_t now, const Pass* pass,
                        size_t pass_limit);
  bool TryAssign(const std::string& id, MessageState& s, int64_t now, const StateSink& put, Pass* pass,
                 size_t pass_limit);
  // Returns how many of the pass went to `count_for`.
  size_t AssignBacklog(const std::string& queue, int64_t now, const std::string& count_for, const StateSink& put);
  void Record(const std::string& id, const MessageState& s);

  const std::map<std::string, QueueAssignment> config_;
  const int64_t agent_ttl_ms_;
  QueueIndex* const index_;

  std::map<std::string, Agent> agents_;
  std::map<std::string, std::map<std::string, int>> open_convs_;  // agent -> conversation -> open messages
  std::unordered_map<std::string, std::string> conv_owner_;       // conversation -> agent who has it
  std::map<std::string, std::set<std::pair<uint64_t, std::string>>> assigned_by_agent_;  // agent -> (seq, id)
  std::map<std::string, uint64_t> assigned_count_;                                     // queue -> n
  std::map<std::string, size_t> rr_cursor_;                                            // queue -> next turn
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_STORE_ASSIGNMENT_H_
