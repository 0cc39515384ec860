#include "engine/store/assignment.h"

#include <algorithm>
#include <cstdint>

namespace triage {

Assignment::Assignment(std::map<std::string, QueueAssignment> config, int64_t agent_ttl_ms, QueueIndex* index)
    : config_(std::move(config)), agent_ttl_ms_(agent_ttl_ms), index_(index) {}

const QueueAssignment* Assignment::PushConfig(const std::string& queue) const {
  auto it = config_.find(queue);
  return it == config_.end() || it->second.mode == AssignmentMode::kPull ? nullptr : &it->second;
}

bool Assignment::Serves(const std::string& agent, const std::string& queue, int64_t now) const {
  auto a = agents_.find(agent);
  return a != agents_.end() && a->second.online_until > now && a->second.queues.count(queue);
}

size_t Assignment::OpenConversations(const std::string& agent) const {
  auto it = open_convs_.find(agent);
  return it == open_convs_.end() ? 0 : it->second.size();
}

std::vector<std::string> Assignment::AssignedTo(const std::string& agent) const {
  std::vector<std::string> ids;
  auto it = assigned_by_agent_.find(agent);
  if (it != assigned_by_agent_.end())
    for (const auto& [seq, id] : it->second) ids.push_back(id);
  return ids;
}

// The agent a push queue's message goes to, or "" if none can take it.
// `pass`, when given, counts what each agent got in this backlog pass: an
// agent that got `pass_limit` already is skipped, and among the rest the
// least loaded goes first, so a backlog is spread over the agents online
// as arrivals are, not handed whole to the first agent to heartbeat.
std::string Assignment::PickAgent(const std::string& queue, const std::string& conversation, int64_t now,
                                  const Pass* pass, size_t pass_limit) {
  const QueueAssignment* cfg = PushConfig(queue);
  if (!cfg) return "";
  auto owner = conv_owner_.find(conversation);
  if (owner != conv_owner_.end() && Serves(owner->second, queue, now)) return owner->second;  // affinity
  std::vector<const std::string*> candidates;
  for (const auto& [name, agent] : agents_) {
    if (!(agent.online_until > now && agent.queues.count(queue) &&
          (cfg->max_open == 0 || OpenConversations(name) < cfg->max_open)))
      continue;
    if (pass) {
      auto it = pass->find(name);
      if (it != pass->end() && it->second >= pass_limit) continue;
    }
    candidates.push_back(&name);
  }
  if (candidates.empty()) return "";
  if (pass) {
    size_t least = SIZE_MAX;
    for (const std::string* c : candidates) least = std::min(least, OpenConversations(*c));
    std::vector<const std::string*> level;
    for (const std::string* c : candidates)
      if (OpenConversations(*c) == least) level.push_back(c);
    candidates.swap(level);
  }
  if (cfg->mode == AssignmentMode::kRoundRobin) {
    size_t& cursor = rr_cursor_[queue];
    const std::string& pick = *candidates[cursor % candidates.size()];
    cursor = cursor % candidates.size() + 1;
    return pick;
  }
  const std::string* best = candidates.front();
  for (const std::string* c : candidates)
    if (OpenConversations(*c) < OpenConversations(*best)) best = c;
  return *best;
}

void Assignment::Record(const std::string& id, const MessageState& s) {
  const std::string& conversation = ConversationKey(id, s);
  ++open_convs_[s.agent][conversation];
  conv_owner_[conversation] = s.agent;
  assigned_by_agent_[s.agent].emplace(s.seq, id);
  ++assigned_count_[s.queue];
}

void Assignment::Release(const std::string& id, const MessageState& s) {
  auto a = open_convs_.find(s.agent);
  if (a != open_convs_.end()) {
    auto c = a->second.find(ConversationKey(id, s));
    if (c != a->second.end() && --c->second <= 0) a->second.erase(c);
  }
  auto by = assigned_by_agent_.find(s.agent);
  if (by != assigned_by_agent_.end()) by->second.erase({s.seq, id});
  auto n = assigned_count_.find(s.queue);
  if (n != assigned_count_.end() && n->second > 0) --n->second;
}

void Assignment::Restore(const std::string& id, const MessageState& s, int64_t now) {
  Record(id, s);
  Agent& a = agents_[s.agent];
  a.online_until = now + agent_ttl_ms_;
  a.queues.insert(s.queue);
}

bool Assignment::TryAssign(const std::string& id, MessageState& s, int64_t now, const StateSink& put) {
  return TryAssign(id, s, now, put, nullptr, 0);
}

bool Assignment::TryAssign(const std::string& id, MessageState& s, int64_t now, const StateSink& put, Pass* pass,
                           size_t pass_limit) {
  if (s.status != MessageStatus::kQueued) return false;
  std::string agent = PickAgent(s.queue, ConversationKey(id, s), now, pass, pass_limit);
  if (agent.empty()) return false;
  index_->RemoveReady(s);
  s.status = MessageStatus::kAssigned;
  s.agent = agent;
  s.lease_until = 0;
  Record(id, s);
  put(id, s);
  if (pass) ++(*pass)[agent];
  return true;
}

void Assignment::AssignBacklog(const std::string& queue, int64_t now, const StateSink& put) {
  AssignBacklog(queue, now, "", put);
}

size_t Assignment::AssignBacklog(const std::string& queue, int64_t now, const std::string& count_for,
                                 const StateSink& put) {
  const QueueAssignment* cfg = PushConfig(queue);
  if (!cfg) return 0;
  const size_t limit = cfg->max_open ? cfg->max_open : kBacklogPerPass;
  Pass pass;
  size_t n = 0;
  index_->WalkReady(queue, [&](const std::string& id) {
    MessageState& s = index_->At(id);
    // A message nobody can take means every agent is full, offline or has
    // had its share of this pass.
    if (!TryAssign(id, s, now, put, &pass, limit)) return false;
    if (s.agent == count_for) ++n;
    return true;
  });
  return n;
}

QueueStore::AgentStatus Assignment::Heartbeat(const std::string& agent, const std::vector<std::string>& queues,
                                              int64_t now, const StateSink& put) {
  QueueStore::AgentStatus status;
  Agent& a = agents_[agent];
  a.online_until = now + agent_ttl_ms_;
  a.queues = std::set<std::string>(queues.begin(), queues.end());
  for (const auto& q : a.queues) status.newly_assigned += AssignBacklog(q, now, agent, put);
  status.online_until = a.online_until;
  status.open_conversations = OpenConversations(agent);
  return status;
}

void Assignment::ExpireAgents(int64_t now, const StateSink& put) {
  std::vector<std::string> gone;
  for (const auto& [name, agent] : agents_)
    if (agent.online_until <= now) gone.push_back(name);
  for (const std::string& name : gone) {
    agents_.erase(name);
    auto by = assigned_by_agent_.find(name);
    if (by == assigned_by_agent_.end()) continue;
    std::vector<std::string> ids;
    for (const auto& [seq, id] : by->second) ids.push_back(id);
    std::set<std::string> queues;
    for (const std::string& id : ids) {
      MessageState& s = index_->At(id);
      Release(id, s);
      s.status = MessageStatus::kQueued;
      s.agent.clear();
      index_->AddReady(id, s);
      put(id, s);
      queues.insert(s.queue);
    }
    assigned_by_agent_.erase(name);
    open_convs_.erase(name);
    for (const auto& q : queues) AssignBacklog(q, now, "", put);
  }
}

}  // namespace triage
