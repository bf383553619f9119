#!/usr/bin/env bash
# The main job for a newcomer: installs what is missing, starts a local ZooKeeper on
# 127.0.0.1:2181 (data under ./run), builds `atlantis`, and applies the example cluster
# (teams, zones, services, apps, deploys, routes) through the manager.
# It leaves ZooKeeper running; `scripts/zk.sh stop local` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH

scripts/install.sh
scripts/zk.sh standalone local 2181
echo "==> building atlantis (the first build fetches and compiles dependencies: a few minutes)"
swift build --product atlantis
bin=$(swift build --show-bin-path)/atlantis
echo "==> atlantis apply -f examples"
"$bin" apply -f examples
echo "==> atlantis get deploys"
"$bin" get deploys
echo
echo "Desired state is in ZooKeeper under /atlantis. Try:"
echo "  $bin get routes"
echo "  $bin get app shop -o yaml"
echo "  $bin diff -f examples"
