#!/usr/bin/env python3
"""Two browser pages chat through chatd, in headless Chromium driven over the DevTools
protocol (with the `websockets` package; no Selenium or Puppeteer needed).

usage: chromium_chat.py CHROMIUM http://127.0.0.1:WEBPORT/ IRCPORT SCREENSHOT.png

Alice and Bob open the page (?nick=...&join=#web). Alice must see Bob in the member
list, Bob's message, Bob going away (presence), and a message from a plain IRC client
(an irssi user, as far as chatd can tell); Bob must see Alice's message. Then Alice's
page is saved as a PNG. Exits 0 when all of that happened; prints what it checks.
"""
import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import websockets

CHROMIUM, BASE, IRC_PORT, SHOT = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ROOM = "#web"


class Browser:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pending = {}
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)

    async def send(self, method, params=None, session=None, timeout=20):
        self.next_id += 1
        request = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send(json.dumps(request))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def open(self, url):
        target = await self.send("Target.createTarget", {"url": url})
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        session = attached["sessionId"]
        await self.send("Emulation.setDeviceMetricsOverride",
                        {"width": 1000, "height": 620, "deviceScaleFactor": 1, "mobile": False}, session)
        return session

    async def evaluate(self, session, expression):
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in result:
            return None
        return result["result"].get("value")

    async def wait_for(self, session, what, expression, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.evaluate(session, expression):
                print("ok  ", what, flush=True)
                return
            await asyncio.sleep(0.1)
        state = await self.evaluate(session, "JSON.stringify({status: document.getElementById('status').textContent, "
                                             "members: [...document.querySelectorAll('#members li')].map(l => l.textContent + '/' + l.className), "
                                             "messages: document.getElementById('messages').innerText.slice(-400)})")
        raise AssertionError(f"timed out waiting for: {what}; page state: {state}")


def member(nick, cls=None):
    sel = f"#members li[data-nick=\"{nick}\"]" + (f".{cls}" if cls else "")
    return f"!!document.querySelector('{sel}')"


def says(text):
    return f"document.getElementById('messages').innerText.includes({json.dumps(text)})"


def say(text):
    return (f"(() => {{ document.getElementById('text').value = {json.dumps(text)}; "
            "document.getElementById('say').requestSubmit(); return true; })()")


async def main():
    profile = tempfile.mkdtemp(prefix="chatd-chromium-")
    chromium = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    irc = None
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
            if time.monotonic() > deadline or chromium.poll() is not None:
                raise RuntimeError("Chromium did not start its DevTools endpoint")
            await asyncio.sleep(0.1)
        port, path = open(port_file).read().split()[:2]
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
            browser = Browser(ws)
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
            shot = await browser.send("Page.captureScreenshot", {"format": "png"}, alice)
            with open(SHOT, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            print("ok   screenshot saved to", SHOT, flush=True)
            browser.reader.cancel()
    finally:
        if irc:
            irc.close()
        chromium.terminate()
        try:
            chromium.wait(10)
        except subprocess.TimeoutExpired:
            chromium.kill()
        shutil.rmtree(profile, ignore_errors=True)


asyncio.run(main())
print("all passed")
