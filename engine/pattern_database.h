// PatternDatabase: every distinct pattern of a rule pack compiled into ONE
// Hyperscan block-mode database (UTF-8 + UCP), with an on-disk cache.
//
// The cache file is keyed by a SHA-256 of the Hyperscan version, the target
// platform (CPU features and tuning) and every expression with its flags and
// id. A serialized database is only valid for that Hyperscan build and CPU, so
// a cache file whose key, checksum or Hyperscan version do not match is
// rebuilt and rewritten, never trusted.
//
// Scratch space is per thread: NewScratch() clones a prototype allocated at
// build time; nothing is allocated on the scan path.
#ifndef TRIAGE_ENGINE_PATTERN_DATABASE_H_
#define TRIAGE_ENGINE_PATTERN_DATABASE_H_

#include <hs/hs.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace triage {

struct Expression {
  std::string text;
  unsigned flags = 0;
};

struct PatternDatabaseOptions {
  // Directory for serialized databases; empty: do not cache.
  std::string cache_dir;
};

struct PatternDatabaseInfo {
  bool from_cache = false;
  double compile_seconds = 0;  // time spent in hs_compile_multi (0 when loaded from cache)
  size_t database_bytes = 0;
  std::string cache_file;      // empty when not cached
  std::string cache_note;      // why the cache was not used, if it was not
};

class PatternDatabase {
 public:
  ~PatternDatabase();
  PatternDatabase(const PatternDatabase&) = delete;
  PatternDatabase& operator=(const PatternDatabase&) = delete;

  // Compiles `exprs` (expression i gets Hyperscan id i), or loads the cached
  // database. On a compile error, *bad_expression (if not null) is set to the
  // index Hyperscan blames (-1 when it blames none) and the Status carries
  // Hyperscan's message.
  static Status Build(const std::vector<Expression>& exprs, const PatternDatabaseOptions& options,
                      std::unique_ptr<PatternDatabase>* out, int* bad_expression = nullptr);

  // Checks one expression on its own; returns Hyperscan's error if it rejects it.
  static Status CheckExpression(const Expression& expr);

  // Allocates scratch space for one thread. Free with hs_free_scratch.
  Status NewScratch(hs_scratch_t** scratch) const;

  const hs_database_t* database() const { return db_; }
  const PatternDatabaseInfo& info() const { return info_; }

  // The default cache directory: $TRIAGE_CACHE_DIR, else $XDG_CACHE_HOME/triage,
  // else $HOME/.cache/triage, else empty (no cache).
  static std::string DefaultCacheDir();

 private:
  PatternDatabase() = default;
  hs_database_t* db_ = nullptr;
  hs_scratch_t* prototype_ = nullptr;
  PatternDatabaseInfo info_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_PATTERN_DATABASE_H_
