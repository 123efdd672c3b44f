#!/usr/bin/env python3
"""Server memory per idle registered IRC connection.

Usage: memtest.py PORT N [HOLD_SECONDS [PID]]

Opens N connections to 127.0.0.1:PORT, registers each with NICK/USER, waits (500 at a
time) for the end of the MOTD (376, or 422 without one), sleeps 2 s, and prints the
server's RSS before and after and the difference divided by N (bytes per connection),
read from /proc/PID/status (VmRSS). Then holds the connections HOLD_SECONDS (for the
observer: `observer --socket DATA_DIR/control.sock --json`). PID defaults to the
process found by `pgrep -f "chatd --port PORT"`.

Measure a release build, e.g.:
  .build/release/chatd --port 6795 --web-port 0 --metrics-listen off --data-dir /tmp/memtest &
  python3 scripts/memtest.py 6795 5000 0
"""
import resource, socket, subprocess, sys, time

resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
port = int(sys.argv[1]); N = int(sys.argv[2])
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0
if len(sys.argv) > 4:
    pid = int(sys.argv[4])
else:
    pid = int(subprocess.check_output(["pgrep", "-f", "chatd --port %d" % port]).split()[0])

def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) * 1024

base = rss()
socks = []
for i in range(N):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"NICK u%d\r\nUSER u 0 * :u\r\n" % i)
    socks.append(s)
    if i % 500 == 499 or i == N - 1:
        for t in socks[-(i % 500 + 1):]:
            t.settimeout(5); d = b""
            while b" 376 " not in d and b" 422 " not in d: d += t.recv(65536)
time.sleep(2)
r = rss()
print("base", base, "after", r, "per conn", (r - base) / N, flush=True)
time.sleep(hold)
