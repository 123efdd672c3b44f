#!/usr/bin/env bash
# Runs the irctest conformance suite against chatd.
#
#   scripts/run-irctest.sh IRCTEST_DIR [pytest args...]
#
# IRCTEST_DIR is an unpacked checkout of github.com/progval/irctest with a venv made by
#   python3 -m venv IRCTEST_DIR/venv && IRCTEST_DIR/venv/bin/pip install -r IRCTEST_DIR/requirements.txt pytest-xdist
# (never inside this repository). Builds chatd (release) first. Extra arguments go to
# pytest, e.g. a test file or -k NAME. Results: IRCTEST_DIR/chatd-results.xml.
# CHATD_IRCTEST_TLS=1 runs every test over TLS (chatd with only a TLS listener;
# scripts/irctest/chatd_selection.py wraps irctest's clients), the WebSocket tests left out.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
irctest="${1:?usage: run-irctest.sh IRCTEST_DIR [pytest args...]}"
shift
swift build -c release --product chatd --package-path "$here" >/dev/null
export CHATD_BIN="$here/.build/release/chatd"
export PYTHONPATH="$here/scripts/irctest"
cd "$irctest"
# The selection: every test that is not implementation-specific, deprecated or strict,
# services included (chatd is its own NickServ and SASL); chatd_selection.py leaves out
# the private-message chathistory tests (chatd keeps no private history).
exec ./venv/bin/python -m pytest -p no:cacheprovider -p chatd_selection -n "${IRCTEST_WORKERS:-4}" --controller chatd_controller \
  -m 'not implementation-specific and not deprecated and not strict' \
  --junitxml="$irctest/chatd-results.xml" -q "$@"
