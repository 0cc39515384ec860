// Edits, deletes and erasure (erasure.h): the writer-thread operations, the
// author index's back-fill, and the ledger (in the store and beside backups).
#include "engine/store/erasure.h"

#include <fcntl.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <memory>

#include "base/json_writer.h"
#include "engine/store/queue_store.h"
#include "engine/store/queue_store_impl.h"
#include "engine/store/redaction.h"
#include "format/content_event.h"

namespace triage {

namespace {

// Puts and deletes already in the group's batch under one key prefix of one
// column family: what an earlier operation of the same group wrote, which a
// database read does not see yet. key -> value (nullopt: deleted).
class BatchPrefixScan : public rocksdb::WriteBatch::Handler {
 public:
  BatchPrefixScan(uint32_t cf, std::string prefix) : cf_(cf), prefix_(std::move(prefix)) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    if (cf == cf_ && key.starts_with(prefix_)) found[key.ToString()] = value.ToString();
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    if (cf == cf_ && key.starts_with(prefix_)) found[key.ToString()] = std::nullopt;
    return rocksdb::Status::OK();
  }
  // The group's batches hold only puts and deletes; anything else is ignored.
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::OK();
  }
  std::map<std::string, std::optional<std::string>> found;

 private:
  uint32_t cf_;
  std::string prefix_;
};

std::string LedgerKey(const std::string& channel, const std::string& author_id) {
  return channel + '\x1f' + author_id;
}

}  // namespace

std::string ErasureRecord::ToJson() const {
  std::string o = "{\"channel\":";
  AppendJsonString(channel, &o);
  o += ",\"author_id\":";
  AppendJsonString(author_id, &o);
  o += ",\"erased_ms\":";
  AppendJsonInt(erased_ms, &o);
  o += ",\"messages\":";
  AppendJsonInt(static_cast<int64_t>(messages), &o);
  o += ",\"events\":";
  AppendJsonInt(static_cast<int64_t>(events), &o);
  o += "}";
  return o;
}

Status ParseErasureJson(std::string_view json, ErasureRecord* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::padded_string padded(json);
  if (parser.parse(padded).get(root) || !root.is_object()) return Status::InvalidArgument("not a JSON object");
  ErasureRecord r;
  std::string_view v;
  if (root["channel"].get_string().get(v) || v.empty()) return Status::InvalidArgument("field 'channel': required");
  r.channel = std::string(v);
  if (root["author_id"].get_string().get(v) || v.empty()) return Status::InvalidArgument("field 'author_id': required");
  r.author_id = std::string(v);
  int64_t n = 0;
  if (!root["erased_ms"].get_int64().get(n)) r.erased_ms = n;
  if (!root["messages"].get_int64().get(n) && n >= 0) r.messages = static_cast<uint64_t>(n);
  if (!root["events"].get_int64().get(n) && n >= 0) r.events = static_cast<uint64_t>(n);
  *out = std::move(r);
  return Status::OK();
}

std::string ErasureLedgerPath(const std::string& backup_dir) { return backup_dir + "/erasures.jsonl"; }

Status AppendErasureLedgerFile(const std::string& path, const ErasureRecord& r) {
  std::string line = r.ToJson() + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Status::IOError(path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      return Status::IOError(path + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError(path + ": fsync: " + std::strerror(e));
  return Status::OK();
}

Status ReadErasureLedgerFile(const std::string& path, std::vector<ErasureRecord>* out) {
  out->clear();
  std::ifstream in(path);
  if (!in) return Status::OK();  // no erasure recorded there
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    ErasureRecord r;
    if (Status s = ParseErasureJson(line, &r); !s.ok())
      return Status::InvalidArgument(path + ":" + std::to_string(n) + ": " + s.message());
    out->push_back(std::move(r));
  }
  return Status::OK();
}

Status CopyErasureLedger(const QueueStore& store, const std::string& backup_dir) {
  std::vector<ErasureRecord> in_store, in_file;
  if (Status s = store.Erasures(&in_store); !s.ok()) return s;
  if (in_store.empty()) return Status::OK();
  const std::string path = ErasureLedgerPath(backup_dir);
  if (Status s = ReadErasureLedgerFile(path, &in_file); !s.ok()) return s;
  for (const ErasureRecord& r : in_store) {
    bool known = false;
    for (const ErasureRecord& f : in_file) known = known || SameAuthor(r, f);
    if (known) continue;
    if (Status s = AppendErasureLedgerFile(path, r); !s.ok()) return s;
  }
  return Status::OK();
}

// The operations, on the writer thread with the store's mutex held.
struct QueueStore::ContentOps {
  using Impl = QueueStore::Impl;

  static uint32_t CfId(Impl* p, ColumnFamily c) { return p->cf(c)->GetID(); }

  // The latest value of `key` in column family `c` as this group sees it:
  // the batch first (earlier operations of the group), then the database.
  static bool Read(Impl* p, rocksdb::WriteBatch& b, ColumnFamily c, const std::string& key, std::string* v) {
    BatchPrefixScan scan(CfId(p, c), key);
    b.Iterate(&scan);
    if (auto it = scan.found.find(key); it != scan.found.end()) {
      if (!it->second) return false;
      *v = *it->second;
      return true;
    }
    return p->db->Get(rocksdb::ReadOptions(), p->cf(c), key, v).ok();
  }

  // The keys (with values) under `prefix` in column family `c`, as this group sees them.
  static std::map<std::string, std::string> Scan(Impl* p, rocksdb::WriteBatch& b, ColumnFamily c,
                                                 const std::string& prefix) {
    std::map<std::string, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(p->db->NewIterator(rocksdb::ReadOptions(), p->cf(c)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
      out[it->key().ToString()] = it->value().ToString();
    BatchPrefixScan scan(CfId(p, c), prefix);
    b.Iterate(&scan);
    for (auto& [k, v] : scan.found) {
      if (v) out[k] = *v;
      else out.erase(k);
    }
    return out;
  }

  // The message's state; *open: it is on a queue (in the index).
  static bool LoadState(Impl* p, rocksdb::WriteBatch& b, const std::string& id, MessageState* s, bool* open) {
    p->group_touched.insert(id);
    if (const MessageState* o = p->index.Find(id)) {
      *s = *o;
      *open = true;
      return true;
    }
    *open = false;
    std::string v;
    return Read(p, b, kStateCf, id, &v) && DecodeState(v, s);
  }

  static bool LoadRaw(Impl* p, rocksdb::WriteBatch& b, const std::string& id, std::string* raw) {
    if (auto body = p->group_bodies.find(id); body != p->group_bodies.end()) {
      *raw = body->second.first;
      return true;
    }
    return Read(p, b, kMessagesCf, id, raw);
  }

  static void StoreRaw(Impl* p, rocksdb::WriteBatch& b, const std::string& id, const std::string& raw) {
    b.Put(p->cf(kMessagesCf), id, raw);
    if (auto body = p->group_bodies.find(id); body != p->group_bodies.end()) body->second.first = raw;
  }

  static void PutContentEvent(Impl* p, rocksdb::WriteBatch& b, const std::string& id, ContentEventType t,
                              const ContentChange& c, const std::string* previous_text) {
    std::string json;
    AppendContentEventJson(t, c.agent, c.at_ms, p->opts.now_ms(), previous_text, &json);
    b.Put(p->cf(kEventsCf), EventKey(id, p->next_event_seq++), json);
  }

  // Removes the free text of every event of `id`; returns how many had any.
  static uint64_t ScrubEvents(Impl* p, rocksdb::WriteBatch& b, const std::string& id) {
    uint64_t n = 0;
    for (const auto& [key, json] : Scan(p, b, kEventsCf, EventKeyPrefix(id))) {
      std::string scrubbed;
      bool changed = false;
      if (!ScrubEventJson(json, &scrubbed, &changed).ok() || !changed) continue;
      b.Put(p->cf(kEventsCf), key, scrubbed);
      ++n;
    }
    return n;
  }

  // Takes an open message off its queue (or its agent).
  static void Unqueue(Impl* p, const std::string& id, const MessageState& s) {
    if (s.status == MessageStatus::kQueued) p->index.RemoveReady(s);
    else if (s.status == MessageStatus::kAssigned) p->assignment.Release(id, s);
    else p->index.RemoveLease(id, s);
    p->index.Deactivate(id);
  }

  static bool Erased(Impl* p, rocksdb::WriteBatch& b, const std::string& channel, const std::string& author_id) {
    std::string v;
    return !channel.empty() && !author_id.empty() && Read(p, b, kErasuresCf, LedgerKey(channel, author_id), &v);
  }

  static ContentOutcome Edit(Impl* p, rocksdb::WriteBatch& b, const ContentChange& c) {
    MessageState s;
    bool open = false;
    if (!LoadState(p, b, c.id, &s, &open)) return ContentOutcome::kUnknown;
    if (s.status == MessageStatus::kDeleted) return ContentOutcome::kDeleted;
    std::string raw, channel, author, old_text;
    if (!LoadRaw(p, b, c.id, &raw)) return ContentOutcome::kUnknown;
    ReadAuthor(raw, &channel, &author, &old_text);
    // An erased author's message has no author left: the platform's word
    // for who edited it is what ties it to the ledger.
    if (Erased(p, b, channel, author.empty() ? c.agent : author)) return ContentOutcome::kErased;
    std::string edited;
    if (!ReplaceMessageText(raw, c.text, &edited).ok()) return ContentOutcome::kUnknown;
    StoreRaw(p, b, c.id, edited);
    PutContentEvent(p, b, c.id, ContentEventType::kEdited, c, p->opts.keep_edit_history ? &old_text : nullptr);
    return ContentOutcome::kApplied;
  }

  static ContentOutcome Delete(Impl* p, rocksdb::WriteBatch& b, const ContentChange& c) {
    const int64_t now = p->opts.now_ms();
    MessageState s;
    bool open = false;
    if (!LoadState(p, b, c.id, &s, &open)) {
      // A tombstone: the message, should it come later, is a duplicate.
      s = MessageState();
      s.seq = p->next_seq++;
      s.status = MessageStatus::kDeleted;
      s.received_ms = now;
      p->PutState(b, c.id, s);
      PutContentEvent(p, b, c.id, ContentEventType::kDeleted, c, nullptr);
      return ContentOutcome::kTombstoned;
    }
    if (s.status == MessageStatus::kDeleted) return ContentOutcome::kDeleted;
    const bool was_assigned = open && s.status == MessageStatus::kAssigned;
    if (open) Unqueue(p, c.id, s);
    s.status = MessageStatus::kDeleted;
    s.lease_until = 0;
    p->PutState(b, c.id, s);
    if (was_assigned) p->assignment.AssignBacklog(s.queue, now, p->Sink(b));
    std::string raw;
    if (LoadRaw(p, b, c.id, &raw)) {
      std::string channel, author, redacted;
      ReadAuthor(raw, &channel, &author);
      if (RedactMessageLine(raw, author, &redacted).ok()) StoreRaw(p, b, c.id, redacted);
      AggregateErasure(p->agg_cache, c.id, s.conversation_id, author);
      if (!author.empty()) b.Delete(p->cf(kAuthorsCf), AuthorKey(channel, author, c.id));
    }
    ScrubEvents(p, b, c.id);
    PutContentEvent(p, b, c.id, ContentEventType::kDeleted, c, nullptr);
    return ContentOutcome::kApplied;
  }

  static void Erase(Impl* p, rocksdb::WriteBatch& b, ErasureRecord* r) {
    r->erased_ms = p->opts.now_ms();
    const std::string prefix = AuthorKeyPrefix(r->channel, r->author_id);
    for (const auto& [key, unused] : Scan(p, b, kAuthorsCf, prefix)) {
      const std::string id = key.substr(prefix.size());
      b.Delete(p->cf(kAuthorsCf), key);
      std::string raw, redacted;
      if (LoadRaw(p, b, id, &raw) && RedactMessageLine(raw, r->author_id, &redacted).ok()) {
        StoreRaw(p, b, id, redacted);
        ++r->messages;
      }
      MessageState state;
      bool open = false;
      if (LoadState(p, b, id, &state, &open)) AggregateErasure(p->agg_cache, id, state.conversation_id, r->author_id);
      r->events += ScrubEvents(p, b, id);
    }
    b.Put(p->cf(kErasuresCf), LedgerKey(r->channel, r->author_id), r->ToJson());
  }

  // Builds the author index of a database written before it existed: one
  // pass over the messages, in batches.
  static Status BackfillAuthors(Impl* p) {
    std::unique_ptr<rocksdb::Iterator> it(p->db->NewIterator(rocksdb::ReadOptions(), p->cf(kMessagesCf)));
    rocksdb::WriteBatch b;
    std::string channel, author;
    auto flush = [&]() -> Status {
      if (b.Count() == 0) return Status::OK();
      rocksdb::WriteOptions wo;
      wo.sync = p->opts.sync_writes;
      Status s = FromRocks(p->db->Write(wo, &b), "author index");
      b.Clear();
      return s;
    };
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!ReadAuthor(it->value().ToStringView(), &channel, &author) || author.empty()) continue;
      b.Put(p->cf(kAuthorsCf), AuthorKey(channel, author, it->key().ToStringView()), "");
      if (b.Count() >= 10000)
        if (Status s = flush(); !s.ok()) return s;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "author index: scan of messages");
    return flush();
  }
};

void QueueStore::ApplyContentChanges(std::vector<ContentChange> changes, ContentDone done) {
  auto outcomes = std::make_shared<std::vector<ContentOutcome>>();
  auto shared = std::make_shared<std::vector<ContentChange>>(std::move(changes));
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{
      [p, outcomes, shared](rocksdb::WriteBatch& b) {
        for (const ContentChange& c : *shared)
          outcomes->push_back(c.type == ContentChange::Type::kEdit ? ContentOps::Edit(p, b, c)
                                                                   : ContentOps::Delete(p, b, c));
      },
      [outcomes, done = std::move(done)](Status st) {
        done(st, st.ok() ? std::move(*outcomes) : std::vector<ContentOutcome>{});
      }});
}

Status QueueStore::ApplyContentChangesSync(std::vector<ContentChange> changes, std::vector<ContentOutcome>* out) {
  std::promise<Status> pr;
  ApplyContentChanges(std::move(changes), [&](Status s, std::vector<ContentOutcome> o) {
    if (out) *out = std::move(o);
    pr.set_value(s);
  });
  return pr.get_future().get();
}

void QueueStore::EraseAuthor(std::string channel, std::string author_id, EraseDone done) {
  auto record = std::make_shared<ErasureRecord>();
  record->channel = std::move(channel);
  record->author_id = std::move(author_id);
  Impl* p = impl_.get();
  p->writer->Submit(GroupWriter::Op{[p, record](rocksdb::WriteBatch& b) { ContentOps::Erase(p, b, record.get()); },
                                    [record, done = std::move(done)](Status st) { done(st, *record); }});
}

Status QueueStore::EraseAuthorSync(const std::string& channel, const std::string& author_id, ErasureRecord* out) {
  std::promise<Status> pr;
  EraseAuthor(channel, author_id, [&](Status s, ErasureRecord r) {
    if (out) *out = std::move(r);
    pr.set_value(s);
  });
  return pr.get_future().get();
}

Status QueueStore::Erasures(std::vector<ErasureRecord>* out) const {
  out->clear();
  auto dl = impl_->ReadLock();  // a recovery may replace the handle
  if (!impl_->db) return Impl::Unavailable();
  rocksdb::ColumnFamilyHandle* cf = impl_->cf(kErasuresCf);
  if (!cf) return Status::OK();  // a read-only database from before the ledger
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ErasureRecord r;
    if (Status s = ParseErasureJson(it->value().ToStringView(), &r); !s.ok())
      return Status::Corruption("erasure ledger entry '" + it->key().ToString() + "': " + s.message());
    out->push_back(std::move(r));
  }
  return FromRocks(it->status(), "scan of the erasure ledger");
}

Status QueueStore::BackfillAuthorIndex() { return ContentOps::BackfillAuthors(impl_.get()); }

}  // namespace triage
