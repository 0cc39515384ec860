#include "runtime/replay/batch_decider.h"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace triage {

namespace {

Message CopyMessage(const Message& m, Arena* a) {
  Message c = m;
  c.id = a->Copy(m.id);
  c.channel = a->Copy(m.channel);
  c.conversation_id = a->Copy(m.conversation_id);
  c.in_reply_to = a->Copy(m.in_reply_to);
  c.author.id = a->Copy(m.author.id);
  c.author.handle = a->Copy(m.author.handle);
  c.brand = a->Copy(m.brand);
  c.text = a->Copy(m.text);
  c.lang = a->Copy(m.lang);
  c.created_at = a->Copy(m.created_at);
  c.label = a->Copy(m.label);
  c.incident = a->Copy(m.incident);
  return c;
}

}  // namespace

int BatchDecider::DefaultThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

BatchDecider::BatchDecider(std::shared_ptr<const Pipeline> pipeline, ArchiveFormat format, int threads)
    : pipeline_(std::move(pipeline)), format_(format), threads_(threads < 1 ? DefaultThreads() : threads) {}

void BatchDecider::Decide(DecidedBatch* b, Processor* processor, size_t max_line) const {
  b->num_messages = 0;
  b->events.clear();
  b->diagnostics = b->input.notice;
  b->diagnostics_printed = 0;
  b->arena.Reset();
  // Reports of bad lines go to a memory stream, to be printed in order by
  // whoever consumes the batch.
  char* report = nullptr;
  size_t report_len = 0;
  FILE* err = open_memstream(&report, &report_len);
  ArchiveSource source(LineReader::OverMemory(b->input.file, b->input.buf.data(), b->input.size,
                                              b->input.buf.size(), b->input.first_line, max_line),
                       err ? err : stderr, format_);
  const char* lines_begin = b->input.buf.data();
  const char* lines_end = lines_begin + b->input.size;
  const size_t notice = b->diagnostics.size();
  auto reported = [&] { return err ? notice + static_cast<size_t>(std::max(0L, std::ftell(err))) : notice; };
  source.set_event_handler([&](const ArchiveEvent& ev) {
    b->events.push_back(DecidedEvent{b->num_messages, source.line(), ev, reported()});
  });
  Message msg;
  while (source.Next(&msg)) {
    if (b->num_messages == b->messages.size()) b->messages.emplace_back();
    DecidedMessage& m = b->messages[b->num_messages];
    if (Status s = processor->Decide(msg, &m.decision); !s.ok()) {
      // Reported like a bad line, in order; the message is not decided.
      if (err) std::fprintf(err, "%s:%llu: not decided: %s\n", source.file().c_str(), static_cast<unsigned long long>(source.line()), s.message().c_str());
      ++b->undecided;
      continue;
    }
    ++b->num_messages;
    m.msg = CopyMessage(msg, &b->arena);
    if (!m.decision.verdict.lang_detected) m.decision.verdict.lang = m.msg.lang;  // was a view into the parser
    m.normalized = b->arena.Copy(processor->normalized());
    m.diagnostics_before = reported();
    // An archive line is in the batch already; a platform payload's
    // normalized line is not.
    std::string_view line = source.line_text();
    m.line = line.data() >= lines_begin && line.data() + line.size() <= lines_end ? line : b->arena.Copy(line);
  }
  b->malformed = source.malformed();
  b->ignored = source.ignored();
  b->platform_events = source.platform_events();
  if (err) {
    std::fclose(err);
    b->diagnostics.append(report, report_len);
    std::free(report);
  }
}

Status BatchDecider::Run(BatchReader* reader, const std::function<void(DecidedBatch&)>& consume) {
  const size_t max_line = reader->max_line_bytes();
  // One Processor per thread (no stages: the ordered consumer adds context,
  // detection and the line).
  std::vector<std::unique_ptr<Processor>> processors(static_cast<size_t>(threads_));
  for (auto& p : processors)
    if (Status st = Processor::Create(pipeline_, {}, &p); !st.ok()) return st;

  if (threads_ == 1) {
    DecidedBatch b;
    while (reader->Next(&b.input)) {
      Decide(&b, processors[0].get(), max_line);
      consume(b);
    }
    return Status::OK();
  }

  struct Slot {
    DecidedBatch batch;
    bool done = false;
  };
  const size_t max_in_flight = 2 * static_cast<size_t>(threads_) + 1;
  std::vector<std::unique_ptr<Slot>> slots;  // outlives the workers (see Joiner)
  std::vector<Slot*> idle;
  std::deque<Slot*> in_flight;  // input order
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::deque<Slot*> todo;
  bool closing = false;
  std::vector<std::thread> workers;
  // Joins the workers however Run is left (consume may throw).
  struct Joiner {
    std::mutex& mu;
    std::condition_variable& cv;
    bool& closing;
    std::vector<std::thread>& workers;
    ~Joiner() {
      {
        std::lock_guard<std::mutex> lock(mu);
        closing = true;
      }
      cv.notify_all();
      for (auto& t : workers) t.join();
    }
  } joiner{mu, work_cv, closing, workers};
  for (int i = 0; i < threads_; ++i) {
    Processor* s = processors[static_cast<size_t>(i)].get();
    workers.emplace_back([&, s] {
      for (;;) {
        Slot* slot;
        {
          std::unique_lock<std::mutex> lock(mu);
          work_cv.wait(lock, [&] { return closing || !todo.empty(); });
          if (todo.empty()) return;
          slot = todo.front();
          todo.pop_front();
        }
        Decide(&slot->batch, s, max_line);
        {
          std::lock_guard<std::mutex> lock(mu);
          slot->done = true;
        }
        done_cv.notify_all();
      }
    });
  }

  auto consume_oldest = [&] {
    Slot* slot = in_flight.front();
    {
      std::unique_lock<std::mutex> lock(mu);
      done_cv.wait(lock, [&] { return slot->done; });
    }
    in_flight.pop_front();
    consume(slot->batch);
    idle.push_back(slot);
  };
  for (;;) {
    if (idle.empty()) {
      if (slots.size() < max_in_flight) {
        slots.push_back(std::make_unique<Slot>());
        idle.push_back(slots.back().get());
      } else {
        consume_oldest();
      }
    }
    Slot* slot = idle.back();
    if (!reader->Next(&slot->batch.input)) break;
    idle.pop_back();
    {
      std::lock_guard<std::mutex> lock(mu);
      slot->done = false;
      todo.push_back(slot);
    }
    work_cv.notify_one();
    in_flight.push_back(slot);
  }
  while (!in_flight.empty()) consume_oldest();
  return Status::OK();
}

}  // namespace triage
