#!/usr/bin/env bash
# The router at scale (release builds): first the table alone (`atlantis-bench router-scale`:
# the rebuild every change makes, at 10 and 10,000 routes with 5 backends each, its memory and
# lookup time), then a real `atlantis router` process on its own ZooKeeper (127.0.0.1:2398),
# fed 10,000 Routes and 50,000 healthy instance reports (`atlantis-bench router-live`): one
# instance's change → the router's report showing it (ZooKeeper's commit times, p50/p99); 21 Route
# changes (a path changed, a Route to a new pool added, then removed) → the report, and how long
# the router took to make each table (in place or whole, from its /metrics); the report's size
# and the router's resident memory; then the same router restarted on that tree: how soon its
# first table is built, and its memory then; then a manager on that tree, its memory before and
# after its dashboard is first asked for, and once that view stopped (nobody asked for 5 s).
#   ROUTES=10000 PER_ROUTE=5 CHANGES=20 ROUTER_ARGS="--malloc-arenas 0" bash bench/router-scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
ROUTES=${ROUTES:-10000}
PER_ROUTE=${PER_ROUTE:-5}
RUN=$PWD/run/bench-router-scale
scripts/install.sh >/dev/null
echo "==> building atlantis, atlantis-router and atlantis-bench (release)" >&2
bin="$(scripts/release-build.sh)"
bench="$(scripts/release-build.sh atlantis-bench)"
# The router as router hosts run it: the binary of its own (the manager at the end runs `atlantis`).
routerbin="$(scripts/release-build.sh atlantis-router)"
echo "==> the table alone"
"$bench" router-scale --routes "$ROUTES" --backends-per-route "$PER_ROUTE"
mkdir -p "$RUN"
router=
live=
cleanup() {
  [ -n "$router" ] && kill "$router" 2>/dev/null || true
  [ -n "$live" ] && kill "$live" 2>/dev/null || true
  wait 2>/dev/null || true
  scripts/zk.sh stop benchrouter >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchrouter" "$RUN/router"
scripts/zk.sh standalone benchrouter 2398 >/dev/null
${ROUTER_WRAP:-} "$routerbin" --zk 127.0.0.1:2398 --root /rscale --id bench-router --listen 127.0.0.1:18280 --admin 127.0.0.1:18281 \
  --state-dir "$RUN/router" --log-level warning ${ROUTER_ARGS:-} >"$RUN/router.log" 2>&1 &
router=$!
echo "==> a router process fed $ROUTES Routes and $((ROUTES * PER_ROUTE)) instance reports"
# router-live keeps its session (the supervisors' registrations that confirm every report) until
# the end: without them the router would hold every report as lost, and a router restarted on
# the tree would route none of them.
"$bench" router-live --zk 127.0.0.1:2398 --root /rscale --router-pid "$router" --router-id bench-router --admin 127.0.0.1:18281 \
  --routes "$ROUTES" --backends-per-route "$PER_ROUTE" --changes "${CHANGES:-20}" --hold >"$RUN/live.out" &
live=$!
until grep -q "^holding" "$RUN/live.out"; do
  kill -0 "$live" 2>/dev/null || { cat "$RUN/live.out"; echo "router-live failed" >&2; exit 1; }
  sleep 0.5
done
grep -v "^holding" "$RUN/live.out"
# Resident memory by kind: anonymous (the heap: what the router holds) and file pages (the binary).
memory() {
  awk '/^(Rss|Anonymous|Private_Clean|Shared_Clean):/ { printf "  %s %.1f MiB", $1, $2 / 1024 } END { print "" }' \
    "/proc/$router/smaps_rollup"
}
sleep 3 # settled: its last table saved and the memory freed since handed back (the saver's work, at most once a second)
echo "router memory (3 s later):$(memory)"
# The same router restarted on that tree: its caches fill before its first table, built once
# (above, the tables were built again and again as the tree was written).
kill "$router"
wait "$router" 2>/dev/null || true
started=$(date +%s.%N)
"$routerbin" --zk 127.0.0.1:2398 --root /rscale --id bench-router --listen 127.0.0.1:18280 --admin 127.0.0.1:18281 \
  --state-dir "$RUN/router" --log-level warning ${ROUTER_ARGS:-} >"$RUN/router-restarted.log" 2>&1 &
router=$!
for _ in $(seq 600); do
  curl -s "http://127.0.0.1:18281/metrics" | grep -q 'atlantis_router_table_build_seconds_count{kind="full"} [1-9]' && break
  sleep 0.1
done
echo "restarted router: first table built after $(echo "$(date +%s.%N) - $started" | bc | xargs printf '%.1f') s"
sleep 3 # its report written, its table saved
python3 -c 'import json, sys; t = json.load(open(sys.argv[1])); print("restarted router routes %d backends in %d pools" % (sum(len(p["backends"]) for p in t["pools"]), len(t["pools"])))' "$RUN/router/table.json"
echo "restarted router memory:$(memory)"
# A manager on the same tree: its dashboard view (every instance status, router report and build
# watched and decoded) starts with the first /ui request, not with the manager.
kill "$router"
wait "$router" 2>/dev/null || true
router=
"$bin" manager --zk 127.0.0.1:2398 --root /rscale --listen 127.0.0.1:18282 --quiet --dashboard-idle 5 >"$RUN/manager.log" 2>&1 &
manager=$!
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:18282/healthz && break; sleep 0.1; done
sleep 3
router=$manager # what memory() and cleanup look at
echo "manager, its dashboard not asked for:$(memory)"
curl -s -o /dev/null -w "manager: the first /ui answered after %{time_total} s (status %{http_code}), " http://127.0.0.1:18282/ui
curl -s -o /dev/null -w "the next after %{time_total} s\n" http://127.0.0.1:18282/ui
sleep 3
echo "manager, after /ui:$(memory)"
# Nobody asks for 5 s (--dashboard-idle; 600 by default): the view stops and its memory goes back.
sleep 9
echo "manager, its dashboard idle:$(memory)"
curl -s -o /dev/null -w "manager: /ui after the view stopped answered after %{time_total} s\n" http://127.0.0.1:18282/ui
