#!/bin/sh
# Retrains rules/default/default.model, the bundled pack's learned model,
# exactly as shipped: the project's own dev archive and sample inbox, plus
# training splits of two public sets (banking77 train, CC BY 4.0; crisislex
# t26 even rows, MIT) converted by scripts/eval_public.py into build/public/
# (outside the repository). Deterministic: the same inputs give the same
# bytes. Run from the repository root after building; ../shared must exist.
set -eu
TRIAGE=${TRIAGE:-build/release/cli/triage}
SHARED=${SHARED:-../shared}
python3 scripts/eval_public.py --shared "$SHARED" --write-training
"$TRIAGE" train --rules rules/default --model none --out rules/default/default.model \
  "$SHARED/data/dev/dev.ndjson" samples/inbox.ndjson \
  build/public/train/banking77_train.ndjson build/public/train/crisislex_t26_even.ndjson
