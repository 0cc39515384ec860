// QueueStore::SweepRetention (retention.h): the sweep's steps on the writer.
#include "engine/store/retention.h"

#include <simdjson.h>

#include <chrono>
#include <future>
#include <thread>

#include "engine/store/queue_store_impl.h"
#include "engine/store/redaction.h"
#include "format/archive_format.h"

namespace triage {

namespace {

// An event's "at_ms" (team and content events alike); 0 if it has none.
int64_t EventAt(std::string_view json) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  int64_t at = 0;
  if (parser.iterate(padded).get(doc)) return 0;
  if (doc["at_ms"].get_int64().get(at)) return 0;
  return at;
}

struct Step {
  std::string after;  // the last id visited ("" from the first)
  bool at_end = false;
  RetentionSweep result;
};

}  // namespace

Status QueueStore::SweepRetention(const RetentionPolicy& policy, RetentionSweep* out, size_t max_step) {
  *out = RetentionSweep();
  if (policy.empty()) return Status::OK();
  Impl* p = impl_.get();
  // One step: up to `max` messages after `step->after`, on the writer thread.
  auto apply_step = [](Impl* p, rocksdb::WriteBatch& b, const RetentionPolicy& policy, size_t max, Step* step) {
    const int64_t now = p->opts.now_ms();
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(p->db->NewIterator(ro, p->cf(kStateCf)));
    std::unique_ptr<rocksdb::Iterator> ev(p->db->NewIterator(ro, p->cf(kEventsCf)));
    it->Seek(step->after);
    if (it->Valid() && !step->after.empty() && it->key() == step->after) it->Next();
    thread_local ArchiveParser parser;
    size_t n = 0;
    for (; it->Valid() && n < max; it->Next(), ++n) {
      const std::string id = it->key().ToString();
      step->after = id;
      ++step->result.visited;
      MessageState s;
      if (!DecodeState(it->value().ToString(), &s)) continue;
      if (s.status != MessageStatus::kDone && s.status != MessageStatus::kDeleted) continue;
      auto limit = policy.find(s.queue);
      if (limit == policy.end()) continue;
      // Open again in memory, or changed by an earlier operation of this group:
      // the database is not the whole truth for it now.
      if (p->index.Find(id) || p->group_touched.count(id) || p->group_bodies.count(id)) continue;
      std::string raw;
      // A tombstone (a delete before its message) has no line: it stays, to
      // keep answering the late message as a duplicate.
      if (!p->db->Get(ro, p->cf(kMessagesCf), id, &raw).ok()) continue;
      Message m;
      int64_t last = parser.ParseCopy(raw, &m).ok() && m.created_at_ms ? m.created_at_ms : s.received_ms;
      std::vector<std::string> event_keys;
      const std::string prefix = EventKeyPrefix(id);
      for (ev->Seek(prefix); ev->Valid() && ev->key().starts_with(prefix); ev->Next()) {
        event_keys.push_back(ev->key().ToString());
        last = std::max(last, EventAt(std::string_view(ev->value().data(), ev->value().size())));
      }
      if (last >= now - limit->second) continue;
      b.Delete(p->cf(kMessagesCf), id);
      b.Delete(p->cf(kDecisionsCf), id);
      b.Delete(p->cf(kStateCf), id);
      for (const auto& k : event_keys) b.Delete(p->cf(kEventsCf), k);
      std::string channel, author;
      if (ReadAuthor(raw, &channel, &author) && !author.empty())
        b.Delete(p->cf(kAuthorsCf), AuthorKey(channel, author, id));
      ++step->result.dropped[s.queue];
    }
    step->at_end = !it->Valid();
  };
  std::string after;
  for (int busy = 0;;) {
    auto step = std::make_shared<Step>();
    step->after = after;
    std::promise<Status> pr;
    p->writer->Submit(GroupWriter::Op{[p, &policy, max_step, step, apply_step](rocksdb::WriteBatch& b) {
                                        apply_step(p, b, policy, std::max<size_t>(max_step, 1), step.get());
                                      },
                                      [&pr](Status s) { pr.set_value(s); }});
    Status s = pr.get_future().get();
    if (s.IsBusy() && ++busy < 100) {
      // The writer is full (a burst of ingest): the sweep can wait.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (!s.ok()) return s;
    busy = 0;
    ++out->steps;
    out->visited += step->result.visited;
    for (const auto& [q, n] : step->result.dropped) out->dropped[q] += n;
    if (step->at_end) return Status::OK();
    after = step->after;
  }
}

}  // namespace triage
