#!/usr/bin/env bash
# bench/targets.sh: every throughput and memory target of issue 20 measured
# in one run, on this machine, printed as a table to paste into
# bench/README.md. Run by hand after scripts/setup.sh (never in CI: it takes
# about 20 minutes and wants a quiet machine).
#
#   bench/targets.sh                 # 1 M messages for replay, 50 M for the memory row
#   N=400000 BIG=0 bench/targets.sh  # quicker: skip the 50 M-message memory row
#
# Rows (each the median of 3 runs, except the memory and load rows):
#   floor      simdjson reading every field of every line, in memory
#              (pipeline_bench BM_ParseOnly, same build, same run)
#   replay     `triage replay --threads 1` to /dev/null: defaults (rules +
#              model + detector), --no-detector --model none (rules only),
#              --no-detector, --model none; and --threads 2 with the defaults.
#              Rates are the command's own count over its own wall time.
#   budgets    detector and model cost per message, from the differences
#   memory     peak RSS of replay over N messages and over BIG messages
#              (streamed from `triage gen` through a pipe, no file)
#   serve      `triage serve` (durable: WAL synced before 202) with
#              load_client on the same box: batches of 1,000 over 4
#              connections; single-message requests over 64 connections;
#              single-message requests paced at 15,000/s (p99)
#   kafka      kafka_load: one bridge instance on librdkafka's mock cluster,
#              batches not overlapping (1 in flight) and pipelined (default);
#              600,000 messages too, as the group join (~3 s) weighs on 200,000
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
BIG=${BIG:-50000000}
B=${BUILD:-build/release}
W=${WORK:-/tmp/triage-targets}
PORT=${PORT:-18393}
TRIAGE=$B/cli/triage

for tool in "$TRIAGE" "$B/bench/pipeline_bench" "$B/bench/load_client" "$B/bench/kafka_load"; do
  [ -x "$tool" ] || { echo "targets: $tool is missing: run scripts/setup.sh first" >&2; exit 2; }
done
command -v curl > /dev/null || { echo "targets: curl is missing (apt-get install curl)" >&2; exit 2; }
rm -rf "$W" && mkdir -p "$W"
SERVE_PID=""
cleanup() { [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true; }
trap cleanup EXIT

"$TRIAGE" gen --messages "$N" > "$W/msgs.ndjson"
echo "# $(date -u +%Y-%m-%d), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $N messages ($(($(stat -c %s "$W/msgs.ndjson") / 1000000)) MB)"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# msgs/s of one replay: its own "messages" count over the wall time of the run.
replay_rate() {
  local t0 t1 n
  t0=$(date +%s.%N)
  "$TRIAGE" replay "$@" "$W/msgs.ndjson" > /dev/null 2> "$W/replay.err"
  t1=$(date +%s.%N)
  n=$(sed -n 's/^replay: \([0-9]*\) messages.*/\1/p' "$W/replay.err" | head -1)
  [ -n "$n" ] || n=$N
  awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}
rate3() { for _ in 1 2 3; do replay_rate "$@"; done | median; }

FLOOR_NS=$("$B/bench/pipeline_bench" --benchmark_filter='BM_ParseOnly$' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_format=csv 2> /dev/null |
  awk -F, '/_median/ { print $3 }')
FLOOR=$(awk -v ns="$FLOOR_NS" 'BEGIN { printf "%.0f", 1e9 / ns }')
DEF=$(rate3 --threads 1)
RULES=$(rate3 --threads 1 --no-detector --model none)
NODET=$(rate3 --threads 1 --no-detector)
NOMODEL=$(rate3 --threads 1 --model none)
TWO=$(rate3 --threads 2)
us() { awk -v r="$1" 'BEGIN { printf "%.2f", 1e6 / r }'; }
diff_us() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", 1e6 / a - 1e6 / b }'; }

echo
echo "| what | msgs/s | µs/msg | target |"
echo "|---|---:|---:|---|"
echo "| simdjson floor (BM_ParseOnly, in memory) | $FLOOR | $(us "$FLOOR") | |"
echo "| replay --threads 1, defaults | $DEF | $(us "$DEF") | ≥ 1,000,000 |"
echo "| replay --threads 1 --no-detector --model none (rules only) | $RULES | $(us "$RULES") | ≥ 1,500,000 |"
echo "| replay --threads 1 --no-detector | $NODET | $(us "$NODET") | ≥ 50 % of the floor: $(awk -v a="$NODET" -v f="$FLOOR" 'BEGIN { printf "%.0f %%", 100 * a / f }') |"
echo "| replay --threads 1 --model none | $NOMODEL | $(us "$NOMODEL") | |"
echo "| replay --threads 2, defaults | $TWO | $(us "$TWO") | ≥ 1.8× one thread: $(awk -v a="$TWO" -v b="$DEF" 'BEGIN { printf "%.2f×", a / b }') |"
echo "| detector cost (defaults − --no-detector) | | $(diff_us "$DEF" "$NODET") | ≤ 0.4 |"
echo "| model cost (--no-detector − rules only) | | $(diff_us "$NODET" "$RULES") | ≤ 0.5 |"

RSS_N=$(/usr/bin/time -f "%M" "$TRIAGE" replay --threads 1 "$W/msgs.ndjson" 2>&1 > /dev/null | tail -1)
echo
echo "| replay peak RSS | KB |"
echo "|---|---:|"
echo "| $N messages | $RSS_N |"
if [ "$BIG" != 0 ]; then
  RSS_BIG=$( ( "$TRIAGE" gen --messages "$BIG" | /usr/bin/time -f "%M" "$TRIAGE" replay --threads 1 - > /dev/null ) 2>&1 | tail -1)
  echo "| $BIG messages (streamed) | $RSS_BIG ($(awk -v a="$RSS_BIG" -v b="$RSS_N" 'BEGIN { printf "%+.1f %%", 100 * (a - b) / b }')) |"
fi

"$TRIAGE" serve --listen "127.0.0.1:$PORT" --data "$W/data" > "$W/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null && break; sleep 0.1; done
echo
echo "| serve (durable), client on the same box | result |"
echo "|---|---|"
echo "| batches of 1,000, 4 connections | $("$B/bench/load_client" --port "$PORT" --connections 4 --batch 1000 --requests 300 --file "$W/msgs.ndjson") |"
echo "| single messages, 64 connections | $("$B/bench/load_client" --port "$PORT" --connections 64 --batch 1 --requests 100000) |"
echo "| single messages paced at 15,000/s, 16 connections | $("$B/bench/load_client" --port "$PORT" --connections 16 --batch 1 --requests 150000 --rate 15000) |"
cleanup
SERVE_PID=""

echo
echo "| kafka bridge, mock cluster, 1 instance | result |"
echo "|---|---|"
echo "| 200,000 messages, batches of 1,000, 1 in flight (no overlap) | $("$B/bench/kafka_load" --messages 200000 --in-flight 1 2>/dev/null | grep "msgs/s") |"
echo "| 200,000 messages, batches of 1,000 (default: 4 in flight) | $("$B/bench/kafka_load" --messages 200000 2>/dev/null | grep "msgs/s") |"
echo "| 600,000 messages, batches of 1,000 (default: 4 in flight) | $("$B/bench/kafka_load" --messages 600000 2>/dev/null | grep "msgs/s") |"
