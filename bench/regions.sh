#!/usr/bin/env bash
# Regions benchmark (release build; real registries, dockerd, and two dev regions):
#   1. An image pushed to the builder region's registry (127.0.0.1:5000) → its first pull by digest
#      in region B through B's registry (127.0.0.2:5000, Distribution's pull-through mirror of the
#      first), beside a direct pull of the same digest from the builder region's registry; then a
#      second pull through B once B's registry holds it. Each trial is a new image (a 16 MiB
#      random layer on busybox), removed from dockerd before every pull; median of N trials.
#   2. `atlantis deploy --regions all` (two regions, 2 instances each, a new release in both)
#      beside the two single-region deploys run by hand one after the other (`--region r1`, then
#      `--region r2`, each with the digest pinned in that region's registry); median of N each.
# The last lines read:
#   pull: first through B X s, cached through B Y s, direct Z s; ratios first A.AA, cached B.BB
#   deploy: two regions X s, by hand Y s; ratio Z.ZZ
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
N=${N:-5}
scripts/install.sh >/dev/null
echo "==> building atlantis (release)" >&2
bin="$(scripts/release-build.sh)"
work=$(mktemp -d /tmp/atlantis-bench-regions.XXXXXX)
export ATLANTIS_CONFIG=$work/config.json
cleanup() { "$bin" dev down --dir "$work/dev" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
echo "==> atlantis dev up --regions 2 (in $work/dev)" >&2
"$bin" dev up --regions 2 --dir "$work/dev" >"$work/up.log" 2>&1 || { tail -20 "$work/up.log" >&2; exit 1; }

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
forget() { # repository: every local image of it, so that the next pull fetches the layers again
  docker images --no-trunc --format '{{.ID}}' "$1" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1 || true
  for r in 127.0.0.1:5000/$1 127.0.0.2:5000/$1; do
    docker images --no-trunc --format '{{.ID}}' "$r" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1 || true
  done
}
pull() { # reference: seconds to pull it
  local t0
  t0=$(now)
  docker pull -q "$1" >/dev/null
  echo "$(now) - $t0" | bc -l
}

echo "==> 1. pull by digest: direct from the builder region's registry, then through region B's mirror" >&2
repo=atlantis/bench-regions
: >"$work/first"; : >"$work/cached"; : >"$work/direct"
for i in $(seq "$N"); do
  root=$work/image-$i
  mkdir -p "$root"
  docker save atlantis/busybox:base | tar -xO --wildcards '*/layer.tar' 2>/dev/null | tar -x -C "$root" 2>/dev/null || true
  head -c $((16 << 20)) /dev/urandom >"$root/payload"
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "127.0.0.1:5000/$repo:t$i-$$" >/dev/null
  docker push -q "127.0.0.1:5000/$repo:t$i-$$" >/dev/null
  digest=$(curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:5000/v2/$repo/manifests/t$i-$$" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
  rm -rf "$root"
  forget "$repo"
  pull "127.0.0.1:5000/$repo@$digest" >>"$work/direct"
  forget "$repo"
  pull "127.0.0.2:5000/$repo@$digest" >>"$work/first"
  forget "$repo"
  pull "127.0.0.2:5000/$repo@$digest" >>"$work/cached"
  forget "$repo"
  printf '    trial %d: direct %.3f s, first through B %.3f s, cached through B %.3f s\n' "$i" \
    "$(tail -1 "$work/direct")" "$(tail -1 "$work/first")" "$(tail -1 "$work/cached")" >&2
done
direct=$(median <"$work/direct"); first=$(median <"$work/first"); cached=$(median <"$work/cached")

echo "==> 2. a two-region deploy beside two single-region deploys by hand" >&2
for r in r1 r2; do "$bin" apply -f examples/sample/app.yaml --region "$r" >/dev/null; done
"$bin" deploy sample --env prod --image 127.0.0.1:5000/atlantis/sample:v1 --instances 2 --regions all >/dev/null
digest_of() { curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://127.0.0.1:5000/v2/atlantis/sample/manifests/$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'; }
d1=$(digest_of v1); d2=$(digest_of v2)
: >"$work/multi"; : >"$work/hand"
seconds() { local t0; t0=$(now); "$@" >/dev/null; echo "$(now) - $t0" | bc -l; }
next=v2
for i in $(seq "$N"); do
  m=$(seconds "$bin" deploy sample --env prod --image "127.0.0.1:5000/atlantis/sample:$next" --regions all)
  echo "$m" >>"$work/multi"
  next=$([ $next = v2 ] && echo v1 || echo v2)
  d=$([ $next = v2 ] && echo "$d2" || echo "$d1")
  a=$(seconds "$bin" deploy sample --env prod --image "127.0.0.1:5000/atlantis/sample@$d" --region r1)
  b=$(seconds "$bin" deploy sample --env prod --image "127.0.0.2:5000/atlantis/sample@$d" --region r2)
  echo "$a + $b" | bc -l >>"$work/hand"
  next=$([ $next = v2 ] && echo v1 || echo v2)
  printf '    trial %d: two regions %.3f s, by hand %.3f s (r1 %.3f + r2 %.3f)\n' "$i" "$m" "$(tail -1 "$work/hand")" "$a" "$b" >&2
done
multi=$(median <"$work/multi"); hand=$(median <"$work/hand")

printf 'pull: first through B %.3f s, cached through B %.3f s, direct %.3f s; ratios first %.2f, cached %.2f\n' \
  "$first" "$cached" "$direct" "$(echo "$first / $direct" | bc -l)" "$(echo "$cached / $direct" | bc -l)"
printf 'deploy: two regions %.3f s, by hand %.3f s; ratio %.2f\n' "$multi" "$hand" "$(echo "$multi / $hand" | bc -l)"
