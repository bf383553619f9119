#!/usr/bin/env bash
# Router benchmark, side by side in one run on loopback (release build):
#   one backend (nginx serving a 1 KiB file) behind (a) atlantis router, (b) nginx, (c) HAProxy;
#   each proxy does the same job: keeps connections to the backend alive, passes Host on, and adds
#   X-Forwarded-For, -Proto and -Host (the router must; nginx and HAProxy are configured to), so the
#   backend reads the same request from all three;
#   wrk with the same connections and duration against each: req/s, p50, p99, the proxy's CPU
#   seconds (per request, and of them in user space) and peak memory (VmHWM, which counts the
#   code pages each process maps, and the private part, RssAnon, after the run). Then, under 10
#   changes a second (CHURN_ROUNDS rounds): p99 and failed requests through the router while a
#   Route is rewritten through the manager, through the router while the same writer changes a
#   tree no router reads (the control: the writer's and ZooKeeper's cost alone), and through nginx
#   while its configuration is rewritten and reloaded: per round against the steady runs around
#   it, beside the steady runs against each other (what a round's ratio is worth), and pooled (the
#   p99 of every request under churn against every steady request of those rounds); then what one
#   change costs the router, ZooKeeper, the writer and nginx in CPU; then the routing table's build time,
#   memory and lookup time; then the router's retains and releases per request
#   (bench/arc-count.sh, uprobes).
# Each proxy is run ROUNDS times, interleaved (router, nginx, nginx-b, HAProxy; then the same order
# turned by one: nginx, nginx-b, HAProxy, router; ...), and the median of its rounds is compared:
# single runs on a shared 2-core machine vary by 20 %.
# nginx-b is a second nginx with nginx's configuration: nginx-b/nginx is the control, what the
# same comparison reads when both sides are the same program (the bench's own noise). Each round
# also gives a paired ratio (router and nginx run seconds apart); their median comes with a 90 %
# bootstrap interval, beside the control's.
# The last line reads: router/nginx req/s ratio: X.XX, p99 ratio: Y.YY (medians)
#   DURATION=5 CONNECTIONS=50 ROUNDS=5 ROUTER_THREADS=N ROUTER_SCHEDULING=batch|normal ROUTER_ARGS="--control-nice 19" bench/router.sh
# Before the churn rounds, ZooKeeper is warmed up by the same changes at 1,000 a second, in passes
# of ZK_WARMUP seconds per kind (default 2; 0 leaves it out) until a pass's JIT compiling takes
# under 50 ms (at most 10 passes): a freshly started JVM compiles its write paths in bursts of its
# compiler threads while the series run, which is not what a cluster's ZooKeeper does. The
# compilers' CPU during the churn rounds is printed after them.
# SWEEP="10 25 100" also compares router and nginx at those connection counts (after the medians).
# RELAYS=1 adds two byte relays to the rotation (`atlantis-bench relay`: each client connection its
# own backend connection, bytes passed on unparsed, RELAY_THREADS threads, default 2): one on NIO's
# channels (relay-nio), one on a plain epoll loop (relay-epoll) — the floor under any proxy here,
# with and without NIO's channel machinery, each against nginx per round.
# BASELINE=/path/to/an/older/atlantis adds that build's router (router-0, same ZooKeeper and table)
# to the rotation, for a before/after comparison in one run: router/router-0 per round, and the
# medians of both (e.g. git worktree add /tmp/before <commit> && (cd /tmp/before && scripts/release-build.sh));
# BASELINE_ARGS are its extra options (BASELINE=<this atlantis-router> BASELINE_ARGS="--malloc-arenas 0":
# one setting against another in the same binary).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-50}
ROUNDS=${ROUNDS:-5}
RUN=$PWD/run/bench-router
ZKPORT=2392
BACKEND=9201 NGINX=9202 HAPROXY=9203 ROUTER=9204 ADMIN=9205 NGINX_B=9206 ROUTER_0=9207 ADMIN_0=9208 RELAY_NIO=9209 RELAY_EPOLL=9210

scripts/install.sh >/dev/null
need=()
for pkg in nginx haproxy wrk; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "==> installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

rm -rf "$RUN" && mkdir -p "$RUN/www" "$RUN/logs" "$RUN/latency"
head -c 1024 /dev/urandom >"$RUN/www/1k.bin"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$RUN/nginx-backend.pid" ] && kill "$(cat "$RUN/nginx-backend.pid")" 2>/dev/null || true
  [ -f "$RUN/nginx-proxy.pid" ] && kill "$(cat "$RUN/nginx-proxy.pid")" 2>/dev/null || true
  [ -f "$RUN/nginx-proxy-b.pid" ] && kill "$(cat "$RUN/nginx-proxy-b.pid")" 2>/dev/null || true
  scripts/zk.sh stop bench-router >/dev/null 2>&1 || true
}
trap cleanup EXIT

cat >"$RUN/backend.conf" <<CONF
worker_processes 1;
pid $RUN/nginx-backend.pid;
error_log $RUN/logs/backend-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$BACKEND; root $RUN/www; keepalive_requests 1000000; }
}
CONF
cat >"$RUN/proxy.conf" <<CONF
worker_processes 2;
pid $RUN/nginx-proxy.pid;
error_log $RUN/logs/proxy-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 256; }  # idle connections kept per worker, as the router's default
  server {
    listen 127.0.0.1:$NGINX;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
    }
  }
}
CONF
cat >"$RUN/haproxy.cfg" <<CONF
global
  maxconn 4096
  nbthread 2
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend f
  bind 127.0.0.1:$HAPROXY
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  default_backend b
backend b
  http-reuse always
  server s1 127.0.0.1:$BACKEND
CONF

nginx -p "$RUN" -c "$RUN/backend.conf" -e "$RUN/logs/backend-error.log"
nginx -p "$RUN" -c "$RUN/proxy.conf" -e "$RUN/logs/proxy-error.log"
# The control: the same nginx configuration on another port, with its own master and workers.
sed -e "s/127.0.0.1:$NGINX;/127.0.0.1:$NGINX_B;/" -e "s/nginx-proxy.pid/nginx-proxy-b.pid/" -e "s/proxy-error.log/proxy-b-error.log/" \
  "$RUN/proxy.conf" >"$RUN/proxy-b.conf"
nginx -p "$RUN" -c "$RUN/proxy-b.conf" -e "$RUN/logs/proxy-b-error.log"
haproxy -f "$RUN/haproxy.cfg" -D -p "$RUN/haproxy.pid"
pids+=("$(cat "$RUN/haproxy.pid")")

echo "==> building atlantis and atlantis-router (release)" >&2
BIN="$(scripts/release-build.sh)"
# The router runs as router hosts run it: the binary of its own (`atlantis-router <options>` is
# `atlantis router <options>`).
RBIN="$(scripts/release-build.sh atlantis-router)"
BENCH="$(scripts/release-build.sh atlantis-bench)"

scripts/zk.sh standalone bench-router $ZKPORT >/dev/null
ZK=127.0.0.1:$ZKPORT
zk_pid=$(cat "${ATLANTIS_RUN:-$PWD/run}/zk-bench-router/1/pid")  # the JVM itself: zk.sh execs java in the process it starts
mkdir -p "$RUN/docs"
cat >"$RUN/docs/bench.yaml" <<DOCS
apiVersion: atlantis/v1
kind: Service
metadata: {name: backend}
spec: {endpoints: [{host: 127.0.0.1, port: $BACKEND}]}
---
apiVersion: atlantis/v1
kind: Route
metadata: {name: bench}
spec: {host: bench.test, pool: {service: backend}}
DOCS
"$BENCH" apply -f "$RUN/docs" --zk $ZK >/dev/null  # in-process: this bench runs no manager service
"$BENCH" apply -f "$RUN/docs" --zk $ZK --root /control >/dev/null  # the churn's control: a tree no router reads
"$RBIN" --zk $ZK --listen 127.0.0.1:$ROUTER --admin 127.0.0.1:$ADMIN --state-dir "$RUN/router" ${ROUTER_THREADS:+--threads $ROUTER_THREADS} ${ROUTER_SCHEDULING:+--scheduling $ROUTER_SCHEDULING} ${ROUTER_ARGS:-} \
  >"$RUN/logs/router.log" 2>&1 &
pids+=($!)
ROUTER_PID=$!
if [ -n "${BASELINE:-}" ]; then
  baseline=("$BASELINE")
  [ "$(basename "$BASELINE")" = atlantis-router ] || baseline+=(router)
  "${baseline[@]}" ${BASELINE_ARGS:-} --zk $ZK --listen 127.0.0.1:$ROUTER_0 --admin 127.0.0.1:$ADMIN_0 --id router-0 --state-dir "$RUN/router-0" \
    ${ROUTER_THREADS:+--threads $ROUTER_THREADS} ${ROUTER_SCHEDULING:+--scheduling $ROUTER_SCHEDULING} >"$RUN/logs/router-0.log" 2>&1 &
  pids+=($!)
  ROUTER_0_PID=$!
fi
if [ -n "${RELAYS:-}" ]; then
  BENCHBIN="$(scripts/release-build.sh atlantis-bench)"
  for engine in nio epoll; do
    port=$RELAY_NIO
    [ $engine = epoll ] && port=$RELAY_EPOLL
    "$BENCHBIN" relay --engine $engine --listen $port --backend $BACKEND --threads "${RELAY_THREADS:-2}" >"$RUN/logs/relay-$engine.log" 2>&1 &
    pids+=($!)
    [ $engine = nio ] && RELAY_NIO_PID=$! || RELAY_EPOLL_PID=$!
  done
fi
for port in $ROUTER ${BASELINE:+$ROUTER_0} ${RELAYS:+$RELAY_NIO $RELAY_EPOLL}; do
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: bench.test' http://127.0.0.1:$port/1k.bin)" = 200 ] && break
    sleep 0.1
  done
done

HZ=$(getconf CLK_TCK)  # /proc's CPU ticks per second
stat_ticks() { # "indexes" pids... -> the sum of those fields of each /proc/<pid>/stat (split on spaces, from 0), in ticks
  local indexes=$1 t=0
  shift
  for p in "$@"; do
    read -r -a f <"/proc/$p/stat" || continue
    for i in $indexes; do t=$((t + f[i])); done
  done
  echo $t
}
proc_cpu() { echo "scale=2; $(stat_ticks "13 14" "$@") / $HZ" | bc; }  # pids... -> CPU seconds so far
# pids... -> CPU seconds so far in user space (the rest is the kernel's: sockets, scheduling)
proc_user() { echo "scale=2; $(stat_ticks 13 "$@") / $HZ" | bc; }
proc_anon_mb() { # pids... -> sum of RssAnon in MiB: private memory, without the shared code pages in VmHWM
  local kb=0
  for p in "$@"; do kb=$((kb + $(awk '/RssAnon/ {print $2}' "/proc/$p/status"))); done
  echo "scale=1; $kb / 1024" | bc
}
proc_peak_mb() { # pids... -> sum of VmHWM in MiB
  local kb=0
  for p in "$@"; do kb=$((kb + $(awk '/VmHWM/ {print $2}' "/proc/$p/status"))); done
  echo "scale=1; $kb / 1024" | bc
}
to_ms() { # wrk latency like 1.23ms / 512.00us / 1.02s -> ms
  case $1 in
    *us) echo "scale=3; ${1%us} / 1000" | bc ;;
    *ms) echo "${1%ms}" ;;
    *s) echo "scale=3; ${1%s} * 1000" | bc ;;
  esac
}

declare -A RPS P50 P99 CPU REQS FAILED
run_one() { # name port pids...
  local name=$1 port=$2
  shift 2
  local cpu0 user0 out
  cpu0=$(proc_cpu "$@")
  user0=$(proc_user "$@")
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/wrk-latency.lua -H "Host: bench.test" "http://127.0.0.1:$port/1k.bin")
  local cpu1 rps p50 p99 errors requests cpu
  cpu1=$(proc_cpu "$@")
  local user=$(echo "$(proc_user "$@") - $user0" | bc)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  # wrk counts a connection closed or refused under it apart from the answers: a socket error.
  local socket_errors
  socket_errors=$(awk '/Socket errors/ {n = 0; for (i = 4; i <= NF; i += 2) n += $i; print n}' <<<"$out")
  cpu=$(echo "$cpu1 - $cpu0" | bc)
  local key=$name${SERIES:-}  # SERIES keeps the sweep's runs out of the main medians
  RPS[$key]+=" $rps" P50[$key]+=" $p50" P99[$key]+=" $p99" CPU[$key]+=" $cpu" REQS[$key]+=" $requests"
  FAILED[$key]+=" $((${errors:-0} + ${socket_errors:-0}))"
  grep '^latency-table ' <<<"$out" >>"$RUN/latency/$key" || true  # each run's distribution, for the pooled p99 after the churn rounds
  printf '%-10s %10s req/s  p50 %7s ms  p99 %7s ms  cpu %6s s (%5s us/req, user %4s)  peak %5s MiB (private %4s)  non-2xx %s  socket errors %s\n' \
    "$name" "$rps" "$p50" "$p99" "$cpu" "$(echo "scale=1; $cpu * 1000000 / $requests" | bc)" "$(echo "scale=1; $user * 1000000 / $requests" | bc)" "$(proc_peak_mb "$@")" "$(proc_anon_mb "$@")" "${errors:-0}" "${socket_errors:-0}"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
sum() { tr ' ' '\n' | grep -v '^$' | paste -sd+ | bc; }

echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s, 1 KiB body, same backend (nginx), $ROUNDS interleaved rounds on $(nproc) cores:"
# A dockerd that ran here (the tests start one) leaves its netfilter chains loaded after it stops:
# every loopback packet then passes them. Said, so runs are compared in the same state.
if iptables -t nat -S 2>/dev/null | grep -q DOCKER; then echo "note: dockerd's netfilter chains are loaded"; fi
with_workers() { echo "$1" $(pgrep -P "$1" | tr '\n' ' '); }  # nginx: master and its workers
run_one direct $BACKEND $(with_workers "$(cat "$RUN/nginx-backend.pid")")
run_proxy() { # name
  case $1 in
    router) run_one router $ROUTER $ROUTER_PID ;;
    router-0) run_one router-0 $ROUTER_0 $ROUTER_0_PID ;;
    nginx) run_one nginx $NGINX $(with_workers "$(cat "$RUN/nginx-proxy.pid")") ;;
    nginx-b) run_one nginx-b $NGINX_B $(with_workers "$(cat "$RUN/nginx-proxy-b.pid")") ;;
    haproxy) run_one haproxy $HAPROXY "$(cat "$RUN/haproxy.pid")" ;;
    relay-nio) run_one relay-nio $RELAY_NIO $RELAY_NIO_PID ;;
    relay-epoll) run_one relay-epoll $RELAY_EPOLL $RELAY_EPOLL_PID ;;
  esac
}
# The order turns by one each round, so no proxy always follows the same one: a fixed order read
# nginx-b (the same program as nginx, run right after it) 10 % slower at p99 over 8 rounds.
order=(router nginx nginx-b haproxy ${BASELINE:+router-0} ${RELAYS:+relay-nio relay-epoll})
for round in $(seq "$ROUNDS"); do
  for i in "${!order[@]}"; do run_proxy "${order[$(((round - 1 + i) % ${#order[@]}))]}"; done
done
echo "medians of $ROUNDS rounds (cpu: all rounds' CPU seconds over all their requests):"
for name in "${order[@]}"; do
  printf '%-10s %10s req/s  p50 %7s ms  p99 %7s ms  cpu %5s us/req\n' "$name" \
    "$(median <<<"${RPS[$name]}")" "$(median <<<"${P50[$name]}")" "$(median <<<"${P99[$name]}")" \
    "$(echo "scale=1; $(sum <<<"${CPU[$name]}") * 1000000 / $(sum <<<"${REQS[$name]}")" | bc)"
done

if [ -n "${SWEEP:-}" ]; then
  # The same comparison at other connection counts: router and nginx alternate, 3 rounds each.
  echo "router and nginx at other connection counts (medians of 3 alternating rounds):"
  for c in $SWEEP; do
    for round in 1 2 3; do
      if [ $((round % 2)) = 1 ]; then sweep_order="router nginx"; else sweep_order="nginx router"; fi
      for name in $sweep_order; do CONNECTIONS=$c SERIES=@$c run_proxy "$name" >/dev/null; done
    done
    printf 'c=%-4s router %6.0f req/s p50 %5.2f p99 %6.2f ms | nginx %6.0f req/s p50 %5.2f p99 %6.2f ms | p99 ratio %.2f\n' "$c" \
      "$(median <<<"${RPS[router@$c]}")" "$(median <<<"${P50[router@$c]}")" "$(median <<<"${P99[router@$c]}")" \
      "$(median <<<"${RPS[nginx@$c]}")" "$(median <<<"${P50[nginx@$c]}")" "$(median <<<"${P99[nginx@$c]}")" \
      "$(echo "scale=3; $(median <<<"${P99[router@$c]}") / $(median <<<"${P99[nginx@$c]}")" | bc)"
  done
fi

# Under churn, each side gets its own kind of change, 10 a second, from one long-lived process:
# the router a Route rewritten through the manager (its priority alternating); nginx what an
# nginx-based router does on every change: its configuration rewritten (a header's value
# alternating) and the master signalled to reload, which starts new workers and retires the old.
nginx_churn() { # seconds rate
  python3 - "$RUN/proxy.conf" "$(cat "$RUN/nginx-proxy.pid")" "$1" "$2" <<'PY'
import os, resource, signal, sys, time
conf, pid, duration, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
original = open(conf).read()
anchor = "proxy_set_header X-Forwarded-Host $host;"
start, changes = time.monotonic(), 0
while time.monotonic() - start < duration:
    with open(conf + ".new", "w") as f:
        f.write(original.replace(anchor, f"{anchor} proxy_set_header X-Churn {changes % 2};"))
    os.replace(conf + ".new", conf)
    os.kill(pid, signal.SIGHUP)
    changes += 1
    time.sleep(max(0.0, start + changes / rate - time.monotonic()))
with open(conf, "w") as f:
    f.write(original)
os.kill(pid, signal.SIGHUP)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"nginx-churn: {changes} reloads in {time.monotonic() - start:.1f} s, cpu {usage.ru_utime + usage.ru_stime:.3f} s", file=sys.stderr)
PY
}
# What one change costs each party with no load on: CPU per change of the router, of ZooKeeper,
# of the writer (the process making the changes, the same kinds as under churn; its start included), and
# of nginx reloading (its master and workers, the old ones reaped). The router's figure is its
# whole reaction: the watch, reading the node, validating the Route, the table, the report.
ticks() { stat_ticks "13 14 15 16" "$@"; }  # pids... -> CPU ticks so far, with reaped children's (nginx's retired workers)
change_cost() {
  local rate=20 seconds=10
  echo "one change's CPU with no load ($rate changes/s for $seconds s; ms per change):"
  for name in router control direct direct-control nginx; do
    local args=() pids=() t0 z0 out changes writer
    case $name in
      router) pids=("$ROUTER_PID") ;;
      control) pids=("$ROUTER_PID") args=(--root /control) ;;
      direct) pids=("$ROUTER_PID") args=(--direct) ;;
      direct-control) pids=("$ROUTER_PID") args=(--direct --root /control) ;;
      nginx) pids=($(with_workers "$(cat "$RUN/nginx-proxy.pid")")) ;;
    esac
    t0=$(ticks "${pids[@]}") z0=$(ticks "$zk_pid")
    if [ "$name" = nginx ]; then
      out=$(nginx_churn "$seconds" "$rate" 2>&1 >/dev/null)
      sleep 1  # the last reload's old workers leave and are reaped
      pids=($(with_workers "$(cat "$RUN/nginx-proxy.pid")"))
    else
      out=$("$BENCH" route-churn "${args[@]}" --zk $ZK --route bench --host bench.test --service backend --rate "$rate" --duration "$seconds" 2>/dev/null)
    fi
    changes=$(grep -o '[0-9]* \(changes\|reloads\)' <<<"$out" | cut -d' ' -f1)
    writer=$(grep -o 'cpu [0-9.]*' <<<"$out" | cut -d' ' -f2)
    python3 - "$name" "$changes" "$(($(ticks "${pids[@]}") - t0))" "$(($(ticks "$zk_pid") - z0))" "$writer" "$HZ" <<'PY'
import sys
name, changes, proxy, zk, writer, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
ms = lambda ticks: ticks / hz * 1000 / changes
who = {"router": "router, via the manager", "control": "control, via the manager", "direct": "router, straight",
       "direct-control": "control, straight", "nginx": "nginx, reloaded"}[name]
print(f"{who:25s} proxy {ms(proxy):5.2f}  ZooKeeper {ms(zk):5.2f}  writer {writer * 1000 / changes:5.2f}  ({changes} changes)")
PY
  done
}
# Two more series write the Route's node straight (`route-churn --direct`: the bytes the manager
# stored, one setData per change), as nginx's loop rewrites its file: the router's own reaction,
# without the manager's reads, checks and audit record; and their control on the other tree.
CHURN_ROUNDS=${CHURN_ROUNDS:-8}  # a round's ratio moves by up to 25 % with nothing changing: the pooled figure needs rounds
echo "under 10 changes per second ($CHURN_ROUNDS rounds, alternating; router: a Route rewritten through the manager, or its node written straight (direct); nginx: config rewritten and reloaded):"
# Each round also runs the router and nginx steady at its start and its end: every series under
# churn is compared with the steady runs of its own round (a minute apart at most), not only with
# the steady rounds above, several minutes earlier.
run_base() {
  run_one router-base $ROUTER $ROUTER_PID
  run_one nginx-base $NGINX $(with_workers "$(cat "$RUN/nginx-proxy.pid")")
}
# ZooKeeper's JVM compiles its write paths (a multi with an audit record, a setData, the watches
# they fire) over the first tens of thousands of times it runs them, in bursts of its compiler
# threads (C1 and C2: 3.4 s of CPU in the first 8,000 changes, 1.2 s in the next 8,000): a burst on
# one of the two cores delays the requests of the event loop it displaces. Warmed with about 2,000
# changes, the control series (the writer and ZooKeeper alone) read 1.26x steady at p99; warmed
# with about 20,000, 1.03x (a scratch run, both ZooKeepers side by side). A ZooKeeper that serves a cluster has long
# compiled them, so the same changes are made first, unmeasured, through the manager and
# straight, on both trees, until a pass of them compiles for under 50 ms.
ZK_WARMUP=${ZK_WARMUP:-2}
# On 2 cores the JVM keeps one C1 and one C2 compiler thread (none come and go), so their own
# counters hold all of its compiling.
zk_compiling() { # -> ms of CPU so far of ZooKeeper's JIT compiler threads
  local t=0 task
  for task in /proc/"$zk_pid"/task/*; do
    case "$(cat "$task/comm" 2>/dev/null)" in "C1 CompilerThre" | "C2 CompilerThre") t=$((t + $(stat_ticks "13 14" "${task#/proc/}"))) ;; esac
  done
  echo $((t * 1000 / HZ))
}
if [ "$CHURN_ROUNDS" -gt 0 ] && [ "$ZK_WARMUP" -gt 0 ]; then
  for pass in $(seq 10); do
    compiled=$(zk_compiling)
    for args in "" "--root /control" "--direct" "--direct --root /control"; do
      # shellcheck disable=SC2086 # the options are words
      "$BENCH" route-churn $args --zk $ZK --route bench --host bench.test --service backend --rate 1000 --duration "$ZK_WARMUP" \
        >/dev/null 2>>"$RUN/logs/warmup.log"
    done
    compiled=$(($(zk_compiling) - compiled))
    [ "$compiled" -lt 50 ] && break
  done
  echo "ZooKeeper warmed up: $pass passes of $((4 * ZK_WARMUP * 1000)) changes, the last compiling for $compiled ms"
fi
compiling_before=$(zk_compiling)
# Each writer starts a second before the run it churns under and ends a second after it: its own
# start (a Swift runtime and a ZooKeeper session, 16-47 ms of CPU; Python's, 110 ms) and its exit
# are not in the measured run, which sees only its changes, 10 a second throughout.
WRITER_DURATION=$((DURATION + 2))
for round in $(seq "$CHURN_ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then churn_order="router control direct direct-control nginx"; else churn_order="nginx direct-control direct control router"; fi
  run_base
  for name in $churn_order; do
    case $name in
      direct | direct-control)
        tree=(); [ "$name" = direct-control ] && tree=(--root /control)
        "$BENCH" route-churn --direct --zk $ZK "${tree[@]}" --route bench --host bench.test --service backend --rate 10 --duration $WRITER_DURATION 2>>"$RUN/logs/$name-churn.log" &
        ;;
      router) "$BENCH" route-churn --zk $ZK --route bench --host bench.test --service backend --rate 10 --duration $WRITER_DURATION 2>>"$RUN/logs/route-churn.log" & ;;
      # The same churn process and ZooKeeper's work for it, in a tree the router does not read:
      # what the changes cost the machine before the router sees any.
      control) "$BENCH" route-churn --zk $ZK --root /control --route bench --host bench.test --service backend --rate 10 --duration $WRITER_DURATION 2>>"$RUN/logs/control-churn.log" & ;;
      nginx) nginx_churn $WRITER_DURATION 10 2>>"$RUN/logs/nginx-churn.log" & ;;
    esac
    updater=$!
    sleep 1
    if [ "$name" = nginx ]; then
      # The master alone (its workers change under the run; the retired ones' CPU is not counted here:
      # "one change's CPU" below counts it, through the master's reaped children).
      run_one nginx-churn $NGINX "$(cat "$RUN/nginx-proxy.pid")"
    else
      run_one $name-churn $ROUTER $ROUTER_PID
    fi
    wait $updater
  done
  run_base
done
tail -n 2 "$RUN/logs/route-churn.log" "$RUN/logs/nginx-churn.log" 2>/dev/null | grep churn: || true
echo "ZooKeeper's JIT compilers during the churn rounds: $(($(zk_compiling) - compiling_before)) ms of CPU"
P99[control]=${P99[router]}; P99[direct]=${P99[router]}; P99[direct-control]=${P99[router]}
# CHURN_ROUNDS=0 leaves the churn out (a run for the steady figures alone).
for name in $([ "$CHURN_ROUNDS" -gt 0 ] && echo router control direct direct-control nginx); do
  steady=$(median <<<"${P99[$name]}") churned=$(median <<<"${P99[$name-churn]}")
  printf '%-14s steady p99 %6s ms, under churn p99 %6s ms (%.2fx), %7s req/s; failed requests under churn: %s\n' "$name" \
    "$steady" "$churned" "$(echo "scale=3; $churned / $steady" | bc)" "$(median <<<"${RPS[$name-churn]}")" "$(sum <<<"${FAILED[$name-churn]}")"
done
if [ "$CHURN_ROUNDS" -gt 0 ]; then
  echo "under churn, each round against the steady runs at its start and end (p99 ratio per round; median, range):"
  for name in router control direct direct-control nginx; do
    base=router-base; [ "$name" = nginx ] && base=nginx-base
    python3 - "$name" "${P99[$name-churn]}" "${P99[$base]}" <<'PY'
import statistics, sys
name, churned, base = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
ratios = [c / statistics.mean(base[2 * i:2 * i + 2]) for i, c in enumerate(churned)]
print(f"{name:14s} {' '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}")
PY
  done
  # What a round's ratio is worth: the same proxy steady at the round's end against its start,
  # nothing changing (a ratio of two runs: its spread is somewhat wider than churn against two).
  for name in router nginx; do
    python3 - "$name" "${P99[$name-base]}" <<'PY'
import statistics, sys
name, base = sys.argv[1], [float(x) for x in sys.argv[2].split()]
ratios = [base[2 * i + 1] / base[2 * i] for i in range(len(base) // 2)]
print(f"{name + ' steady':14s} {' '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f} (nothing changing: the round's end against its start)")
PY
  done
  # The p99 of all requests served under churn against that of all requests of the steady runs
  # of the same rounds (each run's distribution from 95 % up, weighted by its requests).
  echo "pooled: p99 of every request under churn against every request of the same rounds' steady runs:"
  python3 - "$RUN/latency" <<'PY'
import sys
folder = sys.argv[1]
def runs(path):
    out = []
    for line in open(path):
        f = line.split()
        out.append((int(f[1]), [float(x) / 1000 for x in f[2:]]))  # requests, ms at 95 %, 95.05 %, ...
    return out
def below(values, x):  # the fraction of a run's requests at or under x ms (from 95 % on)
    if x < values[0]: return 0.95
    for i in range(len(values) - 1):
        if values[i] <= x < values[i + 1]:
            return 0.95 + 0.0005 * (i + (x - values[i]) / (values[i + 1] - values[i]))
    return 0.9995 if x < values[-1] * 1.0001 else 1.0
def p99(name):
    r = runs(f"{folder}/{name}")
    total = sum(n for n, _ in r)
    lo, hi = min(v[0] for _, v in r), max(v[-1] for _, v in r)
    for _ in range(60):  # bisection on the pooled distribution
        mid = (lo + hi) / 2
        if sum(n * below(v, mid) for n, v in r) / total >= 0.99: hi = mid
        else: lo = mid
    return hi, len(r), total
pooled = {}
for name in ["router", "control", "direct", "direct-control", "nginx"]:
    base = "nginx-base" if name == "nginx" else "router-base"
    (c, cn, creq), (b, bn, breq) = p99(f"{name}-churn"), p99(base)
    pooled[name] = c
    print(f"{name:14s} p99 {c:.2f} ms ({cn} runs, {creq} requests) against {b:.2f} ms ({bn} runs, {breq}): {c / b:.2f}x")
# The writer and ZooKeeper run on the same two cores: a change's cost before the router sees it
# is in the control; against it, what the router's reaction adds.
for name, control in [("router", "control"), ("direct", "direct-control")]:
    print(f"{name:14s} against its control (the router's reaction alone): {pooled[name] / pooled[control]:.2f}x")
PY
  change_cost
fi

"$BENCH" routes
"$BENCH" route-latency --zk $ZK --router 127.0.0.1:$ROUTER --service backend --path /1k.bin --count 50 2>"$RUN/logs/route-latency.log"

paired() { # name metric "mine..." "nginx's..." -> per-round ratios, their median and a 90 % bootstrap interval
  python3 - "$@" <<'PY'
import random, statistics, sys
name, metric, mine, theirs = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
other = sys.argv[5] if len(sys.argv) > 5 else "nginx"
ratios = [float(a) / float(b) for a, b in zip(mine, theirs)]
random.seed(1)
medians = sorted(statistics.median(random.choices(ratios, k=len(ratios))) for _ in range(2000))
print(f"{name}/{other} {metric} per round: {' '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}, "
      f"90 % interval {medians[100]:.2f}-{medians[1899]:.2f}")
PY
}
echo "paired rounds (each ratio from runs seconds apart; nginx-b is nginx again, the control):"
per_request() { # "cpu seconds..." "requests..." -> CPU microseconds per request, per round
  paste -d' ' <(tr ' ' '\n' <<<"$1" | grep -v '^$') <(tr ' ' '\n' <<<"$2" | grep -v '^$') |
    awk '{printf "%s%.3f", (NR > 1 ? " " : ""), $1 * 1000000 / $2}'
}
for name in router nginx-b ${RELAYS:+relay-nio relay-epoll}; do
  paired "$name" req/s "${RPS[$name]}" "${RPS[nginx]}"
  paired "$name" p99 "${P99[$name]}" "${P99[nginx]}"
  paired "$name" "cpu/request" "$(per_request "${CPU[$name]}" "${REQS[$name]}")" "$(per_request "${CPU[nginx]}" "${REQS[nginx]}")"
done
if [ -n "${BASELINE:-}" ]; then
  echo "this build against the baseline (router-0, $BASELINE):"
  paired router req/s "${RPS[router]}" "${RPS[router-0]}" router-0
  paired router p99 "${P99[router]}" "${P99[router-0]}" router-0
  python3 - "${CPU[router]}" "${REQS[router]}" "${CPU[router-0]}" "${REQS[router-0]}" <<'PY'
import sys
mine = [float(x) * 1e6 / float(n) for x, n in zip(sys.argv[1].split(), sys.argv[2].split())]
base = [float(x) * 1e6 / float(n) for x, n in zip(sys.argv[3].split(), sys.argv[4].split())]
print("router/router-0 cpu per request per round: " + " ".join(f"{a / b:.2f}" for a, b in zip(mine, base)))
PY
fi

# What the router's request path costs in the Swift runtime's reference counting (a count: it
# moves only when the path's code does).
bash bench/arc-count.sh "$RBIN" "$ROUTER_PID" "$ROUTER" bench.test

r=$(echo "scale=2; $(median <<<"${RPS[router]}") / $(median <<<"${RPS[nginx]}")" | bc)
p=$(echo "scale=2; $(median <<<"${P99[router]}") / $(median <<<"${P99[nginx]}")" | bc)
printf 'router/nginx req/s ratio: %.2f, p99 ratio: %.2f\n' "$r" "$p"
