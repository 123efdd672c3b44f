#!/usr/bin/env bash
# A scripted session of a real IRC client against chatd: two irssi instances in tmux.
# alice joins #otter and talks; bob joins later, sees the history replay, and the two
# chat. The panes are captured and checked; exit status 0 means every check passed.
#
#   scripts/irssi-session.sh            (needs irssi and tmux: apt-get install irssi tmux)
#
# Uses the release chatd (built here if missing), port 6697 on 127.0.0.1 unless PORT is
# set, and a temporary data directory. Pane captures are left in $OUT (default
# /tmp/chatd-irssi-session).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
port="${PORT:-6697}"
out="${OUT:-/tmp/chatd-irssi-session}"
for tool in irssi tmux; do
  command -v "$tool" >/dev/null || { echo "irssi-session: $tool is not installed (apt-get install $tool)" >&2; exit 2; }
done
swift build -c release --product chatd --package-path "$here" >/dev/null
rm -rf "$out"; mkdir -p "$out/alice" "$out/bob" "$out/data"
"$here/.build/release/chatd" --port "$port" --data-dir "$out/data" --web-port 0 --metrics-listen off --log-level trace >"$out/chatd.log" 2>&1 &
chatd=$!
session="chatd-irssi-$$"
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; kill "$chatd" 2>/dev/null || true; wait "$chatd" 2>/dev/null || true; }
trap cleanup EXIT
sleep 1

check() {  # check PANE TEXT: waits up to 10 s for TEXT in PANE's screen
  local pane="$1" text="$2"
  for _ in $(seq 100); do
    if tmux capture-pane -p -t "$session:$pane" | grep -qF -- "$text"; then echo "ok   $pane sees: $text"; return 0; fi
    sleep 0.1
  done
  echo "FAIL $pane does not see: $text" >&2
  tmux capture-pane -p -t "$session:$pane" >&2
  exit 1
}
say() { tmux send-keys -t "$session:$1" -l "$2"; tmux send-keys -t "$session:$1" Enter; }

tmux new-session -d -s "$session" -x 160 -y 40 -n alice "irssi --home=$out/alice -n alice"
sleep 1
say alice "/set user_name alice"
say alice "/connect 127.0.0.1 $port"
check alice "Welcome to the OtterNet"
say alice "/join #otter"
check alice "alice [alice@127.0.0.1] has joined #otter"
say alice "history is kept in SQLite"
say alice "and replayed on join"
tmux new-window -t "$session" -n bob "irssi --home=$out/bob -n bob"
sleep 1
say bob "/set user_name bob"
say bob "/connect 127.0.0.1 $port"
check bob "Welcome to the OtterNet"
say bob "/join #otter"
check bob "history is kept in SQLite"
check bob "and replayed on join"
check alice "bob [bob@127.0.0.1] has joined #otter"
say bob "hello alice, I read the backlog"
check alice "hello alice, I read the backlog"
say alice "/msg bob a private word"
sleep 0.5
say bob "/query alice"   # the window irssi opened for alice's message
check bob "a private word"
say bob "/window 2"
say bob "/quit off to sleep"
check alice "bob [bob@127.0.0.1] has quit [Quit: off to sleep]"
tmux capture-pane -p -t "$session:alice" >"$out/alice.txt"
echo "irssi session: all checks passed (alice's screen in $out/alice.txt)"
