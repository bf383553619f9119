#!/usr/bin/env bash
# Deploy benchmark (release build; real ZooKeeper on 127.0.0.1:2394, dockerd, three supervisors in
# three zones, a scheduler and a router on 127.0.0.1:18180, all started here):
#   time from `atlantis deploy` (0 → 1 instance of atlantis/sample:v1) to the first 200 through
#   the router, median of N runs, beside a plain `docker run` of the same image to its first 200
#   (median of N), and the time `atlantis deploy` itself takes to return (it waits until every
#   router serves the release), and how fast `atlantis rollout undo` moves traffic back to a
#   release kept warm. The last line reads:
#   deploy→200: X s, docker run→200: Y s, ratio: Z.ZZ
# Before it, the median time of each step between the command and the first 200 (deploy-trace).
# SUPERVISOR_FLAGS adds flags to the three supervisors (e.g. --log-level info). WARM is each
# supervisor's --warm-sandboxes (default 1: a deploy's container joins a network sandbox made
# beforehand; WARM=0: every start makes its network, as `docker run` does).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
N=${N:-5}
WARM=${WARM:-1}
IMAGE=atlantis/sample:v1
RUN=$PWD/run/bench-deploy
scripts/install.sh >/dev/null
scripts/docker.sh up >/dev/null
echo "==> building atlantis and atlantis-bench (release)" >&2
bin="$(scripts/release-build.sh)"
tracer="$(scripts/release-build.sh atlantis-bench)"
mkdir -p "$RUN"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for id in $(docker ps -aq --filter label=atlantis.host 2>/dev/null); do
    docker inspect -f '{{index .Config.Labels "atlantis.host"}}' "$id" | grep -q '^bench-' && docker rm -f "$id" >/dev/null
  done
  scripts/zk.sh stop benchdeploy >/dev/null 2>&1 || true
}
trap cleanup EXIT
# A fresh ZooKeeper every run: a previous run's releases would change what `rollout undo` goes back to.
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchdeploy"
scripts/zk.sh standalone benchdeploy 2394 >/dev/null
Z=(--zk 127.0.0.1:2394)
i=0
for zone in a b c; do
  "$bin" supervisor "${Z[@]}" --warm-sandboxes "$WARM" ${SUPERVISOR_FLAGS:-} --host-id "bench-$zone" --zone "zone-$zone" --ports "$((25500 + i * 100))-$((25599 + i * 100))" >"$RUN/supervisor-$zone.log" 2>&1 &
  pids+=($!); i=$((i + 1))
done
"$bin" scheduler "${Z[@]}" >"$RUN/scheduler.log" 2>&1 & pids+=($!)
"$bin" router "${Z[@]}" --listen 127.0.0.1:18180 --admin 127.0.0.1:18181 --state-dir "$RUN/router" >"$RUN/router.log" 2>&1 & pids+=($!)
# Every user command goes through a manager, as a user's does.
"$bin" manager "${Z[@]}" --listen 127.0.0.1:18190 --quiet >"$RUN/manager.log" 2>&1 & pids+=($!)
M=(--manager http://127.0.0.1:18190)
for _ in $(seq 100); do curl -sf http://127.0.0.1:18190/healthz >/dev/null && break; sleep 0.1; done
cat >"$RUN/app.yaml" <<'YAML'
apiVersion: atlantis/v1
kind: Team
metadata: {name: bench}
spec: {members: [bench]}
---
apiVersion: atlantis/v1
kind: App
metadata: {name: sample}
spec: {team: bench, port: 8080, healthCheck: {path: /health, intervalSeconds: 1, timeoutSeconds: 1}}
YAML
cat >"$RUN/route.yaml" <<'YAML'
apiVersion: atlantis/v1
kind: Route
metadata: {name: sample}
spec: {host: sample.bench, pool: {app: sample, environment: prod}}
YAML
"$bin" apply "${M[@]}" -f "$RUN/app.yaml" >/dev/null
"$bin" deploy "${M[@]}" sample --env prod --image "$IMAGE" --instances 0 >/dev/null
"$bin" apply "${M[@]}" -f "$RUN/route.yaml" >/dev/null

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Where the time goes: `atlantis-bench deploy-trace` watches the tree during each run and says when
# (ZooKeeper's mtime/ctime, the Engine's StartedAt) each step happened.
STEPS=(committed placed assigned container-started status-written healthy-reported router-serves)
LABELS=("CLI start + manager commit" "scheduler: placement written" "scheduler: assignment written"
  "supervisor: container started" "supervisor: first status written" "gate/egress, app start, probe: healthy"
  "router: table swapped, report written" "bench client: first 200 seen" "atlantis deploy returns")
declare -A step_ms
echo "==> atlantis deploy → first 200 through the router, $N times (warm sandboxes per supervisor: $WARM)"
deploy_ms=(); return_ms=()
for run in $(seq "$N"); do
  trace=$RUN/trace-$run.out
  "$tracer" deploy-trace --zk 127.0.0.1:2394 --since-ms "$(date +%s%3N)" >"$trace" 2>&1 &
  tpid=$!
  until grep -q '^ready' "$trace" 2>/dev/null; do sleep 0.01; done
  t0=$(now)
  "$bin" deploy "${M[@]}" sample --env prod --image "$IMAGE" --instances 1 >"$RUN/deploy-$run.log" 2>&1 &
  dpid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 -H 'Host: sample.bench' http://127.0.0.1:18180/health)" = 200 ]; do sleep 0.002; done
  t1=$(now)
  wait "$dpid"
  t2=$(now)
  wait "$tpid" || true
  deploy_ms+=($(( (t1 - t0) / 1000000 ))); return_ms+=($(( (t2 - t0) / 1000000 )))
  echo "  run $run: first 200 after $(( (t1 - t0) / 1000000 )) ms; atlantis deploy returned after $(( (t2 - t0) / 1000000 )) ms"
  # Each step's time from the one before (ms), this run.
  prev=$((t0 / 1000000)); line=$(grep '^trace:' "$trace" || true); i=0
  for step in "${STEPS[@]}"; do
    at=$(echo "$line" | grep -o "$step [0-9]*" | awk '{print $2}')
    if [ -n "$at" ]; then step_ms[$i]+="$((at - prev)) "; prev=$at; fi
    i=$((i + 1))
  done
  step_ms[$i]+="$((t1 / 1000000 - prev)) "; step_ms[$((i + 1))]+="$(( (t2 - t1) / 1000000 )) "
  "$bin" scale "${M[@]}" sample --env prod --instances 0 >/dev/null
  # From an idle host, as each `docker run` below: the retired container gone first (with its
  # sandbox), and each supervisor's spare made again.
  until [ -z "$(docker ps -aq --filter label=atlantis.app=sample)" ] &&
    [ "$(docker ps --filter label=atlantis.role=sandbox --format '{{.Label "atlantis.host"}}' | grep -c '^bench-')" -eq $((3 * WARM)) ]; do
    sleep 0.05
  done
done
echo "where the time goes (median over $N runs, ms from the step before; from the tree's and the Engine's clocks):"
for i in "${!LABELS[@]}"; do
  [ -n "${step_ms[$i]:-}" ] || { printf '  %-42s   -\n' "${LABELS[$i]}"; continue; }
  printf '  %-42s %5s\n' "${LABELS[$i]}" "$(printf '%s\n' ${step_ms[$i]} | median)"
done

echo "==> rollback: v1 → v2 with v1 kept warm, then atlantis rollout undo"
"$bin" deploy "${M[@]}" sample --env prod --image "$IMAGE" --instances 2 >/dev/null
"$bin" deploy "${M[@]}" sample --env prod --image 127.0.0.1:5000/atlantis/sample:v2 >/dev/null
version() { curl -s --max-time 0.5 -H 'Host: sample.bench' http://127.0.0.1:18180/version; }
t0=$(now)
"$bin" rollout undo "${M[@]}" sample-prod --no-wait >/dev/null
until [ "$(version)" = v1 ]; do :; done
t1=$(now)
streak=0
until [ $streak -ge 20 ]; do if [ "$(version)" = v1 ]; then streak=$((streak + 1)); else streak=0; fi; done
t2=$(now)
undo_first=$(( (t1 - t0) / 1000000 )); undo_all=$(( (t2 - t0) / 1000000 ))
echo "rollout undo → first v1 answer: ${undo_first} ms, → only v1 (20 in a row): ${undo_all} ms"
"$bin" scale "${M[@]}" sample --env prod --instances 0 >/dev/null

echo "==> docker run $IMAGE → first 200, $N times"
docker_ms=()
for run in $(seq "$N"); do
  port=$((25900 + run))
  t0=$(now)
  cid=$(docker run -d --init -p "127.0.0.1:$port:8080" "$IMAGE")
  until curl -fsS -o /dev/null --max-time 0.5 "http://127.0.0.1:$port/health" 2>/dev/null; do sleep 0.002; done
  docker_ms+=($(( ($(now) - t0) / 1000000 )))
  docker rm -f "$cid" >/dev/null
done

d=$(printf '%s\n' "${deploy_ms[@]}" | median)
r=$(printf '%s\n' "${return_ms[@]}" | median)
k=$(printf '%s\n' "${docker_ms[@]}" | median)
echo "atlantis deploy returned (every router serving): median ${r} ms"
printf 'deploy→200: %.2f s, docker run→200: %.2f s, ratio: %.2f\n' "$(echo "$d / 1000" | bc -l)" "$(echo "$k / 1000" | bc -l)" "$(echo "$d / $k" | bc -l)"
