#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build/fuzz) and runs each for a
# bounded time: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 20).
# Seeds: tests/fuzz/corpus/<target>/ (written for the project) plus, for the
# normalizer, the platform samples under ../shared/data/webhooks when present
# (copied to a scratch corpus, never into the repository). A crash fails the
# script and leaves the input in build/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIAGE_FUZZ=ON >&2
cmake --build build/fuzz -j"$(nproc)" --target fuzz_normalizer fuzz_rule_pack fuzz_archive_line fuzz_model_file >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build/fuzz/artifacts
for target in normalizer rule_pack archive_line model_file; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
done
# Platform samples, each prefixed with the byte that selects its normalizer.
shared=../shared/data/webhooks
if [ -d "$shared" ]; then
  i=0
  for pair in messenger:0 instagram:0 whatsapp:0 x_twitter:1 slack:2 telegram:3 mastodon:4 reddit:5; do
    dir=${pair%%:*}; byte=${pair##*:}
    for f in "$shared/$dir"/*.json; do
      [ -e "$f" ] || continue
      { printf "\\x0$byte"; cat "$f"; } > "$work/normalizer/sample_$i"
      i=$((i + 1))
    done
  done
fi
for target in normalizer rule_pack archive_line model_file; do
  echo "== fuzz_$target for ${seconds}s" >&2
  build/fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix=build/fuzz/artifacts/ "$work/$target" 2> "$work/$target.log" || {
    grep -E "ERROR|SUMMARY|Test unit written" "$work/$target.log" >&2
    echo "fuzz_$target: FAILED (input saved in build/fuzz/artifacts/)" >&2
    exit 1
  }
  runs=$(sed -n 's/^stat::number_of_executed_units: //p' "$work/$target.log")
  echo "fuzz_$target: $runs executions, no crash" >&2
done
