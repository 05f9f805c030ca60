#!/usr/bin/env bash
# Installs the Debian packages whose real programs the tests and benchmarks run against.
# Idempotent: a machine that has them all installs nothing.
set -euo pipefail
PKGS=(
  nginx                          # HTTP(S) targets for service checks
  unbound nsd                    # DNS servers: authoritative test zones
  monitoring-plugins-basic monitoring-plugins-standard   # Nagios plugins (check_http, check_disk, check_procs)
  iputils-ping iputils-tracepath # evidence capture and icmp checks
  snmpd snmp                     # SNMP agent and tools
  openssl ca-certificates
  prometheus                     # promtool and the peer for side-by-side benchmarks
  prometheus-blackbox-exporter prometheus-alertmanager
  prometheus-node-exporter       # host metrics: names, labels and values compared side by side
  rsyslog
  chromium fonts-ipafont-gothic   # UI tests and screenshots (Japanese glyphs)
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "install-peers: all ${#PKGS[@]} packages present"; exit 0; fi
echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
# policy-rc.d keeps Debian from starting the daemons: tests start their own on loopback ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; fi
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-peers: done"
