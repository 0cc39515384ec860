#!/usr/bin/env bash
# bench/restart.sh: how long `triage serve` takes to be ready after a restart,
# and its peak RSS meanwhile, with N messages stored in the last six hours
# (issue 19). Run by hand (never in CI: it takes minutes and a few GB of disk).
#
#   bench/restart.sh                 # N=1000000 generated messages
#   N=200000 bench/restart.sh
#
# 1. N generated messages are stored into a fresh data directory with
#    `triage replay --data` (they are received now: all are in the last six
#    hours of the store's clock, which is what the warm-up window reads).
# 2. "window replay": serve starts without a checkpoint (as a store from
#    before checkpoints, or with one refused) and re-reads all N through the
#    detector before it listens. Timed from the start until /readyz is 200;
#    VmHWM read from /proc/PID/status then. Stopped with SIGTERM: a clean stop
#    writes DATA/detector.ckpt.
# 3. "checkpoint": serve starts again, restores the checkpoint and replays
#    nothing (nothing was stored after it). Same measures.
# 4. "checkpoint + tail": TAIL more messages are posted (bench/load_client),
#    half before a periodic checkpoint and half after it; the daemon is then
#    killed with SIGKILL, and the restart replays what was stored after that
#    checkpoint (about TAIL / 2 messages).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
TAIL=${TAIL:-100000}
PORT=${PORT:-18393}
B=${BUILD:-build/release}
W=${WORK:-/tmp/triage-restart}
TRIAGE=$B/cli/triage

for tool in "$TRIAGE" "$B/bench/gen_archive" "$B/bench/load_client"; do
  [ -x "$tool" ] || { echo "restart: $tool is missing: build the triage, gen_archive and load_client targets" >&2; exit 2; }
done
command -v curl > /dev/null || { echo "restart: curl is missing" >&2; exit 2; }

rm -rf "$W"
mkdir -p "$W"
echo "generating $N + $TAIL messages"
"$B/bench/gen_archive" "$((N + TAIL))" 5 > "$W/all.ndjson"
head -n "$N" "$W/all.ndjson" > "$W/archive.ndjson"
tail -n "$TAIL" "$W/all.ndjson" | head -n "$((TAIL / 2))" > "$W/tail1.ndjson"
tail -n "$((TAIL - TAIL / 2))" "$W/all.ndjson" > "$W/tail2.ndjson"
rm "$W/all.ndjson"
echo "storing them: triage replay --data $W/data"
/usr/bin/time -f "  replay: %e s, peak RSS %M KB" "$TRIAGE" replay --data "$W/data" "$W/archive.ndjson" > /dev/null

PID=
start_serve() {  # $1: label. Prints seconds to ready and VmHWM.
  local t0 t1
  t0=$(date +%s.%N)
  "$TRIAGE" serve --data "$W/data" --listen "127.0.0.1:$PORT" --config "$W/serve.yaml" 2>> "$W/serve.log" &
  PID=$!
  until curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1; do
    kill -0 "$PID" 2> /dev/null || { echo "restart: serve exited; see $W/serve.log" >&2; exit 1; }
    sleep 0.05
  done
  t1=$(date +%s.%N)
  printf '  %-20s ready after %6.2f s, peak RSS %s\n' "$1" "$(echo "$t1 - $t0" | bc)" \
    "$(awk '/VmHWM/ {printf "%d MB", $2 / 1024}' /proc/$PID/status)"
}
stop_serve() {  # $1: signal
  kill "-$1" "$PID"
  wait "$PID" 2> /dev/null || true
}

printf 'detector_checkpoint_seconds: 5\n' > "$W/serve.yaml"
echo "restarts with $N messages stored in the last six hours:"
rm -f "$W/data/detector.ckpt"
start_serve "window replay"
stop_serve TERM
printf '  checkpoint written at the clean stop: %s bytes\n' "$(stat -c %s "$W/data/detector.ckpt")"
start_serve "checkpoint"
load() {  # $1: archive
  local n
  n=$(wc -l < "$1")
  "$B/bench/load_client" --port "$PORT" --file "$1" --batch 1000 --connections 2 --requests "$(((n + 999) / 1000))" \
    > "$W/load.txt" 2>&1 || { cat "$W/load.txt"; exit 1; }
}
load "$W/tail1.ndjson"
sleep 7  # one periodic checkpoint covers the first half of the tail
load "$W/tail2.ndjson"
stop_serve KILL  # no checkpoint at the stop: the second half is replayed
start_serve "checkpoint + tail"
stop_serve TERM
grep "crisis detector" "$W/serve.log" | sed 's/^/  log: /'
