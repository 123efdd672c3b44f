#!/usr/bin/env python3
"""WebSocket protocol edge cases against chatd's /ws, driven by the Python `websockets`
client (an independent implementation of RFC 6455) and, for frames no well-behaved
client would send, by hand-made frames on a raw socket.

usage: ws_edge_cases.py ws://127.0.0.1:PORT/ws
Exits 0 when every case passes; prints one line per case.
"""
import asyncio
import os
import socket
import struct
import sys
from urllib.parse import urlparse

import websockets
from websockets.asyncio.client import connect

URL = sys.argv[1]
HOST, PORT = urlparse(URL).hostname, urlparse(URL).port
TEXT = ["text.ircv3.net"]
failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        failures.append(name)


async def register(ws, nick):
    await ws.send(f"NICK {nick}")
    await ws.send(f"USER {nick} 0 * :{nick}")
    await expect(ws, f" 001 {nick} ")


async def expect(ws, text, timeout=5):
    async def loop():
        while True:
            message = await ws.recv()
            if text in message:
                return message
    return await asyncio.wait_for(loop(), timeout)


def frame(opcode, payload, fin=True, mask=True, rsv=0):
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def raw_close_code(frames, protocols="text.ircv3.net"):
    """Handshake on a raw socket, send `frames`, return the server's close code."""
    s = socket.create_connection((HOST, PORT), timeout=5)
    try:
        s.sendall((f"GET /ws HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\n"
                   f"Sec-WebSocket-Protocol: {protocols}\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return "no handshake"
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101 "):
            return head.decode(errors="replace")
        if b"HSmrc0sMlYUkAGmm5OPpG2HaGWk=" not in head:
            return "wrong Sec-WebSocket-Accept"
        for f in frames:
            s.sendall(f)
        while True:
            while len(data) >= 2:
                n = data[1] & 0x7F
                start = 2 + (2 if n == 126 else 8 if n == 127 else 0)
                if len(data) < start:
                    break
                if n == 126:
                    n = struct.unpack(">H", data[2:4])[0]
                elif n == 127:
                    n = struct.unpack(">Q", data[2:10])[0]
                if len(data) < start + n:
                    break
                opcode, payload, data = data[0] & 0x0F, data[start:start + n], data[start + n:]
                if opcode == 8:
                    s.sendall(frame(8, payload[:2]))
                    return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            chunk = s.recv(65536)
            if not chunk:
                return "closed without a close frame"
            data += chunk
    finally:
        s.close()


async def main():
    # Handshake, subprotocol, and a conversation between two browsers-to-be.
    # max_queue=None: the library stops reading a socket whose messages nobody takes
    # (backpressure), and would then miss the server's answer to its own close frame.
    async with connect(URL, subprotocols=TEXT, max_queue=None) as a, connect(URL, subprotocols=TEXT, max_queue=None) as b:
        check("subprotocol text.ircv3.net", a.subprotocol == "text.ircv3.net", a.subprotocol)
        await register(a, "pyA")
        await register(b, "pyB")
        await a.send("JOIN #py")
        await expect(a, "366 pyA #py")
        await b.send("JOIN #py")
        await expect(a, "pyB!pyB@127.0.0.1 JOIN #py")
        await b.send("PRIVMSG #py :hello a")
        got = await expect(a, "PRIVMSG #py")
        check("text message delivered as one line without CR LF", got == ":pyB!pyB@127.0.0.1 PRIVMSG #py :hello a", repr(got))
        # Fragmented (the library sends an iterable as fragments).
        await b.send(["PRIVMSG #py :frag", "ment", "ed ✓"])
        got = await expect(a, "PRIVMSG #py")
        check("fragmented message reassembled", got.endswith("fragmented ✓"), repr(got))
        # Ping with a payload: pong echoes it (the library checks the payload).
        pong = await a.ping(b"otter")
        await asyncio.wait_for(pong, 5)
        check("ping answered with pong", True)
        # Several lines in one message, CR LF separated, are understood.
        await b.send("PRIVMSG #py :one\r\nPRIVMSG #py :two\r\n")
        one = await expect(a, "PRIVMSG #py")
        two = await expect(a, "PRIVMSG #py")
        check("two lines in one message", one.endswith("one") and two.endswith("two"), f"{one!r} {two!r}")
        # Client-initiated close: the code is echoed, the peer sees the QUIT.
        await b.close(code=4001, reason="bye now")
        check("close code echoed", b.close_code == 4001, b.close_code)
        got = await expect(a, "pyB!pyB@127.0.0.1 QUIT")
        check("peer sees the QUIT", "QUIT" in got, got)
        # Server-initiated close after QUIT: ERROR line, then close 1000.
        await a.send("QUIT :done")
        try:
            while True:
                await asyncio.wait_for(a.recv(), 5)
        except websockets.ConnectionClosed as e:
            check("server closes with 1000 after QUIT", e.rcvd is not None and e.rcvd.code == 1000, e)

    # No subprotocol at all: text is assumed.
    async with connect(URL) as c:
        check("no subprotocol requested: none chosen", c.subprotocol is None, c.subprotocol)
        await register(c, "pyC")
    # binary.ircv3.net: binary messages.
    async with connect(URL, subprotocols=["binary.ircv3.net"]) as d:
        await d.send(b"NICK pyD")
        await d.send(b"USER d 0 * :d")
        async def welcome():
            while True:
                m = await d.recv()
                if b" 001 pyD " in m:
                    return m
        m = await asyncio.wait_for(welcome(), 5)
        check("binary.ircv3.net answers in binary messages", isinstance(m, bytes), type(m))

    # A message over the 16 KiB limit: 1009.
    async with connect(URL, subprotocols=TEXT, max_size=None) as e:
        await e.send("PRIVMSG x :" + "y" * 20000)
        try:
            await asyncio.wait_for(e.recv(), 5)
            check("message too big closes with 1009", False, "no close")
        except websockets.ConnectionClosed as ex:
            check("message too big closes with 1009", ex.rcvd is not None and ex.rcvd.code == 1009, ex)

    # Frames no library sends: each gets its close code.
    cases = [
        ("unmasked frame -> 1002", [frame(1, b"NICK u", mask=False)], 1002),
        ("reserved opcode 0xB -> 1002", [frame(0xB, b"")], 1002),
        ("RSV1 without an extension -> 1002", [frame(1, b"x", rsv=4)], 1002),
        ("continuation without a start -> 1002", [frame(0, b"x")], 1002),
        ("new message inside a fragmented one -> 1002", [frame(1, b"a", fin=False), frame(1, b"b")], 1002),
        ("fragmented ping -> 1002", [frame(9, b"x", fin=False)], 1002),
        ("126-byte ping -> 1002", [frame(9, b"p" * 126)], 1002),
        ("invalid UTF-8 text -> 1007", [frame(1, b"PRIVMSG x :\xc3\x28")], 1007),
        ("invalid UTF-8 across fragments -> 1007", [frame(1, b"PRIVMSG x :\xe2", fin=False), frame(0, b"\x28\xa1")], 1007),
        ("close code 1005 on the wire -> 1002", [frame(8, struct.pack(">H", 1005))], 1002),
        ("close with a 1-byte payload -> 1002", [frame(8, b"\x03")], 1002),
        ("close reason not UTF-8 -> 1007", [frame(8, struct.pack(">H", 1000) + b"\xff")], 1007),
        ("empty close -> answered", [frame(8, b"")], 1000),
        ("header of a 1 MiB frame -> 1009", [frame(1, b"x" * 0)[:1] + bytes([0x80 | 127]) + struct.pack(">Q", 1 << 20) + b"\0\0\0\0"], 1009),
    ]
    for name, frames, code in cases:
        got = await asyncio.to_thread(raw_close_code, frames)
        check(name, got == code, f"got {got!r}")

    # A bad handshake is a 4xx, not a crash.
    with socket.create_connection((HOST, PORT), timeout=5) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 12\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\r\n")
        head = s.recv(4096)
        check("version 12 -> 426 with Sec-WebSocket-Version: 13", head.startswith(b"HTTP/1.1 426 ") and b"Sec-WebSocket-Version: 13" in head, head[:80])


asyncio.run(main())
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
