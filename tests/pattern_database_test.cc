#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/pattern_database.h"
#include "test_util.h"

using namespace triage;

namespace {

std::vector<Expression> Exprs() {
  return {{"\\x20refund\\x20", HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH},
          {"order [0-9]{5,}", HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SINGLEMATCH}};
}

int CountMatches(const PatternDatabase& db, const std::string& text) {
  hs_scratch_t* scratch = nullptr;
  REQUIRE(db.NewScratch(&scratch).ok());
  int n = 0;
  hs_scan(db.database(), text.data(), static_cast<unsigned>(text.size()), 0, scratch,
          [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
            ++*static_cast<int*>(ctx);
            return 0;
          },
          &n);
  hs_free_scratch(scratch);
  return n;
}

std::string OnlyCacheFile(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path().string());
  REQUIRE(files.size() == 1);
  return files[0];
}

}  // namespace

TEST_CASE("A compiled database is cached on disk and loaded next time", "[hsdb]") {
  test::TempDir dir;
  PatternDatabaseOptions opts{dir.path()};
  std::unique_ptr<PatternDatabase> a, b;
  REQUIRE(PatternDatabase::Build(Exprs(), opts, &a).ok());
  CHECK_FALSE(a->info().from_cache);
  CHECK_FALSE(a->info().cache_file.empty());
  REQUIRE(PatternDatabase::Build(Exprs(), opts, &b).ok());
  CHECK(b->info().from_cache);
  CHECK(b->info().cache_file == a->info().cache_file);
  CHECK(CountMatches(*b, " refund order 123456 ") == 2);

  // A different pattern set has a different key: compiled, not loaded.
  auto other = Exprs();
  other[0].text = "\\x20refunds\\x20";
  std::unique_ptr<PatternDatabase> c;
  REQUIRE(PatternDatabase::Build(other, opts, &c).ok());
  CHECK_FALSE(c->info().from_cache);
  CHECK(c->info().cache_file != a->info().cache_file);
}

TEST_CASE("A corrupt, truncated or foreign cache file is rebuilt, never trusted", "[hsdb]") {
  test::TempDir dir;
  PatternDatabaseOptions opts{dir.path()};
  std::unique_ptr<PatternDatabase> db;
  REQUIRE(PatternDatabase::Build(Exprs(), opts, &db).ok());
  std::string file = OnlyCacheFile(dir.path());
  std::string good = test::ReadFile(file);

  SECTION("flipped byte in the database") {
    std::string bad = good;
    bad[bad.size() - 10] ^= 0x5A;
    dir.Write(std::filesystem::path(file).filename().string(), bad);
    REQUIRE(PatternDatabase::Build(Exprs(), opts, &db).ok());
    CHECK_FALSE(db->info().from_cache);
    CHECK_THAT(db->info().cache_note, Catch::Contains("checksum mismatch"));
  }
  SECTION("truncated") {
    dir.Write(std::filesystem::path(file).filename().string(), good.substr(0, good.size() / 2));
    REQUIRE(PatternDatabase::Build(Exprs(), opts, &db).ok());
    CHECK_FALSE(db->info().from_cache);
    CHECK_THAT(db->info().cache_note, Catch::Contains("truncated"));
  }
  SECTION("not ours") {
    dir.Write(std::filesystem::path(file).filename().string(), "garbage that is long enough to have a header...........");
    REQUIRE(PatternDatabase::Build(Exprs(), opts, &db).ok());
    CHECK_FALSE(db->info().from_cache);
    CHECK_THAT(db->info().cache_note, Catch::Contains("bad header"));
  }
  // In every case the rebuilt database works and the cache was rewritten.
  CHECK(CountMatches(*db, " refund ") == 1);
  CHECK(test::ReadFile(file) == good);
  std::unique_ptr<PatternDatabase> again;
  REQUIRE(PatternDatabase::Build(Exprs(), opts, &again).ok());
  CHECK(again->info().from_cache);
}

TEST_CASE("Hyperscan's compile error is returned with the expression it blames", "[hsdb]") {
  std::vector<Expression> exprs = {{"ok", HS_FLAG_UTF8}, {"(unclosed", HS_FLAG_UTF8}};
  std::unique_ptr<PatternDatabase> db;
  int bad = -2;
  Status s = PatternDatabase::Build(exprs, PatternDatabaseOptions{}, &db, &bad);
  CHECK_FALSE(s.ok());
  CHECK(bad == 1);
  CHECK_THAT(s.message(), Catch::StartsWith("Hyperscan: "));
}
