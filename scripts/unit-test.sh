#!/usr/bin/env bash
# The unit-test lane: the pure targets (the model, the routing table, the proxy's wire code and
# handler, the planners, the engine's in-memory parts), with neither ZooKeeper nor Docker.
#   scripts/unit-test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
# No ZooKeeper here: a test that reached for one would fail at once instead of finding a stray server.
export ATLANTIS_TEST_ZK=127.0.0.1:1
filter='^(ZKModelTests|CLIOptionsTests|RouterDataTests|SchedulerTests|SupervisorTests|ManagerTests|DashboardTests)\.|^RouterProxyTests\.(WireTests|LoopSchedulingTests|ProxyHandlerTests)|^ReconcilerTests\.(WorkQueueTests|SyncLatchTests|ControllerTests)'
swift build --build-tests >&2
swift test --skip-build --filter "$filter" "$@"
