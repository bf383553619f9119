#!/usr/bin/env bash
# Supervisor benchmark (release build, real dockerd and ZooKeeper on 127.0.0.1:2393):
#   time from an instance znode written to its container answering its health check (p50 over
#   20 instances started one after another), beside a plain `docker run` of the same image to
#   its first answer (p50 over 20), and the time from a container killed to its replacement
#   answering; then, with ADOPT (default 100) instances running, the supervisor stopped and a new
#   one started on a new ZooKeeper session: the time until the new one reports every instance
#   healthy, and how many it restarted (goal: all adopted in ≤ 2 s, 0 restarted). The last line reads:
#   instance→200 p50: X ms, docker run→200 p50: Y ms, ratio: Z.ZZ
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
N=${N:-20}
IMAGE=atlantis/sample:v1
scripts/install.sh >/dev/null
scripts/docker.sh up >/dev/null
trap 'scripts/zk.sh stop benchsup >/dev/null 2>&1 || true' EXIT
# A fresh ZooKeeper every run: a previous run's releases would change what `rollout undo` goes back to.
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchsup"
scripts/zk.sh standalone benchsup 2393 >/dev/null
echo "==> building atlantis (release)" >&2
bin="$(scripts/release-build.sh atlantis-bench)"

echo "==> docker run $IMAGE → first 200, $N times"
times=()
for i in $(seq "$N"); do
  port=$((24500 + i))
  t0=$(date +%s%N)
  cid=$(docker run -d --init -p "127.0.0.1:$port:8080" "$IMAGE")
  until curl -fsS -o /dev/null --max-time 0.5 "http://127.0.0.1:$port/health" 2>/dev/null; do sleep 0.002; done
  times+=($(( ($(date +%s%N) - t0) / 1000000 )))
  docker rm -f "$cid" >/dev/null
done
docker_p50=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "docker run → first 200: p50 ${docker_p50} ms over $N"

echo "==> atlantis supervisor, $N instances"
out=$("$bin" supervisor --zk 127.0.0.1:2393 --instances "$N" --image "$IMAGE" --adopt "${ADOPT:-100}" --ports 24000-24199)
echo "$out" | grep -v '^supervisor p50'
ours=$(echo "$out" | sed -n 's/^supervisor p50 ms: //p')
echo "instance→200 p50: ${ours} ms, docker run→200 p50: ${docker_p50} ms, ratio: $(echo "scale=2; $ours / $docker_p50" | bc)"
