#include "engine/thread_tracker.h"

namespace triage {

uint64_t ThreadTracker::AuthorHash(std::string_view a) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a; 0 stays "unknown author"
  for (unsigned char c : a) h = (h ^ c) * 1099511628211ull;
  return a.empty() ? 0 : h | 1;
}

ThreadContext ThreadTracker::Find(const Message& m) const {
  ThreadContext c;
  const Entry* e = nullptr;
  if (!m.in_reply_to.empty()) {
    auto it = by_id_.find(std::string(m.in_reply_to));
    if (it != by_id_.end()) e = &it->second;
  } else if (!m.conversation_id.empty()) {
    auto it = by_conversation_.find(std::string(m.conversation_id));
    if (it != by_conversation_.end()) e = &it->second.entry;
  }
  if (!e) return c;
  c.known = true;
  c.previous = e->label;
  uint64_t me = AuthorHash(m.author.id);
  c.same_author = me != 0 && me == e->author;
  return c;
}

void ThreadTracker::Record(const Message& m, Label decided) {
  Record(m.id, m.conversation_id, m.author.id, decided);
}

void ThreadTracker::Record(std::string_view id, std::string_view conversation, std::string_view author, Label decided) {
  Entry e{decided, AuthorHash(author)};
  auto [it, fresh] = by_id_.insert_or_assign(std::string(id), e);
  if (!conversation.empty()) by_conversation_[std::string(conversation)] = Latest{e, std::string(id)};
  if (fresh) order_.emplace_back(std::string(id), std::string(conversation));
  Evict();
}

void ThreadTracker::Evict() {
  while (order_.size() > capacity_) {
    const auto& [id, conversation] = order_.front();
    by_id_.erase(id);
    // The conversation is forgotten with its latest message, not before.
    auto c = by_conversation_.find(conversation);
    if (c != by_conversation_.end() && c->second.id == id) by_conversation_.erase(c);
    order_.pop_front();
  }
}

}  // namespace triage
