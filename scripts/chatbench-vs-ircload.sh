#!/bin/bash
# chatbench against ircload.c on the same server setup: for each server and scenario,
# a fresh server (`chatbench --serve NAME`) measured by ircload, then a fresh one measured
# by chatbench (`--server 127.0.0.1:PORT --server-pid PID`), and the figures side by side
# with chatbench/ircload ratios (they must agree within 10 %).
#   scripts/chatbench-vs-ircload.sh                       # S1 S2 on ngircd inspircd chatd
#   SERVERS="ngircd" SCENARIOS="S1 S2 S3" scripts/chatbench-vs-ircload.sh
#   PASSES=2 ...                                          # repeat each pair
# Needs: a release build of chatbench and chatd (swift build -c release --product chatbench;
# swift build -c release --product chatd), gcc, python3, and the path of ircload.c, the C
# load generator the IRC peers were first measured with, in IRCLOAD_C. Everything on 127.0.0.1; every run bounded by --max-time
# and timeout. Logs and a summary go to OUT (default /tmp/chatbench-vs-ircload).
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BIN:-$ROOT/.build/release}"
IRCLOAD_C="${IRCLOAD_C:?set IRCLOAD_C to the path of ircload.c}"
OUT="${OUT:-/tmp/chatbench-vs-ircload}"
SERVERS=${SERVERS:-"ngircd inspircd chatd"}
SCENARIOS=${SCENARIOS:-"S1 S2"}
PASSES=${PASSES:-1}
MAXTIME=${MAXTIME:-300}
mkdir -p "$OUT"
IRCLOAD="$OUT/ircload"
[ -x "$IRCLOAD" ] && [ "$IRCLOAD" -nt "$IRCLOAD_C" ] || gcc -O2 -Wall -o "$IRCLOAD" "$IRCLOAD_C" || exit 1
[ -x "$BIN/chatbench" ] || { echo "no $BIN/chatbench: swift build -c release --product chatbench" >&2; exit 1; }

# ircload's flags for a scenario (chatbench takes the scenario name; same numbers).
scenario_args() {
  case $1 in
    S1) echo "--mode chat --clients 300   --rooms 1   --senders 30   --rate 3    --duration 60";;
    S2) echo "--mode chat --clients 1000  --rooms 1   --senders 100  --rate 100  --duration 30";;
    S3) echo "--mode chat --clients 10000 --rooms 100 --senders 1000 --rate 1000 --duration 30";;
    S4) echo "--mode idle --steps 1000,5000,10000,15000,19000 --max-conns 100000 --settle 3 --hold 3 --prefix a --reg-timeout 20";;
  esac
}
# Connections in connect + register at once: chatbench's defaults for managed servers.
inflight_of() { case $1 in ngircd) echo 8;; *) echo 500;; esac; }

# Starts a fresh server on fd 3/4 (coprocess); sets PORT and SPID.
serve() {
  coproc SERVE { exec "$BIN/chatbench" --serve "$1" --max-time "$MAXTIME" 2>>"$OUT/serve.log"; }
  local line=""
  read -r -t 30 line <&"${SERVE[0]}" || { echo "could not start $1" >&2; return 1; }
  PORT=$(echo "$line" | awk '{print $2}'); SPID=$(echo "$line" | awk '{print $4}')
}
unserve() {
  local pid=$SERVE_PID
  exec {SERVE[1]}>&-
  wait "$pid" 2>/dev/null
}

ulimit -n "$(ulimit -Hn)"
for pass in $(seq "$PASSES"); do
  for srv in $SERVERS; do
    for sc in $SCENARIOS; do
      base="$OUT/$srv-$sc-$pass"
      echo "=== $srv $sc pass $pass" >&2
      serve "$srv" || continue
      # shellcheck disable=SC2046
      timeout -s KILL $((MAXTIME + 30)) "$IRCLOAD" --port "$PORT" --server-pid "$SPID" --max-time "$MAXTIME" \
        --conn-inflight "$(inflight_of "$srv")" $(scenario_args "$sc") > "$base.ircload.txt" 2> "$base.ircload.err"
      echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$base.ircload.err"   # others' work on the machine
      unserve
      serve "$srv" || continue
      timeout -s KILL $((MAXTIME + 30)) "$BIN/chatbench" "$sc" --server "127.0.0.1:$PORT" --server-pid "$SPID" \
        --server-name "$srv" --conn-inflight "$(inflight_of "$srv")" --max-time "$MAXTIME" -v \
        > "$base.chatbench.txt" 2> "$base.chatbench.err"
      unserve
    done
  done
done
python3 "$ROOT/scripts/compare-load.py" "$OUT" | tee "$OUT/summary.md"
