#!/usr/bin/env bash
# Who retains and releases, per proxied request of a running router: uprobes on the Swift
# runtime's swift_retain and swift_release that record the caller (the return address) and the
# object, while `wrk` runs a keep-alive load through the router. Prints the callers with their
# operations per request, and how many operations per request hit an object whose count another
# thread wrote last (its cache line moves between cores). A count, not a timing; the uprobes slow
# the router down tenfold while they are set.
#   bench/arc-callers.sh BINARY PID PORT [HOST] [SECONDS] [TOP]
# Needs root, perf, python3 and tracefs (skips, saying why, without them). bench/RESULTS.md quotes it.
set -euo pipefail
export PATH=/opt/swift/usr/bin:$PATH
binary=$1 pid=$2 port=$3 host=${4:-bench.test} seconds=${5:-2} top=${6:-30}
events=/sys/kernel/debug/tracing/uprobe_events
[ -w "$events" ] || events=/sys/kernel/tracing/uprobe_events
if ! command -v perf >/dev/null || ! command -v python3 >/dev/null || [ ! -w "$events" ]; then
  echo "retain callers: skipped (needs perf, python3 and a writable $events)"
  exit 0
fi
work=$(mktemp -d)
cleanup() {
  for symbol in swift_retain swift_release; do echo "-:atlantis_arcc/$symbol" >>"$events" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
nm "$binary" | awk '$2 ~ /[tTwW]/ { print $1, $3 }' >"$work/symbols"
probes=()
for symbol in swift_retain swift_release; do
  address=$(awk -v s="$symbol" '$2 == s { print $1 }' "$work/symbols")
  [ -n "$address" ] || { echo "retain callers: skipped ($symbol not in $binary)"; exit 0; }
  # A fixed-address (no-PIE) executable maps its first segment at 0x400000 from file offset 0.
  echo "p:atlantis_arcc/$symbol $binary:0x$(printf '%x' $((0x$address - 0x400000))) ret=+0(%sp):u64 obj=%di:u64" >>"$events"
  probes+=(-e "atlantis_arcc:$symbol")
done
(sleep 0.5 && wrk -t2 -c20 -d"${seconds}s" -H "Host: $host" "http://127.0.0.1:$port/1k.bin" >"$work/wrk") &
perf record -q "${probes[@]}" -p "$pid" -o "$work/perf.data" -- sleep "$((seconds + 1))" >/dev/null 2>&1
wait
requests=$(awk '/requests in/ { print $1 }' "$work/wrk")
perf script -i "$work/perf.data" -F tid,event,trace 2>/dev/null |
  awk '{ split($2, e, ":"); split($4, r, "="); split($5, o, "="); print $1, e[2], r[2], o[2] }' >"$work/calls"
python3 - "$work" "$requests" "$top" <<'PY'
import bisect, collections, subprocess, sys
work, requests, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
symbols = sorted((int(a, 16), n) for a, n in (l.split() for l in open(f"{work}/symbols") if len(l.split()) == 2))
starts = [a for a, _ in symbols]
def caller(address): return symbols[bisect.bisect_right(starts, address) - 1][1]
by_caller, moved, last = collections.Counter(), 0, {}
total = 0
for line in open(f"{work}/calls"):
    parts = line.split()
    if len(parts) != 4: continue
    tid, event, ret, obj = parts[0], parts[1], int(parts[2]), int(parts[3])
    total += 1
    by_caller[(event.replace("swift_", "").rstrip(":"), caller(ret))] += 1
    if 0x1000 < obj < 0x7fffffffffff:
        if obj in last and last[obj] != tid: moved += 1
        last[obj] = tid
names = sorted({name for _, name in by_caller})
demangled = subprocess.run(["swift-demangle", "--simplified"], input="\n".join(names), capture_output=True, text=True).stdout.split("\n")
readable = dict(zip(names, demangled))
print(f"retains and releases per proxied request {total / requests:.1f} ({requests} requests); "
      f"on an object another thread wrote last: {moved / requests:.1f}")
for (event, name), count in by_caller.most_common(top):
    print(f"{count / requests:7.2f}  {event:8} {readable.get(name, name)[:110]}")
PY
