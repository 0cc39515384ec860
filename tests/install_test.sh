#!/usr/bin/env bash
# The installed layout and the systemd unit agree: `cmake --install` into a
# temporary prefix, then the installed binary run exactly as
# deploy/triage.service runs it, with the config the install steps put in
# /etc/triage (its /var/lib/triage paths moved into the temporary directory,
# the listen port made free). Nothing may come from the source tree or the
# environment: the daemon must find the pack and the tone lexicon in the
# installed layout.
# Usage: install_test.sh CMAKE_COMMAND BUILD_DIR
set -u
cmake=$1
build=$2
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# Only the layout may point the binary at its files.
unset TRIAGE_RULES TRIAGE_LEXICON TRIAGE_CACHE_DIR XDG_CACHE_HOME
export HOME="$tmp/home"
passed=0
failed=0

check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}

prefix="$tmp/prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1; rc=$?
check "cmake --install succeeds" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || cat "$tmp/install.log" >&2
share="$prefix/share/triage"
for f in bin/triage share/triage/rules/default/pack.yaml share/triage/rules/default/default.model \
         share/triage/rules/lexicon/vader_valence.tsv share/triage/rules/lexicon/LICENSE.vader.txt \
         share/triage/serve.yaml share/triage/serve.example.yaml share/triage/triage.service; do
  check "installed: $f" [ -s "$prefix/$f" ]
done
check "the binary is executable" [ -x "$prefix/bin/triage" ]
if [ ! -x "$prefix/bin/triage" ] || [ ! -f "$share/triage.service" ]; then
  echo "$passed passed, $failed failed (nothing installed to test: add install() rules to CMakeLists.txt)"
  exit 1
fi

# The unit: settings come from the config file alone.
unit="$share/triage.service"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
check "the unit runs the installed binary with only --config" \
  [ "$exec_start" = "/usr/local/bin/triage serve --config /etc/triage/serve.yaml" ]
check "the unit sets no TRIAGE_ environment" bash -c "! grep -q '^Environment=.*TRIAGE_' '$unit'"
check "the install steps put the config where the unit reads it" \
  grep -q "cp -n /usr/local/share/triage/serve.yaml /etc/triage/serve.yaml" "$unit"
check "the unit may write where the config keeps data" grep -q "^ReadWritePaths=/var/lib/triage$" "$unit"
check "the config keeps its data there" grep -q "^data_dir: /var/lib/triage/data$" "$share/serve.yaml"
check "the config keeps its cache there" grep -q "^cache_dir: /var/lib/triage/cache$" "$share/serve.yaml"

# The operator's copy, as the install steps make it, rooted in $tmp.
mkdir -p "$tmp/etc/triage" "$tmp/var/lib/triage" "$HOME"
sed -e "s#/var/lib/triage#$tmp/var/lib/triage#g" -e "s#^listen: .*#listen: 127.0.0.1:0#" \
  "$share/serve.yaml" > "$tmp/etc/triage/serve.yaml"
# ExecStart, with the prefix and /etc moved into $tmp.
cmdline=${exec_start//\/usr\/local/$prefix}
cmdline=${cmdline//\/etc\/triage/$tmp/etc/triage}

# Starts the daemon with the unit's command line from $tmp (so that nothing
# relative resolves into the source tree); sets pid and port.
start_serve() {
  : > "$tmp/serve.log"
  (cd "$tmp" && exec $cmdline) 2> "$tmp/serve.log" &
  pid=$!
  port=""
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.log")
    [ -n "$port" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
}
stop_serve() {
  kill -TERM "$pid"; wait "$pid"; rc=$?
  pid=""
}

start_serve
check "serve starts from the installed layout" [ -n "$port" ]
check "serve loads the installed lexicon" \
  grep -q "tone lexicon: $share/rules/lexicon/vader_valence.tsv (" "$tmp/serve.log"
check "the reach-and-tone escalation is on" bash -c "! grep -q 'escalation off' '$tmp/serve.log'"
check "serve uses the installed pack" grep -q "rules from $share/rules/default" "$tmp/serve.log"
check "serve keeps its data where the config says" grep -q "data in $tmp/var/lib/triage/data" "$tmp/serve.log"
if [ -n "$port" ] && command -v curl > /dev/null; then
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    --data-binary '{"id":"i1","channel":"x","text":"refund please"}' "http://127.0.0.1:$port/v1/messages")
  check "the installed daemon accepts a message" [ "$code" = 202 ]
fi
[ -n "$pid" ] && stop_serve
check "serve stops cleanly" [ "$rc" -eq 0 ]
check "the pattern cache is where the config says" [ -n "$(ls "$tmp/var/lib/triage/cache" 2> /dev/null)" ]
[ "$failed" -eq 0 ] || cat "$tmp/serve.log" >&2

# The operator's own pack in /etc/triage/rules (as the config's comment says):
# the lexicon is still found, in the installed layout.
cp -r "$share/rules/default" "$tmp/etc/triage/rules"
sed -i "s#^rules: .*#rules: $tmp/etc/triage/rules#" "$tmp/etc/triage/serve.yaml"
start_serve
check "serve starts with a pack in /etc/triage/rules" [ -n "$port" ]
check "a pack kept elsewhere still gets the installed lexicon" \
  grep -q "tone lexicon: $share/rules/lexicon/vader_valence.tsv (" "$tmp/serve.log"
check "serve uses the configured pack" grep -q "rules from $tmp/etc/triage/rules" "$tmp/serve.log"
[ -n "$pid" ] && stop_serve

# lexicon: in the config names the file; one that cannot be read is an error.
echo "lexicon: $tmp/no-such-lexicon.tsv" >> "$tmp/etc/triage/serve.yaml"
sed -i "/^lexicon: \"\"$/d" "$tmp/etc/triage/serve.yaml"
# (timeout: should it start anyway, stop it and fail rather than hang)
(cd "$tmp" && exec timeout 120 $cmdline) > /dev/null 2> "$tmp/bad.log"; rc=$?
check "an unreadable configured lexicon stops serve" [ "$rc" -eq 1 ]
check "and names the key and the file" grep -q "lexicon: $tmp/no-such-lexicon.tsv: cannot read" "$tmp/bad.log"

# The other commands find the same files.
(cd "$tmp" && "$prefix/bin/triage" rules check) > "$tmp/check.out" 2> "$tmp/check.err"; rc=$?
check "rules check from the installed layout" [ "$rc" -eq 0 ]
check "rules check passes" grep -q "^rules: OK: pack 'default'" "$tmp/check.out"
(cd "$tmp" && "$prefix/bin/triage" rules explain --lang es "quiero un reembolso") > "$tmp/explain.out" 2>&1
check "commands use the installed pack" grep -q "($share/rules/default/support.yaml:" "$tmp/explain.out"
printf '{"id":"r1","channel":"x","text":"refund please","created_at":"2026-11-01T10:00:00Z"}\n' > "$tmp/one.ndjson"
(cd "$tmp" && "$prefix/bin/triage" replay "$tmp/one.ndjson") > /dev/null 2> "$tmp/replay.err"; rc=$?
check "replay from the installed layout" [ "$rc" -eq 0 ]
check "replay finds the installed lexicon" bash -c "! grep -q 'escalation off' '$tmp/replay.err'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
