#include "engine/store/queue_index.h"

namespace triage {

QueueIndex::ReadyKey QueueIndex::Key(const MessageState& s) {
  return {kNumPriorities - 1 - static_cast<int>(s.priority), s.seq};
}

MessageState& QueueIndex::Activate(const std::string& id, MessageState s) {
  open_by_conv_[ConversationKey(id, s)].emplace(s.seq, id);
  return active_.insert_or_assign(id, std::move(s)).first->second;
}

void QueueIndex::Deactivate(const std::string& id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  auto c = open_by_conv_.find(ConversationKey(it->first, it->second));
  if (c != open_by_conv_.end()) {
    c->second.erase({it->second.seq, it->first});
    if (c->second.empty()) open_by_conv_.erase(c);
  }
  active_.erase(it);
}

const MessageState* QueueIndex::Find(const std::string& id) const {
  auto it = active_.find(id);
  return it == active_.end() ? nullptr : &it->second;
}

void QueueIndex::AddReady(const std::string& id, const MessageState& s) {
  ready_[s.queue][Key(s)] = id;
  ready_arrivals_[s.queue][s.seq] = s.received_ms;
}

void QueueIndex::RemoveReady(const MessageState& s) {
  auto q = ready_.find(s.queue);
  if (q != ready_.end()) q->second.erase(Key(s));
  auto a = ready_arrivals_.find(s.queue);
  if (a != ready_arrivals_.end()) a->second.erase(s.seq);
}

std::vector<std::string> QueueIndex::ReadyIds(const std::string& queue, size_t limit) const {
  std::vector<std::string> ids;
  auto q = ready_.find(queue);
  if (q == ready_.end()) return ids;
  for (const auto& [key, id] : q->second) {
    if (ids.size() >= limit) break;
    ids.push_back(id);
  }
  return ids;
}

void QueueIndex::WalkReady(const std::string& queue, const std::function<bool(const std::string& id)>& fn) {
  auto q = ready_.find(queue);
  if (q == ready_.end()) return;
  for (auto it = q->second.begin(); it != q->second.end();) {
    std::string id = it->second;
    ++it;  // before fn, which may erase the entry we were on
    if (!fn(id)) return;
  }
}

void QueueIndex::AddLease(const std::string& id, const MessageState& s) {
  leases_.emplace(s.lease_until, id);
  ++claimed_count_[s.queue];
}

void QueueIndex::RemoveLease(const std::string& id, const MessageState& s) {
  leases_.erase({s.lease_until, id});
  auto c = claimed_count_.find(s.queue);
  if (c != claimed_count_.end() && c->second > 0) --c->second;
}

std::optional<std::string> QueueIndex::NextExpiredLease(int64_t now) {
  while (!leases_.empty() && leases_.begin()->first <= now) {
    const std::string& id = leases_.begin()->second;
    if (active_.count(id)) return id;
    leases_.erase(leases_.begin());  // a lease left behind by a message no longer open
  }
  return std::nullopt;
}

std::map<std::string, QueueIndex::QueueCounts> QueueIndex::Counts() const {
  std::map<std::string, QueueCounts> out;
  for (const auto& [q, items] : ready_) out[q].ready = items.size();
  for (const auto& [q, arrivals] : ready_arrivals_)
    if (!arrivals.empty()) out[q].oldest_ready_ms = arrivals.begin()->second;
  for (const auto& [q, n] : claimed_count_) out[q].claimed = n;
  return out;
}

const std::string* QueueIndex::NewestOpen(const std::string& conversation) const {
  auto c = open_by_conv_.find(conversation);
  if (c == open_by_conv_.end() || c->second.empty()) return nullptr;
  return &c->second.rbegin()->second;
}

}  // namespace triage
