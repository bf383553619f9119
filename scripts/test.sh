#!/usr/bin/env bash
# The test command: installs what is missing, starts the real services the tests use
# (a standalone ZooKeeper on 127.0.0.1:2181, the fault tests start their own servers through
# scripts/zk.sh; dockerd, the registry and base images through scripts/docker.sh), builds, runs
# every test, and stops what it started (dockerd and the registry stay up for the next run).
#   scripts/test.sh [extra `swift test` arguments, e.g. --filter ZooKeeperIntegrationTests]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH

scripts/install.sh
# Every process a test starts is recorded here (TestSupport's TestProcesses): at the end, those
# still running the program they were started with are ended, and nothing else.
export ATLANTIS_TEST_PIDS
ATLANTIS_TEST_PIDS=$(mktemp /tmp/atlantis-test-pids.XXXXXX)
cleanup() {
  for name in test restart ens recon elect routerzk deployzk closezk; do scripts/zk.sh stop "$name" >/dev/null 2>&1 || true; done
  for name in ldaptest ldaptls authtest; do scripts/ldap.sh stop "$name" >/dev/null 2>&1 || true; done
  while read -r pid program; do
    [ -r "/proc/$pid/cmdline" ] || continue
    [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)" = "$program" ] && kill -KILL "$pid" 2>/dev/null || true
  done <"$ATLANTIS_TEST_PIDS"
  rm -f "$ATLANTIS_TEST_PIDS"
}
trap cleanup EXIT
scripts/zk.sh standalone test 2181
export ATLANTIS_TEST_ZK=127.0.0.1:2181
# dockerd (if none runs), the image registry on 127.0.0.1:5000 and the base images.
scripts/docker.sh up
# The build templates' base images (busybox, python from debootstrap) and their Template documents.
scripts/docker.sh bases

echo "==> building (debug)"
swift build --build-tests
echo "==> running the tests"
# One test at a time: the integration tests start servers and kill them, and block on the
# processes they run; in parallel on 2 cores they starve each other's timing.
swift test --skip-build --no-parallel "$@"
