#!/usr/bin/env bash
# Installs the system packages Otter's build and tests use (Debian/Ubuntu).
# Safe to run again. Needs root (or sudo) for apt-get.
set -euo pipefail

required=()
optional=()
need() { dpkg -s "$1" >/dev/null 2>&1 || required+=("$1"); }
want() { dpkg -s "$1" >/dev/null 2>&1 || optional+=("$1"); }
need libsqlite3-dev   # chatd's stored history: the build needs it
need libsodium-dev    # chatd's accounts: Argon2id password hashes, SCRAM-SHA-256
need libssl-dev       # TLS (OpenSSL 3): the build needs it
# TLS tests: the openssl tool makes certificates and is a client; sslscan checks what
# chatd offers; irssi connects over TLS. Tests skip without them.
want openssl
want sslscan
want irssi
# chatd on the web: the end-to-end tests' peers. Tests skip without them, so a
# failure to install them is a warning, not an error.
want python3-venv     # a venv for the Python websockets client
want chromium         # two pages chatting, headless
command -v nginx >/dev/null || want nginx-light  # reverse proxy in front of chatd
# The Redis client's tests run against real servers (a single one, a three-master
# cluster) and check state with redis-cli. They skip without them, like the above.
want redis-server     # redis-server, started by the tests on free ports
want redis-tools      # redis-cli (cluster creation, independent checks)

if [ ${#required[@]} -gt 0 ] || [ ${#optional[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || echo "setup: apt-get update failed; trying the install anyway" >&2
  if [ ${#required[@]} -gt 0 ]; then
    $SUDO apt-get install -y -qq "${required[@]}"
  fi
  if [ ${#optional[@]} -gt 0 ]; then
    $SUDO apt-get install -y -qq "${optional[@]}" \
      || echo "setup: could not install ${optional[*]}; the tests that need them will skip" >&2
  fi
fi

# The Python websockets client, in a venv under .build (outside the sources).
cd "$(dirname "$0")/.."
if [ ! -x .build/pyvenv/bin/python ] || ! .build/pyvenv/bin/python -c "import websockets" 2>/dev/null; then
  mkdir -p .build
  python3 -m venv .build/pyvenv && .build/pyvenv/bin/pip install -q websockets \
    || echo "setup: could not install the Python websockets package; its tests will skip" >&2
fi

if ! command -v swift >/dev/null; then
  echo "setup: no Swift toolchain on PATH (Swift 6 is needed: https://swift.org/install)" >&2
  exit 1
fi
echo "setup: ok ($(swift --version 2>&1 | head -1))"
