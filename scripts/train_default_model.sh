#!/bin/sh
# Retrains rules/default/default.model, the bundled pack's learned model,
# exactly as shipped: trained on the project's corpus train split
# (data/corpus/train.ndjson, written for the project; see
# data/corpus/WRITING.md) and calibrated on its dev split. The test split
# (brands neither of them contains) is never read: it is what `triage eval`
# measures the model on. No public set is added: on the dev split none raised
# the figures (README: "The learned classifier").
# Deterministic: the same inputs give the same bytes (a test checks it).
# Run from the repository root after building.
set -eu
TRIAGE=${TRIAGE:-build/release/cli/triage}
OUT=${1:-rules/default/default.model}
"$TRIAGE" train --rules rules/default --model none --folds 0 --holdout 0 \
  --calibrate data/corpus/dev.ndjson --out "$OUT" data/corpus/train.ndjson
