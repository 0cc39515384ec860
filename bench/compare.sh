#!/usr/bin/env bash
# bench/compare.sh: triage beside what a desk would otherwise run, on the same
# messages and the same machine. Run by hand after scripts/setup.sh (never in
# CI: it starts a PostgreSQL server and takes minutes).
#
#   bench/compare.sh            # N=200000 generated messages
#   N=1000000 bench/compare.sh
#
# (a) Durable ingest: `triage serve` (WAL synced before 202) against
#     PostgreSQL 15 (Debian's server, started here on a loopback port with
#     fsync=on and synchronous_commit=on) storing the same messages as rows
#     (id primary key, body jsonb) with INSERT ... ON CONFLICT DO NOTHING, one
#     statement (one commit) per batch of 1,000, as a desk application that
#     dedupes by id would. Both get 4 client connections; both clients run on
#     this machine, as do the servers.
# (b) Classification: `triage replay --threads 1` (rules + model + detector,
#     decisions to /dev/null) against fastText's `predict` (Debian's
#     `fasttext`), trained on the same labelled data as the bundled model
#     (data/corpus/train.ndjson), both over the same generated messages.
#     Quality of each on the corpus test split (brands neither was trained
#     on) is printed beside the speed: fastText's precision@1 (= accuracy)
#     and triage's accuracy and macro-F1 from `triage eval`.
#
# Missing packages (postgresql, fasttext) are installed when run as root,
# otherwise the script says which to install.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
PORT_TRIAGE=${PORT_TRIAGE:-18391}
PORT_PG=${PORT_PG:-18392}
B=${BUILD:-build/release}
W=${WORK:-/tmp/triage-compare}
TRIAGE=$B/cli/triage

for tool in "$TRIAGE" "$B/bench/gen_archive" "$B/bench/load_client" "$B/bench/archive_export"; do
  [ -x "$tool" ] || { echo "compare: $tool is missing: run scripts/setup.sh first" >&2; exit 2; }
done
missing=()
for p in postgresql fasttext curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "compare: install ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 2
  fi
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

rm -rf "$W" && mkdir -p "$W"
SERVE_PID="" PG_STARTED="" AS_PG=""
# initdb refuses to run as root: the server runs as Debian's postgres user.
if [ "$(id -u)" -eq 0 ]; then AS_PG="runuser -u postgres --"; fi
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  [ -n "$PG_STARTED" ] && $AS_PG "$PGBIN/pg_ctl" -D "$W/pg" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Seconds elapsed running "$@", to stderr-free stdout.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "== $N generated messages"
"$B/bench/gen_archive" "$N" 7 > "$W/msgs.ndjson"
ls -l "$W/msgs.ndjson" | awk '{printf "%.0f MB\n", $5 / 1e6}'

echo "== (a) durable ingest, batches of 1,000, 4 connections"
"$TRIAGE" serve --listen "127.0.0.1:$PORT_TRIAGE" --data "$W/tdata" > "$W/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT_TRIAGE/readyz" >/dev/null && break; sleep 0.1; done
TRIAGE_OUT=$("$B/bench/load_client" --port "$PORT_TRIAGE" --connections 4 --batch 1000 \
  --requests 100000000 --seconds 100000 --file "$W/msgs.ndjson")
echo "triage serve: $TRIAGE_OUT"
TRIAGE_INGEST=$(echo "$TRIAGE_OUT" | sed -n 's/.* \([0-9]*\) messages\/s.*/\1/p')
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""

mkdir -p "$W/pg" "$W/pgsock"
[ -n "$AS_PG" ] && chown postgres "$W/pg" "$W/pgsock" && chmod o+rx "$W"
$AS_PG "$PGBIN/initdb" -D "$W/pg" --auth=trust -U bench >/dev/null
$AS_PG "$PGBIN/pg_ctl" -D "$W/pg" -l "$W/pg/server.log" -w \
  -o "-p $PORT_PG -k $W/pgsock -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null
PG_STARTED=1
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT_PG" -U bench -d postgres)
"${PSQL[@]}" -c "CREATE TABLE messages (id text PRIMARY KEY, body jsonb NOT NULL)"
"$B/bench/archive_export" sql "$W/msgs.ndjson" "$W/part" 4 1000
load_pg() {
  local pids=()
  for i in 0 1 2 3; do "${PSQL[@]}" -f "$W/part$i.sql" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
}
PG_SECONDS=$(seconds load_pg)
PG_ROWS=$("${PSQL[@]}" -At -c "SELECT count(*) FROM messages")
PG_INGEST=$(rate "$PG_ROWS" "$PG_SECONDS")
echo "postgresql: $PG_ROWS rows in $PG_SECONDS s: $PG_INGEST messages/s"
$AS_PG "$PGBIN/pg_ctl" -D "$W/pg" -m fast stop >/dev/null; PG_STARTED=""

echo "== (b) classification, one thread"
"$B/bench/archive_export" fasttext-train data/corpus/train.ndjson > "$W/ft_train.txt"
"$B/bench/archive_export" fasttext-train data/corpus/test.ndjson > "$W/ft_test.txt"
"$B/bench/archive_export" fasttext-text "$W/msgs.ndjson" > "$W/ft_text.txt"
fasttext supervised -input "$W/ft_train.txt" -output "$W/ft" -wordNgrams 2 -epoch 25 -thread 1 -verbose 0
FT_SECONDS=$(seconds sh -c "fasttext predict '$W/ft.bin' '$W/ft_text.txt' > /dev/null")
TR_SECONDS=$(seconds sh -c "'$TRIAGE' replay --threads 1 '$W/msgs.ndjson' > /dev/null 2> '$W/replay.log'")
FT_RATE=$(rate "$N" "$FT_SECONDS")
TR_RATE=$(rate "$N" "$TR_SECONDS")
echo "fasttext predict: $FT_RATE messages/s"
echo "triage replay --threads 1: $TR_RATE messages/s"
echo "fastText on the corpus test split: $(fasttext test "$W/ft.bin" "$W/ft_test.txt" | tr '\n' ' ')"
echo "triage on the corpus test split: $("$TRIAGE" eval data/corpus/test.ndjson 2>/dev/null | grep -i -E 'accuracy|macro' | head -2 | tr '\n' ' ')"

echo "== ratios"
echo "durable ingest, triage / postgresql: $(ratio "$TRIAGE_INGEST" "$PG_INGEST")x"
echo "classification, triage / fasttext: $(ratio "$TR_RATE" "$FT_RATE")x"
