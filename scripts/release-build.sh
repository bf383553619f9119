#!/usr/bin/env bash
# Builds a product the way it ships and prints the binary's path (build output goes to stderr).
#   scripts/release-build.sh [atlantis|atlantis-bench]     (default: atlantis)
#   --static-swift-stdlib               the Swift runtime linked in: direct calls to swift_retain and
#                                       friends, thread-locals without __tls_get_addr
#   -enforce-exclusivity=unchecked      no run-time exclusivity checks (swift_beginAccess per
#                                       access to a class property); the compile-time checks remain
# Measured with bench/router.sh: together about 12 % less CPU per proxied request (bench/RESULTS.md).
# Benchmarks use this build; tests use the debug build (with every check).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
product=${1:-atlantis}
case "$product" in
  atlantis|atlantis-bench) ;;
  *) echo "release-build.sh: unknown product '$product' (atlantis or atlantis-bench)" >&2; exit 64 ;;
esac
flags=(-c release --product "$product" --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked)
swift build "${flags[@]}" >&2
echo "$(swift build "${flags[@]}" --show-bin-path)/$product"
