#!/usr/bin/env bash
# bench/restart.sh: how long `triage serve` takes to be ready after a restart,
# and its peak RSS meanwhile, with N messages stored in the last six hours
# (issue 19). Run by hand (never in CI: it takes minutes and a few GB of disk).
#
#   bench/restart.sh                 # N=1000000 generated messages
#   N=200000 bench/restart.sh
#
# 1. N generated messages (`triage gen`) are stored into a data directory with
#    `triage replay --data` (they are received now: all are in the last six
#    hours of the store's clock, which is what the warm-up window reads). The
#    directory is kept in $WORK/pristine and copied for each run, so a second
#    run of the script skips this step.
# 2. "first start": the store's first open (one-time work), not counted.
#    "window replay": serve starts without a checkpoint (a store from before
#    checkpoints, or one refused) and re-reads all N through the detector
#    before it listens. Timed from the start until /readyz answers 200, VmHWM
#    read from /proc/PID/status then. Stopped with SIGTERM: the clean stop
#    writes DATA/detector.ckpt.
# 3. "checkpoint": serve starts again, restores the checkpoint and replays
#    nothing (nothing was stored after it). Same measures.
# 4. "checkpoint + tail": TAIL more messages are posted (curl, batches of
#    1,000), half before a periodic checkpoint (every 5 s here) and half
#    after it; the daemon is killed with SIGKILL, and the restart replays
#    what was stored after that checkpoint (about TAIL / 2 messages).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
TAIL=${TAIL:-100000}
B=${BUILD:-build/release}
W=${WORK:-/tmp/triage-restart}
TRIAGE=$B/cli/triage

[ -x "$TRIAGE" ] || { echo "restart: $TRIAGE is missing: build the triage target" >&2; exit 2; }
command -v curl > /dev/null || { echo "restart: curl is missing" >&2; exit 2; }
mkdir -p "$W"

if [ ! -d "$W/pristine" ] || [ "$(cat "$W/pristine.n" 2> /dev/null)" != "$N" ]; then
  rm -rf "$W/pristine" "$W/tail"
  echo "generating $N + $TAIL messages"
  "$TRIAGE" gen --messages "$((N + TAIL))" --seed 5 > "$W/all.ndjson"
  head -n "$N" "$W/all.ndjson" > "$W/archive.ndjson"
  mkdir -p "$W/tail"
  tail -n "$TAIL" "$W/all.ndjson" | split -l 1000 -d -a 4 - "$W/tail/batch."
  rm "$W/all.ndjson"
  echo "storing them: triage replay --data $W/pristine $W/archive.ndjson"
  /usr/bin/time -f "  replay: %e s, peak RSS %M KB" "$TRIAGE" replay --data "$W/pristine" "$W/archive.ndjson" > /dev/null
  rm "$W/archive.ndjson"
  echo "$N" > "$W/pristine.n"
fi
rm -rf "$W/data"
cp -r "$W/pristine" "$W/data"
: > "$W/serve.log"
printf 'detector_checkpoint_seconds: 5\n' > "$W/serve.yaml"

PID=
PORT=
start_serve() {  # $1: label. Prints the seconds until ready and VmHWM.
  local t0 t1 from
  from=$(wc -l < "$W/serve.log")
  t0=$(date +%s.%N)
  # A port of its own (127.0.0.1:0, read from the log): nothing else can
  # answer the readiness probe. Each log line with the seconds since the
  # start, to see where the time goes.
  "$TRIAGE" serve --data "$W/data" --listen "127.0.0.1:0" --config "$W/serve.yaml" \
    2> >(while IFS= read -r line; do printf '%7.2f s  %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$line"; done \
         >> "$W/serve.log") &
  PID=$!
  PORT=
  until [ -n "$PORT" ] && curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1; do
    kill -0 "$PID" 2> /dev/null || { echo "restart: serve exited; see $W/serve.log" >&2; exit 1; }
    PORT=$(tail -n "+$((from + 1))" "$W/serve.log" | sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' | head -1)
    sleep 0.05
  done
  t1=$(date +%s.%N)
  printf '  %-18s ready after %6.2f s, peak RSS %s\n' "$1" "$(echo "$t1 - $t0" | bc)" \
    "$(awk '/VmHWM/ {printf "%d MB", $2 / 1024}' "/proc/$PID/status")"
}
stop_serve() {  # $1: signal
  kill "-$1" "$PID"
  wait "$PID" 2> /dev/null || true
}
post() {  # batch files
  for f in "$@"; do
    curl -fs -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary "@$f" \
      "http://127.0.0.1:$PORT/v1/messages" || { echo "restart: POST $f failed" >&2; exit 1; }
  done
}

echo "restarts with $N messages stored in the last six hours:"
# The store's first read-write open after `replay --data` does one-time work
# (the WAL replayed, the author index built): not a restart's cost, so it is
# done first and its checkpoint removed.
start_serve "first start"
stop_serve TERM
rm "$W/data/detector.ckpt"
start_serve "window replay"
stop_serve TERM
printf '  %-18s %s bytes\n' "checkpoint size" "$(stat -c %s "$W/data/detector.ckpt")"
start_serve "checkpoint"
batches=("$W"/tail/batch.*)
half=$((${#batches[@]} / 2))
post "${batches[@]:0:half}"
sleep 7  # a periodic checkpoint covers the first half of the tail
post "${batches[@]:half}"
stop_serve KILL  # no checkpoint at the stop: the second half is stored after the last one
start_serve "checkpoint + tail"
stop_serve TERM
grep -E "crisis detector|listening on|^ *[0-9.]+ s  triage serve: (tone|outbound)" "$W/serve.log" | sed 's/^/  log: /'
