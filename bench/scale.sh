#!/usr/bin/env bash
# Scheduler at scale (release builds; a real ZooKeeper on 127.0.0.1:2397 and an `atlantis
# scheduler` process, started here): 20 supervisors in 3 zones that are registrations only (no
# containers, so no instance ever reports healthy and every Deploy stays incomplete), Apps and
# Deploys of 2 instances applied through the manager's validation, and at 100 then 1,000 Deploys:
# the time to place them all, one Deploy's change → its placement written (p50/p99 over CHANGES
# changes), and the scheduler's CPU while nothing changes; at the largest size, the scheduler
# frozen (SIGSTOP) 10 s, past its session's expiry, then a change made as it resumes: how soon it
# is placed, and how many other placements were written again (none should be).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
SIZES=${SIZES:-100,1000}
CHANGES=${CHANGES:-200}
RUN=$PWD/run/bench-scale
scripts/install.sh >/dev/null
echo "==> building atlantis and atlantis-bench (release)" >&2
bin="$(scripts/release-build.sh)"
bench="$(scripts/release-build.sh atlantis-bench)"
mkdir -p "$RUN"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/zk.sh stop benchscale >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchscale"
scripts/zk.sh standalone benchscale 2397 >/dev/null
"$bin" scheduler --zk 127.0.0.1:2397 --root /scale --id bench-scheduler --log-level warning >"$RUN/scheduler.log" 2>&1 &
scheduler=$!
pids+=("$scheduler")
echo "==> scale: sizes $SIZES, $CHANGES changes each"
"$bench" scale --zk 127.0.0.1:2397 --root /scale --scheduler-pid "$scheduler" --sizes "$SIZES" --changes "$CHANGES" \
  --idle-seconds "${IDLE:-30}"
