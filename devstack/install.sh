#!/usr/bin/env bash
# Installs what the project needs on a Debian 12 machine, idempotently:
# Debian packages for the local operator stack and the browser tests, then a virtualenv
# with the pinned Python requirements. Safe to run again: it does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-managesieved postfix redis-server
  openssl chromium fonts-dejavu-core gettext bsdutils python3-venv postgresql util-linux ghostscript
  dnsmasq-base)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  # Postfix asks about its role on install; we run our own instance, so no configuration.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
if [[ ! -x .venv/bin/python ]]; then
  echo "Creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "Installing Python requirements into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# The second OpenID Connect provider of the integration suite (devstack/oidc_provider) runs
# on Node.js, from the npm registry, pinned by its package-lock.json.
if ! command -v node >/dev/null 2>&1; then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "Installing Debian packages: nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_stamp=devstack/oidc_provider/node_modules/.lock.sha256
node_want=$(sha256sum devstack/oidc_provider/package-lock.json | cut -d' ' -f1)
if [[ ! -f $node_stamp || $(cat "$node_stamp") != "$node_want" ]]; then
  echo "Installing the second OpenID Connect provider (npm ci)"
  (cd devstack/oidc_provider && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$node_want" > "$node_stamp"
fi
