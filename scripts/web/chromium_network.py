#!/usr/bin/env python3
"""Two browsers on two chatd nodes chat through nginx, in headless Chromium driven over
the DevTools protocol (devtools.py).

usage: chromium_network.py CHROMIUM http://127.0.0.1:NGINXPORT/ IRCPORT GOFILE

Alice and Bob each get a browser of their own (a browser context: own cookies), with
the cookie `chatd_node=a` or `chatd_node=b` that nginx's map turns into that node's
upstream (scripts/web/nginx-network.conf.template says why). Both open the page through
nginx (?nick=...&join=#net); each must see the other in the member list and the other's
message, and Alice must see Bob go away (presence across nodes). A plain IRC client
connected straight to IRCPORT (one of the nodes) talks, and both pages must show it.
Then it prints "ready" and waits (at most two minutes) for the file GOFILE to exist:
meanwhile the test checks from chatd's side which node serves whom, and connects a
client through nginx without the cookie, carol, who says CAROL_LINE. Both pages must
then show carol and her line. Exits 0 when all of that happened; prints what it checks.
"""
import asyncio
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devtools import chromium, member, say, says  # noqa: E402

CHROMIUM, BASE, IRC_PORT, GO_FILE = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ROOM = "#net"
CAROL_LINE = "carol came in through ip_hash"


def page_url(nick):
    return f"{BASE}?nick={nick}&join=%23net"


def pinned_to(node):
    """A browser context whose requests carry the cookie that pins it to `node`."""
    return [{"url": BASE, "name": "chatd_node", "value": node}]


async def main():
    # A test that gives up on this script stops it with SIGTERM: cancelling the task
    # unwinds the chromium() block, which stops the browser, before the script exits.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    irc = None
    try:
        async with chromium(CHROMIUM) as browser:
            alice = await browser.open(page_url("alice"), await browser.new_context(pinned_to("a")))
            await browser.wait_for(alice, "alice (node a) is connected and in #net",
                                   f"window.chat && chat.registered && chat.rooms.has('{ROOM}') && {member('alice')}")
            bob = await browser.open(page_url("bob"), await browser.new_context(pinned_to("b")))
            await browser.wait_for(bob, "bob (node b) is connected and in #net",
                                   f"window.chat && chat.registered && chat.rooms.has('{ROOM}') && {member('bob')}")
            await browser.wait_for(alice, "alice sees bob in the member list, online", member("bob", "online"))
            await browser.wait_for(bob, "bob sees alice in the member list, online", member("alice", "online"))
            await browser.evaluate(bob, say("hello alice, this is bob on node b"))
            await browser.wait_for(alice, "alice sees bob's message", says("hello alice, this is bob on node b"))
            await browser.evaluate(alice, say("hi bob, alice on node a here"))
            await browser.wait_for(bob, "bob sees alice's message", says("hi bob, alice on node a here"))

            await browser.evaluate(bob, "document.getElementById('away').click(), true")
            await browser.wait_for(alice, "alice sees bob away", member("bob", "away"))
            # A plain IRC client (an irssi user, as far as chatd can tell), on one node directly.
            irc = socket.create_connection(("127.0.0.1", IRC_PORT), timeout=10)
            irc.sendall(b"NICK ircuser\r\nUSER i 0 * :irssi\r\nJOIN #net\r\nPRIVMSG #net :hello from IRC\r\n")
            for page, nick in ((alice, "alice"), (bob, "bob")):
                await browser.wait_for(page, f"{nick} sees the IRC user in the member list", member("ircuser"))
                await browser.wait_for(page, f"{nick} sees the IRC user's message", says("hello from IRC"))

            print("ready", flush=True)
            deadline = time.monotonic() + 120
            while not os.path.exists(GO_FILE):
                if time.monotonic() > deadline:
                    raise AssertionError(f"the test did not say to go on ({GO_FILE}) within 120 s")
                await asyncio.sleep(0.1)
            for page, nick in ((alice, "alice"), (bob, "bob")):
                await browser.wait_for(page, f"{nick} sees carol (through ip_hash) in the member list", member("carol"))
                await browser.wait_for(page, f"{nick} sees carol's message", says(CAROL_LINE))
    finally:
        if irc:
            irc.close()


asyncio.run(main())
print("all passed")
