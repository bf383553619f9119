#!/usr/bin/env bash
# The fault suite under load (scripts/chaos.py): brings up a dev cluster of its own
# (`atlantis dev up --dir`), deploys the sample over both zones, then injects each fault in a
# seeded order while a client requests the sample through both routers and scales go through the
# manager, and checks after each one that nothing failed, nothing was lost and everything
# converged. Prints a table; exits 1 naming the fault, the seed and the violation.
#   scripts/chaos.sh                         every fault once, a seed from the clock
#   scripts/chaos.sh --seed 7 --rounds 5     replay seed 7, five rounds
#   scripts/chaos.sh --duration 30m          the full schedule: round after round for 30 minutes
#   scripts/chaos.sh --faults dockerd-restart,zookeeper-restart --zk-down 30
# CI runs `scripts/chaos.sh --seed 1` (every fault once, ZooKeeper down 10 s, 60 applies).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
work=$(mktemp -d /tmp/atlantis-chaos.XXXXXX)
export ATLANTIS_CONFIG=$work/config.json
scripts/install.sh >/dev/null
echo "==> chaos: building atlantis"
swift build --product atlantis >/dev/null
bin=$(swift build --show-bin-path)/atlantis
cleanup() {
  # A fault may have left an agent stopped (SIGSTOP) or dockerd restarted by this run.
  for f in "$work"/dev/*.pid; do [ -f "$f" ] && kill -CONT "$(cat "$f")" 2>/dev/null || true; done
  "$bin" dev down --dir "$work/dev" >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "==> chaos: atlantis dev up (its own cluster in $work/dev)"
"$bin" dev up --dir "$work/dev" --zk-ensemble >"$work/up.out" 2>&1 || { tail -30 "$work/up.out"; exit 1; }
"$bin" apply -f examples/sample >/dev/null
"$bin" rollout status sample-prod --wait >/dev/null
python3 scripts/chaos.py --bin "$bin" --dir "$work/dev" "$@"
trap - EXIT
cleanup
rm -rf "$work"
