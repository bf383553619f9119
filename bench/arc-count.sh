#!/usr/bin/env bash
# Retains and releases per proxied request: uprobes on the Swift runtime's swift_retain and
# swift_release in a running router, counted by `perf stat` while `wrk` runs a keep-alive load
# through it. A count, not a timing: it moves only when the request path's code does (the idle
# router's own counts over the window add well under one per request).
#   bench/arc-count.sh BINARY PID PORT [HOST] [SECONDS]
# Needs root, perf and tracefs (skips, saying why, without them). bench/router.sh calls it.
set -euo pipefail
binary=$1 pid=$2 port=$3 host=${4:-bench.test} seconds=${5:-3}
events=/sys/kernel/debug/tracing/uprobe_events
[ -w "$events" ] || events=/sys/kernel/tracing/uprobe_events
if ! command -v perf >/dev/null || [ ! -w "$events" ]; then
  echo "retains per request: skipped (needs perf and a writable $events)"
  exit 0
fi
probes=()
for symbol in swift_retain swift_release; do
  address=$(nm "$binary" | awk -v s="$symbol" '$3 == s { print $1 }')
  [ -n "$address" ] || { echo "retains per request: skipped ($symbol not in $binary)"; exit 0; }
  # A fixed-address (no-PIE) executable maps its first segment at 0x400000 from file offset 0.
  echo "p:atlantis_arc/$symbol $binary:0x$(printf '%x' $((0x$address - 0x400000)))" >>"$events"
  probes+=(-e "atlantis_arc:$symbol")
done
cleanup() { for symbol in swift_retain swift_release; do echo "-:atlantis_arc/$symbol" >>"$events" 2>/dev/null || true; done; }
trap cleanup EXIT
out=$(mktemp)
(sleep 0.5 && wrk -t1 -c10 -d"${seconds}s" -H "Host: $host" "http://127.0.0.1:$port/1k.bin" >"$out") &
counts=$(perf stat -x, "${probes[@]}" -p "$pid" -- sleep "$((seconds + 1))" 2>&1 >/dev/null)
wait
requests=$(awk '/requests in/ { print $1 }' "$out")
rm -f "$out"
retains=$(awk -F, '/swift_retain/ { print $1 }' <<<"$counts")
releases=$(awk -F, '/swift_release/ { print $1 }' <<<"$counts")
printf 'retains per proxied request %.1f, releases %.1f (%s requests, uprobes)\n' \
  "$(echo "$retains / $requests" | bc -l)" "$(echo "$releases / $requests" | bc -l)" "$requests"
