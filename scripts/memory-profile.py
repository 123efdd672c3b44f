#!/usr/bin/env python3
"""chatd's memory at idle, with N idle connections, after a burst, and after they leave.

Usage: memory-profile.py [--chatd PATH] [--clients N] [--rooms R] [--senders S]
                         [--messages M] [--settle SECONDS] [--keep] [--env K=V ...]

Starts the chatd given (default .build/release/chatd) on a free loopback port in a
temporary directory (no web listener, no metrics listener, no flood limit, as chatbench
starts it), then prints one line per phase with the server's resident memory:

  idle        no connection yet (2 s after start)
  connected   N registered idle connections, each in one of R rooms
  burst       S senders sent M messages each (100 bytes), every copy read, then SETTLE s
  left        every client quit, then SETTLE s

Each line gives VmRSS and its anonymous and file-backed parts (/proc/PID/status), the
bytes per connection over the idle line where it applies, and the C allocator's heap,
in-use and free bytes (chatd's control endpoint, the observer's memory view). No timing
is measured: a busy machine changes when, not how much. --keep leaves the chatd running
at the end (for `observer --socket DIR/control.sock --memory`) and prints its pid.

Example (release build):
  swift build -c release --product chatd
  python3 scripts/memory-profile.py --clients 2000 --rooms 20 --senders 200 --messages 20
"""
import argparse, os, re, resource, selectors, shutil, socket, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--chatd", default=".build/release/chatd")
ap.add_argument("--observer", default=None, help="observer executable (default: next to chatd)")
ap.add_argument("--clients", type=int, default=2000)
ap.add_argument("--rooms", type=int, default=20)
ap.add_argument("--senders", type=int, default=200)
ap.add_argument("--messages", type=int, default=20)
ap.add_argument("--settle", type=float, default=3)
ap.add_argument("--keep", action="store_true")
ap.add_argument("--env", action="append", default=[], help="K=V for chatd's environment")
ap.add_argument("--chatd-arg", action="append", default=[], help="one more argument for chatd (repeat)")
ap.add_argument("-v", "--verbose", action="store_true", help="also print the observer's memory view at each phase")
args = ap.parse_args()

if not os.access(args.chatd, os.X_OK):
    sys.exit(f"memory-profile: no chatd executable at {args.chatd} (build it: swift build -c release --product chatd)")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
need = args.clients + 100
if need > hard:
    sys.exit(f"memory-profile: {args.clients} clients need {need} descriptors, the hard limit is {hard}")
resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
observer = args.observer or os.path.join(os.path.dirname(os.path.abspath(args.chatd)), "observer")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

data = tempfile.mkdtemp(prefix="memory-profile-")
port = free_port()
env = dict(os.environ)
for kv in args.env:
    k, _, v = kv.partition("="); env[k] = v
server = subprocess.Popen(
    [args.chatd, "--host", "127.0.0.1", "--port", str(port), "--data-dir", data + "/data",
     "--web-port", "0", "--metrics-listen", "off", "--no-flood-limit"] + args.chatd_arg,
    stdout=open(data + "/chatd.log", "w"), stderr=subprocess.STDOUT, env=env)

def status():
    out = {}
    for line in open(f"/proc/{server.pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile"): out[k] = int(v.split()[0])
    return out

def malloc_figures():
    """The observer's malloc lines (heap and what of it is free; in use), or None."""
    if not os.access(observer, os.X_OK): return None
    try:
        out = subprocess.run([observer, "--socket", data + "/data/control.sock", "--memory"],
                             capture_output=True, text=True, timeout=20).stdout
    except Exception:
        return None
    if args.verbose: print(out, flush=True)
    heap = re.search(r"malloc heap\s+([\d.]+ \w?B)", out)
    free = re.search(r"([\d.]+ \w?B) of it free for reuse", out)
    use = re.search(r"malloc in use\s+([\d.]+ \w?B)", out)
    heap = heap and heap.group(1) + (f" ({free.group(1)} free)" if free else "")
    use = use and use.group(1)
    return f"heap {heap}, in use {use}" if heap or use else None

baseline = None
def report(phase, connections):
    global baseline
    s = status()
    if baseline is None: baseline = s
    per = ""
    if connections:
        per = "  per connection %6.0f B (anon %6.0f B)" % (
            (s["VmRSS"] - baseline["VmRSS"]) * 1024 / connections,
            (s["RssAnon"] - baseline["RssAnon"]) * 1024 / connections)
    m = malloc_figures()
    mt = f"  malloc {m}" if m else ""
    print(f"{phase:10s} RSS {s['VmRSS'] / 1024:6.1f} MB  anon {s['RssAnon'] / 1024:6.1f} MB  "
          f"file {s['RssFile'] / 1024:6.1f} MB{per}{mt}", flush=True)

def wait_for(sock, needle, buf, timeout=30):
    deadline = time.time() + timeout
    while needle not in buf[0]:
        sock.settimeout(max(0.1, deadline - time.time()))
        d = sock.recv(65536)
        if not d: raise SystemExit(f"memory-profile: chatd closed a connection (see {data}/chatd.log)")
        buf[0] += d
        if time.time() > deadline: raise SystemExit(f"memory-profile: no {needle!r} within {timeout} s")

try:
    deadline = time.time() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                sys.exit(f"memory-profile: chatd did not start (see {data}/chatd.log)")
            time.sleep(0.1)
    time.sleep(2)
    report("idle", 0)

    socks = []
    for i in range(args.clients):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"NICK m%d\r\nUSER m 0 * :m\r\nJOIN #m%d\r\n" % (i, i % args.rooms))
        socks.append(s)
        if i % 500 == 499 or i == args.clients - 1:
            for t in socks[-(i % 500 + 1):]:
                buf = [b""]; wait_for(t, b" 366 ", buf)
    time.sleep(args.settle)
    report("connected", args.clients)

    # The burst: every sender sends its messages at once; every member reads every copy.
    members = [0] * args.rooms
    for i in range(args.clients): members[i % args.rooms] += 1
    expected = [0] * args.clients
    for i in range(min(args.senders, args.clients)):
        r = i % args.rooms
        for j in range(args.clients):
            if j % args.rooms == r and j != i: expected[j] += args.messages
    line = b"x" * 100
    for i in range(min(args.senders, args.clients)):
        socks[i].sendall(b"".join(b"PRIVMSG #m%d :%d %s\r\n" % (i % args.rooms, k, line) for k in range(args.messages)))
    sel = selectors.DefaultSelector()
    got = [0] * args.clients
    for i, s in enumerate(socks):
        s.setblocking(False)
        if expected[i]: sel.register(s, selectors.EVENT_READ, i)
    left = sum(1 for e in expected if e)
    deadline = time.time() + 120
    while left and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            i = key.data
            try: d = key.fileobj.recv(262144)
            except BlockingIOError: continue
            got[i] += d.count(b" PRIVMSG ")
            if got[i] >= expected[i]:
                sel.unregister(key.fileobj); left -= 1
    if left: print(f"memory-profile: {left} clients missed copies after 120 s", file=sys.stderr)
    time.sleep(args.settle)
    report("burst", args.clients)

    for s in socks:
        s.setblocking(True)
        try: s.sendall(b"QUIT :bye\r\n")
        except OSError: pass
        s.close()
    time.sleep(args.settle)
    report("left", 0)
    for line in open(data + "/chatd.log", errors="replace"):
        if "memory trimmed" in line: print("  chatd:", line.strip())
    if args.keep:
        print(f"chatd pid {server.pid}, control socket {data}/data/control.sock (kill {server.pid} when done)")
finally:
    if not args.keep:
        server.terminate()
        try: server.wait(10)
        except subprocess.TimeoutExpired: server.kill()
        shutil.rmtree(data, ignore_errors=True)
