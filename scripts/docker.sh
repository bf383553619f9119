#!/usr/bin/env bash
# The container side of a local Atlantis, without systemd or Docker Hub:
#
#   docker.sh up        start dockerd on /var/run/docker.sock if none answers, start the image
#                       registry on 127.0.0.1:5000, build the base images if missing
#   docker.sh dockerd   only dockerd
#   docker.sh registry  only the registry (Debian docker-registry, Distribution v2)
#   docker.sh images    (re)build the base images: atlantis/busybox:base, atlantis/sample:v1, v2
#   docker.sh bases     build the templates' base images if missing (atlantis/busybox:base,
#                       atlantis/python:base from debootstrap), push them to the registry and
#                       write the Template documents with their digests to $ATLANTIS_RUN/templates
#   docker.sh mirror    only a registry in pull-through mode (Distribution's proxy) on
#                       $ATLANTIS_REGISTRY, serving what $ATLANTIS_REGISTRY_UPSTREAM holds: a
#                       region's registry mirroring the builder region's
#   docker.sh down      stop the registry and the dockerd this script started
#
# Logs and data under $ATLANTIS_RUN (default ./run). Talks to the Engine over its socket with
# curl; the product itself speaks the Engine API from Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${ATLANTIS_RUN:-$PWD/run}
SOCK=/var/run/docker.sock
REGISTRY=${ATLANTIS_REGISTRY:-127.0.0.1:5000}
API=http://localhost/v1.41
mkdir -p "$RUN"

ping() { curl -fsS --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; }

# dockerd wants its root on a shared mount. Where / is not (no systemd), it bind-mounts its root
# over itself at start and takes that away at shutdown: a container it still mounts while shutting
# down (a start that raced the SIGTERM) then lies under the next dockerd's bind, where no one can
# unmount it, and that container can never be removed ("device or resource busy"). One shared bind
# made here and kept across restarts of dockerd leaves it nothing to take away.
shared_docker_root() {
  local root=/var/lib/docker
  mkdir -p "$root"
  if [ "$(findmnt -n -o TARGET --mountpoint "$root" 2>/dev/null | head -n 1)" != "$root" ]; then
    mount --bind "$root" "$root"
  fi
  findmnt -n -o PROPAGATION --mountpoint "$root" | grep -q shared || mount --make-rshared "$root"
}

start_dockerd() {
  if ping; then return 0; fi
  [ -n "$(ls -A /sys/fs/cgroup 2>/dev/null)" ] || cgroupfs-mount
  shared_docker_root
  echo "==> starting dockerd (log: $RUN/dockerd.log)"
  nohup dockerd -H "unix://$SOCK" --pidfile "$RUN/dockerd.pid" >"$RUN/dockerd.log" 2>&1 </dev/null &
  local pid=$! deadline=$((SECONDS + 60))
  until ping; do
    kill -0 "$pid" 2>/dev/null || { echo "docker.sh: dockerd died; its log:" >&2; tail -n 20 "$RUN/dockerd.log" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "docker.sh: dockerd did not answer on $SOCK in 60 s" >&2; exit 1; }
    sleep 0.1
  done
  echo "$pid" >"$RUN/dockerd.started"
  echo "    dockerd answers on $SOCK"
}

start_registry() {
  if curl -fsS --max-time 2 -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null; then return 0; fi
  local base=$RUN/registry
  mkdir -p "$base/data"
  cat >"$base/config.yml" <<CONF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $base/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
CONF
  if [ -n "${ATLANTIS_REGISTRY_UPSTREAM:-}" ]; then
    printf 'proxy:\n  remoteurl: http://%s\n' "$ATLANTIS_REGISTRY_UPSTREAM" >>"$base/config.yml"
  fi
  echo "==> starting the image registry on $REGISTRY (log: $base/registry.log)"
  nohup docker-registry serve "$base/config.yml" >"$base/registry.log" 2>&1 </dev/null &
  echo $! >"$base/registry.pid"
  local deadline=$((SECONDS + 20))
  until curl -fsS --max-time 1 -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null; do
    kill -0 "$(cat "$base/registry.pid")" 2>/dev/null || { cat "$base/registry.log" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "docker.sh: registry did not answer in 20 s" >&2; exit 1; }
    sleep 0.05
  done
}

sample_current() {
  curl -fsS --unix-socket "$SOCK" "$API/images/atlantis/sample:$1/json" 2>/dev/null | grep -q 'ATLANTIS_SAMPLE_REV=2'
}
has_image() { curl -fsS --unix-socket "$SOCK" -o /dev/null "$API/images/$1/json" 2>/dev/null; }

# import TAG ROOTFS CHANGES...: POST /images/create?fromSrc=- with the root folder as a tar.
import_rootfs() {
  local tag=$1 root=$2
  shift 2
  local query="fromSrc=-&repo=${tag%:*}&tag=${tag##*:}"
  for change in "$@"; do query+="&changes=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$change")"; done
  tar -C "$root" --numeric-owner -cf - . |
    curl -fsS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/x-tar' --data-binary @- "$API/images/create?$query" >/dev/null
}

busybox_root() { # DIR
  local r=$1
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,www/cgi-bin,var/run,root}
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list-full); do [ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
}

build_images() {
  local work
  work=$(mktemp -d /tmp/atlantis-images.XXXXXX)
  echo "==> building base images (busybox-static root, imported offline)"
  rebuilt=1
  busybox_root "$work/base"
  import_rootfs atlantis/busybox:base "$work/base" 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["/bin/sh"]'
  # The sample app: busybox httpd serving examples/sample/app/www on $ATLANTIS_PORT (8080 by default),
  # with /health and a CGI page that prints the instance it runs as.
  for version in v1 v2; do
    rm -rf "$work/sample"
    busybox_root "$work/sample"
    cp -r examples/sample/app/www/. "$work/sample/www/"
    echo "$version" >"$work/sample/www/version"
    chmod +x "$work/sample/www/cgi-bin/"*
    import_rootfs "atlantis/sample:$version" "$work/sample" \
      'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' 'EXPOSE 8080' \
      'ENV ATLANTIS_SAMPLE_REV=2' \
      'CMD ["/bin/sh", "-c", "echo \"sample '"$version"' listening on ${ATLANTIS_PORT:-8080}\"; exec httpd -f -v -p ${ATLANTIS_PORT:-8080} -h /www"]'
  done
  rm -rf "$work"
  echo "    atlantis/busybox:base, atlantis/sample:v1, atlantis/sample:v2"
}

ensure_images() {
  # ATLANTIS_SAMPLE_REV: the sample's revision (2: it logs each request, for `atlantis logs`).
  if ! { has_image atlantis/busybox:base && sample_current v1 && sample_current v2; }; then build_images; fi
  push_images
}

# The sample versions are also in the local registry, as $REGISTRY/atlantis/sample:TAG, so that
# pulls are real.
push_images() {
  local auth
  auth=$(printf '{}' | base64)
  for version in v1 v2; do
    # Pushed already, unless the images were just (re)built.
    [ "${rebuilt:-0}" = 0 ] && curl -fsS -o /dev/null "http://$REGISTRY/v2/atlantis/sample/manifests/$version" \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' 2>/dev/null && continue
    curl -fsS --unix-socket "$SOCK" -X POST -o /dev/null \
      "$API/images/atlantis/sample:$version/tag?repo=$REGISTRY/atlantis/sample&tag=$version"
    local out
    out=$(curl -fsS --unix-socket "$SOCK" -X POST -H "X-Registry-Auth: $auth" "$API/images/$REGISTRY/atlantis/sample:$version/push")
    if grep -q '"error"' <<<"$out"; then echo "docker.sh: push of atlantis/sample:$version failed: $out" >&2; exit 1; fi
  done
  echo "    $REGISTRY/atlantis/sample:v1 and :v2 in the registry"
}

# The python base: a Debian root made by debootstrap from the package mirror (no Docker Hub),
# kept as a tarball so that it is made once per machine.
python_root_tar() {
  local cache=${ATLANTIS_CACHE:-/var/cache/atlantis}/python-bookworm-root.tar
  if [ ! -s "$cache" ]; then
    echo "==> debootstrap: a Debian bookworm root with python3 (once per machine, about a minute)" >&2
    mkdir -p "$(dirname "$cache")"
    local work
    work=$(mktemp -d /tmp/atlantis-python.XXXXXX)
    debootstrap --variant=minbase --include=python3 bookworm "$work/root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
      >"$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
    tar -C "$work/root" --numeric-owner -cf "$cache.part" . && mv "$cache.part" "$cache"
    rm -rf "$work"
  fi
  echo "$cache"
}

# push NAME: tag the local atlantis/NAME:base as $REGISTRY/atlantis/NAME:base, push it, print its digest.
push_base() {
  local name=$1 auth out
  auth=$(printf '{}' | base64)
  curl -fsS --unix-socket "$SOCK" -X POST -o /dev/null "$API/images/atlantis/$name:base/tag?repo=$REGISTRY/atlantis/$name&tag=base"
  out=$(curl -fsS --unix-socket "$SOCK" -X POST -H "X-Registry-Auth: $auth" "$API/images/$REGISTRY/atlantis/$name:base/push")
  if grep -q '"error"' <<<"$out"; then echo "docker.sh: push of atlantis/$name:base failed: $out" >&2; exit 1; fi
  curl -fsSI "http://$REGISTRY/v2/atlantis/$name/manifests/base" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' | tr -d '\r' |
    awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'
}

build_bases() {
  has_image atlantis/busybox:base || build_images
  if ! has_image atlantis/python:base; then
    local tarball query
    tarball=$(python_root_tar)
    query="fromSrc=-&repo=atlantis/python&tag=base"
    for change in 'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'ENV LANG=C.UTF-8' 'CMD ["/usr/bin/python3"]'; do
      query+="&changes=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$change")"
    done
    curl -fsS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/x-tar' --data-binary @"$tarball" \
      "$API/images/create?$query" >/dev/null
    echo "    atlantis/python:base (Debian bookworm, python3)"
  fi
  local busybox python
  busybox="$REGISTRY/atlantis/busybox@$(push_base busybox)"
  python="$REGISTRY/atlantis/python@$(push_base python)"
  mkdir -p "$RUN/templates"
  for t in templates/*.yaml; do
    sed -e "s|@BASE_BUSYBOX@|$busybox|g" -e "s|@BASE_PYTHON@|$python|g" "$t" >"$RUN/templates/$(basename "$t")"
  done
  echo "    bases in the registry: $busybox, $python; Template documents in $RUN/templates"
}

stop_all() {
  local base=$RUN/registry
  if [ -f "$base/registry.pid" ]; then kill "$(cat "$base/registry.pid")" 2>/dev/null || true; rm -f "$base/registry.pid"; fi
  if [ -f "$RUN/dockerd.started" ]; then
    local pid
    pid=$(cat "$RUN/dockerd.started")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$RUN/dockerd.started"
  fi
}

case ${1:-up} in
up) start_dockerd; start_registry; ensure_images ;;
dockerd) start_dockerd ;;
registry) start_registry ;;
mirror)
  [ -n "${ATLANTIS_REGISTRY_UPSTREAM:-}" ] || { echo "docker.sh mirror: set ATLANTIS_REGISTRY_UPSTREAM=host:port" >&2; exit 2; }
  start_registry ;;
images) start_dockerd; start_registry; build_images; push_images ;;
bases) start_dockerd; start_registry; build_bases ;;
down) stop_all ;;
*) echo "usage: docker.sh up|dockerd|registry|mirror|images|bases|down" >&2; exit 2 ;;
esac
