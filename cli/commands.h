// The subcommands of the `triage` binary, as functions that tests can call.
// main.cc only parses flags into these option structs.
//
// Exit codes (shared by all subcommands):
//   0  success
//   1  error: bad rule pack, unreadable archive, ...
//   2  bad command line
//   3  finished, but malformed archive lines were skipped
//   4  eval: macro-F1 below --min-macro-f1
#ifndef TRIAGE_CLI_COMMANDS_H_
#define TRIAGE_CLI_COMMANDS_H_

#include <cstdio>
#include <string>
#include <vector>

#include "engine/model/feature_hasher.h"
#include "engine/model/trainer.h"

#include "connectors/synthetic/archive_generator.h"

namespace triage {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitSkipped = 3;
inline constexpr int kExitBelowGate = 4;

struct CommonOptions {
  std::string rules;      // empty: the bundled pack
  std::string cache_dir;  // empty: PatternDatabase::DefaultCacheDir()
  bool no_cache = false;
  std::string model;      // "": the pack's model (if any); "none": rules only; else a model file
  FILE* out = stdout;
  FILE* err = stderr;
};

struct ReplayOptions {
  CommonOptions common;
  std::vector<std::string> archives;  // "-" is standard input
  std::string format = "archive";     // archive, auto, or a platform (meta, x, slack, telegram, mastodon, reddit)
  bool quiet = false;                 // no summary on err
  std::string alerts;                 // write crisis alerts here as NDJSON ("" = don't)
  bool no_detector = false;           // skip burst detection
  std::string data;                   // also store messages, decisions and event lines in this data directory
  int threads = 0;                    // decide on this many threads (0: one per core)
  size_t batch_bytes = 1 << 20;       // lines are handed to threads in blocks of about this size
};
int RunReplay(const ReplayOptions& opts);

struct EvalOptions {
  CommonOptions common;
  std::vector<std::string> archives;
  bool json = false;
  int show_errors = 0;
  double min_macro_f1 = -1;  // < 0: no gate
  bool no_detector = false;
  bool no_thread_context = false;  // classify each message alone (to measure what context gains)
};
int RunEval(const EvalOptions& opts);

// triage train: trains the learned classifier (engine/model) on labeled
// archives; prints cross-validated and held-out figures for rules, model
// and combined; writes the model file.
struct TrainOptionsCli {
  CommonOptions common;
  std::vector<std::string> archives;
  std::vector<std::string> data_dirs;  // stored history (serve or replay --data): reroutes are corrections
  std::vector<std::string> calibrate;  // held-out labeled archives to calibrate on (none: uncalibrated)
  std::string out_path;
  int folds = 5;         // 0: no cross-validation
  double holdout = 0.2;  // 0: no held-out split
  double model_weight = -1;  // < 0: the pack's model_weight, for the "combined" figures
  double review_below = 0.6;       // confidence under which a decision is marked for review
  double crisis_precision = 0.9;   // the model alone labels crisis only where this precise on held-out data
  bool json = false;
  FeatureOptions features;
  TrainOptions train;
};
int RunTrain(const TrainOptionsCli& opts);

struct RulesCheckOptions {
  CommonOptions common;
};
int RunRulesCheck(const RulesCheckOptions& opts);

// triage rules explain: shows how one message is classified: the normalized
// text, every pattern that matched and the rules it belongs to, the scores,
// the label and the route. For rules authors.
struct RulesExplainOptions {
  CommonOptions common;
  std::string text;
  std::string lang;
  std::string channel = "x";
  std::string kind;          // public, private, or "" (unknown)
  std::string after;         // the label of the conversation's earlier message ("" : none)
  bool other_author = false; // the earlier message was someone else's
};
int RunRulesExplain(const RulesExplainOptions& opts);

// triage normalize: platform payloads (one per line, or a file that is one
// JSON document however laid out) to archive lines, plus
// the platform events as {"event": ...} lines, for inspecting what the engine
// would see.
struct NormalizeOptions {
  CommonOptions common;
  std::vector<std::string> inputs;
  std::string format = "auto";
};
int RunNormalize(const NormalizeOptions& opts);

// triage serve: the daemon (runtime/server/daemon.h). Flags override the
// config file.
// triage maturity: response metrics and the Social Maturity Index of a data
// directory (written by serve or by replay --data).
struct MaturityOptions {
  CommonOptions common;
  std::string data;
  std::string config;  // serve config: queue SLA targets, business hours, maturity section
  std::string from, to;  // YYYY-MM-DD (UTC); default: the whole history
  std::string format = "text";  // text, json, html
};
int RunMaturity(const MaturityOptions& opts);

// triage diff: what a rule change does to an archive's labels and queues.
struct DiffOptions {
  CommonOptions common;  // common.rules is the old pack
  std::string rules_new;
  std::vector<std::string> archives;
  bool json = false;
  int examples = 3;  // per from -> to pair
};
int RunDiff(const DiffOptions& opts);

// triage bench: what a rule pack costs on an archive.
struct BenchOptions {
  CommonOptions common;
  std::string archive;
  int repeat = 3;      // passes per measurement; the best is reported
  int top_rules = 5;   // rules (most patterns first) whose cost is measured one by one
  bool json = false;
};
int RunBench(const BenchOptions& opts);

// triage gen: a generated archive on standard output.
struct GenOptions {
  CommonOptions common;
  int64_t messages = 0;
  GeneratorOptions generator;
};
int RunGen(const GenOptions& opts);

struct ServeOptions {
  std::string config;
  std::string listen;
  std::string data;
  std::string rules;
  std::string model;   // "": the pack's model; "none": rules only; else a model file
  bool kafka = false;  // also consume and route the config's kafka: topics
  bool insecure_no_auth = false;  // listen off loopback without tokens
  FILE* err = stderr;
};
int RunServe(const ServeOptions& opts);

// triage backup: a checked backup of a data directory that no daemon holds
// (opened read-only) into a backup directory of numbered backups; or, with
// --list, what a backup directory holds (--verify: and whether each backup
// reads back whole). A store a running `triage serve` holds: the command says
// to ask the daemon (POST /v1/admin/backup). Layout: engine/store/store_backup.h.
struct BackupOptions {
  CommonOptions common;  // out and err only
  std::string data;      // the store to back up
  std::string to;        // the backup directory
  bool list = false;
  bool verify = false;   // with or without --list: list, checking every file of every backup
};
int RunBackup(const BackupOptions& opts);

// triage restore: backup N (default: the latest complete one) of a backup
// directory into an absent or empty data directory, or, with --force, in
// place of the store in DATA_DIR; checked, then opened read-only.
struct RestoreOptions {
  CommonOptions common;  // out and err only
  std::string from;      // the backup directory
  std::string to;        // the data directory
  uint32_t backup = 0;   // 0: the latest
  bool force = false;
};
int RunRestore(const RestoreOptions& opts);

// triage erase: removes every message text and author detail of one author
// (CHANNEL:AUTHOR_ID) from a data directory no daemon holds, keeping what
// the metrics need, and prints what it erased as JSON. --backups: also
// record the erasure in BACKUP_DIR/erasures.jsonl, which `triage restore`
// re-applies to older backups. engine/store/erasure.h.
struct EraseOptions {
  CommonOptions common;  // out and err only
  std::string data;
  std::string author;    // CHANNEL:AUTHOR_ID
  std::string backups;   // optional: the backup directory
};
int RunErase(const EraseOptions& opts);

// triage token new: a fresh random token, printed once with the auth: entry
// (its SHA-256, never the token) to paste into the serve config.
struct TokenNewOptions {
  std::string name;
  std::vector<std::string> scopes;
  std::string agent;
  FILE* out = stdout;
  FILE* err = stderr;
};
int RunTokenNew(const TokenNewOptions& opts);

}  // namespace triage

#endif  // TRIAGE_CLI_COMMANDS_H_
