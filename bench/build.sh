#!/usr/bin/env bash
# Builder benchmark (release build; a real ZooKeeper on 127.0.0.1:2396, a manager on
# 127.0.0.1:18390 and a builder, started here; dockerd and the registry of scripts/docker.sh),
# the same Dockerfile and registry on both sides, runs interleaved:
#   1. Cold build + push: `atlantis build APP --source DIR` (upload, build through the Engine API,
#      push, digest recorded) beside `docker build --no-cache` + `docker push` from the docker CLI.
#      Each run changes a file copied first, so neither side has a cached layer.
#   2. Rebuild of an unchanged source: `atlantis build` → image recorded (the whole command,
#      CLI start included), p50/p99.
#   3. A one-line change with a warm cache: the app's file (copied last) changes; the same change
#      for the docker CLI (`docker build` with its cache + `docker push`).
# Prints medians and the ratios. Not measured here: deploy --source → first 200 (see RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
N=${N:-5}
N_REUSE=${N_REUSE:-20}
RUN=$PWD/run/bench-build
REGISTRY=127.0.0.1:5000
scripts/install.sh >/dev/null
scripts/docker.sh up >/dev/null
scripts/docker.sh bases >/dev/null
echo "==> building atlantis (release)" >&2
bin="$(scripts/release-build.sh)"
rm -rf "$RUN"
mkdir -p "$RUN"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/zk.sh stop benchbuild >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchbuild"
scripts/zk.sh standalone benchbuild 2396 >/dev/null
Z=(--zk 127.0.0.1:2396 --root /bench)
"$bin" manager "${Z[@]}" --listen 127.0.0.1:18390 --quiet >"$RUN/manager.log" 2>&1 & pids+=($!)
"$bin" builder "${Z[@]}" --id bench --store "$RUN/store" --log-port 18396 >"$RUN/builder.log" 2>&1 & pids+=($!)
export ATLANTIS_MANAGER=http://127.0.0.1:18390
for _ in $(seq 100); do curl -fs -o /dev/null "$ATLANTIS_MANAGER/healthz" && break; sleep 0.1; done
cat >"$RUN/app.yaml" <<'EOF'
apiVersion: atlantis/v1
kind: Team
metadata: {name: bench}
spec: {members: [bench]}
---
apiVersion: atlantis/v1
kind: App
metadata: {name: benchapp}
spec: {team: bench, port: 8080}
EOF
"$bin" apply -f "$RUN/app.yaml" -f run/templates >/dev/null
python_base=$(grep -o '127.0.0.1:5000/atlantis/python@sha256:[0-9a-f]*' run/templates/python.yaml | head -1)

# The app: its own Dockerfile (template dockerfile), a few steps like a real app's.
src="$RUN/src"
mkdir -p "$src"
cat >"$src/Dockerfile" <<EOF
FROM $python_base
COPY stamp /stamp
RUN python3 -c "import json, http.server, email, xml.dom.minidom; print('stdlib ok')"
RUN mkdir -p /srv/data && for i in \$(seq 200); do echo "row \$i" >> /srv/data/rows; done
WORKDIR /app
COPY app.py /app/app.py
CMD ["python3", "/app/app.py"]
EOF
printf 'template: dockerfile\n' >"$src/atlantis.yaml"
printf 'print("hello")\n' >"$src/app.py"

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p99() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99+0.999); if (i<1) i=1; print a[i]}'; }
cli_tag="$REGISTRY/bench/cli-app"

echo "==> 1. cold build + push, $N runs each, interleaved"
: >"$RUN/cold.atl"
: >"$RUN/cold.cli"
for i in $(seq "$N"); do
  uuidgen >"$src/stamp" 2>/dev/null || cat /proc/sys/kernel/random/uuid >"$src/stamp"
  t0=$(now)
  "$bin" build benchapp --source "$src" --quiet >"$RUN/atl-cold-$i.out"
  t1=$(now)
  grep -q "built:" "$RUN/atl-cold-$i.out" || { cat "$RUN/atl-cold-$i.out"; exit 1; }
  ms "$t0" "$t1" >>"$RUN/cold.atl"
  cat /proc/sys/kernel/random/uuid >"$src/stamp"
  t0=$(now)
  docker build -q --no-cache -t "$cli_tag:cold-$i" "$src" >/dev/null
  docker push -q "$cli_tag:cold-$i" >/dev/null
  t1=$(now)
  ms "$t0" "$t1" >>"$RUN/cold.cli"
done
cold_atl=$(median <"$RUN/cold.atl")
cold_cli=$(median <"$RUN/cold.cli")

echo "==> 2. rebuild of an unchanged source, $N_REUSE runs"
: >"$RUN/reuse"
"$bin" build benchapp --source "$src" --quiet >/dev/null   # the source as it is now, built once
for _ in $(seq "$N_REUSE"); do
  t0=$(now)
  "$bin" build benchapp --source "$src" --quiet >"$RUN/atl-reuse.out"
  t1=$(now)
  grep -q "already built from the same inputs" "$RUN/atl-reuse.out" || { cat "$RUN/atl-reuse.out"; exit 1; }
  ms "$t0" "$t1" >>"$RUN/reuse"
done

echo "==> 3. a one-line change with a warm cache, $N runs each, interleaved"
: >"$RUN/warm.atl"
: >"$RUN/warm.cli"
# Warm both caches on the current stamp.
"$bin" build benchapp --source "$src" --quiet >/dev/null
docker build -q -t "$cli_tag:warm" "$src" >/dev/null
for i in $(seq "$N"); do
  printf 'print("hello %s")\n' "atl-$i-$RANDOM" >"$src/app.py"
  t0=$(now)
  "$bin" build benchapp --source "$src" --quiet >"$RUN/atl-warm-$i.out"
  t1=$(now)
  grep -q "built:" "$RUN/atl-warm-$i.out" || { cat "$RUN/atl-warm-$i.out"; exit 1; }
  ms "$t0" "$t1" >>"$RUN/warm.atl"
  printf 'print("hello %s")\n' "cli-$i-$RANDOM" >"$src/app.py"
  t0=$(now)
  docker build -q -t "$cli_tag:warm-$i" "$src" >/dev/null
  docker push -q "$cli_tag:warm-$i" >/dev/null
  t1=$(now)
  ms "$t0" "$t1" >>"$RUN/warm.cli"
done
warm_atl=$(median <"$RUN/warm.atl")
warm_cli=$(median <"$RUN/warm.cli")

echo
echo "builder benchmark ($(nproc) cores; medians of $N; ms)"
printf '  %-46s %8s %8s %7s\n' "" atlantis "docker" ratio
printf '  %-46s %8d %8d %7.2f\n' "cold build + push" "$cold_atl" "$cold_cli" "$(awk -v a="$cold_atl" -v b="$cold_cli" 'BEGIN{print a/b}')"
printf '  %-46s %8d %8d %7.2f\n' "one-line change, warm cache, build + push" "$warm_atl" "$warm_cli" "$(awk -v a="$warm_atl" -v b="$warm_cli" 'BEGIN{print a/b}')"
printf '  %-46s p50 %d ms, p99 %d ms (%d runs; the whole CLI command)\n' "unchanged source → image recorded" \
  "$(median <"$RUN/reuse")" "$(p99 <"$RUN/reuse")" "$N_REUSE"
