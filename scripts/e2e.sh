#!/usr/bin/env bash
# End-to-end test of the README's main command, as a newcomer runs it: a fresh clone, then
# exactly `scripts/run.sh`. Then, through the router: the sample answers; one supervisor is
# killed and the sample is still served (and its instance is placed again after the grace
# period); a new version is rolled out while a client sends requests all the while, and none
# fails; a user outside the sample's team is refused; a secret reaches the container and no
# answer, log or ZooKeeper data holds its value; anonymous ZooKeeper sessions cannot write or
# read secrets; `atlantis dev down` leaves no agent, no container and no ZooKeeper behind.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH
work=$(mktemp -d /tmp/atlantis-e2e.XXXXXX)
echo "==> e2e: fresh clone in $work/atlantis"
git clone -q "$src" "$work/atlantis"
cd "$work/atlantis"
fail() { echo "e2e FAILED: $*" >&2; exit 1; }
cleanup() { bash scripts/run.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "==> e2e: scripts/run.sh (the README's main command)"
bash scripts/run.sh | tee "$work/run.out"
grep -q "app=sample environment=prod" "$work/run.out" || fail "run.sh did not end with the sample's answer"
bin=$(swift build --show-bin-path)/atlantis
get() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Host: sample.localhost' "http://127.0.0.1:8080$1"; }
[ "$(get /health)" = 200 ] || fail "the sample is not served through the router"

# A client through the router in the background: one line per request, the status code.
client() { # seconds file
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt "$end" ]; do get /version >>"$2"; echo >>"$2"; done
}
failures() { grep -cv '^200$' "$1" || true; }

echo "==> e2e: killing supervisor zone-a; the sample must stay served"
client 16 "$work/kill.codes" &
cpid=$!
kill -9 "$(cat run/dev/supervisor-zone-a.pid)"
wait "$cpid"
n=$(wc -l <"$work/kill.codes"); f=$(failures "$work/kill.codes")
echo "    $n requests while zone-a's supervisor was gone, $f failed"
[ "$f" = 0 ] || fail "$f requests failed after a supervisor was killed"
"$bin" rollout status sample-prod --wait >/dev/null || fail "the deploy did not recover after losing a supervisor"
"$bin" get deploys
"$bin" dev up >/dev/null   # brings the supervisor back (idempotent for the rest)

echo "==> e2e: the dashboard in a real browser (screenshots in .ci/artifacts/dashboard)"
bash scripts/install.sh browser
shots="$src/.ci/artifacts/dashboard"
rm -rf "$shots"
python3 scripts/browser-test.py --bin "$bin" --out "$shots" || fail "the dashboard's browser test failed (see $shots)"

echo "==> e2e: atlantis logs: both zones' instances, merged"
"$bin" logs sample --env prod --tail 40 >"$work/logs.out"
grep -q "^[^ ]* zone-a/sample-prod-[a-z0-9]* | " "$work/logs.out" || fail "no line from zone-a: $(head -5 "$work/logs.out")"
grep -q "^[^ ]* zone-b/sample-prod-[a-z0-9]* | " "$work/logs.out" || fail "no line from zone-b: $(head -5 "$work/logs.out")"
cut -d' ' -f1 "$work/logs.out" | sort -c || fail "the lines are not in time order"

echo "==> e2e: rolling update to v2 with a client sending requests all the while (and logs followed across it)"
"$bin" logs sample --env prod --follow --tail 0 >"$work/logs-follow.out" &
lpid=$!
client 1000 "$work/rollout.codes" &
cpid=$!
sleep 0.5
"$bin" deploy sample --env prod --image 127.0.0.1:5000/atlantis/sample:v2
sleep 0.5
kill "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
for _ in $(seq 50); do [ "$(grep -c "sample v2 listening" "$work/logs-follow.out")" -ge 2 ] && break; sleep 0.2; done
kill "$lpid" 2>/dev/null || true
wait "$lpid" 2>/dev/null || true
grep -q "zone-a/.* | sample v2 listening" "$work/logs-follow.out" || fail "logs --follow missed the new zone-a instance"
grep -q "zone-b/.* | sample v2 listening" "$work/logs-follow.out" || fail "logs --follow missed the new zone-b instance"
grep -q " -- instance .* joined" "$work/logs-follow.out" || fail "logs --follow did not say an instance joined"
echo "    logs --follow: $(wc -l <"$work/logs-follow.out") lines across the rollout, the new instances joined"
n=$(wc -l <"$work/rollout.codes"); f=$(failures "$work/rollout.codes")
echo "    $n requests during the rollout, $f failed"
[ "$f" = 0 ] || fail "$f requests failed during the rolling update"
[ "$(curl -s --max-time 3 -H 'Host: sample.localhost' http://127.0.0.1:8080/version)" = v2 ] || fail "v2 is not served after the rollout"

echo "==> e2e: deploying from source: a git work tree with a python app, built and routed"
src="$work/hello"
cp -r examples/hello/src "$src"
git -C "$src" init -q -b main && git -C "$src" add -A && git -C "$src" -c user.email=e2e@localhost -c user.name=e2e commit -qm v1
"$bin" apply -f examples/hello/app.yaml
"$bin" deploy hello --env prod --source "$src" --instances 2 | tee "$work/hello-v1.out"
grep -q "template python v1" "$work/hello-v1.out" || fail "deploy --source did not say what it built"
"$bin" apply -f examples/hello/route.yaml
"$bin" rollout status hello-prod --wait >/dev/null || fail "hello-prod did not roll out"
hello() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Host: hello.localhost' "http://127.0.0.1:8080$1"; }
for _ in $(seq 50); do [ "$(hello /)" = 200 ] && break; sleep 0.2; done
curl -s --max-time 3 -H 'Host: hello.localhost' http://127.0.0.1:8080/ | grep -q "hello from python v1" || fail "the app built from source is not served"

echo "==> e2e: a one-line change, rebuilt and rolled with a client sending requests all the while"
sed -i 's/python v1/python v2/' "$src/app.py"
git -C "$src" -c user.email=e2e@localhost -c user.name=e2e commit -qam v2
hello_client() { # seconds file
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt "$end" ]; do hello / >>"$2"; echo >>"$2"; done
}
hello_client 1000 "$work/hello.codes" &
cpid=$!
sleep 0.5
"$bin" deploy hello --env prod --source "$src"
sleep 0.5
kill "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
n=$(wc -l <"$work/hello.codes"); f=$(failures "$work/hello.codes")
echo "    $n requests while v2 was built and rolled out, $f failed"
[ "$f" = 0 ] || fail "$f requests failed while a change was built and rolled out"
curl -s --max-time 3 -H 'Host: hello.localhost' http://127.0.0.1:8080/ | grep -q "hello from python v2" || fail "v2 is not served after the rebuild"
"$bin" builds hello
last=$("$bin" builds hello -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["builds"][0]["id"])')
"$bin" build logs "$last" | grep -q "Step 1/" || fail "the build's log is not served"
# The same commit again: the recorded image, nothing rebuilt.
"$bin" build hello --source "$src" --quiet | grep -q "already built from the same inputs" || fail "an unchanged source was built again"
"$bin" audit --app hello | grep -q "built" || fail "the audit trail has no built record"

echo "==> e2e: teams, secrets and ZooKeeper identities"
zkcli() { /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:2181 "$@" 2>&1; }
printf 'dave-pw\n' | "$bin" login dave >/dev/null
code=0; "$bin" scale sample --env prod --instances 3 2>"$work/denied.err" || code=$?
[ "$code" = 6 ] || fail "dave (in no team) scaled the sample (exit $code): $(cat "$work/denied.err")"
code=0; "$bin" logs sample --env prod --tail 5 >"$work/dave-logs.out" 2>"$work/denied-logs.err" || code=$?
[ "$code" = 6 ] || fail "dave (in no team) read the sample's logs (exit $code)"
[ -s "$work/dave-logs.out" ] && fail "dave got log lines"
printf 'alice-pw\n' | "$bin" login alice >"$work/login.out"
grep -q "sample-team" "$work/login.out" || fail "alice is not in sample-team"
secret="s3cr3t-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$bin" secrets set sample --env prod "SAMPLE_TOKEN=$secret" >"$work/secrets.out"
"$bin" rollout status sample-prod --wait >/dev/null || fail "the secret's release did not roll out"
# A container of the new release (the old one's may still run, kept warm for a rollback).
release=$(printf 'r-%010d' "$(grep -o 'rolls out release [0-9]*' "$work/secrets.out" | grep -o '[0-9]*$')")
id=$(curl -s --unix-socket /var/run/docker.sock "http://localhost/v1.41/containers/json?filters=%7B%22label%22%3A%5B%22atlantis.release%3D$release%22%2C%22atlantis.app%3Dsample%22%5D%7D" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
exec_id=$(curl -s --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' -d '{"Cmd":["/bin/sh","-c","echo \"$SAMPLE_TOKEN\""],"AttachStdout":true}' "http://localhost/v1.41/containers/$id/exec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
curl -s --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' -d '{"Detach":false,"Tty":false}' "http://localhost/v1.41/exec/$exec_id/start" >"$work/exec.out"
grep -qa "$secret" "$work/exec.out" || fail "the container does not see its secret"
echo "    the container reads its secret; looking for it everywhere else"
{
  cat "$work/secrets.out"
  "$bin" secrets list sample --env prod
  for kind in apps deploys routes teams; do "$bin" get "$kind" -o json; done
  "$bin" audit -o json
  "$bin" rollout history sample-prod
  curl -s -H "Authorization: Bearer $(python3 -c 'import json,os; c=json.load(open(os.path.expanduser("~/.config/atlantis/config.json"))); print([x for x in c["contexts"] if x["name"]==c["currentContext"]][0]["token"])')" http://127.0.0.1:8090/v1/instances
} >"$work/answers.txt" 2>&1
grep -q "SAMPLE_TOKEN" "$work/answers.txt" || fail "the secret's name is not listed"
grep -q "$secret" "$work/answers.txt" && fail "the secret's value is in an answer of the manager"
grep -rqa "$secret" run/dev --include='*.log' && fail "the secret's value is in a log: $(grep -rla "$secret" run/dev --include='*.log')"
grep -rqa "$secret" run/dev/zk-dev && fail "the secret's value is in ZooKeeper's data"
zkcli get /atlantis/secrets/sample/prod >"$work/zk-read.out" || true
grep -q "Insufficient permission" "$work/zk-read.out" || fail "an anonymous session reads the secrets"
zkcli create /atlantis/desired/apps/forged '{}' >"$work/zk-write.out" || true
grep -q "Insufficient permission" "$work/zk-write.out" || fail "an anonymous session wrote desired state"
echo "    not in any answer, log or ZooKeeper's data; anonymous ZooKeeper sessions are refused"

echo "==> e2e: atlantis dev down"
"$bin" dev down
trap - EXIT
sleep 0.5
pgrep -f "$work/atlantis/.build" >/dev/null && fail "agents still running: $(pgrep -af "$work/atlantis/.build")"
left=$(curl -s --unix-socket /var/run/docker.sock 'http://localhost/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22atlantis.managed%22%5D%7D' | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin) if c["Labels"].get("atlantis.host","").startswith("dev-")))')
[ "$left" = 0 ] || fail "$left containers left behind"
(exec 3<>/dev/tcp/127.0.0.1/2181) 2>/dev/null && fail "ZooKeeper still answers on 2181"
rm -rf "$work"
echo "e2e passed"
