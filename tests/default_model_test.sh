#!/usr/bin/env bash
# The bundled model is rebuilt byte for byte by scripts/train_default_model.sh
# (from the corpus's train and dev splits), so what ships is what the script
# makes. Usage: default_model_test.sh TRIAGE_BINARY SOURCE_DIR
set -u
triage=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRIAGE_CACHE_DIR="$tmp/cache"
cd "$src"
if ! TRIAGE="$triage" sh scripts/train_default_model.sh "$tmp/default.model" > "$tmp/train.out" 2>&1; then
  echo "FAILED: scripts/train_default_model.sh failed:" >&2
  cat "$tmp/train.out" >&2
  exit 1
fi
if ! cmp -s "$tmp/default.model" rules/default/default.model; then
  echo "FAILED: rules/default/default.model differs from what scripts/train_default_model.sh builds;" \
       "rerun the script after changing the corpus, the rules or the model code" >&2
  exit 1
fi
echo "default model reproduced byte for byte"
