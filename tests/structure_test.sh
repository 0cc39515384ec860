#!/usr/bin/env bash
# The code's structure, checked on every test run:
#
# 1. Layers. Folders are ordered bottom to top; a file may include only
#    headers of its own folder or of folders below it, so no include runs
#    from a lower layer to a higher one and no two folders include each
#    other. Connectors include only base and format (they know nothing of
#    the engine), and nothing below the runtimes includes a runtime.
# 2. Room sizes. No source file is over 500 lines unless a line near its top
#    starting "// Long file:" says why.
#
# Usage: structure_test.sh SOURCE_DIR
set -euo pipefail
cd "${1:?usage: structure_test.sh SOURCE_DIR}"

# Bottom to top. A folder not listed takes the rank of its nearest listed parent.
LAYERS=(
  base
  format
  engine/model
  engine
  engine/detector
  engine/store
  engine/metrics
  connectors/webhooks
  connectors/synthetic
  connectors
  runtime/replay
  runtime/kafka
  runtime/outbound
  runtime/server
  cli
)

rank_of() {
  local d=$1
  while :; do
    for i in "${!LAYERS[@]}"; do
      if [[ ${LAYERS[$i]} == "$d" ]]; then
        echo "$i"
        return
      fi
    done
    [[ $d == */* ]] || { echo -1; return; }
    d=${d%/*}
  done
}

fail=0
checked=0
while IFS= read -r file; do
  from=$(dirname "$file")
  from_rank=$(rank_of "$from")
  if ((from_rank < 0)); then
    echo "structure: $file: folder '$from' has no layer; add it to LAYERS in tests/structure_test.sh"
    fail=1
    continue
  fi
  while IFS= read -r inc; do
    to=$(dirname "$inc")
    top=${to%%/*}
    [[ -d $top && $top != "$inc" ]] || continue  # a system or third-party header
    to_rank=$(rank_of "$to")
    checked=$((checked + 1))
    if ((to_rank < 0)); then
      echo "structure: $file includes $inc: folder '$to' has no layer"
      fail=1
    elif ((to_rank > from_rank)); then
      echo "structure: $file ($from) includes $inc ($to), a layer above it"
      fail=1
    elif [[ $from == connectors* && $top != base && $top != format && $top != connectors ]]; then
      echo "structure: $file includes $inc: connectors include only base and format"
      fail=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find base format engine connectors runtime cli -name '*.h' -o -name '*.cc' | sort)

long=0
while IFS= read -r file; do
  n=$(wc -l < "$file")
  if ((n > 500)) && ! head -n 40 "$file" | grep -q '^// Long file:'; then
    echo "structure: $file has $n lines; split it, or say why near its top in a line starting '// Long file:'"
    fail=1
  fi
  if ((n > 500)); then long=$((long + 1)); fi
done < <(find base format engine connectors runtime cli tests bench -name '*.h' -o -name '*.cc' | sort)

if ((checked < 200)); then
  echo "structure: only $checked project includes found; is $PWD the source tree?"
  fail=1
fi
echo "structure: $checked project includes checked against ${#LAYERS[@]} layers; $long files over 500 lines"
exit $fail
