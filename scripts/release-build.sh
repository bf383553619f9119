#!/usr/bin/env bash
# Builds a product the way it ships and prints the binary's path (build output goes to stderr).
#   scripts/release-build.sh [atlantis|atlantis-router|atlantis-bench]     (default: atlantis)
#   --static-swift-stdlib               the Swift runtime linked in: direct calls to swift_retain and
#                                       friends, thread-locals without __tls_get_addr
#   -enforce-exclusivity=unchecked      no run-time exclusivity checks (swift_beginAccess per
#                                       access to a class property); the compile-time checks remain
#   -no-pie                             a fixed-address executable: no 140,000 relative relocations
#                                       (3.3 MB) read and applied by every process at start
#   --version-script release-exports.map  only `main` in the dynamic symbol table (SwiftPM exports
#                                       every symbol of an executable: 45,000, ~4 MB)
# Measured with bench/router.sh: the first two together about 12 % less CPU per proxied request;
# the last two ~6 MiB less resident per process, 2 MiB of it private (bench/RESULTS.md).
# Benchmarks use this build; tests use the debug build (with every check).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
product=${1:-atlantis}
case "$product" in
  atlantis|atlantis-router|atlantis-bench) ;;
  *) echo "release-build.sh: unknown product '$product' (atlantis, atlantis-router or atlantis-bench)" >&2; exit 64 ;;
esac
flags=(-c release --product "$product" --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked -Xswiftc -Xclang-linker -Xswiftc -no-pie -Xlinker --version-script="$PWD/scripts/release-exports.map")
swift build "${flags[@]}" >&2
echo "$(swift build "${flags[@]}" --show-bin-path)/$product"
