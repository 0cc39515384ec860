// BatchReader cuts files into blocks of whole lines; BatchDecider decides
// them on several threads. Both must be invisible in the results: the same
// lines, numbers, errors and decisions as reading the file in one pass.
#include <catch2/catch.hpp>

#include <cstring>

#include "runtime/replay/batch_decider.h"
#include "connectors/batch_reader.h"
#include "test_util.h"

using namespace triage;

namespace {

struct ReadLine {
  std::string file;
  uint64_t number;
  std::string text;
  bool too_long;
  bool operator==(const ReadLine& o) const {
    return file == o.file && number == o.number && text == o.text && too_long == o.too_long;
  }
};

// Every line as LineReader sees it, reading the files directly.
std::vector<ReadLine> Direct(const std::vector<std::string>& paths, size_t max_line) {
  std::vector<ReadLine> out;
  for (const auto& p : paths) {
    std::unique_ptr<LineReader> r;
    if (!LineReader::Open(p, &r, max_line).ok()) continue;
    std::string_view line;
    while (r->Next(&line)) out.push_back({r->name(), r->line_number(), std::string(line), r->too_long()});
  }
  return out;
}

// The same, through batches of `block` bytes and a LineReader over each.
std::vector<ReadLine> Batched(const std::vector<std::string>& paths, size_t block, size_t max_line,
                              std::string* notices = nullptr, size_t* batches = nullptr) {
  std::vector<ReadLine> out;
  BatchReader reader(paths, block, max_line);
  LineBatch b;
  while (reader.Next(&b)) {
    if (notices) *notices += b.notice;
    if (batches) ++*batches;
    REQUIRE(b.buf.size() >= b.size + LineReader::kPadding);
    if (b.size) REQUIRE((b.buf[b.size - 1] == '\n' || b.size > 0));
    auto r = LineReader::OverMemory(b.file, b.buf.data(), b.size, b.buf.size(), b.first_line, max_line);
    std::string_view line;
    while (r->Next(&line)) {
      REQUIRE(r->padded_capacity(line) >= line.size() + LineReader::kPadding);
      out.push_back({r->name(), r->line_number(), std::string(line), r->too_long()});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("BatchReader returns every line once with its number, for any block size", "[batch]") {
  test::TempDir dir;
  std::string a = dir.Write("a.ndjson", "first\nsecond line\r\n\n\nfifth: \xd8\xb4\xd9\x83\xd8\xb1\xd8\xa7\n"
                                        "sixth has no newline");
  std::string b = dir.Write("b.ndjson", "b1\nb2\n");
  std::string empty = dir.Write("empty.ndjson", "");
  std::vector<std::string> paths{a, empty, b};
  auto want = Direct(paths, 1 << 20);
  REQUIRE(want.size() == 8);
  CHECK(want[5].text == "sixth has no newline");
  for (size_t block : {1, 2, 3, 7, 16, 64, 1 << 20}) {
    INFO("block " << block);
    CHECK(Batched(paths, block, 1 << 20) == want);  // names come from the batch: one file each
  }
}

TEST_CASE("BatchReader: an over-long line is reported as too long at its number, memory bounded", "[batch]") {
  test::TempDir dir;
  std::string big(5000, 'x');
  std::string a = dir.Write("a.ndjson", "ok 1\n" + big + "\nok 3\n" + std::string(40, 'y') + "\nok 5\n" + big);
  auto want = Direct({a}, 32);
  REQUIRE(want.size() == 6);
  CHECK(want[1].too_long);
  CHECK(want[3].too_long);
  CHECK(want[5].too_long);
  CHECK(want[4].text == "ok 5");
  for (size_t block : {1, 5, 31, 33, 100, 4096, 1 << 20}) {
    INFO("block " << block);
    CHECK(Batched({a}, block, 32) == want);
  }
  // The batch holds no more than block + limit (+ a possible '\r' and padding).
  BatchReader reader({a}, 100, 32);
  LineBatch b;
  while (reader.Next(&b)) CHECK(b.size <= 100 + 34);
}

TEST_CASE("BatchReader: a file that cannot be opened is a notice in order, and reading goes on", "[batch]") {
  test::TempDir dir;
  std::string a = dir.Write("a.ndjson", "a1\n");
  std::string b = dir.Write("b.ndjson", "b1\n");
  std::string notices;
  auto got = Batched({a, dir.path() + "/missing.ndjson", b}, 64, 1 << 20, &notices);
  REQUIRE(got.size() == 2);
  CHECK(got[1].text == "b1");
  CHECK(notices == "triage: " + dir.path() + "/missing.ndjson: No such file or directory\n");
  // Only missing files: one batch carrying the notices, nothing else.
  BatchReader only({dir.path() + "/x", dir.path() + "/y"});
  LineBatch batch;
  REQUIRE(only.Next(&batch));
  CHECK(batch.io_errors == 2);
  CHECK(batch.size == 0);
  CHECK_FALSE(only.Next(&batch));
}

TEST_CASE("BatchDecider: the same decisions, events and errors in the same order on any number of threads",
          "[batch][determinism]") {
  test::TempDir dir;
  std::string dev = test::ReadFile(std::string(TRIAGE_SHARED_DIR) + "/data/dev/dev.ndjson");
  REQUIRE(dev.size() > 10000);
  // Bad lines and event lines between the real ones.
  std::string mixed;
  size_t pos = 0, n = 0;
  while (pos < dev.size()) {
    size_t nl = dev.find('\n', pos);
    if (nl == std::string::npos) nl = dev.size();
    mixed.append(dev, pos, nl - pos);
    mixed += '\n';
    if (++n % 37 == 0) mixed += "{broken json line\n";
    if (n % 53 == 0)
      mixed += R"({"type":"event","message":"m)" + std::to_string(n) +
               R"(","event":"replied","agent":"a","at":"2026-10-01T10:00:00Z"})" "\n";
    if (n % 91 == 0) mixed += R"({"type":"event","message":"m","event":"exploded"})" "\n";
    pos = nl + 1;
  }
  std::string path = dir.Write("mixed.ndjson", mixed);
  auto pipeline = test::PipelineFromYaml(R"(
rules:
  - id: refund
    label: support
    any: ["refund", "reembolso", "/not work(ing|s)?/"]
  - id: price
    label: lead
    any: ["price", "precio", "buy"]
)");

  std::shared_ptr<const Pipeline> shared(std::move(pipeline));
  // "id label queue rules normalized-length | event | diagnostics" for each batch, in order.
  auto run = [&](int threads, size_t block) {
    std::string trace;
    BatchReader reader({path}, block);
    BatchDecider decider(shared, ArchiveFormat{}, threads);
    auto diagnostics_to = [&](DecidedBatch& b, size_t end) {
      trace.append(b.diagnostics, b.diagnostics_printed, end - b.diagnostics_printed);
      b.diagnostics_printed = end;
    };
    Status s = decider.Run(&reader, [&](DecidedBatch& b) {
      size_t e = 0;
      for (size_t i = 0;; ++i) {
        for (; e < b.events.size() && b.events[e].before == i; ++e) {
          diagnostics_to(b, b.events[e].diagnostics_before);
          trace += "event " + b.events[e].event.message + " at line " + std::to_string(b.events[e].line) + "\n";
        }
        if (i == b.num_messages) break;
        const DecidedMessage& m = b.messages[i];
        diagnostics_to(b, m.diagnostics_before);
        trace += std::string(m.msg.id) + " " + std::string(LabelName(m.decision.verdict.label)) + " " +
                 std::string(m.decision.routing.queue) + " " + std::string(m.decision.verdict.lang) + " " +
                 std::to_string(m.decision.verdict.fired.size()) + " " + std::to_string(m.normalized.size()) + " " +
                 std::to_string(m.line.size()) + " " + std::string(m.msg.brand) + "\n";
      }
      diagnostics_to(b, b.diagnostics.size());
    });
    REQUIRE(s.ok());
    return trace;
  };
  std::string one = run(1, 1 << 30);
  CHECK(std::count(one.begin(), one.end(), '\n') > 520 + 14 + 9);
  CHECK_THAT(one, Catch::Contains("mixed.ndjson:38: malformed line skipped: invalid JSON"));
  CHECK_THAT(one, Catch::Contains("event m53 at line "));
  CHECK_THAT(one, Catch::Contains("malformed line skipped: event line: field 'event': 'exploded'"));
  for (int threads : {1, 2, 4})
    for (size_t block : {size_t{1}, size_t{500}, size_t{4096}}) {
      INFO("threads " << threads << " block " << block);
      CHECK(run(threads, block) == one);
    }
}
