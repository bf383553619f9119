#!/usr/bin/env bash
# Starts and stops a real OpenLDAP server (Debian's slapd) on loopback, with a configuration
# directory of its own (nothing under /etc/ldap is touched), loaded from an LDIF file.
#
#   ldap.sh start NAME PORT [LDIF]   fresh config and data, load LDIF (default
#                                    examples/ldap/directory.ldif), start, wait until it answers
#   ldap.sh up    NAME PORT [LDIF]   `start`, unless NAME already serves (its data is kept)
#   ldap.sh stop  NAME               SIGTERM (SIGCONT first, in case it was paused), wait
#   ldap.sh pid   NAME               the server's pid (for tests that kill or pause it)
#
# Data, log and the manager's directory configuration (NAME/directory.json, with the service
# account's password in NAME/service.secret, mode 0600) live under $ATLANTIS_RUN/ldap-NAME
# (default ./run). Suffix dc=example,dc=org; see the LDIF for its people and teams. The
# directory's administrator is cn=admin,dc=example,dc=org with the password in NAME/admin.secret.
# With LDAP_TLS=1, slapd also offers StartTLS with a certificate for 127.0.0.1 signed by a CA made
# here (NAME/tls/ca.pem: what a client's caFile names).
set -euo pipefail
cmd=${1:?usage: ldap.sh start|stop|pid NAME [PORT] [LDIF]}
name=${2:?NAME missing}
root=$(cd "$(dirname "$0")/.." && pwd)
run=${ATLANTIS_RUN:-$root/run}
base=$run/ldap-$name
suffix="dc=example,dc=org"

pid_of() { cat "$base/slapd.pid" 2>/dev/null || true; }

stop() {
  local pid
  pid=$(pid_of)
  [ -n "$pid" ] || return 0
  if [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1)" = slapd ] ||
    [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1)" = /usr/sbin/slapd ]; then
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$base/slapd.pid"
}

case $cmd in
stop) stop; exit 0 ;;
pid) pid_of; exit 0 ;;
start | up) ;;
*) echo "usage: ldap.sh start|up|stop|pid NAME [PORT] [LDIF]" >&2; exit 2 ;;
esac

port=${3:?PORT missing}
ADDR=${ATLANTIS_ADDRESS:-127.0.0.1}
if [ "$cmd" = up ] && [ -n "$(pid_of)" ] && kill -0 "$(pid_of)" 2>/dev/null && [ -f "$base/directory.json" ] &&
  timeout 2 ldapsearch -x -H "ldap://$ADDR:$port" -b "" -s base namingContexts >/dev/null 2>&1; then
  echo "slapd $name (pid $(pid_of)) already serves ldap://$ADDR:$port"
  exit 0
fi
ldif=${4:-$root/examples/ldap/directory.ldif}
uri="ldap://$ADDR:$port"
if ! command -v slapd >/dev/null 2>&1 && [ ! -x /usr/sbin/slapd ]; then
  echo "ldap.sh: slapd is not installed (scripts/install.sh installs it)" >&2
  exit 1
fi
export PATH=$PATH:/usr/sbin
stop
rm -rf "$base"
mkdir -p "$base/slapd.d" "$base/data"
# The directory's own administrator (to manage people and teams with any LDAP tool, e.g.
# ldapmodify -D cn=admin,dc=example,dc=org -y run/ldap-NAME/admin.secret): a fresh password per start.
(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$base/admin.secret")
admin_hash=$(slappasswd -T "$base/admin.secret")

tls_config=""
if [ "${LDAP_TLS:-0}" = 1 ]; then
  t=$base/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=atlantis test CA" \
    -keyout "$t/ca.key" -out "$t/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$t/server.key" -out "$t/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$t/ext.cnf"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial -days 2 \
    -extfile "$t/ext.cnf" -out "$t/server.pem" >/dev/null 2>&1
  tls_config="olcTLSCACertificateFile: $t/ca.pem
olcTLSCertificateFile: $t/server.pem
olcTLSCertificateKeyFile: $t/server.key"
fi

cat >"$base/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $base/slapd.pid
olcArgsFile: $base/slapd.args
olcLogLevel: none
$tls_config

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 500

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $suffix
olcDbDirectory: $base/data
olcRootDN: cn=admin,$suffix
olcRootPW: $admin_hash
olcDbMaxSize: 268435456
olcDbIndex: objectClass eq
olcDbIndex: uid,cn eq
olcDbIndex: member eq
olcAccess: {0}to attrs=userPassword by anonymous auth by * none
olcAccess: {1}to * by users read by * none
LDIF

slapadd -n 0 -F "$base/slapd.d" -l "$base/config.ldif" >"$base/slapadd.log" 2>&1
slapadd -n 1 -F "$base/slapd.d" -l "$ldif" >>"$base/slapadd.log" 2>&1 || {
  echo "ldap.sh: $ldif could not be loaded; see $base/slapadd.log" >&2
  exit 1
}
# Runs as the invoking user; -h: loopback only.
slapd -F "$base/slapd.d" -h "$uri/" 2>"$base/slapd.log"
for _ in $(seq 100); do
  if ldapsearch -x -H "$uri" -b "" -s base namingContexts >/dev/null 2>&1; then
    umask 077
    printf '%s\n' atlantis-reader >"$base/service.secret"
    cat >"$base/directory.json" <<JSON
{
  "uri": "$uri",
  "base": "$suffix",
  "serviceDN": "cn=atlantis,ou=services,$suffix",
  "servicePasswordFile": "service.secret",
  "networkTimeout": 2,
  "operationTimeout": 3
}
JSON
    echo "slapd $name (pid $(pid_of)) serves $uri; manager configuration: $base/directory.json"
    exit 0
  fi
  sleep 0.05
done
echo "ldap.sh: slapd did not answer on $uri; see $base/slapd.log" >&2
exit 1
