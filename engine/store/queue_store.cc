#include "engine/store/queue_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/json_writer.h"

namespace triage {

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void PutBE64(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
}

// Whether a process holds RocksDB's lock on `lock_file` (an fcntl write lock,
// taken by DB::Open). Asks with an open-file-description lock query: it sees
// classic POSIX locks of every process, this one included, and neither takes
// nor changes a lock. Closing the descriptor drops this process's own POSIX
// locks on the file, so when this process is the holder the descriptor is
// left open (a store opened twice by one process: never in the commands).
bool LockHeld(const std::string& lock_file) {
  int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no LOCK: no writer has ever opened it
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  bool held = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  if (!(held && fl.l_pid == ::getpid())) ::close(fd);
  return held;
}

uint64_t GetBE64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// Events of one message sort together and in order: len(id) | id | seq.
std::string EventKeyPrefix(const std::string& id) {
  std::string k;
  uint32_t n = static_cast<uint32_t>(id.size());
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((n >> (i * 8)) & 0xFF));
  k += id;
  return k;
}

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(what + ": not found");
  return Status::IOError(what + ": " + s.ToString());
}

}  // namespace

std::string_view MessageStatusName(MessageStatus s) {
  switch (s) {
    case MessageStatus::kQueued: return "queued";
    case MessageStatus::kClaimed: return "claimed";
    case MessageStatus::kDone: return "done";
    case MessageStatus::kAssigned: return "assigned";
  }
  return "queued";
}

// Fields separated by \x1f (unit separator), which ids, queues and agents
// never contain (the HTTP layer rejects control characters in them).
std::string EncodeState(const MessageState& s) {
  std::string out;
  auto field = [&](std::string_view v) {
    out.append(v);
    out.push_back('\x1f');
  };
  field("1");  // format version
  field(s.queue);
  field(std::to_string(static_cast<int>(s.priority)));
  field(std::to_string(s.seq));
  field(std::to_string(static_cast<int>(s.status)));
  field(s.agent);
  field(std::to_string(s.lease_until));
  field(std::to_string(s.received_ms));
  field(s.conversation_id);
  return out;
}

bool DecodeState(std::string_view in, MessageState* s) {
  std::vector<std::string_view> f;
  size_t start = 0;
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] == '\x1f') {
      f.push_back(in.substr(start, i - start));
      start = i + 1;
    }
  if (f.size() != 9 || f[0] != "1") return false;
  try {
    s->queue = std::string(f[1]);
    int p = std::stoi(std::string(f[2]));
    int st = std::stoi(std::string(f[4]));
    if (p < 0 || p >= kNumPriorities || st < 0 || st > 3) return false;
    s->priority = static_cast<Priority>(p);
    s->seq = std::stoull(std::string(f[3]));
    s->status = static_cast<MessageStatus>(st);
    s->agent = std::string(f[5]);
    s->lease_until = std::stoll(std::string(f[6]));
    s->received_ms = std::stoll(std::string(f[7]));
    s->conversation_id = std::string(f[8]);
  } catch (...) {
    return false;
  }
  return true;
}

struct QueueStore::Impl {
  QueueStoreOptions opts;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* cf_default = nullptr;
  rocksdb::ColumnFamilyHandle* cf_messages = nullptr;
  rocksdb::ColumnFamilyHandle* cf_decisions = nullptr;
  rocksdb::ColumnFamilyHandle* cf_state = nullptr;
  rocksdb::ColumnFamilyHandle* cf_events = nullptr;
  rocksdb::ColumnFamilyHandle* cf_alerts = nullptr;

  // The in-memory index (guarded by mu).
  mutable std::mutex mu;
  using ReadyKey = std::pair<int, uint64_t>;  // (urgency rank: 0 = urgent, seq)
  std::map<std::string, std::map<ReadyKey, std::string>> ready;
  std::map<std::string, std::map<uint64_t, int64_t>> ready_arrivals;  // queue -> seq -> received_ms
  std::set<std::pair<int64_t, std::string>> leases;                   // (lease_until, id)
  std::map<std::string, uint64_t> claimed_count;
  std::unordered_map<std::string, MessageState> active;  // queued, claimed or assigned
  // Open (active) messages by conversation, oldest first: where a brand reply
  // that names no message (Messenger/Instagram page echoes) belongs.
  std::unordered_map<std::string, std::set<std::pair<uint64_t, std::string>>> open_by_conv;

  MessageState& Activate(const std::string& id, MessageState s) {
    open_by_conv[Conversation(id, s)].emplace(s.seq, id);
    return active.insert_or_assign(id, std::move(s)).first->second;
  }
  void Deactivate(std::unordered_map<std::string, MessageState>::iterator it) {
    auto c = open_by_conv.find(Conversation(it->first, it->second));
    if (c != open_by_conv.end()) {
      c->second.erase({it->second.seq, it->first});
      if (c->second.empty()) open_by_conv.erase(c);
    }
    active.erase(it);
  }
  uint64_t next_seq = 1;
  uint64_t next_event_seq = 1;

  // Push assignment (guarded by mu). Agents live in memory: they announce
  // themselves with heartbeats, again after a restart.
  struct Agent {
    int64_t online_until = 0;
    std::set<std::string> queues;
  };
  std::map<std::string, Agent> agents;
  std::map<std::string, std::map<std::string, int>> open_convs;  // agent -> conversation -> open messages
  std::unordered_map<std::string, std::string> conv_owner;       // conversation -> agent who has it
  std::map<std::string, std::set<std::pair<uint64_t, std::string>>> assigned_by_agent;  // agent -> (seq, id)
  std::map<std::string, uint64_t> assigned_count;                 // queue -> n
  std::map<std::string, size_t> rr_cursor;                        // queue -> next turn

  // The writer.
  struct Op {
    std::function<void(rocksdb::WriteBatch&)> apply;  // runs on the writer, under mu
    std::function<void(Status)> complete;
  };
  mutable std::mutex qmu;
  std::condition_variable qcv;
  std::deque<Op> pending;
  bool stopping = false;
  std::atomic<bool> failed{false};
  bool read_only = false;  // OpenReadOnly: no writer thread, every mutation fails
  std::thread writer;
  // Bodies of messages ingested in the group being applied (not yet readable
  // from RocksDB), for claims in the same group.
  std::unordered_map<std::string, std::pair<std::string, std::string>> group_bodies;

  static int Rank(Priority p) { return kNumPriorities - 1 - static_cast<int>(p); }

  void IndexReady(const std::string& id, const MessageState& s) {
    ready[s.queue][{Rank(s.priority), s.seq}] = id;
    ready_arrivals[s.queue][s.seq] = s.received_ms;
  }
  void UnindexReady(const MessageState& s) {
    auto q = ready.find(s.queue);
    if (q != ready.end()) q->second.erase({Rank(s.priority), s.seq});
    auto a = ready_arrivals.find(s.queue);
    if (a != ready_arrivals.end()) a->second.erase(s.seq);
  }
  void IndexLease(const std::string& id, const MessageState& s) {
    leases.emplace(s.lease_until, id);
    ++claimed_count[s.queue];
  }
  void UnindexLease(const std::string& id, const MessageState& s) {
    leases.erase({s.lease_until, id});
    auto c = claimed_count.find(s.queue);
    if (c != claimed_count.end() && c->second > 0) --c->second;
  }
  void PutState(rocksdb::WriteBatch& b, const std::string& id, const MessageState& s) {
    b.Put(cf_state, id, EncodeState(s));
  }

  static const std::string& Conversation(const std::string& id, const MessageState& s) {
    return s.conversation_id.empty() ? id : s.conversation_id;
  }
  const QueueAssignment* PushConfig(const std::string& queue) const {
    auto it = opts.assignment.find(queue);
    return it == opts.assignment.end() || it->second.mode == AssignmentMode::kPull ? nullptr : &it->second;
  }
  bool Serves(const std::string& agent, const std::string& queue, int64_t now) const {
    auto a = agents.find(agent);
    return a != agents.end() && a->second.online_until > now && a->second.queues.count(queue);
  }
  size_t OpenConversations(const std::string& agent) const {
    auto it = open_convs.find(agent);
    return it == open_convs.end() ? 0 : it->second.size();
  }

  // The agent a push queue's message goes to, or "" if none can take it.
  // `pass`, when given, counts what each agent got in this backlog pass: an
  // agent that got `pass_limit` already is skipped, and among the rest the
  // least loaded goes first, so a backlog is spread over the agents online
  // as arrivals are, not handed whole to the first agent to heartbeat.
  std::string PickAgent(const std::string& queue, const std::string& conversation, int64_t now,
                        const std::map<std::string, size_t>* pass = nullptr, size_t pass_limit = 0) {
    const QueueAssignment* cfg = PushConfig(queue);
    if (!cfg) return "";
    auto owner = conv_owner.find(conversation);
    if (owner != conv_owner.end() && Serves(owner->second, queue, now)) return owner->second;  // affinity
    std::vector<const std::string*> candidates;
    for (const auto& [name, agent] : agents) {
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
      size_t& cursor = rr_cursor[queue];
      const std::string& pick = *candidates[cursor % candidates.size()];
      cursor = cursor % candidates.size() + 1;
      return pick;
    }
    const std::string* best = candidates.front();
    for (const std::string* c : candidates)
      if (OpenConversations(*c) < OpenConversations(*best)) best = c;
    return *best;
  }

  void IndexAssigned(const std::string& id, const MessageState& s) {
    ++open_convs[s.agent][Conversation(id, s)];
    conv_owner[Conversation(id, s)] = s.agent;
    assigned_by_agent[s.agent].emplace(s.seq, id);
    ++assigned_count[s.queue];
  }
  void UnindexAssigned(const std::string& id, const MessageState& s) {
    auto a = open_convs.find(s.agent);
    if (a != open_convs.end()) {
      auto c = a->second.find(Conversation(id, s));
      if (c != a->second.end() && --c->second <= 0) a->second.erase(c);
    }
    auto by = assigned_by_agent.find(s.agent);
    if (by != assigned_by_agent.end()) by->second.erase({s.seq, id});
    auto n = assigned_count.find(s.queue);
    if (n != assigned_count.end() && n->second > 0) --n->second;
  }

  // A ready message of a push queue goes to an agent if one can take it.
  bool TryAssign(rocksdb::WriteBatch& b, const std::string& id, MessageState& s, int64_t now,
                 std::map<std::string, size_t>* pass = nullptr, size_t pass_limit = 0) {
    if (s.status != MessageStatus::kQueued) return false;
    std::string agent = PickAgent(s.queue, Conversation(id, s), now, pass, pass_limit);
    if (agent.empty()) return false;
    UnindexReady(s);
    s.status = MessageStatus::kAssigned;
    s.agent = agent;
    s.lease_until = 0;
    IndexAssigned(id, s);
    PutState(b, id, s);
    if (pass) ++(*pass)[agent];
    return true;
  }

  // Without a cap on open conversations, one backlog pass gives an agent at
  // most this many; the rest waits for the next heartbeat (of any agent), so
  // an agent that comes online second still gets its share.
  static constexpr size_t kBacklogPerPass = 5;

  // Assigns the waiting messages of a push queue while agents can take them.
  size_t AssignBacklog(rocksdb::WriteBatch& b, const std::string& queue, int64_t now, const std::string& count_for) {
    size_t n = 0;
    auto q = ready.find(queue);
    const QueueAssignment* cfg = PushConfig(queue);
    if (q == ready.end() || !cfg) return 0;
    const size_t limit = cfg->max_open ? cfg->max_open : kBacklogPerPass;
    std::map<std::string, size_t> pass;
    for (auto it = q->second.begin(); it != q->second.end();) {
      std::string id = it->second;
      ++it;  // TryAssign removes the current entry
      MessageState& s = active.at(id);
      // A message nobody can take means every agent is full, offline or has
      // had its share of this pass.
      if (!TryAssign(b, id, s, now, &pass, limit)) break;
      if (s.agent == count_for) ++n;
    }
    return n;
  }

  // Agents whose heartbeat ran out give their open messages back to the queue.
  void ExpireAgents(rocksdb::WriteBatch& b, int64_t now) {
    std::vector<std::string> gone;
    for (const auto& [name, agent] : agents)
      if (agent.online_until <= now) gone.push_back(name);
    for (const std::string& name : gone) {
      agents.erase(name);
      auto by = assigned_by_agent.find(name);
      if (by == assigned_by_agent.end()) continue;
      std::vector<std::string> ids;
      for (const auto& [seq, id] : by->second) ids.push_back(id);
      std::set<std::string> queues;
      for (const std::string& id : ids) {
        MessageState& s = active.at(id);
        UnindexAssigned(id, s);
        s.status = MessageStatus::kQueued;
        s.agent.clear();
        IndexReady(id, s);
        PutState(b, id, s);
        queues.insert(s.queue);
      }
      assigned_by_agent.erase(name);
      open_convs.erase(name);
      for (const auto& q : queues) AssignBacklog(b, q, now, "");
    }
  }

  // Returns expired leases to their queue.
  void ExpireLeases(rocksdb::WriteBatch& b, int64_t now) {
    while (!leases.empty() && leases.begin()->first <= now) {
      std::string id = leases.begin()->second;
      auto it = active.find(id);
      if (it == active.end()) {
        leases.erase(leases.begin());
        continue;
      }
      MessageState& s = it->second;
      UnindexLease(id, s);
      s.status = MessageStatus::kQueued;
      s.agent.clear();
      s.lease_until = 0;
      IndexReady(id, s);
      PutState(b, id, s);
      TryAssign(b, id, s, now);
    }
  }

  Status Recover() {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf_state));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      MessageState s;
      std::string id = it->key().ToString();
      if (!DecodeState(it->value().ToString(), &s)) return Status::Corruption("state of message '" + id + "' is unreadable");
      next_seq = std::max(next_seq, s.seq + 1);
      if (s.status == MessageStatus::kDone) continue;
      if (s.status == MessageStatus::kQueued) {
        IndexReady(id, s);
      } else if (s.status == MessageStatus::kAssigned) {
        IndexAssigned(id, s);
        // Grace: the agent keeps its messages if it heartbeats within the TTL.
        Agent& a = agents[s.agent];
        a.online_until = opts.now_ms() + opts.agent_ttl_ms;
        a.queues.insert(s.queue);
      } else {
        IndexLease(id, s);
      }
      Activate(id, std::move(s));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "recovery scan");
    std::string v;
    if (db->Get(rocksdb::ReadOptions(), cf_default, "next_seq", &v).ok()) next_seq = std::max(next_seq, GetBE64(v));
    if (db->Get(rocksdb::ReadOptions(), cf_default, "next_event_seq", &v).ok()) next_event_seq = GetBE64(v);
    return Status::OK();
  }

  // Pairs each id with its stored decision line.
  std::vector<std::pair<std::string, std::string>> WithDecisions(std::vector<std::string> ids) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& id : ids) {
      std::string d;
      db->Get(rocksdb::ReadOptions(), cf_decisions, id, &d);
      out.emplace_back(std::move(id), std::move(d));
    }
    return out;
  }

  void Submit(Op op) {
    {
      std::lock_guard<std::mutex> l(qmu);
      if (!read_only && !stopping && !failed && pending.size() < opts.max_pending_ops) {
        pending.push_back(std::move(op));
        qcv.notify_one();
        return;
      }
    }
    if (read_only) op.complete(Status::IOError("store opened read-only"));
    else if (failed) op.complete(Status::IOError("store is read-only after a write failure; restart to recover"));
    else if (stopping) op.complete(Status::Busy("busy: shutting down"));
    else op.complete(Status::Busy("busy: too many pending writes"));
  }

  void WriterLoop() {
    for (;;) {
      std::vector<Op> group;
      {
        std::unique_lock<std::mutex> l(qmu);
        qcv.wait_for(l, std::chrono::milliseconds(opts.lease_check_interval_ms),
                     [&] { return stopping || !pending.empty(); });
        while (!pending.empty() && group.size() < opts.max_group_ops) {
          group.push_back(std::move(pending.front()));
          pending.pop_front();
        }
        if (group.empty() && stopping) return;
      }
      rocksdb::WriteBatch batch;
      {
        std::lock_guard<std::mutex> l(mu);
        int64_t now = opts.now_ms();
        ExpireLeases(batch, now);
        ExpireAgents(batch, now);
        group_bodies.clear();
        for (Op& op : group) op.apply(batch);
        group_bodies.clear();
        if (batch.Count() > 0) {
          std::string v;
          PutBE64(next_seq, &v);
          batch.Put(cf_default, "next_seq", v);
          v.clear();
          PutBE64(next_event_seq, &v);
          batch.Put(cf_default, "next_event_seq", v);
        }
      }
      Status st;
      if (batch.Count() > 0) {
        rocksdb::WriteOptions wo;
        wo.sync = opts.sync_writes;
        st = FromRocks(db->Write(wo, &batch), "write");
        if (!st.ok()) failed = true;
      }
      for (Op& op : group) op.complete(st);
    }
  }
};

QueueStore::QueueStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

QueueStore::~QueueStore() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> l(impl_->qmu);
    impl_->stopping = true;
  }
  impl_->qcv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  for (auto* h : impl_->handles) impl_->db->DestroyColumnFamilyHandle(h);
  impl_->handles.clear();
  if (impl_->db) impl_->db->Close();
}

Status QueueStore::Open(const std::string& dir, QueueStoreOptions options, std::unique_ptr<QueueStore>* out) {
  return OpenImpl(dir, std::move(options), false, out);
}

Status QueueStore::OpenReadOnly(const std::string& dir, std::unique_ptr<QueueStore>* out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return Status::NotFound(dir + ": no such data directory");
  if (LockHeld(dir + "/LOCK"))
    return Status::IOError(dir + ": the database is locked by another process");
  return OpenImpl(dir, QueueStoreOptions(), true, out);
}

Status QueueStore::OpenImpl(const std::string& dir, QueueStoreOptions options, bool read_only,
                            std::unique_ptr<QueueStore>* out) {
  auto impl = std::make_unique<Impl>();
  if (!options.now_ms) options.now_ms = SystemNowMs;
  impl->opts = std::move(options);
  impl->read_only = read_only;
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = !read_only;
  dbo.create_missing_column_families = !read_only;
  dbo.max_background_jobs = 2;
  rocksdb::ColumnFamilyOptions cfo;
  // Every ingest looks its ids up in `state` to detect duplicates, and almost
  // all of them are new: a bloom filter answers most of those misses without
  // reading a block.
  rocksdb::ColumnFamilyOptions state_cfo;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  state_cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, cfo},
                                                      {"messages", cfo},
                                                      {"decisions", cfo},
                                                      {"state", state_cfo},
                                                      {"events", cfo},
                                                      {"alerts", cfo}};
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = read_only ? rocksdb::DB::OpenForReadOnly(dbo, dir, cfs, &impl->handles, &raw)
                                : rocksdb::DB::Open(dbo, dir, cfs, &impl->handles, &raw);
  if (!s.ok()) return Status::IOError(dir + ": cannot open the database: " + s.ToString());
  impl->db.reset(raw);
  impl->cf_default = impl->handles[0];
  impl->cf_messages = impl->handles[1];
  impl->cf_decisions = impl->handles[2];
  impl->cf_state = impl->handles[3];
  impl->cf_events = impl->handles[4];
  impl->cf_alerts = impl->handles[5];
  std::unique_ptr<QueueStore> store(new QueueStore(std::move(impl)));
  Status rs = store->impl_->Recover();
  if (!rs.ok()) return Status::Corruption(dir + ": " + rs.message());
  Impl* p = store->impl_.get();
  if (!read_only) p->writer = std::thread([p] { p->WriterLoop(); });
  *out = std::move(store);
  return Status::OK();
}

void QueueStore::Ingest(std::vector<IngestItem> items, std::vector<AlertRecord> alerts, IngestDone done) {
  auto outcomes = std::make_shared<std::vector<IngestResult>>();
  auto shared_items = std::make_shared<std::vector<IngestItem>>(std::move(items));
  auto shared_alerts = std::make_shared<std::vector<AlertRecord>>(std::move(alerts));
  Impl* p = impl_.get();
  p->Submit(Impl::Op{
      [p, outcomes, shared_items, shared_alerts](rocksdb::WriteBatch& b) {
        int64_t now = p->opts.now_ms();
        for (const AlertRecord& a : *shared_alerts) b.Put(p->cf_alerts, a.id, a.json);
        // Ids not known in memory are looked up in one MultiGet.
        std::vector<rocksdb::Slice> lookup;
        std::vector<size_t> lookup_index;
        for (size_t i = 0; i < shared_items->size(); ++i) {
          const std::string& id = (*shared_items)[i].id;
          if (!p->active.count(id) && !p->group_bodies.count(id)) {
            lookup.emplace_back(id);
            lookup_index.push_back(i);
          }
        }
        std::vector<bool> in_db(shared_items->size(), false);
        if (!lookup.empty()) {
          std::vector<rocksdb::PinnableSlice> values(lookup.size());
          std::vector<rocksdb::Status> statuses(lookup.size());
          p->db->MultiGet(rocksdb::ReadOptions(), p->cf_state, lookup.size(), lookup.data(), values.data(),
                          statuses.data());
          for (size_t k = 0; k < lookup.size(); ++k) in_db[lookup_index[k]] = statuses[k].ok();
        }
        for (size_t i = 0; i < shared_items->size(); ++i) {
          IngestItem& it = (*shared_items)[i];
          bool dup = in_db[i] || p->active.count(it.id) > 0 || p->group_bodies.count(it.id) > 0;
          if (dup) {
            IngestResult r{IngestOutcome::kDuplicate, {}};
            auto body = p->group_bodies.find(it.id);
            if (body != p->group_bodies.end()) r.stored_decision = body->second.second;
            else p->db->Get(rocksdb::ReadOptions(), p->cf_decisions, it.id, &r.stored_decision);
            outcomes->push_back(std::move(r));
            continue;
          }
          MessageState s;
          s.queue = it.queue;
          s.priority = it.priority;
          s.seq = p->next_seq++;
          s.received_ms = now;
          s.conversation_id = it.conversation_id;
          b.Put(p->cf_messages, it.id, it.raw);
          b.Put(p->cf_decisions, it.id, it.decision);
          p->PutState(b, it.id, s);
          p->IndexReady(it.id, s);
          p->group_bodies[it.id] = {it.raw, it.decision};
          MessageState& placed = p->Activate(it.id, std::move(s));
          p->TryAssign(b, it.id, placed, now);
          outcomes->push_back(IngestResult{IngestOutcome::kStored, {}});
        }
      },
      [outcomes, done = std::move(done)](Status st) { done(st, st.ok() ? std::move(*outcomes) : std::vector<IngestResult>{}); }});
}

void QueueStore::Claim(std::string queue, std::string agent, size_t max_messages, int64_t lease_ms, ClaimDone done) {
  auto claimed = std::make_shared<std::vector<ClaimedMessage>>();
  Impl* p = impl_.get();
  p->Submit(Impl::Op{
      [p, claimed, queue = std::move(queue), agent = std::move(agent), max_messages, lease_ms](rocksdb::WriteBatch& b) {
        auto q = p->ready.find(queue);
        if (q == p->ready.end()) return;
        int64_t until = p->opts.now_ms() + lease_ms;
        while (!q->second.empty() && claimed->size() < max_messages) {
          std::string id = q->second.begin()->second;
          MessageState& s = p->active.at(id);
          p->UnindexReady(s);
          s.status = MessageStatus::kClaimed;
          s.agent = agent;
          s.lease_until = until;
          p->IndexLease(id, s);
          p->PutState(b, id, s);
          ClaimedMessage m{id, "", "", until};
          auto body = p->group_bodies.find(id);
          if (body != p->group_bodies.end()) {
            m.raw = body->second.first;
            m.decision = body->second.second;
          } else {
            p->db->Get(rocksdb::ReadOptions(), p->cf_messages, id, &m.raw);
            p->db->Get(rocksdb::ReadOptions(), p->cf_decisions, id, &m.decision);
          }
          claimed->push_back(std::move(m));
        }
      },
      [claimed, done = std::move(done)](Status st) { done(st, st.ok() ? *claimed : std::vector<ClaimedMessage>{}); }});
}

void QueueStore::AddEvent(std::string id, Event event, EventDone done) {
  AddEventImpl(std::move(id), "", std::move(event), std::move(done));
}

void QueueStore::AddEventToConversation(std::string conversation_id, Event event, EventDone done) {
  AddEventImpl("", std::move(conversation_id), std::move(event), std::move(done));
}

void QueueStore::AddEventImpl(std::string id_arg, std::string conversation, Event event, EventDone done) {
  auto result = std::make_shared<Status>();
  Impl* p = impl_.get();
  p->Submit(Impl::Op{
      [p, result, id_arg = std::move(id_arg), conversation = std::move(conversation),
       event = std::move(event)](rocksdb::WriteBatch& b) {
        std::string id = id_arg;
        if (!conversation.empty()) {
          // The newest open message of the conversation, resolved here on the
          // writer so that it sees every earlier operation.
          auto c = p->open_by_conv.find(conversation);
          if (c == p->open_by_conv.end() || c->second.empty()) {
            *result = Status::NotFound("conversation '" + conversation + "' has no open message");
            return;
          }
          id = c->second.rbegin()->second;
        }
        MessageState state;
        auto it = p->active.find(id);
        if (it != p->active.end()) {
          state = it->second;
        } else {
          std::string v;
          if (!p->db->Get(rocksdb::ReadOptions(), p->cf_state, id, &v).ok() || !DecodeState(v, &state)) {
            *result = Status::NotFound("message '" + id + "' not found");
            return;
          }
        }
        std::string json;
        AppendEventJson(event, p->opts.now_ms(), state.queue, &json);
        std::string key = EventKeyPrefix(id);
        PutBE64(p->next_event_seq++, &key);
        b.Put(p->cf_events, key, json);

        // Effects on the queues.
        if (it != p->active.end()) {
          if (state.status == MessageStatus::kQueued) p->UnindexReady(state);
          else if (state.status == MessageStatus::kAssigned) p->UnindexAssigned(id, state);
          else p->UnindexLease(id, state);
          p->Deactivate(it);
        }
        if (event.type == EventType::kRerouted) {
          state.queue = event.to_queue;
          state.status = MessageStatus::kQueued;
          state.agent.clear();
          state.lease_until = 0;
          p->IndexReady(id, state);
          MessageState& placed = p->Activate(id, state);
          p->TryAssign(b, id, placed, p->opts.now_ms());
        } else {
          // replied, resolved, moved_private, escalated_offchannel: a person
          // has handled it, so it leaves the queue (the lease is acknowledged).
          bool was_assigned = state.status == MessageStatus::kAssigned;
          state.status = MessageStatus::kDone;
          state.agent = event.agent;
          state.lease_until = 0;
          // A closed conversation frees room: hand out what is waiting.
          if (was_assigned) {
            p->PutState(b, id, state);
            p->AssignBacklog(b, state.queue, p->opts.now_ms(), "");
            return;
          }
        }
        p->PutState(b, id, state);
      },
      [result, done = std::move(done)](Status st) { done(st.ok() ? *result : st); }});
}

void QueueStore::Heartbeat(std::string agent, std::vector<std::string> queues, HeartbeatDone done) {
  auto status = std::make_shared<AgentStatus>();
  Impl* p = impl_.get();
  p->Submit(Impl::Op{
      [p, status, agent = std::move(agent), queues = std::move(queues)](rocksdb::WriteBatch& b) {
        int64_t now = p->opts.now_ms();
        Impl::Agent& a = p->agents[agent];
        a.online_until = now + p->opts.agent_ttl_ms;
        a.queues = std::set<std::string>(queues.begin(), queues.end());
        for (const auto& q : a.queues) status->newly_assigned += p->AssignBacklog(b, q, now, agent);
        status->online_until = a.online_until;
        status->open_conversations = p->OpenConversations(agent);
      },
      [status, done = std::move(done)](Status st) { done(st, *status); }});
}

Status QueueStore::HeartbeatSync(const std::string& agent, const std::vector<std::string>& queues, AgentStatus* out) {
  std::promise<Status> pr;
  Heartbeat(agent, queues, [&](Status s, AgentStatus a) {
    if (out) *out = a;
    pr.set_value(s);
  });
  return pr.get_future().get();
}

std::vector<std::pair<std::string, std::string>> QueueStore::AssignedTo(const std::string& agent) const {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    auto it = impl_->assigned_by_agent.find(agent);
    if (it != impl_->assigned_by_agent.end())
      for (const auto& [seq, id] : it->second) ids.push_back(id);
  }
  return impl_->WithDecisions(std::move(ids));
}

std::vector<QueueStore::AgentInfo> QueueStore::Agents() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<AgentInfo> out;
  for (const auto& [name, a] : impl_->agents)
    out.push_back(AgentInfo{name, a.online_until, {a.queues.begin(), a.queues.end()}, impl_->OpenConversations(name)});
  return out;
}

Status QueueStore::IngestSyncResults(std::vector<IngestItem> items, std::vector<IngestResult>* out) {
  std::promise<Status> pr;
  Ingest(std::move(items), [&](Status s, std::vector<IngestResult> o) {
    if (out) *out = std::move(o);
    pr.set_value(s);
  });
  return pr.get_future().get();
}

Status QueueStore::IngestSync(std::vector<IngestItem> items, std::vector<IngestOutcome>* out) {
  std::vector<IngestResult> results;
  Status s = IngestSyncResults(std::move(items), &results);
  if (out) {
    out->clear();
    for (const auto& r : results) out->push_back(r.outcome);
  }
  return s;
}

Status QueueStore::ClaimSync(const std::string& queue, const std::string& agent, size_t n, int64_t lease_ms,
                             std::vector<ClaimedMessage>* out) {
  std::promise<Status> pr;
  Claim(queue, agent, n, lease_ms, [&](Status s, std::vector<ClaimedMessage> m) {
    if (out) *out = std::move(m);
    pr.set_value(s);
  });
  return pr.get_future().get();
}

Status QueueStore::AddEventSync(const std::string& id, Event event) {
  std::promise<Status> pr;
  AddEvent(id, std::move(event), [&](Status s) { pr.set_value(s); });
  return pr.get_future().get();
}

std::vector<QueueInfo> QueueStore::Queues(const std::vector<std::string>& known) const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::map<std::string, QueueInfo> out;
  for (const auto& q : known) out[q].name = q;
  int64_t now = impl_->opts.now_ms();
  for (const auto& [q, items] : impl_->ready) {
    QueueInfo& info = out[q];
    info.name = q;
    info.depth = items.size();
  }
  for (const auto& [q, arrivals] : impl_->ready_arrivals)
    if (!arrivals.empty()) out[q].oldest_age_ms = std::max<int64_t>(0, now - arrivals.begin()->second);
  for (const auto& [q, n] : impl_->claimed_count) {
    out[q].name = q;
    out[q].claimed = n;
  }
  for (const auto& [q, n] : impl_->assigned_count) {
    out[q].name = q;
    out[q].assigned = n;
  }
  std::vector<QueueInfo> v;
  for (auto& [q, info] : out) v.push_back(std::move(info));
  return v;
}

std::vector<std::pair<std::string, std::string>> QueueStore::Peek(const std::string& queue, size_t limit) const {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    auto q = impl_->ready.find(queue);
    if (q != impl_->ready.end())
      for (const auto& [key, id] : q->second) {
        if (ids.size() >= limit) break;
        ids.push_back(id);
      }
  }
  return impl_->WithDecisions(std::move(ids));
}

Status QueueStore::ForEach(const std::function<void(const std::string& id, const StoredMessage& m)>& fn) const {
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf_state));
  std::unique_ptr<rocksdb::Iterator> ev(impl_->db->NewIterator(ro, impl_->cf_events));
  StoredMessage m;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string id = it->key().ToString();
    if (!DecodeState(it->value().ToString(), &m.state))
      return Status::Corruption("state of message '" + id + "' is unreadable");
    m.raw.clear();
    m.decision.clear();
    impl_->db->Get(ro, impl_->cf_messages, id, &m.raw);
    impl_->db->Get(ro, impl_->cf_decisions, id, &m.decision);
    m.events.clear();
    std::string prefix = EventKeyPrefix(id);
    for (ev->Seek(prefix); ev->Valid() && ev->key().starts_with(prefix); ev->Next())
      m.events.push_back(ev->value().ToString());
    fn(id, m);
  }
  return FromRocks(it->status(), "scan of stored messages");
}

std::vector<std::string> QueueStore::Alerts() const {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf_alerts));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.push_back(it->value().ToString());
  return out;
}

Status QueueStore::RecentMessages(int64_t since_ms, size_t max, std::vector<std::string>* raw) const {
  raw->clear();
  std::vector<std::pair<uint64_t, std::string>> recent;  // (seq, id)
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf_state));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    MessageState s;
    if (!DecodeState(it->value().ToString(), &s)) continue;  // Recover() already vetted them
    if (s.received_ms >= since_ms) recent.emplace_back(s.seq, it->key().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan of recent messages");
  std::sort(recent.begin(), recent.end());
  if (recent.size() > max) recent.erase(recent.begin(), recent.end() - static_cast<std::ptrdiff_t>(max));
  for (const auto& [seq, id] : recent) {
    std::string line;
    if (impl_->db->Get(rocksdb::ReadOptions(), impl_->cf_messages, id, &line).ok()) raw->push_back(std::move(line));
  }
  return Status::OK();
}

Status QueueStore::Get(const std::string& id, StoredMessage* out) const {
  rocksdb::ReadOptions ro;
  Status s = FromRocks(impl_->db->Get(ro, impl_->cf_messages, id, &out->raw), "message '" + id + "'");
  if (!s.ok()) return s;
  impl_->db->Get(ro, impl_->cf_decisions, id, &out->decision);
  bool from_memory = false;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    auto it = impl_->active.find(id);
    if (it != impl_->active.end()) {
      out->state = it->second;
      from_memory = true;
    }
  }
  if (!from_memory) {
    std::string v;
    if (!impl_->db->Get(ro, impl_->cf_state, id, &v).ok() || !DecodeState(v, &out->state))
      return Status::Corruption("state of message '" + id + "' is unreadable");
  }
  out->events.clear();
  std::string prefix = EventKeyPrefix(id);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf_events));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    out->events.push_back(it->value().ToString());
  return Status::OK();
}

uint64_t QueueStore::pending_ops() const {
  std::lock_guard<std::mutex> l(impl_->qmu);
  return impl_->pending.size();
}

bool QueueStore::healthy() const { return !impl_->failed; }

}  // namespace triage
