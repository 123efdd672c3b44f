#!/usr/bin/env bash
# Scripted check of the observer's live view under tmux: against a running
# chatd, the TUI draws the chatd tree, sorts the top view (mq, then r), and shows a
# restart after a kill — of a static child (presence) and of a dynamic one (a room);
# a client's connection is labelled with its nick, and the memory view adds up.
# Run from the package root:  scripts/observer-tmux-check.sh
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
client=""
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  [ -n "$client" ] && kill "$client" 2>/dev/null || true
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

# A client in a channel: its connection is labelled with nick, transport and host; its
# room is drawn under its registered name.
port=$(grep -oE "IRC on 127\.0\.0\.1:[0-9]+" "$data/chatd.log" | head -1 | grep -oE "[0-9]+$")
python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"NICK alice\r\nUSER alice 0 * :alice\r\nJOIN #observed\r\n")
time.sleep(60)
' "$port" &
client=$!
expect "the connection labelled by nick" "alice \(irc\) 127\.0\.0\.1  <0\.[0-9]+\.0>  temporary  running"
expect "the room under its name" "room:#observed  <0\.[0-9]+\.0>  transient  running"
room=$(pane | grep -oE "room:#observed  <0\.[0-9]+\.0>" | grep -oE "<0\.[0-9]+\.0>")
# From presence (selected), three lines down: rooms, room-supervisor, the room.
tmux send-keys -t "$session" j j j K
expect "kill asks first (the room)" "Kill room:#observed ${room//./\\.}\? Its supervisor will restart it\. \[y/N\]"
tmux send-keys -t "$session" y
expect "the room's restart is shown" "↻ restarted: room:#observed ${room//./\\.} → <0\.[0-9]+\.0>"
expect "the restarted room is marked" "room:#observed  <0\.[0-9]+\.0>  transient  running.*↻ .* ago \(killed\)"
tmux send-keys -t "$session" 2
expect "the sweeper has a name in the top view" " chatd\.sweeper$"
tmux send-keys -t "$session" 4
expect "the memory view: RSS split" "^└─ anonymous +[0-9.]+ [KMG]?B  private memory"
expect "the memory view: malloc split" "^└─ not attributed +[0-9.]+ [KMG]?B"
tmux send-keys -t "$session" 1
expect "back to the tree" "^▾ chatd"
tmux resize-window -t "$session" -x 60 -y 12
expect "redrawn at 60 columns" "^▾ chatd  <0\.[0-9]+\.0>  one_for_one  running  restarts .*…$"
widest=$(pane | wc -L)
[ "$widest" -le 60 ] || { echo "FAILED: a line of $widest columns in a 60-column pane"; pane; exit 1; }
tmux send-keys -t "$session" q
sleep 0.5
if tmux has-session -t "$session" 2>/dev/null; then echo "FAILED: observer did not quit"; pane; exit 1; fi
echo "ok: quit"
echo "all checks passed"
