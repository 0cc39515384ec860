#include <catch2/catch.hpp>

#include "connectors/line_reader.h"
#include "test_util.h"

using namespace triage;

static std::vector<std::string> ReadAll(const std::string& path, std::vector<uint64_t>* numbers = nullptr) {
  std::unique_ptr<LineReader> r;
  REQUIRE(LineReader::Open(path, &r).ok());
  std::vector<std::string> lines;
  std::string_view line;
  while (r->Next(&line)) {
    // The padding contract simdjson relies on.
    CHECK(r->padded_capacity(line) >= line.size() + LineReader::kPadding);
    lines.emplace_back(line);
    if (numbers) numbers->push_back(r->line_number());
  }
  CHECK(r->status().ok());
  return lines;
}

TEST_CASE("Lines are split on LF and CRLF, with or without a final newline", "[lines]") {
  test::TempDir dir;
  CHECK(ReadAll(dir.Write("a", "one\ntwo\r\n\nthree")) == std::vector<std::string>{"one", "two", "", "three"});
  CHECK(ReadAll(dir.Write("b", "one\n")) == std::vector<std::string>{"one"});
  CHECK(ReadAll(dir.Write("c", "")).empty());
}

TEST_CASE("Lines that cross chunk boundaries or exceed the buffer come back whole", "[lines]") {
  test::TempDir dir;
  std::string content;
  std::vector<std::string> expect;
  // Lines of many sizes so that some straddle every 1 MiB boundary, and one
  // line three times the buffer.
  for (int i = 0; i < 3000; ++i) {
    expect.push_back(std::string(static_cast<size_t>(i * 7 % 1500 + 1), static_cast<char>('a' + i % 26)));
  }
  expect.push_back(std::string(3 * LineReader::kChunk + 17, 'z'));
  expect.push_back("tail");
  for (const auto& l : expect) content += l + "\n";
  std::vector<uint64_t> numbers;
  auto got = ReadAll(dir.Write("big", content), &numbers);
  REQUIRE(got.size() == expect.size());
  CHECK(got == expect);
  CHECK(numbers.back() == expect.size());
}

TEST_CASE("Opening a missing file is an I/O error naming it", "[lines]") {
  std::unique_ptr<LineReader> r;
  Status s = LineReader::Open("/nonexistent/archive.ndjson", &r);
  CHECK(s.code() == Status::Code::kIOError);
  CHECK_THAT(s.message(), Catch::StartsWith("/nonexistent/archive.ndjson: "));
}

TEST_CASE("A line over the limit is skipped whole and flagged - reading goes on", "[lines]") {
  test::TempDir dir;
  std::string big(1000, 'x');
  std::string path = dir.Write("long", "short one\n" + big + "\nafter\n" + big);
  std::unique_ptr<LineReader> r;
  REQUIRE(LineReader::Open(path, &r, /*max_line_bytes=*/100).ok());
  std::string_view line;
  REQUIRE(r->Next(&line));
  CHECK(line == "short one");
  CHECK_FALSE(r->too_long());
  REQUIRE(r->Next(&line));
  CHECK(r->too_long());
  CHECK(line.empty());
  CHECK(r->line_number() == 2);
  REQUIRE(r->Next(&line));
  CHECK_FALSE(r->too_long());
  CHECK(line == "after");
  CHECK(r->line_number() == 3);
  REQUIRE(r->Next(&line));  // over-long last line without a newline
  CHECK(r->too_long());
  CHECK(r->line_number() == 4);
  CHECK_FALSE(r->Next(&line));
  CHECK(r->status().ok());
}
