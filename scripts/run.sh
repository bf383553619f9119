#!/usr/bin/env bash
# The main job for a newcomer: installs what is missing, builds `atlantis`, brings up a whole
# local Atlantis on loopback (`atlantis dev up`: ZooKeeper, dockerd, the image registry, base
# images, a scheduler, two supervisors in two zones, a router), deploys the sample app
# (examples/sample) through the manager (http://127.0.0.1:8090), waits until every router serves it, and prints the
# curl that reaches it. Everything keeps running; `scripts/run.sh stop` (`atlantis dev down`)
# stops it all and removes its containers. Logs and data: run/dev/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH

if [ "${1:-}" = stop ]; then
  bin=$(swift build --show-bin-path)/atlantis
  [ -x "$bin" ] || swift build --product atlantis
  exec "$bin" dev down
fi

scripts/install.sh
echo "==> building atlantis and atlantis-router (the first build fetches and compiles dependencies: several minutes)"
swift build --product atlantis
swift build --product atlantis-router  # what `atlantis dev up` runs its routers with
bin=$(swift build --show-bin-path)/atlantis

"$bin" dev up
echo "==> atlantis apply -f examples/sample (Team, App, Deploy over two zones, Route)"
"$bin" apply -f examples/sample
echo "==> waiting until the sample runs and every router serves it"
"$bin" rollout status sample-prod --wait

echo
"$bin" get deploys
echo
echo "The sample app, through the router:"
echo "  curl -H 'Host: sample.localhost' http://127.0.0.1:8080/cgi-bin/info"
curl -s -H 'Host: sample.localhost' http://127.0.0.1:8080/cgi-bin/info
echo "A rolling update: $bin deploy sample --env prod --image 127.0.0.1:5000/atlantis/sample:v2"
echo "Status: $bin dev status ; stop everything: scripts/run.sh stop"
