#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite: in the Release
# build, then the libFuzzer targets for a bounded time, then the suite again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== tests (Release)"
ctest --test-dir build/release --output-on-failure -j"$(nproc)"

echo "== fuzzing (libFuzzer, bounded)"
scripts/fuzz.sh 20

echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRIAGE_SANITIZE=ON \
  -DTRIAGE_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >&2
cmake --build build/asan -j"$(nproc)" >&2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan --output-on-failure -j"$(nproc)"
