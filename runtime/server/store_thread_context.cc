#include "runtime/server/store_thread_context.h"

#include "format/archive_format.h"

namespace triage {

ThreadContext StoreThreadContext::Lookup(const Message& msg) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ThreadContext c = recent_.Find(msg);
    if (c.known || msg.in_reply_to.empty()) return c;
  }
  StoredMessage stored;
  if (!store_->Get(std::string(msg.in_reply_to), &stored).ok()) return {};
  size_t at = stored.decision.find("\"label\":\"");
  if (at == std::string::npos) return {};
  at += 9;
  auto label = ParseLabel(std::string_view(stored.decision).substr(at, stored.decision.find('"', at) - at));
  if (!label) return {};
  thread_local ArchiveParser parser;
  Message earlier;
  std::string_view author;
  if (parser.ParseCopy(stored.raw, &earlier).ok()) author = earlier.author.id;
  std::lock_guard<std::mutex> l(mu_);
  recent_.Record(msg.in_reply_to, earlier.conversation_id, author, *label);
  return recent_.Find(msg);
}

void StoreThreadContext::Record(const Message& msg, Label decided) {
  std::lock_guard<std::mutex> l(mu_);
  recent_.Record(msg, decided);
}

}  // namespace triage
