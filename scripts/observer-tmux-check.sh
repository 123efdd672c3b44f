#!/usr/bin/env bash
# Scripted check of the observer's live view under tmux: against a running
# chatd, the TUI draws the chatd tree, sorts the top view (mq, then r), and shows a
# restart after a kill. Run from the package root:  scripts/observer-tmux-check.sh
# Needs tmux. Exits non-zero, saying which step failed, with the pane it saw.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product chatd >/dev/null
swift build --product observer >/dev/null
data=$(mktemp -d /tmp/observer-check-XXXXXX)
session="observer-check-$$"
export OTTER_RUNTIME_DIR="$data/run"   # a private discovery directory for this check
mkdir -m 700 "$OTTER_RUNTIME_DIR"
swift run chatd --port 0 --web-port 0 --metrics-listen off --data-dir "$data/chatd" >"$data/chatd.log" 2>&1 &
chatd=$!
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  kill "$chatd" 2>/dev/null || true
  wait "$chatd" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q "control socket" "$data/chatd.log" 2>/dev/null && break; sleep 0.1; done
grep "control socket" "$data/chatd.log"

pane() { tmux capture-pane -p -t "$session"; }
expect() {  # expect WHAT PATTERN: waits up to 5 s for PATTERN (grep -E) in the pane
  for _ in $(seq 50); do pane | grep -qE -- "$2" && { echo "ok: $1"; return 0; }; sleep 0.1; done
  echo "FAILED: $1 (no /$2/ in the pane):"; pane; exit 1
}

# No --socket: the observer finds chatd through the discovery directory.
tmux new-session -d -s "$session" -x 120 -y 30 "OTTER_RUNTIME_DIR=$OTTER_RUNTIME_DIR .build/debug/observer --interval 500ms"
expect "tree drawn from the chatd root" "^▾ chatd  <0\.[0-9]+\.0>  one_for_one  running"
expect "presence under it"              "^├─ presence  <0\.[0-9]+\.0>  permanent  running"
expect "the control endpoint under it"  "^└─ control  <0\.[0-9]+\.0>  permanent  running"
tmux send-keys -t "$session" m q
expect "top view sorted by message queue" "MQ▼.*sorted by message queue"
tmux send-keys -t "$session" r
expect "top view sorted by reductions"    "REDS▼.*sorted by reductions\)"
tmux send-keys -t "$session" 1
expect "back to the tree" "^▾ chatd"
old=$(pane | grep -oE "^├─ presence  <0\.[0-9]+\.0>" | grep -oE "<0\.[0-9]+\.0>")
tmux send-keys -t "$session" j j K
expect "kill asks first" "Kill presence <0\.[0-9]+\.0>\? Its supervisor will restart it\. \[y/N\]"
tmux send-keys -t "$session" y
expect "the restart is shown" "↻ restarted: presence ${old//./\\.} → <0\.[0-9]+\.0>"
expect "the restarted child is marked" "^├─ presence  <0\.[0-9]+\.0>  permanent  running.*↻ .* ago \(killed\)"
expect "the root's budget is used" "restarts 1/10 in 5s \(9 left\)"
tmux resize-window -t "$session" -x 60 -y 12
expect "redrawn at 60 columns" "^▾ chatd  <0\.[0-9]+\.0>  one_for_one  running  restarts .*…$"
widest=$(pane | wc -L)
[ "$widest" -le 60 ] || { echo "FAILED: a line of $widest columns in a 60-column pane"; pane; exit 1; }
tmux send-keys -t "$session" q
sleep 0.5
if tmux has-session -t "$session" 2>/dev/null; then echo "FAILED: observer did not quit"; pane; exit 1; fi
echo "ok: quit"
echo "all checks passed"
