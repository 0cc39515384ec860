// gen_archive N [SEED]: writes N generated archive lines to standard output,
// for replay measurements (bench/README.md).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/synthetic/archive_generator.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gen_archive N [SEED]\n");
    return 2;
  }
  long long n = std::atoll(argv[1]);
  triage::ArchiveGenerator gen(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1);
  std::string buf;
  for (long long i = 0; i < n; ++i) {
    gen.AppendLine(&buf);
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), stdout);
  return 0;
}
