#!/usr/bin/env bash
# Installs what Atlantis needs from Debian and PyPI. Idempotent; quick when all is present.
#   scripts/install.sh            the control plane and its tests: ZooKeeper, its C client, Docker Engine,
#                                 the registry, busybox (base images), iptables, OpenLDAP (slapd, libldap),
#                                 debootstrap (the python base image), git, jsonschema
#   scripts/install.sh browser    also Chromium, its driver and Selenium (the dashboard's browser test)
set -euo pipefail
browser=0
[ "${1:-}" = browser ] && browser=1

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in zookeeper libzookeeper-mt-dev default-jre-headless curl docker.io busybox-static iptables cgroupfs-mount docker-registry \
  slapd ldap-utils libldap-dev debootstrap git; do
  have "$pkg" || need+=("$pkg")
done
if [ "$browser" = 1 ]; then
  for pkg in chromium chromium-driver; do have "$pkg" || need+=("$pkg"); done
fi
# java is what runs ZooKeeper; a machine may have it outside dpkg.
if command -v java >/dev/null 2>&1; then
  need=("${need[@]/default-jre-headless}")
fi
need=($(printf '%s\n' "${need[@]}" | grep -v '^$' || true))

if [ "${#need[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! python3 -c 'import jsonschema' 2>/dev/null; then
  echo "==> installing Python jsonschema (the independent schema validator the tests compare against)"
  python3 -m pip install -q jsonschema
fi
if [ "$browser" = 1 ] && ! python3 -c 'import selenium' 2>/dev/null; then
  echo "==> installing Python selenium (it drives Debian's chromium through chromium-driver; offline, it downloads no driver)"
  python3 -m pip install -q selenium
fi
echo "==> dependencies present"
