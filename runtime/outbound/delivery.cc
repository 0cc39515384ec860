#include "runtime/outbound/delivery.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <unordered_set>

#include "base/json_writer.h"
#include "base/rfc3339.h"

namespace triage {

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct Outbound::SinkState {
  enum class Step : uint8_t { kIdle, kBusy, kWriting };
  struct Slot {
    OutboxEntry e;
    int attempts = 0;
    Clock::time_point next{};
    Step step = Step::kIdle;
  };

  SinkConfig config;
  std::unique_ptr<Sink> sink;

  mutable std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::deque<Slot> window;  // in seq order
  uint64_t cursor = 0;      // the highest seq read into the window
  bool dirty = true;        // the outbox may hold entries past cursor
  bool stop = false;
  uint64_t delivered = 0, retried = 0, dead_lettered = 0, write_failures = 0;
  std::mt19937_64 rng{std::random_device{}()};

  Slot* Find(uint64_t seq) {
    for (Slot& s : window)
      if (s.e.seq == seq) return &s;
    return nullptr;
  }
  void Remove(uint64_t seq) {
    auto it = std::find_if(window.begin(), window.end(), [seq](const Slot& s) { return s.e.seq == seq; });
    if (it != window.end()) window.erase(it);
  }
  // A completed write of the entry's removal (delivered or dead-lettered):
  // it leaves the window; a failed one is tried again (delivered again).
  void Written(uint64_t seq, const Status& st) {
    std::lock_guard<std::mutex> l(mu);
    if (st.ok()) {
      Remove(seq);
    } else if (Slot* s = Find(seq)) {
      s->step = Step::kIdle;
      s->next = Clock::now() + std::chrono::seconds(1);
      ++write_failures;
    }
    cv.notify_all();
  }
  // Full jitter over an exponential ceiling: attempt n waits a random time
  // in [ceiling/2, ceiling], ceiling = initial * 2^(n-1) up to the maximum,
  // so retries of many entries after one outage do not arrive in step.
  std::chrono::milliseconds Backoff(int attempts) {
    int64_t ceiling = config.backoff_initial_ms;
    for (int i = 1; i < attempts && ceiling < config.backoff_max_ms; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, config.backoff_max_ms);
    std::uniform_int_distribution<int64_t> d(ceiling / 2, ceiling);
    return std::chrono::milliseconds(d(rng));
  }
};

// Which sinks want what: the subscriptions of every sink, fixed at start.
class Outbound::Router : public OutboxRouter {
 public:
  explicit Router(std::vector<std::shared_ptr<SinkState>> sinks) : sinks_(std::move(sinks)) {}

  void Route(const OutboxSubject& s, std::vector<std::string>* out) const override {
    for (const auto& sink : sinks_) {
      const SinkConfig& c = sink->config;
      bool wants = false;
      if (s.kind == "alert") {
        wants = std::find(c.alerts.begin(), c.alerts.end(), s.event) != c.alerts.end();
      } else {
        bool queue = std::find_if(c.queues.begin(), c.queues.end(),
                                  [&](const std::string& q) { return q == "*" || q == s.queue; }) != c.queues.end();
        bool priority =
            c.priorities.empty() || std::find(c.priorities.begin(), c.priorities.end(), s.priority) != c.priorities.end();
        wants = queue && priority;
      }
      if (wants) out->push_back(c.name);
    }
  }

  void Written() const override {
    for (const auto& sink : sinks_) {
      std::lock_guard<std::mutex> l(sink->mu);
      sink->dirty = true;
      sink->cv.notify_one();
    }
  }

 private:
  const std::vector<std::shared_ptr<SinkState>> sinks_;
};

Outbound::Outbound(QueueStore* store, Log log) : store_(store), log_(std::move(log)) {}

Outbound::~Outbound() { Stop(); }

Status Outbound::Create(const std::vector<SinkConfig>& configs, QueueStore* store, Log log,
                        std::unique_ptr<Outbound>* out) {
  auto o = std::make_unique<Outbound>(store, std::move(log));
  for (const SinkConfig& c : configs) {
    std::unique_ptr<Sink> sink;
    if (Status s = MakeSink(c, &sink); !s.ok()) return s;
    // Off only when the config says so; said at every start.
    if (!c.tls_verify && c.url.rfind("https://", 0) == 0 && o->log_)
      o->log_("outbound " + c.name + ": tls_verify is false: the receiver's certificate is not checked");
    o->Add(c, std::move(sink));
  }
  *out = std::move(o);
  return Status::OK();
}

void Outbound::Add(const SinkConfig& config, std::unique_ptr<Sink> sink) {
  auto s = std::make_shared<SinkState>();
  s->config = config;
  s->sink = std::move(sink);
  std::lock_guard<std::mutex> l(mu_);
  sinks_.push_back(std::move(s));
}

std::vector<std::shared_ptr<Outbound::SinkState>> Outbound::Sinks() const {
  std::lock_guard<std::mutex> l(mu_);
  return sinks_;
}

std::shared_ptr<Outbound::SinkState> Outbound::FindSink(const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& s : sinks_)
    if (s->config.name == name) return s;
  return nullptr;
}

void Outbound::StartSink(const std::shared_ptr<SinkState>& s) {
  for (int i = 0; i < s->config.concurrency; ++i) threads_.emplace_back(s, std::thread([this, s] { Work(s); }));
}

void Outbound::StopSink(const std::shared_ptr<SinkState>& s) {
  {
    std::lock_guard<std::mutex> l(s->mu);
    s->stop = true;
    s->cv.notify_all();
  }
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (it->first != s) {
      ++it;
      continue;
    }
    it->second.join();
    it = threads_.erase(it);
  }
  // Its last deliveries' removals are durable (or failed) before anything
  // reads its outbox again, so a successor does not deliver them twice.
  std::unique_lock<std::mutex> l(s->mu);
  s->cv.wait(l, [&] {
    return std::none_of(s->window.begin(), s->window.end(),
                        [](const SinkState::Slot& slot) { return slot.step == SinkState::Step::kWriting; });
  });
}

void Outbound::Start() {
  std::lock_guard<std::mutex> control(control_mu_);
  if (started_) return;
  started_ = true;
  const auto sinks = Sinks();
  // No sinks, no router: the store owes nothing to anyone.
  store_->SetOutboxRouter(sinks.empty() ? nullptr : std::make_shared<Router>(sinks));
  for (const auto& s : sinks) StartSink(s);
}

void Outbound::Stop() {
  std::lock_guard<std::mutex> control(control_mu_);
  for (const auto& s : Sinks()) {
    std::lock_guard<std::mutex> l(s->mu);
    s->stop = true;
    s->cv.notify_all();
  }
  for (auto& [s, t] : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

Status Outbound::Apply(const std::vector<SinkConfig>& configs, std::string* summary) {
  summary->clear();
  std::lock_guard<std::mutex> control(control_mu_);
  if (!started_) return Status::InvalidArgument("outbound: not started");
  const auto current = Sinks();
  auto named = [&](const std::string& name) -> std::shared_ptr<SinkState> {
    for (const auto& s : current)
      if (s->config.name == name) return s;
    return nullptr;
  };
  std::vector<std::shared_ptr<SinkState>> next, starting, stopping;
  std::vector<std::string> added, changed, removed;
  for (const SinkConfig& c : configs) {
    std::shared_ptr<SinkState> old = named(c.name);
    if (old && old->config == c) {
      next.push_back(old);
      continue;
    }
    auto s = std::make_shared<SinkState>();
    s->config = c;
    if (Status st = MakeSink(c, &s->sink); !st.ok()) return st;
    next.push_back(s);
    starting.push_back(s);
    if (old) {
      stopping.push_back(old);
      changed.push_back(c.name);
    } else {
      added.push_back(c.name);
    }
  }
  for (const auto& s : current)
    if (std::none_of(configs.begin(), configs.end(), [&](const SinkConfig& c) { return c.name == s->config.name; })) {
      stopping.push_back(s);
      removed.push_back(s->config.name);
    }
  if (starting.empty() && stopping.empty()) return Status::OK();

  // From the store's next write on, entries are owed to the new set (a
  // changed sink's go to its outbox, under the same name, as before).
  store_->SetOutboxRouter(next.empty() ? nullptr : std::make_shared<Router>(next));
  {
    std::lock_guard<std::mutex> l(mu_);
    sinks_ = next;
  }
  for (const auto& s : stopping) StopSink(s);
  for (const auto& s : starting) {
    // A changed sink keeps counting where it was (the metrics are counters).
    if (std::shared_ptr<SinkState> old = named(s->config.name)) {
      std::scoped_lock l(old->mu, s->mu);  // the API's threads read s's counters already
      s->delivered = old->delivered;
      s->retried = old->retried;
      s->dead_lettered = old->dead_lettered;
      s->write_failures = old->write_failures;
    }
    StartSink(s);
  }
  auto list = [](const char* what, const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? std::string(what) + " " : ", ") + n;
    return out;
  };
  for (std::string part : {list("added", added), list("changed", changed), list("removed", removed)})
    if (!part.empty()) *summary += (summary->empty() ? "" : "; ") + part;
  if (!removed.empty()) *summary += " (what waits in a removed sink's outbox stays there)";
  return Status::OK();
}

void Outbound::Work(std::shared_ptr<SinkState> s) {
  using Step = SinkState::Step;
  const std::string& name = s->config.name;
  std::unique_lock<std::mutex> l(s->mu);
  while (!s->stop) {
    // Top the window up from disk when there is room and maybe more.
    if (s->dirty && (s->window.empty() || s->window.size() <= kWindow / 2)) {
      std::vector<OutboxEntry> more;
      const size_t want = kWindow - s->window.size();
      Status st = store_->ReadOutbox(name, s->cursor, want, &more);
      if (!st.ok()) {
        if (log_) log_("outbound " + name + ": " + st.message());
      } else {
        for (OutboxEntry& e : more) {
          s->cursor = std::max(s->cursor, e.seq);
          s->window.push_back(SinkState::Slot{std::move(e), 0, {}, Step::kIdle});
        }
        if (more.size() < want) s->dirty = false;
      }
    }
    // The first entry that may go: idle, due, and first of its conversation.
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = now + std::chrono::seconds(1);
    std::unordered_set<std::string_view> earlier;
    SinkState::Slot* pick = nullptr;
    for (SinkState::Slot& slot : s->window) {
      const bool first = earlier.insert(slot.e.conversation).second;
      if (!first || slot.step != Step::kIdle) continue;
      if (slot.next > now) {
        wake = std::min(wake, slot.next);
        continue;
      }
      pick = &slot;
      break;
    }
    if (!pick) {
      s->cv.wait_until(l, wake);
      continue;
    }
    pick->step = Step::kBusy;
    const int attempts = ++pick->attempts;
    const OutboxEntry e = pick->e;
    l.unlock();
    DeliveryOutcome o = s->sink->Deliver(e);
    l.lock();
    // Only this thread changes a busy slot, so it is still in the window.
    SinkState::Slot* slot = s->Find(e.seq);
    const bool give_up = o.kind == DeliveryOutcome::Kind::kReject || attempts >= s->config.max_attempts;
    if (o.kind == DeliveryOutcome::Kind::kDelivered || give_up) {
      slot->step = Step::kWriting;
      std::string error = o.error;
      if (o.kind == DeliveryOutcome::Kind::kDelivered) {
        ++s->delivered;
      } else {
        ++s->dead_lettered;
      }
      l.unlock();
      auto done = [s, seq = e.seq](Status st) { s->Written(seq, st); };
      if (o.kind == DeliveryOutcome::Kind::kDelivered) {
        store_->OutboxDelivered(name, e.seq, done);
      } else {
        if (log_)
          log_("outbound " + name + ": delivery " + e.delivery_id + " (" + e.kind + " " + e.subject +
               ") is a dead letter after " + std::to_string(attempts) + " attempts: " + error);
        store_->OutboxDeadLetter(DeadLetter{e, static_cast<uint32_t>(attempts), NowMs(), error}, done);
      }
      l.lock();
      continue;
    }
    ++s->retried;
    slot->step = Step::kIdle;
    slot->next = Clock::now() + (o.retry_after_ms >= 0
                                     ? std::chrono::milliseconds(std::min<int64_t>(o.retry_after_ms, 3'600'000))
                                     : s->Backoff(attempts));
  }
}

bool Outbound::HasSink(const std::string& name) const { return FindSink(name) != nullptr; }

Status Outbound::DeadLettersJson(const std::string& sink, size_t limit, std::string* json) const {
  if (!HasSink(sink)) return Status::NotFound("no outbound sink '" + sink + "'");
  std::vector<DeadLetter> letters;
  if (Status s = store_->DeadLetters(sink, limit, &letters); !s.ok()) return s;
  std::string& o = *json;
  o = "{\"sink\":";
  AppendJsonString(sink, &o);
  o += ",\"dead_letters\":[";
  for (size_t i = 0; i < letters.size(); ++i) {
    const DeadLetter& d = letters[i];
    if (i) o += ",";
    o += "{\"id\":";
    AppendJsonInt(static_cast<int64_t>(d.entry.seq), &o);
    o += ",\"delivery_id\":";
    AppendJsonString(d.entry.delivery_id, &o);
    o += ",\"kind\":";
    AppendJsonString(d.entry.kind, &o);
    o += ",\"event\":";
    AppendJsonString(d.entry.event, &o);
    o += ",\"subject\":";
    AppendJsonString(d.entry.subject, &o);
    o += ",\"conversation\":";
    AppendJsonString(d.entry.conversation, &o);
    o += ",\"queue\":";
    AppendJsonString(d.entry.queue, &o);
    o += ",\"attempts\":";
    AppendJsonInt(d.attempts, &o);
    o += ",\"enqueued_at\":";
    AppendJsonString(FormatRfc3339(d.entry.enqueued_ms), &o);
    o += ",\"failed_at\":";
    AppendJsonString(FormatRfc3339(d.failed_ms), &o);
    o += ",\"error\":";
    AppendJsonString(d.error, &o);
    o += "}";
  }
  o += "]}";
  return Status::OK();
}

void Outbound::Retry(const std::string& sink, uint64_t id, std::function<void(Status)> done) {
  if (!HasSink(sink)) return done(Status::NotFound("no outbound sink '" + sink + "'"));
  store_->RetryDeadLetter(sink, id, std::move(done));
}

void Outbound::AppendMetrics(std::string* out) const {
  const auto depths = store_->OutboxDepths();
  const int64_t now = NowMs();
  std::string deliveries, depth, age, dead;
  const auto sinks = Sinks();
  for (const auto& s : sinks) {
    const std::string sink = "sink=\"" + s->config.name + "\"";
    uint64_t delivered, retried, dead_lettered;
    int64_t oldest = 0;
    {
      std::lock_guard<std::mutex> l(s->mu);
      delivered = s->delivered;
      retried = s->retried;
      dead_lettered = s->dead_lettered;
      if (!s->window.empty()) oldest = std::max<int64_t>(0, now - s->window.front().e.enqueued_ms);
    }
    auto d = depths.find(s->config.name);
    const QueueStore::OutboxCounts counts = d == depths.end() ? QueueStore::OutboxCounts{} : d->second;
    deliveries += "triage_outbound_deliveries_total{" + sink + ",result=\"delivered\"} " + std::to_string(delivered) + "\n";
    deliveries += "triage_outbound_deliveries_total{" + sink + ",result=\"retried\"} " + std::to_string(retried) + "\n";
    deliveries += "triage_outbound_deliveries_total{" + sink + ",result=\"dead_lettered\"} " +
                  std::to_string(dead_lettered) + "\n";
    depth += "triage_outbound_outbox_depth{" + sink + "} " + std::to_string(counts.pending) + "\n";
    age += "triage_outbound_oldest_age_seconds{" + sink + "} " + std::to_string(oldest / 1000) + "\n";
    dead += "triage_outbound_dead_letters{" + sink + "} " + std::to_string(counts.dead) + "\n";
  }
  if (sinks.empty()) return;
  *out += "# HELP triage_outbound_deliveries_total Outbound delivery attempts by sink and result\n"
          "# TYPE triage_outbound_deliveries_total counter\n" + deliveries;
  *out += "# HELP triage_outbound_outbox_depth Deliveries waiting in the outbox, per sink\n"
          "# TYPE triage_outbound_outbox_depth gauge\n" + depth;
  *out += "# HELP triage_outbound_oldest_age_seconds Age of the oldest delivery waiting, per sink\n"
          "# TYPE triage_outbound_oldest_age_seconds gauge\n" + age;
  *out += "# HELP triage_outbound_dead_letters Deliveries given up on, per sink\n"
          "# TYPE triage_outbound_dead_letters gauge\n" + dead;
}

}  // namespace triage
