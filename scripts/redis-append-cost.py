#!/usr/bin/env python3
"""What one history append costs Redis at a chat network's pace.

Starts its own redis-server (loopback, a free port, AOF on as a chatd network runs it,
in a temporary directory), then for each way of writing a message it runs two writers
that each send RATE calls a second for SECONDS, one message a call, into 100 channels,
and prints Redis's own CPU (utime + stime from /proc) per message:

  ping        PING: what any call costs Redis (wake, read, reply, sleep)
  xadd        a plain XADD of the message's six fields
  xadd+hset   XADD and HSET of the msgid index, pipelined in one write
  multi       the same two inside MULTI / EXEC
  script      chatd's `append` script (EVALSHA), read from
              Sources/ChatApp/History/RedisHistoryCommands.swift

Usage: scripts/redis-append-cost.py [--rate 500] [--seconds 10] [--rounds 2]
Run it on a quiet machine: the figures are CPU time, and a busy machine adds to them.
"""
import argparse
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT_SOURCE = ROOT / "Sources/ChatApp/History/RedisHistoryCommands.swift"
MODES = ["ping", "xadd", "xadd+hset", "multi", "script"]


def append_script():
    source = SCRIPT_SOURCE.read_text()
    match = re.search(r'static let append = RedisScript\(\n\s*"""\n(.*?)\n\s*"""\)', source, re.S)
    if not match:
        sys.exit(f"redis-append-cost: no append script found in {SCRIPT_SOURCE}")
    return "\n".join(line[4:] if line.startswith("    ") else line for line in match.group(1).split("\n"))


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("redis-server closed the connection")
    kind = line[:1]
    if kind == b"-":
        raise RuntimeError("redis-server: " + line[1:].decode().strip())
    if kind in (b"+", b":"):
        return line[1:-2]
    if kind == b"$":
        n = int(line[1:])
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"*":
        return [read_reply(f) for _ in range(max(int(line[1:]), 0))]
    raise RuntimeError(f"unexpected reply {line!r}")


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s, s.makefile("rb")


def commands(mode, sha, writer, n):
    channel = n * 7919 % 100
    stream, index = f"h:{{#r{channel}}}:messages", f"h:{{#r{channel}}}:ids"
    ms, msgid, text = int(time.time() * 1000), f"m{writer}-{n}", "x" * 100
    fields = ["time", ms, "msgid", msgid, "source", "bob!u@h", "command", "PRIVMSG", "target", f"#r{channel}", "text", text]
    # `*`: Redis picks the ID (two writers' clocks may disagree by a millisecond).
    xadd = ["XADD", stream, "*"] + fields
    hset = ["HSET", index, msgid, f"{ms}-0"]
    if mode == "ping":
        return [["PING"]]
    if mode == "xadd":
        return [xadd]
    if mode == "xadd+hset":
        return [xadd, hset]
    if mode == "multi":
        return [["MULTI"], xadd, hset, ["EXEC"]]
    return [["EVALSHA", sha, 2, stream, index, 1000, 0, 1, ms, msgid, "bob!u@h", "PRIVMSG", f"#r{channel}", text]]


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(port, pid, mode, sha, rate, seconds):
    sent = [0, 0]
    failures = []

    def writer(w):
        try:
            write(w)
        except Exception as e:  # reported below: a failed way has no figure
            failures.append(f"{mode}: {e}")

    def write(w):
        s, f = connect(port)
        start = time.time()
        n = 0
        while time.time() - start < seconds:
            due = start + n / rate
            now = time.time()
            if due > now:
                time.sleep(due - now)
            batch = commands(mode, sha, w, n)
            s.sendall(b"".join(encode(c) for c in batch))
            for _ in batch:
                reply = read_reply(f)
                if mode == "script" and reply:
                    raise RuntimeError(f"the append script refused a message: {reply}")
            n += 1
        sent[w] = n
        s.close()

    before = cpu_seconds(pid)
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit("redis-append-cost: " + "; ".join(failures))
    return (cpu_seconds(pid) - before) / sum(sent) * 1e6, sum(sent)


def main():
    parser = argparse.ArgumentParser(description="Redis's CPU per history append, by way of writing it.")
    parser.add_argument("--rate", type=float, default=500, help="calls a second per writer (two writers; default 500)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per way and round (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all the ways, interleaved (default 2)")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.rounds < 1:
        sys.exit("redis-append-cost: --rate and --seconds must be positive, --rounds at least 1")
    server = shutil.which("redis-server")
    if not server:
        sys.exit("redis-append-cost: redis-server is not installed (scripts/setup.sh installs it)")
    directory = tempfile.mkdtemp(prefix="redis-append-cost-")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    redis = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "yes",
         "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                s, f = connect(port)
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit(f"redis-append-cost: redis-server did not listen on port {port}")
        s.sendall(encode(["SCRIPT", "LOAD", append_script()]))
        sha = read_reply(f).decode()
        results = {m: [] for m in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                s.sendall(encode(["FLUSHALL"]))
                read_reply(f)
                results[mode].append(run(port, redis.pid, mode, sha, args.rate, args.seconds)[0])
        print(f"Redis CPU per message, µs ({args.rounds} rounds, 2 writers × {args.rate:g} calls/s, AOF on):")
        for mode in MODES:
            print(f"  {mode:<10} " + " / ".join(f"{v:.1f}" for v in results[mode]))
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
