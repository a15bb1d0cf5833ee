#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian with Node >= 20.19:
#   1. installs the Debian servers the integration tests run (ngircd, znc, prometheus,
#      prometheus-alertmanager, prometheus-node-exporter, nats-server for the cluster tests)
#      and the tools they use (setpriv, openssl, chromium for the status page, openvpn,
#      wireguard-go and wireguard-tools for the VPN probes, dnsmasq-base for the dns probe) when missing
#      (needs root or sudo);
#   2. installs the npm packages (npm ci) when node_modules is missing or stale;
#   3. builds, checks the import graph (npm run lint:deps: no circles, no upward imports), then runs
#      the unit tests and the integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ngircd >/dev/null 2>&1 || [ -x /usr/sbin/ngircd ] || need+=(ngircd)
command -v znc >/dev/null 2>&1 || need+=(znc)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
[ -x /usr/bin/prometheus ] || need+=(prometheus)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The VPN probe tests run openvpn and wireguard-go in a network namespace they make (unshare, ip, ss).
command -v openvpn >/dev/null 2>&1 || need+=(openvpn)
command -v wireguard-go >/dev/null 2>&1 || need+=(wireguard-go)
command -v wg >/dev/null 2>&1 || need+=(wireguard-tools)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
# The dns probe tests run dnsmasq on loopback. dnsmasq-base is the binary alone (/usr/sbin, maybe
# not on a user's PATH); the dnsmasq package would add a system service that starts on install.
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
# The cluster tests run one nats-server (JetStream) per region in namespaces they make. Debian's
# package adds a systemd unit; without systemd (containers, CI) nothing starts by itself.
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
# The status page test drives Debian's Chromium with playwright-core (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing Debian packages: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "test.sh: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

npm run build
npm run lint:deps
npm run test:unit
npm run test:integration
