// triage erase: erasure of one author's messages in a data directory no
// daemon holds (engine/store/erasure.h has what is removed and what kept).
// A running daemon holds the database's lock; it erases through
// DELETE /v1/authors/{channel}/{author_id}, and the command says so.
#include <filesystem>

#include "base/json_writer.h"
#include "base/rfc3339.h"
#include "cli/commands.h"
#include "engine/store/erasure.h"
#include "engine/store/queue_store.h"

namespace triage {

int RunErase(const EraseOptions& opts) {
  FILE* err = opts.common.err;
  if (opts.data.empty() || opts.author.empty()) {
    std::fprintf(err, "triage erase: --data DIR and --author CHANNEL:AUTHOR_ID are required\n");
    return kExitUsage;
  }
  const size_t colon = opts.author.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == opts.author.size()) {
    std::fprintf(err, "triage erase: --author must be CHANNEL:AUTHOR_ID (e.g. whatsapp:15551234567), got '%s'\n",
                 opts.author.c_str());
    return kExitUsage;
  }
  const std::string channel = opts.author.substr(0, colon), author_id = opts.author.substr(colon + 1);
  // A mistyped path must not become a new, empty store.
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(opts.data) / "CURRENT", ec)) {
    std::fprintf(err, "triage erase: --data %s: no store there (no CURRENT file)\n", opts.data.c_str());
    return kExitError;
  }
  std::unique_ptr<QueueStore> store;
  if (Status s = QueueStore::Open(opts.data, QueueStoreOptions(), &store); !s.ok()) {
    std::fprintf(err, "triage erase: --data %s\n", s.message().c_str());
    if (s.message().find("lock") != std::string::npos)
      std::fprintf(err,
                   "The database is locked: a running `triage serve` holds it. Stop the daemon, or ask it to erase:\n"
                   "  curl -XDELETE -H \"Authorization: Bearer $ADMIN_TOKEN\" "
                   "http://HOST:PORT/v1/authors/%s/%s\n",
                   channel.c_str(), author_id.c_str());
    return kExitError;
  }
  ErasureRecord r;
  if (Status s = store->EraseAuthorSync(channel, author_id, &r); !s.ok()) {
    std::fprintf(err, "triage erase: %s\n", s.message().c_str());
    return kExitError;
  }
  std::string ledger;
  if (!opts.backups.empty()) {
    ledger = ErasureLedgerPath(opts.backups);
    std::filesystem::create_directories(opts.backups, ec);
    if (Status s = AppendErasureLedgerFile(ledger, r); !s.ok()) {
      std::fprintf(err, "triage erase: erased, but not recorded beside the backups: %s\n", s.message().c_str());
      return kExitError;
    }
  }
  std::string out = "{\"channel\":";
  AppendJsonString(r.channel, &out);
  out += ",\"author_id\":";
  AppendJsonString(r.author_id, &out);
  out += ",\"erased_at\":";
  AppendJsonString(FormatRfc3339(r.erased_ms), &out);
  out += ",\"messages\":" + std::to_string(r.messages) + ",\"events\":" + std::to_string(r.events) + ",\"ledger\":";
  if (ledger.empty()) out += "null";
  else AppendJsonString(ledger, &out);
  out += "}\n";
  std::fputs(out.c_str(), opts.common.out);
  return kExitOk;
}

}  // namespace triage
