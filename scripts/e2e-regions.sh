#!/usr/bin/env bash
# End-to-end test of regions: `atlantis dev up --regions 2` (r1 on 127.0.0.1 with the builder, r2
# on 127.0.0.2 with a registry mirroring r1's), then, through the CLI:
#   - a two-region deploy converges in both; r2 pulled the image through its own registry, by digest
#   - r2 cut off (iptables) mid-deploy: --on-failure stop keeps r1 on the new release and reports
#     r2; --on-failure rollback brings r1 back; a client killed mid-deploy and the same command
#     run again once r2 is back resumes and finishes; r1's routers fail no request throughout
#   - r1's registry (the builder's) cut off: a deploy of an image r2 has already works in r2
#   - app to app (examples/internal): from a shop container, checkout answers through its zone's
#     internal router; another app's host does not (403); a container of an app that declares
#     nothing cannot reach it; the internal app is not served by the external router (404)
#   - a manager started for r1 on r2's ensemble refuses to run; no key of one region is in the
#     other's tree
#   - `atlantis dev down` stops both regions and leaves nothing behind
# Runs in this checkout (CI runs it on a fresh clone), with a config file of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
work=$(mktemp -d /tmp/atlantis-regions.XXXXXX)
export ATLANTIS_CONFIG=$work/config.json
fail() { echo "e2e-regions FAILED: $*" >&2; exit 1; }
cleanup() {
  scripts/region.sh restore 127.0.0.2 >/dev/null 2>&1 || true
  scripts/region.sh restore 127.0.0.1 >/dev/null 2>&1 || true
  [ -n "${load:-}" ] && kill "$load" 2>/dev/null || true
  "$bin" dev down --dir "$work/dev" >/dev/null 2>&1 || true
}
echo "==> e2e-regions: building atlantis"
swift build --product atlantis >/dev/null
bin=$(swift build --show-bin-path)/atlantis
trap cleanup EXIT

echo "==> e2e-regions: atlantis dev up --regions 2"
"$bin" dev up --regions 2 --dir "$work/dev" | tee "$work/up.out" | grep -E "is up|regions|logged in" || true
grep -q "region r2 is up" "$work/up.out" || fail "dev up --regions 2 did not bring r2 up"

get() { # address port path: the status code through that router
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Host: sample.localhost' "http://$1:$2$3"
}
version() { curl -s --max-time 3 -H 'Host: sample.localhost' "http://$1:$2/version"; }
deploy() { # version extra-args...: exit code of a deploy of sample:VERSION
  local v=$1 code=0
  shift
  "$bin" deploy sample --env prod --image "127.0.0.1:5000/atlantis/sample:$v" --instances 2 "$@" >"$work/deploy.out" 2>&1 || code=$?
  cat "$work/deploy.out" | sed 's/^/    | /'
  return $code
}

echo "==> e2e-regions: the sample in both regions (v1)"
for r in r1 r2; do "$bin" apply -f examples/sample/app.yaml --region "$r" >/dev/null; done
deploy v1 --regions all || fail "the two-region deploy of v1 failed"
for r in r1 r2; do "$bin" apply -f examples/sample/route.yaml --region "$r" >/dev/null; done
for a in 127.0.0.1 127.0.0.2; do for p in 8080 8082; do
  [ "$(version $a $p)" = v1 ] || fail "the router at $a:$p does not serve v1"
done; done
digest=$(grep -o 'sha256:[0-9a-f]\{64\}' "$work/deploy.out" | head -1)
"$bin" rollout history sample-prod --region r2 >"$work/history.out"
grep -q "127.0.0.2:5000/atlantis/sample@$digest" "$work/history.out" || fail "r2's release does not pin $digest in r2's registry: $(cat "$work/history.out")"
[ -e "$work/dev/r2/registry/data/docker/registry/v2/repositories/atlantis/sample/_manifests/revisions/sha256/${digest#sha256:}" ] ||
  fail "r2's registry did not fetch $digest (the image did not come through it)"
echo "    both regions serve v1; r2 runs 127.0.0.2:5000/atlantis/sample@$digest, fetched by its own registry"

echo "==> e2e-regions: a client on r1's routers from now on"
( while true; do
    for p in 8080 8082; do echo "$(get 127.0.0.1 $p /health)"; done
    sleep 0.02
  done ) >"$work/load.out" &
load=$!

echo "==> e2e-regions: r2 cut off; deploy v2 --on-failure stop"
scripts/region.sh cut 127.0.0.2
code=0; deploy v2 --regions all --on-failure stop || code=$?
[ "$code" = 9 ] || fail "a deploy with r2 cut off exited $code, not 9"
grep -q "r2 .*failed .*unreachable" "$work/deploy.out" || fail "r2 was not reported unreachable"
[ "$(version 127.0.0.1 8080)" = v2 ] || fail "r1 is not on v2 after --on-failure stop"
echo "    r1 on v2, r2 reported"

echo "==> e2e-regions: again with --on-failure rollback"
code=0; deploy v2 --regions all --on-failure rollback || code=$?
[ "$code" = 9 ] || fail "the rollback deploy exited $code, not 9"
grep -q "r1 .*rolledBack" "$work/deploy.out" || fail "r1 was not rolled back"
[ "$(version 127.0.0.1 8080)" = v1 ] && [ "$(version 127.0.0.1 8082)" = v1 ] || fail "r1 is not back on v1"
echo "    r1 back on v1"

echo "==> e2e-regions: a client killed mid-deploy, then r2 back and the same command again"
"$bin" deploy sample --env prod --image 127.0.0.1:5000/atlantis/sample:v2 --instances 2 --regions all >"$work/killed.out" 2>&1 &
client=$!
for _ in $(seq 100); do grep -q "\[r2\]\|rolled out" "$work/killed.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -9 "$client" 2>/dev/null || true
wait "$client" 2>/dev/null || true
scripts/region.sh restore 127.0.0.2
deploy v2 --regions all || fail "the resumed deploy failed"
grep -q "resuming the deploy of" "$work/deploy.out" || fail "the deploy did not resume"
for a in 127.0.0.1 127.0.0.2; do [ "$(version $a 8080)" = v2 ] || fail "$a does not serve v2 after the resumed deploy"; done
echo "    resumed; both regions on v2"

kill "$load"; wait "$load" 2>/dev/null || true; load=
total=$(wc -l <"$work/load.out")
bad=$(grep -vc '^200$' "$work/load.out" || true)
[ "$total" -gt 100 ] || fail "the client sent only $total requests"
[ "$bad" = 0 ] || fail "$bad of $total requests to r1's routers failed: $(grep -v '^200$' "$work/load.out" | sort | uniq -c)"
echo "    r1's routers answered $total of $total requests with 200 throughout"

echo "==> e2e-regions: r1's registry (the builder's) cut off; r2 deploys what it has"
scripts/region.sh cut 127.0.0.1 5000
"$bin" deploy sample --env prod --image "127.0.0.1:5000/atlantis/sample@$digest" --regions r2 >"$work/deploy.out" 2>&1 ||
  fail "r2 could not deploy $digest with r1's registry down: $(cat "$work/deploy.out")"
got=$(version 127.0.0.2 8080); [ "$got" = v1 ] || fail "r2 does not serve v1 with r1's registry down (it answered: $got; deploy said: $(tail -3 "$work/deploy.out"))"
scripts/region.sh restore 127.0.0.1
echo "    r2 back on v1 with r1's registry down"

echo "==> e2e-regions: app to app through the zone's internal router (examples/internal, in r1)"
"$bin" apply -f examples/internal --region r1 >/dev/null
"$bin" rollout status shop-prod --wait --region r1 >/dev/null || fail "shop did not roll out"
"$bin" rollout status checkout-prod --wait --region r1 >/dev/null || fail "checkout did not roll out"
engine() { curl -s --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' "$@"; }
in_container() { # instance-label-value command: what the command prints inside that app's first container
  local id exec_id
  id=$(engine "http://localhost/v1.41/containers/json?filters=%7B%22label%22%3A%5B%22atlantis.app%3D$1%22%5D%7D" |
    python3 -c 'import json,sys; c=[x for x in json.load(sys.stdin) if x["Labels"].get("atlantis.host","").startswith("dev-zone-")]; print(c[0]["Id"] if c else "")')
  [ -n "$id" ] || fail "no container of $1 in r1"
  exec_id=$(engine -d "{\"Cmd\":[\"/bin/sh\",\"-c\",\"$2\"],\"AttachStdout\":true,\"AttachStderr\":true}" \
    "http://localhost/v1.41/containers/$id/exec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
  engine -d '{"Detach":false,"Tty":false}' "http://localhost/v1.41/exec/$exec_id/start" | tr -cd '[:print:]\n'
}
# busybox's `wget -T` crashes (`timeout` bounds it) and it is not trusted to resolve names: the name is looked up in
# /etc/hosts by hand, as any libc resolver would, and sent as the Host header.
call() { # host: a request for HOST's /version to the address /etc/hosts gives checkout.prod.internal
  echo "r=\$(awk '/checkout.prod.internal/{print \$1}' /etc/hosts); p=\${ATLANTIS_APP_CHECKOUT_PROD_URL##*:}; timeout 3 wget -qO- --header 'Host: $1' http://\$r:\$p/version 2>&1; echo rc=\$?"
}
out=$(in_container shop "$(call checkout.prod.internal); echo url=\$ATLANTIS_APP_CHECKOUT_PROD_URL")
echo "$out" | grep -q 'v1' || fail "checkout does not answer shop through the internal router: $out"
echo "$out" | grep -q 'url=http://checkout.prod.internal:818[01]' || fail "shop's URL for checkout is not its zone's internal router: $out"
out=$(in_container shop "$(call sample.prod.internal)")
echo "$out" | grep -q '403' || fail "shop reached an app it does not declare (sample) through the internal router: $out"
out=$(in_container sample "timeout 3 wget -qO- --header 'Host: checkout.prod.internal' http://$(ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1):8180/version 2>&1; echo rc=\$?")
echo "$out" | grep -q 'rc=0' && fail "sample (no dependsOnApps) reached checkout: $out"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: checkout.localhost' http://127.0.0.1:8080/version)
[ "$code" = 404 ] || fail "the external router serves the internal app checkout ($code)"
echo "    shop → checkout.prod.internal answers; shop → sample (undeclared) 403; sample → checkout refused; checkout not external (404)"

echo "==> e2e-regions: each region's tree holds only its own"
# Anonymous sessions may list what is world-readable (tokens and secrets are not: zkCli says so and exits non-zero).
zkls() { { /usr/share/zookeeper/bin/zkCli.sh -server "$1:2181" ls -R /atlantis 2>/dev/null || true; } | grep '^/atlantis' || true; }
zkget() { { /usr/share/zookeeper/bin/zkCli.sh -server "$1:2181" get "$2" 2>/dev/null || true; } | grep '^{' || true; }
zkls 127.0.0.1 >"$work/r1.tree"; zkls 127.0.0.2 >"$work/r2.tree"
[ -s "$work/r1.tree" ] && [ -s "$work/r2.tree" ] || fail "cannot list the trees"
grep -q 'dev-r2-' "$work/r1.tree" && fail "r1's tree holds r2's keys: $(grep 'dev-r2-' "$work/r1.tree" | head -3)"
grep -E '/(dev-zone-|dev-router-|dev-scheduler|dev-builder)' "$work/r2.tree" &&
  fail "r2's tree holds r1's keys"
zkget 127.0.0.1 /atlantis/region | grep -q '"name":"r1"' || fail "r1's tree is not marked r1"
zkget 127.0.0.2 /atlantis/region | grep -q '"name":"r2"' || fail "r2's tree is not marked r2"
for n in $(grep '/atlantis/releases/sample-prod/r-' "$work/r2.tree"); do
  zkget 127.0.0.2 "$n" | grep -q '"image":"127.0.0.2:5000/' || fail "r2's release $n does not pull from r2's registry"
done
code=0
timeout 30 "$bin" manager --zk 127.0.0.2:2181 --listen 127.0.0.1:18090 --region r1 \
  --zk-identity-file "$work/dev/r2/identities/manager.json" >"$work/wrong.out" 2>&1 || code=$?
[ "$code" != 0 ] && [ "$code" != 124 ] || fail "a manager for r1 ran on r2's ensemble (exit $code)"
grep -q 'belongs to region "r2"' "$work/wrong.out" || fail "the refusal does not say whose tree it is: $(tail -3 "$work/wrong.out")"
echo "    no r1 key in r2 and none of r2 in r1; a manager for r1 refuses r2's ensemble"

echo "==> e2e-regions: atlantis dev down (both regions)"
"$bin" dev down --dir "$work/dev" >/dev/null
trap - EXIT
sleep 0.5
for a in 127.0.0.1 127.0.0.2; do (exec 3<>/dev/tcp/$a/2181) 2>/dev/null && fail "ZooKeeper still answers on $a:2181"; done
# `dev down` stops the dockerd `dev up` started; containers outlive dockerd, so ask a fresh one.
curl -fs --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1 || ATLANTIS_RUN=$work/dockerd scripts/docker.sh dockerd >/dev/null
left=$(curl -s --unix-socket /var/run/docker.sock 'http://localhost/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22atlantis.managed%22%5D%7D' | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin) if c["Labels"].get("atlantis.host","").startswith("dev-")))')
[ "$left" = 0 ] || fail "$left containers left behind"
[ -f "$work/dockerd/dockerd.started" ] && ATLANTIS_RUN=$work/dockerd scripts/docker.sh down
rm -rf "$work"
echo "e2e-regions passed"
