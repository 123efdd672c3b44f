#!/usr/bin/env bash
# Installs the system packages Otter's build and tests use (Debian/Ubuntu).
# Safe to run again. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=()
need() { dpkg -s "$1" >/dev/null 2>&1 || packages+=("$1"); }
need libsqlite3-dev   # chatd's stored history (issue 7)

if [ ${#packages[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${packages[@]}"
fi

if ! command -v swift >/dev/null; then
  echo "setup: no Swift toolchain on PATH (Swift 6 is needed: https://swift.org/install)" >&2
  exit 1
fi
echo "setup: ok ($(swift --version 2>&1 | head -1))"
