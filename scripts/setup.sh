#!/usr/bin/env bash
# Installs every build dependency (Debian 12 packages) and builds triage in
# Release into build/release. Safe to run again: packages already present are
# not reinstalled, and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ cmake ninja-build pkg-config
  libboost-dev libsimdjson-dev libhyperscan-dev librocksdb-dev libbenchmark-dev
  catch2 librdkafka-dev libssl-dev libyaml-cpp-dev libutf8proc-dev libcld2-dev
  libcli11-dev libre2-dev libpcre2-dev libzstd-dev curl clang libclang-rt-14-dev
  chromium  # headless: renders the maturity report, runs the console's browser test
  nodejs    # runs the console's browser test (tests/browser)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm comes with nodejs from some sources (NodeSource), as its own package from Debian.
command -v npm > /dev/null || dpkg-query -W -f='${Status}' npm 2>/dev/null | grep -q "install ok installed" || missing+=(npm)
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# playwright-core for the console's browser test, exactly as locked (it
# drives the Chromium installed above; it downloads no browser).
(cd tests/browser && npm ci --no-audit --no-fund >&2)

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build/release -j"$(nproc)" >&2
