#!/usr/bin/env bash
# Manager benchmark (release builds; a real ZooKeeper on 127.0.0.1:2395 and a manager on
# 127.0.0.1:18290, started here):
#   1. `atlantis apply` of the examples (one document changed each time, so every apply writes)
#      through the manager, beside the in-process apply the CLI did before (`atlantis-bench
#      apply`: the process opens ZooKeeper itself): p50/p99 of the whole command, N runs each,
#      interleaved; the ratio.
#   2. `GET /v1/apps/shop` under wrk (50 connections), beside the same read straight from
#      ZooKeeper (`atlantis-bench zk-read`, 50 concurrent readers on one session).
#   3. Authorization: the same write (a scale) through that manager and through one with a
#      directory (a real slapd on 127.0.0.1:3393; a logged-in team member, teams cached),
#      interleaved, N_AUTH times; then logins against the local slapd (`atlantis-bench auth-write`);
#      and the GET of part 2 with a token, under wrk.
# The deploy path through the manager is bench/deploy.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
N=${N:-30}
CONNECTIONS=${CONNECTIONS:-50}
DURATION=${DURATION:-10}
RUN=$PWD/run/bench-manager
scripts/install.sh >/dev/null
command -v wrk >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
echo "==> building atlantis and atlantis-bench (release)" >&2
bin="$(scripts/release-build.sh)"
bench="$(scripts/release-build.sh atlantis-bench)"
mkdir -p "$RUN"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/zk.sh stop benchmgr >/dev/null 2>&1 || true
  scripts/ldap.sh stop benchldap >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchmgr"
scripts/zk.sh standalone benchmgr 2395 >/dev/null
Z=(--zk 127.0.0.1:2395)
"$bin" manager "${Z[@]}" --root /api --listen 127.0.0.1:18290 --quiet >"$RUN/manager.log" 2>&1 & pids+=($!)
M=(--manager http://127.0.0.1:18290)
for _ in $(seq 100); do curl -sf http://127.0.0.1:18290/healthz >/dev/null && break; sleep 0.1; done

# Two versions of the examples that differ in one App's port: each apply changes one document.
for v in 0 1; do
  mkdir -p "$RUN/v$v"
  cp examples/*.yaml "$RUN/v$v/"
  sed -i "s/port: 8080/port: 808$((v + 1))/" "$RUN/v$v/apps.yaml"
done
"$bin" apply "${M[@]}" -f "$RUN/v1" >/dev/null
"$bench" apply "${Z[@]}" --root /inproc -f "$RUN/v1" >/dev/null

now() { date +%s%N; }
pct() { sort -n | awk -v q="$1" '{a[NR]=$1} END {i=int(NR*q+0.999999); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }
: >"$RUN/api.ms"; : >"$RUN/inproc.ms"
echo "==> apply of the examples, $N times each way (interleaved)"
for i in $(seq "$N"); do
  v=$((i % 2))
  t0=$(now); "$bin" apply "${M[@]}" -f "$RUN/v$v" >/dev/null; t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >>"$RUN/api.ms"
  t0=$(now); "$bench" apply "${Z[@]}" --root /inproc -f "$RUN/v$v" >/dev/null; t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >>"$RUN/inproc.ms"
done
ms() { echo "scale=1; $1 / 1000" | bc; }
a50=$(pct 0.5 <"$RUN/api.ms"); a99=$(pct 0.99 <"$RUN/api.ms")
i50=$(pct 0.5 <"$RUN/inproc.ms"); i99=$(pct 0.99 <"$RUN/inproc.ms")
echo "  through the manager: p50 $(ms "$a50") ms, p99 $(ms "$a99") ms"
echo "  in-process (before): p50 $(ms "$i50") ms, p99 $(ms "$i99") ms"

to_ms() { case $1 in *us) echo "scale=3; ${1%us} / 1000" | bc ;; *ms) echo "${1%ms}" ;; *s) echo "scale=3; ${1%s} * 1000" | bc ;; esac; }
echo "==> GET /v1/apps/shop under wrk -t2 -c$CONNECTIONS -d${DURATION}s"
out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency http://127.0.0.1:18290/v1/apps/shop)
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
echo "  manager: $rps req/s, p50 $p50 ms, p99 $p99 ms${non2xx:+, $non2xx non-2xx}"
zk=$("$bench" zk-read "${Z[@]}" --path /api/desired/apps/shop --connections "$CONNECTIONS" --seconds "$DURATION")
echo "  ZooKeeper straight: ${zk#zk-read: }"

echo "==> authorization: scale writes open vs. as a logged-in member (${N_AUTH:-200} each, interleaved), then logins"
scripts/ldap.sh start benchldap 3393 >/dev/null
"$bin" manager "${Z[@]}" --root /authapi --listen 127.0.0.1:18291 --quiet \
  --ldap-config "${ATLANTIS_RUN:-$PWD/run}/ldap-benchldap/directory.json" \
  --login-attempts-per-address 100000 --login-failures-per-user 100000 >"$RUN/manager-auth.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf http://127.0.0.1:18291/healthz >/dev/null && break; sleep 0.1; done
export ATLANTIS_CONFIG="$RUN/client-config.json"
rm -f "$ATLANTIS_CONFIG"
printf 'ada-pw\n' | "$bin" login ada --manager http://127.0.0.1:18291 >/dev/null
"$bin" apply --manager http://127.0.0.1:18291 -f "$RUN/v1" >/dev/null
auth=$("$bench" auth-write --open http://127.0.0.1:18290 --authorizing http://127.0.0.1:18291 --count "${N_AUTH:-200}")
echo "$auth" | sed 's/^/  /'
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["contexts"][0]["token"])' "$ATLANTIS_CONFIG")
out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" http://127.0.0.1:18291/v1/apps/shop)
arps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
ap50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")"); ap99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
anon2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
echo "  GET /v1/apps/shop with a token (checked against the watched copy of auth/tokens): $arps req/s, p50 $ap50 ms, p99 $ap99 ms${anon2xx:+, $anon2xx non-2xx}"

echo "apply p50 ratio: $(echo "scale=2; $a50 / $i50" | bc), p99 ratio: $(echo "scale=2; $a99 / $i99" | bc); GET p99: $p99 ms at $rps req/s; $(tail -1 <<<"$auth"); login p50 $(awk '/^login/ {print $3}' <<<"$auth") ms"
