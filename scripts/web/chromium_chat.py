#!/usr/bin/env python3
"""Two browser pages chat through chatd, in headless Chromium driven over the DevTools
protocol (devtools.py, with the `websockets` package; no Selenium or Puppeteer needed).

usage: chromium_chat.py CHROMIUM http://127.0.0.1:WEBPORT/ IRCPORT SCREENSHOT.png

An https:// address is the page over HTTPS, and so its WebSocket over WSS (the test's
self-signed certificate accepted).

Alice and Bob open the page (?nick=...&join=#web). Alice must see Bob in the member
list, Bob's message, Bob going away (presence), and a message from a plain IRC client
(an irssi user, as far as chatd can tell); Bob must see Alice's message. Then Alice's
page is saved as a PNG. Exits 0 when all of that happened; prints what it checks.
"""
import asyncio
import base64
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devtools import chromium, member, say, says  # noqa: E402

CHROMIUM, BASE, IRC_PORT, SHOT = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ROOM = "#web"


async def main():
    irc = None
    try:
        async with chromium(CHROMIUM, ignore_certificate_errors=BASE.startswith("https:")) as browser:
            alice = await browser.open(f"{BASE}?nick=alice&join=%23web")
            await browser.wait_for(alice, "alice is connected and in #web",
                                   f"window.chat && chat.registered && chat.rooms.has('{ROOM}') && {member('alice')}")
            bob = await browser.open(f"{BASE}?nick=bob&join=%23web")
            await browser.wait_for(bob, "bob is connected and in #web", f"window.chat && chat.registered && {member('bob')}")
            await browser.wait_for(alice, "alice sees bob in the member list, online", member("bob", "online"))
            await browser.evaluate(bob, say("hello alice, this is bob"))
            await browser.wait_for(alice, "alice sees bob's message", says("hello alice, this is bob"))
            await browser.evaluate(alice, say("hi bob!"))
            await browser.wait_for(bob, "bob sees alice's message", says("hi bob!"))
            # An IRC user joins the same room and talks.
            irc = socket.create_connection(("127.0.0.1", IRC_PORT), timeout=10)
            irc.sendall(b"NICK irssi_user\r\nUSER i 0 * :irssi\r\nJOIN #web\r\nPRIVMSG #web :hello from irssi\r\n")
            await browser.wait_for(alice, "alice sees the IRC user join", member("irssi_user"))
            await browser.wait_for(alice, "alice sees the IRC user's message", says("hello from irssi"))
            # Presence: bob goes away; alice's member list shows it.
            await browser.evaluate(bob, "document.getElementById('away').click(), true")
            await browser.wait_for(alice, "alice sees bob away", member("bob", "away"))
            await browser.wait_for(alice, "alice's own name is shown", "document.getElementById('status').textContent.includes('alice')")
            if BASE.startswith("https:"):
                await browser.wait_for(alice, "alice's WebSocket is over WSS", "chat.socket.url.startsWith('wss://')")
            shot = await browser.send("Page.captureScreenshot", {"format": "png"}, alice)
            with open(SHOT, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            print("ok   screenshot saved to", SHOT, flush=True)
    finally:
        if irc:
            irc.close()


asyncio.run(main())
print("all passed")
