#!/usr/bin/env bash
# Reconcile-engine benchmark (release build, real ZooKeeper on 127.0.0.1:2391):
#   latency from a znode write to the start of its reconcile (p50, p99 over 1,000 writes),
#   no-op reconciles per second over 10,000 keys, and the cache's memory at 10,000 znodes.
# The last line reads: reconcile start p50: X ms, p99: Y ms; no-op reconciles/s: Z
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
scripts/install.sh >/dev/null
trap 'scripts/zk.sh stop bench >/dev/null 2>&1 || true' EXIT
scripts/zk.sh standalone bench 2391 >/dev/null
echo "==> building atlantis (release)" >&2
"$(scripts/release-build.sh atlantis-bench)" reconcile --zk 127.0.0.1:2391 "$@"
