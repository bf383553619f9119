#!/usr/bin/env bash
# Cuts a dev region off and brings it back, with iptables (root):
#
#   region.sh cut ADDRESS [PORT...]      drop every TCP packet to ADDRESS on PORTs (default: 8090,
#                                        the manager, and 5000, the registry: what clients and
#                                        other regions reach of a region)
#   region.sh restore ADDRESS            remove the rules `cut` added for ADDRESS
#   region.sh status ADDRESS             print them
#
# The region's own processes keep running (its ZooKeeper, agents and containers), as in a
# network partition: the dropped packets are never answered, so clients see timeouts, not
# refusals. A second dev region lives on 127.0.0.2 (`atlantis dev up --regions 2`).
set -euo pipefail
cmd=${1:?usage: region.sh cut|restore|status ADDRESS [PORT...]}
address=${2:?ADDRESS missing}
shift 2
comment="atlantis-region-cut-$address"

rules() { iptables -S INPUT | grep -F -- "$comment" || true; }

case $cmd in
cut)
  ports=("$@")
  [ ${#ports[@]} -gt 0 ] || ports=(8090 5000)
  for port in "${ports[@]}"; do
    iptables -I INPUT -d "$address/32" -p tcp --dport "$port" -m comment --comment "$comment" -j DROP
  done
  echo "region at $address cut off: TCP to ports ${ports[*]} dropped"
  ;;
restore)
  rules | sed 's/^-A /-D /' | while read -r rule; do eval "iptables $rule"; done
  echo "region at $address reachable again"
  ;;
status) rules ;;
*) echo "usage: region.sh cut|restore|status ADDRESS [PORT...]" >&2; exit 2 ;;
esac
