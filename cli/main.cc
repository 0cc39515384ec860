// triage: the command-line entry point. Parses flags and hands over to the
// subcommands in cli/commands.h; no logic lives here.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "cli/commands.h"

#ifndef TRIAGE_VERSION
#define TRIAGE_VERSION "unknown"
#endif

namespace {

// An integer option within [lo, hi], with an error that says so in words
// (CLI11's own range check prints the limits of double).
CLI::Validator WholeNumber(long long lo, long long hi) {
  std::string desc = "an integer from " + std::to_string(lo) + (hi == LLONG_MAX ? " up" : " to " + std::to_string(hi));
  return CLI::Validator(
      [lo, hi, desc](std::string& v) -> std::string {
        errno = 0;
        char* end = nullptr;
        long long n = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno == ERANGE || n < lo || n > hi)
          return "'" + v + "' is not " + desc;
        return "";
      },
      "INT", "WholeNumber");
}

void AddCommon(CLI::App* app, triage::CommonOptions* o) {
  app->add_option("--rules", o->rules, "Rule pack: a directory of YAML files or one file (default: bundled pack)");
  app->add_option("--cache-dir", o->cache_dir, "Where compiled pattern databases are cached");
  app->add_flag("--no-cache", o->no_cache, "Compile the pattern database without the on-disk cache");
  app->add_option("--model", o->model, "Learned model file, or 'none' for rules only (default: the pack's model)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"triage: a social-inbox triage engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("triage ") + TRIAGE_VERSION);

  triage::ReplayOptions replay;
  auto* replay_cmd = app.add_subcommand("replay", "Classify and route archived messages, one decision per line");
  AddCommon(replay_cmd, &replay.common);
  replay_cmd->add_option("archives", replay.archives, "NDJSON archives ('-' for standard input)")->required();
  replay_cmd->add_flag("-q,--quiet", replay.quiet, "No summary on standard error");
  replay_cmd->add_option("--alerts", replay.alerts, "Write crisis alerts (NDJSON) to this file");
  replay_cmd->add_flag("--no-detector", replay.no_detector, "Do not run burst detection");
  replay_cmd->add_option("--data", replay.data,
                         "Also store messages, decisions and event lines in this data directory (for triage maturity)");
  replay_cmd->add_option("--threads", replay.threads,
                         "Threads that parse, classify and route (0: one per core); the output is the same bytes "
                         "for any number")
      ->check(WholeNumber(0, 1024));
  replay_cmd->add_option("--batch-bytes", replay.batch_bytes, "Bytes of input per batch handed to a thread")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30))
      ->group("");  // for tests: small batches exercise the reordering
  replay_cmd->add_option("--format", replay.format,
                         "Input: archive (default), auto, or raw platform payloads one per line: meta, x, slack, "
                         "telegram, mastodon, reddit");

  triage::EvalOptions eval;
  auto* eval_cmd = app.add_subcommand("eval", "Score the rules against a labeled archive");
  AddCommon(eval_cmd, &eval.common);
  eval_cmd->add_option("archives", eval.archives, "Labeled NDJSON archives ('-' for standard input)")->required();
  eval_cmd->add_flag("--json", eval.json, "Print one JSON object");
  eval_cmd->add_flag("--no-detector", eval.no_detector, "Do not run burst detection (no alert report)");
  eval_cmd->add_flag("--no-thread-context", eval.no_thread_context,
                     "Classify each message alone, without its conversation's earlier message");
  eval_cmd->add_option("--show-errors", eval.show_errors, "Print the first N misclassified messages")
      ->check(WholeNumber(0, 1000000));
  eval_cmd->add_option("--min-macro-f1", eval.min_macro_f1, "Exit 4 when macro-F1 is below this")
      ->check(CLI::Range(0.0, 1.0));

  triage::RulesCheckOptions check;
  triage::TrainOptionsCli train;
  auto* train_cmd = app.add_subcommand("train", "Train the learned classifier on labeled archives and write the model");
  AddCommon(train_cmd, &train.common);
  train_cmd->add_option("archives", train.archives, "Labeled NDJSON archives");
  train_cmd->add_option("--data", train.data_dirs,
                        "Data directory of serve or replay --data: rerouted messages are corrections, closed ones "
                        "confirm the engine's label (repeatable)")
      ->allow_extra_args(false);
  train_cmd->add_option("--out", train.out_path, "Model file to write")->required();
  train_cmd->add_option("--folds", train.folds, "Cross-validation folds (default 5; 0: none)")->check(WholeNumber(0, 100));
  train_cmd->add_option("--holdout", train.holdout, "Share held out for a train/test figure (default 0.2; 0: none)");
  train_cmd->add_option("--seed", train.train.seed, "Seed of the example order and the splits (default 1)");
  train_cmd->add_option("--epochs", train.train.epochs, "Passes over the data (default 25)")->check(WholeNumber(1, 1000));
  train_cmd->add_option("--learning-rate", train.train.learning_rate, "AdaGrad step size (default 0.3)");
  train_cmd->add_option("--calibrate", train.calibrate,
                        "Held-out labeled archive(s) to calibrate the model's probabilities and thresholds on "
                        "(repeatable); without it the model is uncalibrated")
      ->allow_extra_args(false);
  train_cmd->add_option("--min-df", train.train.min_df, "Messages a feature must occur in to be kept (default 2)")
      ->check(WholeNumber(1, 1000));
  train_cmd->add_option("--l2", train.train.l2, "L2 regularization (default 2e-5)");
  train_cmd->add_option("--review-below", train.review_below,
                        "Confidence under which a decision is marked for review (default 0.6)")
      ->check(CLI::Range(0.0, 1.0));
  train_cmd->add_option("--crisis-precision", train.crisis_precision,
                        "Precision the model alone must reach on the held-out archives to label crisis (default 0.9)")
      ->check(CLI::Range(0.0, 1.0));
  train_cmd->add_option("--char-min", train.features.char_min, "Shortest character n-gram (default 3)")
      ->check(CLI::Range(1, 8));
  train_cmd->add_option("--char-max", train.features.char_max, "Longest character n-gram (default 3; 0: none)")
      ->check(CLI::Range(0, 8));
  train_cmd->add_flag("--no-balance", [&train](int64_t) { train.train.balance = false; },
                      "Do not weight labels to equal total weight");
  train_cmd->add_option("--model-weight", train.model_weight,
                         "Model weight for the combined figures (default: the pack's model_weight)");
  train_cmd->add_flag("--json", train.json, "One JSON object");

  auto* rules_cmd = app.add_subcommand("rules", "Rule pack tools");
  rules_cmd->require_subcommand(1);
  auto* check_cmd = rules_cmd->add_subcommand("check", "Compile a rule pack and report every error");
  AddCommon(check_cmd, &check.common);
  triage::RulesExplainOptions explain;
  auto* explain_cmd = rules_cmd->add_subcommand("explain", "Show how one message text is classified and routed");
  AddCommon(explain_cmd, &explain.common);
  explain_cmd->add_option("text", explain.text, "The message text")->required();
  explain_cmd->add_option("--lang", explain.lang, "Language code (default: detected)");
  explain_cmd->add_option("--channel", explain.channel, "Channel (default: x)");
  explain_cmd->add_option("--kind", explain.kind, "public or private (default: unknown)")
      ->check(CLI::IsMember({"public", "private"}));
  explain_cmd->add_option("--after", explain.after,
                          "The label of the conversation's earlier message (thread context), e.g. support");
  explain_cmd->add_flag("--other-author", explain.other_author, "With --after: the earlier message was someone else's");

  triage::NormalizeOptions normalize;
  auto* normalize_cmd = app.add_subcommand("normalize", "Show the archive messages and events platform payloads become");
  normalize_cmd->add_option("inputs", normalize.inputs, "Files of payloads, one per line, or one JSON document per file ('-' for standard input)")
      ->required();
  normalize_cmd->add_option("--format", normalize.format, "auto (default), meta, x, slack, telegram, mastodon, reddit");

  triage::MaturityOptions maturity;
  auto* maturity_cmd = app.add_subcommand("maturity", "Response metrics and the Social Maturity Index of a data directory");
  maturity_cmd->add_option("--data", maturity.data, "Data directory (of serve, or of replay --data)")->required();
  maturity_cmd->add_option("--config", maturity.config, "Serve config: queue SLA targets, business hours, maturity section");
  maturity_cmd->add_option("--from", maturity.from, "First day (YYYY-MM-DD, UTC); default: the start of the history");
  maturity_cmd->add_option("--to", maturity.to, "Day after the last (YYYY-MM-DD); default: the end of the history");
  maturity_cmd->add_option("--format", maturity.format, "text, json or html")->check(CLI::IsMember({"text", "json", "html"}));

  triage::DiffOptions diff;
  auto* diff_cmd = app.add_subcommand("diff", "Compare two rule packs on an archive: changed labels and queues, eval and speed");
  AddCommon(diff_cmd, &diff.common);
  diff_cmd->add_option("--rules-new", diff.rules_new, "The changed pack (--rules is the old one)")->required();
  diff_cmd->add_option("archives", diff.archives, "NDJSON archives")->required();
  diff_cmd->add_flag("--json", diff.json, "One JSON object");
  diff_cmd->add_option("--examples", diff.examples, "Examples per change (default 3)")->check(WholeNumber(0, 1000));

  triage::BenchOptions bench;
  auto* bench_cmd = app.add_subcommand("bench", "Measure a rule pack: compile, parse/classify/route throughput, rule hits and costs");
  AddCommon(bench_cmd, &bench.common);
  bench_cmd->add_option("archive", bench.archive, "NDJSON archive (read into memory)")->required();
  bench_cmd->add_option("--repeat", bench.repeat, "Passes per measurement, best reported (default 3)")
      ->check(WholeNumber(1, 1000));
  bench_cmd->add_option("--top-rules", bench.top_rules, "Rules measured one by one, most patterns first (default 5)")
      ->check(WholeNumber(0, 10000));
  bench_cmd->add_flag("--json", bench.json, "One JSON object");

  triage::GenOptions gen;
  auto* gen_cmd = app.add_subcommand("gen", "Write a generated archive (own templates) to standard output");
  gen_cmd->add_option("--messages", gen.messages, "How many messages")->required()->check(WholeNumber(0, LLONG_MAX));
  gen_cmd->add_option("--seed", gen.generator.seed, "Seed (same seed, same bytes)");
  gen_cmd->add_option("--brands", gen.generator.brands, "How many brands (default 8)")->check(WholeNumber(1, 100000));
  gen_cmd->add_option("--id-prefix", gen.generator.id_prefix, "Message ids are PREFIX:N (default gen)");
  gen_cmd->add_option("--burst-at", gen.generator.burst_at, "Start an outage burst after this many messages")
      ->check(WholeNumber(0, LLONG_MAX));
  gen_cmd->add_option("--burst-messages", gen.generator.burst_messages, "Messages in the burst (default 40)")
      ->check(WholeNumber(1, 10000000));
  gen_cmd->add_option("--burst-brand", gen.generator.burst_brand, "Index of the brand that bursts (default 0)")
      ->check(WholeNumber(0, 100000));
  gen_cmd->add_option("--burst-gap", gen.generator.burst_gap_seconds, "Seconds of event time between burst messages (default 12)")
      ->check(WholeNumber(0, 86400));

  triage::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the triage daemon (HTTP API, durable queues)");
  serve_cmd->add_option("--config", serve.config, "YAML config file (see serve.example.yaml)");
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve_cmd->add_option("--data", serve.data, "Data directory for the embedded RocksDB (default triage-data)");
  serve_cmd->add_option("--rules", serve.rules, "Rule pack: a directory of YAML files or one file (default: bundled pack)");
  serve_cmd->add_option("--model", serve.model,
                        "Learned model file, or 'none' for rules only (default: the pack's model)");
  serve_cmd->add_flag("--kafka", serve.kafka,
                      "Also consume the config's kafka: topics as a consumer-group member and produce decisions "
                      "to per-queue topics");
  serve_cmd->add_flag("--insecure-no-auth", serve.insecure_no_auth,
                      "Listen on a non-loopback address with no API token configured (only behind something that "
                      "authenticates clients)");

  triage::TokenNewOptions token_new;
  auto* token_cmd = app.add_subcommand("token", "API tokens for triage serve");
  token_cmd->require_subcommand(1);
  auto* token_new_cmd = token_cmd->add_subcommand("new", "Print a fresh API token once, and the auth: entry for the serve config");
  token_new_cmd->add_option("--name", token_new.name, "Who the token is for (shown in the audit log)")->required();
  token_new_cmd->add_option("--scope", token_new.scopes, "ingest, agent, read, metrics or admin (repeatable)")
      ->required()
      ->check(CLI::IsMember({"ingest", "agent", "read", "metrics", "admin"}));
  token_new_cmd->add_option("--agent", token_new.agent, "The agent an agent-scope token acts as");

  triage::BackupOptions backup;
  auto* backup_cmd = app.add_subcommand(
      "backup", "Back up a data directory no daemon holds (a running daemon: POST /v1/admin/backup), or list backups");
  backup_cmd->add_option("--data", backup.data, "The data directory to back up (opened read-only)");
  backup_cmd->add_option("--to", backup.to, "The backup directory (numbered, incremental backups)")->required();
  backup_cmd->add_flag("--list", backup.list, "List the backups in --to: id, time, size, files, messages");
  backup_cmd->add_flag("--verify", backup.verify, "List, and read back every file of every backup against its checksum");

  triage::RestoreOptions restore;
  auto* restore_cmd = app.add_subcommand("restore", "Restore a backup into a new data directory, check it and open it");
  restore_cmd->add_option("--from", restore.from, "The backup directory")->required();
  restore_cmd->add_option("--to", restore.to, "The data directory to create (absent or empty)")->required();
  restore_cmd->add_option("--backup", restore.backup, "Which backup (default: the latest complete one)")
      ->check(WholeNumber(1, UINT32_MAX));
  restore_cmd->add_flag("--force", restore.force,
                        "Replace the store in a non-empty --to (never one a running daemon holds)");

  triage::EraseOptions erase;
  auto* erase_cmd = app.add_subcommand(
      "erase", "Erase one author's messages from a data directory no daemon holds (a running daemon: "
               "DELETE /v1/authors/{channel}/{author_id})");
  erase_cmd->add_option("--data", erase.data, "The data directory (the daemon stopped)")->required();
  erase_cmd->add_option("--author", erase.author, "CHANNEL:AUTHOR_ID, as the messages' channel and author.id")
      ->required();
  erase_cmd->add_option("--backups", erase.backups,
                        "The backup directory: record the erasure there too, for `triage restore`");

  // An unknown command word is named (CLI11 alone says only that a
  // subcommand is required).
  if (argc >= 2 && argv[1][0] != '-') {
    std::string_view word = argv[1];
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known = known || sub->get_name() == word;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "triage: unknown command '%s'; commands: %s (triage --help)\n", argv[1], names.c_str());
      return triage::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : triage::kExitUsage;
  }
  if (*replay_cmd) return triage::RunReplay(replay);
  if (*eval_cmd) return triage::RunEval(eval);
  if (*train_cmd) return triage::RunTrain(train);
  if (*check_cmd) return triage::RunRulesCheck(check);
  if (*explain_cmd) return triage::RunRulesExplain(explain);
  if (*serve_cmd) return triage::RunServe(serve);
  if (*token_new_cmd) return triage::RunTokenNew(token_new);
  if (*maturity_cmd) return triage::RunMaturity(maturity);
  if (*gen_cmd) return triage::RunGen(gen);
  if (*diff_cmd) return triage::RunDiff(diff);
  if (*bench_cmd) return triage::RunBench(bench);
  if (*normalize_cmd) return triage::RunNormalize(normalize);
  if (*backup_cmd) return triage::RunBackup(backup);
  if (*restore_cmd) return triage::RunRestore(restore);
  if (*erase_cmd) return triage::RunErase(erase);
  return triage::kExitUsage;
}
