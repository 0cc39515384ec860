#!/usr/bin/env bash
# End-to-end checks of the `triage` binary itself: argument parsing, standard
# input, exit codes and what reaches stdout and stderr.
# Usage: cli_test.sh TRIAGE_BINARY SOURCE_DIR
set -u
triage=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRIAGE_CACHE_DIR="$tmp/cache"
passed=0
failed=0

check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}

# replay from standard input: one decision per message, exit 0
"$triage" replay - < "$src/samples/inbox.ndjson" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "replay stdin exit code" [ "$rc" -eq 0 ]
check "replay stdin line count" [ "$(wc -l < "$tmp/out")" -eq "$(wc -l < "$src/samples/inbox.ndjson")" ]
check "replay summary" grep -q "^replay: 48 messages, 0 malformed lines skipped" "$tmp/err"
check "decisions are JSON with a label" grep -q '"label":"support","queue":"support"' "$tmp/out"

# the same bytes from a file and from stdin, and from a second run (cache hit)
"$triage" replay --quiet "$src/samples/inbox.ndjson" > "$tmp/out2" 2> "$tmp/err2"
check "file and stdin give the same bytes" cmp -s "$tmp/out" "$tmp/out2"
check "quiet prints no summary" [ ! -s "$tmp/err2" ]
check "the pattern cache was written" [ -n "$(ls "$tmp/cache" 2>/dev/null)" ]

# malformed lines: exit 3, reported with file:line
{ head -3 "$src/samples/inbox.ndjson"; echo '{"id": 1}'; echo 'garbage'; } > "$tmp/bad.ndjson"
"$triage" replay "$tmp/bad.ndjson" > "$tmp/out3" 2> "$tmp/err3"
rc=$?
check "malformed exit code" [ "$rc" -eq 3 ]
check "malformed reported by line" grep -q "bad.ndjson:4: malformed line skipped: field 'id': expected a string" "$tmp/err3"
check "good lines still decided" [ "$(wc -l < "$tmp/out3")" -eq 3 ]

# usage errors exit 2
"$triage" replay > /dev/null 2>&1; rc=$?
check "missing archive is a usage error" [ "$rc" -eq 2 ]
"$triage" frobnicate > /dev/null 2> "$tmp/usage.err"; rc=$?
check "unknown subcommand is a usage error" [ "$rc" -eq 2 ]
check "unknown subcommand is named" grep -q "unknown command 'frobnicate'" "$tmp/usage.err"
"$triage" replay --threads abc "$src/samples/inbox.ndjson" > /dev/null 2> "$tmp/usage.err"; rc=$?
check "a non-number is a usage error" [ "$rc" -eq 2 ]
check "a non-number says the range in words" grep -q "'abc' is not an integer from 0 to 1024" "$tmp/usage.err"
check "no 300-digit limits" [ "$(wc -c < "$tmp/usage.err")" -lt 400 ]
for bad in "bench --repeat -1 $src/samples/inbox.ndjson" "gen --messages 5 --brands 0" \
           "gen --messages 5 --burst-at 1 --burst-messages -3" "gen --messages -5"; do
  "$triage" $bad > /dev/null 2>&1; rc=$?
  check "out of range: $bad" [ "$rc" -eq 2 ]
done
"$triage" --version > "$tmp/version" 2>&1; rc=$?
check "--version exits 0" [ "$rc" -eq 0 ]
check "--version prints the version" grep -q "^triage [0-9]" "$tmp/version"
for cmd in replay eval train "rules check" "rules explain" diff bench serve; do
  "$triage" $cmd --help > "$tmp/help" 2>&1
  check "$cmd --help lists --rules" grep -q -- "--rules" "$tmp/help"
  check "$cmd --help lists --model" grep -q -- "--model" "$tmp/help"
done
"$triage" eval --min-macro-f1 1.5 "$src/samples/inbox.ndjson" > /dev/null 2>&1; rc=$?
check "out-of-range gate is a usage error" [ "$rc" -eq 2 ]

# eval gate
"$triage" eval --json --min-macro-f1 0.5 "$src/samples/inbox.ndjson" > "$tmp/eval.json" 2>/dev/null; rc=$?
check "eval passes a low gate" [ "$rc" -eq 0 ]
check "eval json has macro_f1" grep -q '"macro_f1":' "$tmp/eval.json"
"$triage" eval --min-macro-f1 0.999 "$src/samples/inbox.ndjson" > /dev/null 2>&1; rc=$?
check "eval fails a high gate" [ "$rc" -eq 4 ]

# rules check: a broken pack exits 1 with file:line: rule 'id'
mkdir -p "$tmp/pack"
printf 'rules:\n  - id: ok\n    label: lead\n    any: [buy]\n  - id: bad\n    label: lead\n    any: ["/(x/"]\n' > "$tmp/pack/a.yaml"
"$triage" rules check --rules "$tmp/pack" > /dev/null 2> "$tmp/check.err"; rc=$?
check "broken pack exit code" [ "$rc" -eq 1 ]
check "broken pack names file, line and rule" grep -q "a.yaml:7: rule 'bad': pattern '/(x/': Hyperscan:" "$tmp/check.err"
"$triage" rules check > "$tmp/check.out"; rc=$?
check "bundled pack checks" [ "$rc" -eq 0 ]

# rules check lists structural and Hyperscan errors in one run, rejects
# non-string `when` values, and names an empty rule file
printf 'rules:\n  - id: bad\n    label: lead\n    any: ["/(x/"]\n  - id: typo\n    label: sales\n    any: [z]\n    when: {lang: 5}\n' > "$tmp/mixed.yaml"
"$triage" rules check --rules "$tmp/mixed.yaml" > /dev/null 2> "$tmp/mixed.err"; rc=$?
check "mixed errors exit code" [ "$rc" -eq 1 ]
check "mixed errors: Hyperscan's" grep -q "mixed.yaml:4: rule 'bad': pattern '/(x/': Hyperscan:" "$tmp/mixed.err"
check "mixed errors: structural" grep -q "mixed.yaml:6: rule 'typo': unknown label 'sales'" "$tmp/mixed.err"
check "mixed errors: non-string when" grep -q "mixed.yaml:8: rule 'typo': 'lang' values must be strings, got 5" "$tmp/mixed.err"
: > "$tmp/empty.yaml"
"$triage" rules check --rules "$tmp/empty.yaml" > /dev/null 2> "$tmp/empty.err"; rc=$?
check "empty rule file exit code" [ "$rc" -eq 1 ]
check "empty rule file is named" grep -q "empty.yaml: the rule file is empty" "$tmp/empty.err"

# normalize: a pretty-printed payload file is one document, and an
# attachment-only DM says what it carried; several pretty-printed documents in
# one file get one hint, not a line of error per line
printf '{\n  "object": "page",\n  "entry": [\n    {\n      "id": "p",\n      "messaging": [\n        {\n          "sender": {"id": "u"},\n          "recipient": {"id": "p"},\n          "timestamp": 1458696618268,\n          "message": {"mid": "m1", "attachments": [{"type": "image", "payload": {"url": "U"}}]}\n        }\n      ]\n    }\n  ]\n}\n' > "$tmp/payload.json"
"$triage" normalize "$tmp/payload.json" > "$tmp/norm.out" 2> "$tmp/norm.err"; rc=$?
check "normalize one pretty-printed document exit code" [ "$rc" -eq 0 ]
check "normalize one document: no per-line errors" [ ! -s "$tmp/norm.err" ]
check "normalize notes the attachment" grep -q '"text":"",.*"attachments":\[{"type":"image","count":1}\]' "$tmp/norm.out"
cat "$tmp/payload.json" "$tmp/payload.json" > "$tmp/two.json"
"$triage" normalize "$tmp/two.json" > /dev/null 2> "$tmp/two.err"; rc=$?
check "two pretty-printed documents exit code" [ "$rc" -eq 3 ]
check "the NDJSON hint is given once" [ "$(grep -c 'one per line (NDJSON), or one JSON document per file' "$tmp/two.err")" -eq 1 ]
check "no line-by-line flood" [ "$(wc -l < "$tmp/two.err")" -le 3 ]

# explain names the rule that fired
"$triage" rules explain --lang es "quiero un reembolso" > "$tmp/explain" 2>&1
check "explain shows the fired rule" grep -q "refund_request" "$tmp/explain"

# The port a daemon started with --listen 127.0.0.1:0 logs (empty if it
# did not start within 30 s).
serve_port() {
  for _ in $(seq 1 300); do
    sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.log" | grep . && return 0
    sleep 0.1
  done
}

# serve: SIGHUP reloads (a bad pack is rejected and the old one keeps
# serving), SIGTERM drains and stops cleanly
cp -r "$src/rules/default" "$tmp/live-rules"
"$triage" serve --listen 127.0.0.1:0 --data "$tmp/data" --rules "$tmp/live-rules" 2> "$tmp/serve.log" &
pid=$!
port=$(serve_port)
check "serve starts and logs its port" [ -n "$port" ]
# Waits up to 30 s for a line in the daemon's log (reloads are slow under sanitizers).
wait_log() {
  for _ in $(seq 1 300); do
    grep -q "$1" "$tmp/serve.log" && return 0
    sleep 0.1
  done
  return 1
}
post() { curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$1" "http://127.0.0.1:$port/v1/messages"; }
if command -v curl > /dev/null; then
  check "serve accepts a message" [ "$(post '{"id":"s1","channel":"x","text":"refund please"}')" = 202 ]
  echo "rules: [oops" > "$tmp/live-rules/zz-broken.yaml"
  kill -HUP "$pid"
  check "a bad pack on SIGHUP is rejected and logged" wait_log "rules reload rejected"
  check "the old pack keeps serving" [ "$(post '{"id":"s2","channel":"x","text":"refund please"}')" = 202 ]
  rm "$tmp/live-rules/zz-broken.yaml"
  kill -HUP "$pid"
  check "a good pack on SIGHUP is loaded" wait_log "rules reloaded"
fi
kill -TERM "$pid"; wait "$pid"; rc=$?
check "SIGTERM exits 0" [ "$rc" -eq 0 ]
check "SIGTERM drains and closes cleanly" grep -q "stopped cleanly" "$tmp/serve.log"

# serve with tokens from a config file: a token made by `triage token new`
# works, and SIGHUP applies a token change (the old token is then refused).
"$triage" token new --name one --scope read > "$tmp/tok1"
"$triage" token new --name two --scope read > "$tmp/tok2"
tok1=$(sed -n 's/^token: //p' "$tmp/tok1")
tok2=$(sed -n 's/^token: //p' "$tmp/tok2")
# The serve config with the auth: entry `triage token new` printed into $1.
auth_config() {
  { echo "listen: 127.0.0.1:0"; echo "data_dir: $tmp/data-auth"; echo "audit_log: $tmp/audit.log"; echo "auth:"
    sed -n '/^  - name:/,$p' "$1"; } > "$tmp/auth.yaml"
}
auth_config "$tmp/tok1"
"$triage" serve --config "$tmp/auth.yaml" 2> "$tmp/serve.log" &
pid=$!
port=$(serve_port)
check "serve with tokens starts" [ -n "$port" ]
get() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "http://127.0.0.1:$port/v1/queues"; }
if command -v curl > /dev/null && [ -n "$port" ]; then
  check "a token from triage token new is accepted" [ "$(get "$tok1")" = 200 ]
  check "another token is refused" [ "$(get "$tok2")" = 401 ]
  auth_config "$tmp/tok2"
  kill -HUP "$pid"
  check "SIGHUP reloads the tokens" wait_log "security settings reloaded: 1 API tokens"
  check "the new token is accepted after SIGHUP" [ "$(get "$tok2")" = 200 ]
  check "the old token is refused after SIGHUP" [ "$(get "$tok1")" = 401 ]
  check "SIGHUP and the refusals are in the audit log" grep -q '"who":"SIGHUP","action":"reload"' "$tmp/audit.log"
  check "no token is ever written to the audit log" sh -c "! grep -q -e '$tok1' -e '$tok2' '$tmp/audit.log' '$tmp/serve.log'"
fi
kill -TERM "$pid"; wait "$pid"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
