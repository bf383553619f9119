#!/usr/bin/env bash
# The main job for a newcomer: installs what is missing, starts a local ZooKeeper on
# 127.0.0.1:2181 (data under ./run), builds `atlantis`, applies the example cluster through the
# manager, starts the sample app and a router fed by ZooKeeper, and prints the curl that reaches
# the app through the router. Everything keeps running; `scripts/run.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
RUN=$PWD/run

stop() {
  for f in "$RUN"/router.pid "$RUN"/sample.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  scripts/zk.sh stop local
}
if [ "${1:-}" = stop ]; then
  stop
  exit 0
fi

scripts/install.sh
scripts/zk.sh standalone local 2181
echo "==> building atlantis (the first build fetches and compiles dependencies: a few minutes)"
swift build --product atlantis
bin=$(swift build --show-bin-path)/atlantis
mkdir -p "$RUN"

echo "==> atlantis apply -f examples (teams, zones, services, apps, deploys, routes)"
"$bin" apply -f examples
echo "==> atlantis apply -f examples/sample (a Service and a Route for the sample app)"
"$bin" apply -f examples/sample

echo "==> starting the sample app on 127.0.0.1:9080"
[ -f "$RUN/sample.pid" ] && kill "$(cat "$RUN/sample.pid")" 2>/dev/null || true
python3 examples/sample/server.py 9080 >"$RUN/sample.log" 2>&1 &
echo $! >"$RUN/sample.pid"

echo "==> starting the router on 127.0.0.1:8080 (admin 127.0.0.1:8081)"
[ -f "$RUN/router.pid" ] && kill "$(cat "$RUN/router.pid")" 2>/dev/null || true
"$bin" router --listen 127.0.0.1:8080 --admin 127.0.0.1:8081 --state-dir "$RUN/router" >"$RUN/router.log" 2>&1 &
echo $! >"$RUN/router.pid"
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: sample.localhost' http://127.0.0.1:8080/)" = 200 ] && break
  sleep 0.1
done

echo
"$bin" get routes
echo
echo "The sample app, through the router:"
echo "  curl -H 'Host: sample.localhost' http://127.0.0.1:8080/"
curl -s -H 'Host: sample.localhost' http://127.0.0.1:8080/
echo "Router health: curl http://127.0.0.1:8081/health ; stop everything: scripts/run.sh stop"
