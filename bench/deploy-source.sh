#!/usr/bin/env bash
# Deploy-from-source benchmark (release build; a real ZooKeeper on 127.0.0.1:2397, dockerd, the
# registry, one supervisor, a scheduler, a router on 127.0.0.1:18280, a manager and a builder, all
# started here): a one-line change of a python app, then
#   atlantis deploy hello --env prod --source DIR (upload, build, push, release, place, start,
#     route) → the first 200 through the router that shows the change, 0 → 1 instance,
# beside
#   docker build (same Dockerfile, same base, warm cache) + docker run → the first 200 that shows it,
# median of N each, interleaved. The last line reads: deploy --source→200: X s, build+run→200: Y s, ratio: Z
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
N=${N:-5}
RUN=$PWD/run/bench-deploy-source
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
  for id in $(docker ps -aq --filter label=atlantis.host 2>/dev/null); do
    docker inspect -f '{{index .Config.Labels "atlantis.host"}}' "$id" | grep -q '^benchsrc-' && docker rm -f "$id" >/dev/null
  done
  scripts/zk.sh stop benchsrc >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "${ATLANTIS_RUN:-$PWD/run}/zk-benchsrc"
scripts/zk.sh standalone benchsrc 2397 >/dev/null
Z=(--zk 127.0.0.1:2397)
"$bin" supervisor "${Z[@]}" --host-id benchsrc-a --zone zone-a --ports 26500-26599 >"$RUN/supervisor.log" 2>&1 & pids+=($!)
"$bin" scheduler "${Z[@]}" >"$RUN/scheduler.log" 2>&1 & pids+=($!)
"$bin" router "${Z[@]}" --listen 127.0.0.1:18280 --admin 127.0.0.1:18281 --state-dir "$RUN/router" >"$RUN/router.log" 2>&1 & pids+=($!)
"$bin" manager "${Z[@]}" --listen 127.0.0.1:18290 --quiet >"$RUN/manager.log" 2>&1 & pids+=($!)
"$bin" builder "${Z[@]}" --id benchsrc --store "$RUN/store" --log-port 18296 >"$RUN/builder.log" 2>&1 & pids+=($!)
export ATLANTIS_MANAGER=http://127.0.0.1:18290
for _ in $(seq 100); do curl -sf "$ATLANTIS_MANAGER/healthz" >/dev/null && break; sleep 0.1; done
python_base=$(grep -o '127.0.0.1:5000/atlantis/python@sha256:[0-9a-f]*' run/templates/python.yaml | head -1)
cat >"$RUN/app.yaml" <<'YAML'
apiVersion: atlantis/v1
kind: Team
metadata: {name: bench}
spec: {members: [bench]}
---
apiVersion: atlantis/v1
kind: App
metadata: {name: hello}
spec: {team: bench, port: 8080, healthCheck: {path: /health, intervalSeconds: 1, timeoutSeconds: 1}}
YAML
cat >"$RUN/route.yaml" <<'YAML'
apiVersion: atlantis/v1
kind: Route
metadata: {name: hello}
spec: {host: hello.bench, pool: {app: hello, environment: prod}}
YAML
"$bin" apply -f "$RUN/app.yaml" -f run/templates >/dev/null
src="$RUN/src"
mkdir -p "$src"
cat >"$src/Dockerfile" <<EOF
FROM $python_base
WORKDIR /app
COPY app.py /app/app.py
ENV PYTHONUNBUFFERED=1
CMD ["python3", "/app/app.py"]
EOF
printf 'template: dockerfile\n' >"$src/atlantis.yaml"
app() { # the marker the app answers with
  cat >"$src/app.py" <<EOF
import http.server, os
MARK = b"$1\n"
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", str(len(MARK))); self.end_headers(); self.wfile.write(MARK)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("", int(os.environ.get("ATLANTIS_PORT", "8080"))), H).serve_forever()
EOF
}
app warmup
"$bin" deploy hello --env prod --source "$src" --instances 0 >/dev/null
"$bin" apply -f "$RUN/route.yaml" >/dev/null
docker build -q -t bench/src-cli "$src" >/dev/null

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
atl=()
cli=()
for run in $(seq "$N"); do
  mark="atl-$run-$RANDOM"
  app "$mark"
  t0=$(now)
  "$bin" deploy hello --env prod --source "$src" --instances 1 >"$RUN/deploy-$run.log" 2>&1 &
  dpid=$!
  until [ "$(curl -s --max-time 0.5 -H 'Host: hello.bench' http://127.0.0.1:18280/)" = "$mark" ]; do sleep 0.002; done
  t1=$(now)
  wait "$dpid"
  atl+=($(( (t1 - t0) / 1000000 )))
  echo "  run $run: atlantis deploy --source → first 200 of the change after $(( (t1 - t0) / 1000000 )) ms"
  "$bin" scale hello --env prod --instances 0 >/dev/null

  mark="cli-$run-$RANDOM"
  app "$mark"
  port=$((26900 + run))
  t0=$(now)
  docker build -q -t "bench/src-cli:$run" "$src" >/dev/null
  cid=$(docker run -d -p "127.0.0.1:$port:8080" -e ATLANTIS_PORT=8080 "bench/src-cli:$run")
  until [ "$(curl -s --max-time 0.5 "http://127.0.0.1:$port/" 2>/dev/null)" = "$mark" ]; do sleep 0.002; done
  t1=$(now)
  cli+=($(( (t1 - t0) / 1000000 )))
  echo "  run $run: docker build + docker run → first 200 after $(( (t1 - t0) / 1000000 )) ms"
  docker rm -f "$cid" >/dev/null
done
a=$(printf '%s\n' "${atl[@]}" | median)
c=$(printf '%s\n' "${cli[@]}" | median)
awk -v a="$a" -v c="$c" 'BEGIN { printf "deploy --source→200: %.2f s, build+run→200: %.2f s, ratio: %.2f\n", a / 1000, c / 1000, a / c }'
