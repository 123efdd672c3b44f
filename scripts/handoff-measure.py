#!/usr/bin/env python3
"""How long draining a chatd node takes, and how long its clients wait (docs/HANDOFF.md).

Usage: handoff-measure.py [--chatd PATH] [--redis PATH] [--channels K] [--probes P] [--window W] N [N ...]

For each N: a fresh redis-server and two chatd nodes of one network (n1, n2) on free
ports in a temporary directory; N idle IRC clients registered on n1, each in one of K
channels (default 20; their rooms live on n1); then `chatd handoff` drains n1 into n2,
and this prints:

  - the drain's own line (sessions moved, seconds, how long sockets were frozen on n1);
  - n2's summary: sessions taken over, and the pause each client saw — from the freeze
    of its socket on n1 to the thaw on n2 (median, longest), by the machine's clock;
  - what P probe clients (default 50, among the N) saw from outside: each sends PING,
    waits for the PONG, sends the next, all through the drain; the longest wait is a
    pause seen on the wire;
  - that every client is still connected and answers a PING from n2 afterwards.

Uses the chatd next to this script's package (.build/release/chatd, else
.build/debug/chatd) unless --chatd says which; debug builds are several times slower.
Not a test: a measurement to run by hand on a quiet machine, e.g.
  swift build -c release --product chatd && python3 scripts/handoff-measure.py 1000 5000
"""
import argparse, os, re, resource, selectors, shutil, signal, socket, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser(description="measure chatd's session hand-off")
parser.add_argument("counts", type=int, nargs="+", help="idle clients to move")
parser.add_argument("--chatd", default=None)
parser.add_argument("--redis", default=shutil.which("redis-server") or "redis-server")
parser.add_argument("--channels", type=int, default=20)
parser.add_argument("--probes", type=int, default=50)
parser.add_argument("--window", type=int, default=None, help="sessions moving at once (chatd handoff --window)")
args = parser.parse_args()
chatd = args.chatd or next(
    (p for p in (f"{here}/.build/release/chatd", f"{here}/.build/debug/chatd") if os.access(p, os.X_OK)), None)
if not chatd:
    sys.exit("handoff-measure: no chatd built (swift build -c release --product chatd)")
resource.setrlimit(resource.RLIMIT_NOFILE, (60000, 60000)) if resource.getrlimit(resource.RLIMIT_NOFILE)[1] >= 60000 else None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(predicate, what, timeout=60):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise SystemExit(f"handoff-measure: timed out waiting for {what}")
        time.sleep(0.02)


class Client:
    """One raw IRC connection, read line by line without blocking."""

    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.nick = nick
        self.buffer = b""
        self.closed = False
        self.out = b""

    def send(self, line):
        self.out += (line + "\r\n").encode()
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except BlockingIOError:
                return
            self.out = self.out[n:]

    def lines(self):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return []
        except ConnectionError:
            data = b""
        if not data:
            self.closed = True
            return []
        self.buffer += data
        *complete, self.buffer = self.buffer.split(b"\r\n")
        return [l.decode(errors="replace") for l in complete]


def start_chatd(directory, name, redis_port):
    os.makedirs(directory, exist_ok=True)
    log = open(f"{directory}/chatd.log", "w")
    process = subprocess.Popen(
        [chatd, "--cluster", f"redis://127.0.0.1:{redis_port}", "--node", name, "--port", "0", "--web-port", "0",
         "--metrics-listen", "off", "--no-flood-limit", "--data-dir", f"{directory}/data", "--shutdown-timeout", "10"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    output = lambda: open(f"{directory}/chatd.log").read()
    wait_for(lambda: "control socket" in output(), f"chatd {name} to start")
    port = int(re.search(r"IRC on [^ ]*:(\d+)", output()).group(1))
    return process, port, output


def measure(count):
    root = tempfile.mkdtemp(prefix="otter-handoff-measure-")
    redis_port = free_port()
    redis = subprocess.Popen([args.redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes = [redis]
    try:
        time.sleep(0.3)
        a, a_port, a_log = start_chatd(f"{root}/n1", "n1", redis_port)
        processes.append(a)
        b, _, b_log = start_chatd(f"{root}/n2", "n2", redis_port)
        processes.append(b)
        time.sleep(1)

        selector = selectors.DefaultSelector()
        clients = []
        for i in range(count):
            c = Client(a_port, f"c{i}")
            c.send(f"NICK c{i}")
            c.send(f"USER c{i} 0 * :idle client {i}")
            c.send(f"JOIN #room{i % args.channels}")
            selector.register(c.sock, selectors.EVENT_READ, c)
            clients.append(c)
        joined = set()
        deadline = time.time() + 120
        while len(joined) < count:
            if time.time() > deadline:
                raise SystemExit(f"handoff-measure: only {len(joined)} of {count} clients joined")
            for key, _ in selector.select(0.5):
                c = key.data
                for line in c.lines():
                    if " 366 " in line:
                        joined.add(c.nick)
                    elif line.startswith("PING"):
                        c.send("PONG" + line[4:])
        for c in clients:
            c.lines()

        # Probes: PING, wait for the PONG, PING again, through the whole drain.
        probes = clients[: args.probes]
        waiting = {}
        longest = 0.0
        for p in probes:
            p.send("PING :probe")
            waiting[p.nick] = time.monotonic()
        drain = subprocess.Popen(
            [chatd, "handoff", "--to", f"{root}/n2/data/handoff.sock", "--data-dir", f"{root}/n1/data"]
            + (["--window", str(args.window)] if args.window else []),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started = time.monotonic()
        while drain.poll() is None or time.monotonic() - started < 1:
            for key, _ in selector.select(0.01):
                c = key.data
                for line in c.lines():
                    if c.nick in waiting and "PONG" in line:
                        longest = max(longest, time.monotonic() - waiting[c.nick])
                        c.send("PING :probe")
                        waiting[c.nick] = time.monotonic()
                    elif line.startswith("PING"):
                        c.send("PONG" + line[4:])
            for c in probes:
                c.flush()
        elapsed = time.monotonic() - started
        drain_line = drain.stdout.read().strip()
        a.wait(timeout=30)

        # Every client still connected, answered from n2 now.
        for c in clients:
            c.send("PING :after")
        answered = set()
        deadline = time.time() + 60
        while len(answered) < count and time.time() < deadline:
            for key, _ in selector.select(0.5):
                c = key.data
                for line in c.lines():
                    if "PONG" in line and "after" in line:
                        answered.add(c.nick)
        closed = sum(1 for c in clients if c.closed)
        summary = next((l for l in b_log().splitlines() if "took over" in l), "(n2 logged no summary)")
        print(f"--- {count} idle clients in {args.channels} channels ({os.path.basename(chatd)} at {chatd})")
        print(f"drain:   {drain_line} (the command took {elapsed:.2f} s)")
        print(f"n2:      {summary.split('chatd: ', 1)[-1].split(' arrived=')[0]}")
        print(f"probes:  the longest a probe waited for its PONG during the drain: {longest * 1000:.0f} ms ({len(probes)} probes)")
        print(f"after:   {len(answered)} of {count} clients answered a PING from n2; {closed} disconnected")
        for c in clients:
            c.sock.close()
    finally:
        for p in reversed(processes):
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()
        shutil.rmtree(root, ignore_errors=True)


for n in args.counts:
    measure(n)
