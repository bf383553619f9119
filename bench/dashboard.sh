#!/usr/bin/env bash
# Dashboard benchmark (release builds; a real ZooKeeper on 127.0.0.1:2396 and a manager without
# a directory on 127.0.0.1:18291, started here), with APPS apps × 2 environments in ZooKeeper
# (seeded through the manager's own validation):
#   1. GET /ui (the apps page): the manager's server time (its Server-Timing header) and the
#      client's, p50/p99 over PAGES requests;
#   2. a znode write (an instance report, as a supervisor writes it) → the `rows` event an SSE
#      client of /ui/events receives, p50/p99 over WRITES writes, coalescing included; beside it
#      the bare ZooKeeper watch: a second session's one-shot watch on a node the first one writes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
APPS=${APPS:-500}
PAGES=${PAGES:-200}
WRITES=${WRITES:-200}
RUN=$PWD/run/bench-dashboard
scripts/install.sh >/dev/null
echo "==> building atlantis and atlantis-bench (release)" >&2
bin="$(scripts/release-build.sh)"
bench="$(scripts/release-build.sh atlantis-bench)"
mkdir -p "$RUN"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/zk.sh stop benchdash >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchdash"
scripts/zk.sh standalone benchdash 2396 >/dev/null
"$bin" manager --zk 127.0.0.1:2396 --root /dash --listen 127.0.0.1:18291 --quiet >"$RUN/manager.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:18291/healthz && break; sleep 0.1; done
echo "==> dashboard: $APPS apps × 2 environments; $PAGES page loads; $WRITES writes"
"$bench" dashboard --zk 127.0.0.1:2396 --root /dash --manager http://127.0.0.1:18291 \
  --apps "$APPS" --pages "$PAGES" --writes "$WRITES"
