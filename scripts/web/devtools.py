"""Headless Chromium driven over the DevTools protocol, for the web page's browser tests
(with the `websockets` package; no Selenium or Puppeteer needed).

    async with chromium(path) as browser:
        page = await browser.open(url)                   # or, a browser of its own:
        page = await browser.open(url, await browser.new_context(cookies))
        await browser.wait_for(page, "what", "a JavaScript expression that becomes true")
        page = await browser.open_watched(url, context)   # its console and CSP reports kept
        browser.csp_violations(page)                      # what the CSP refused on it
"""
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import websockets


class Browser:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pending = {}
        self.events = []  # the protocol's events (method, params, sessionId), in order
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)
            elif "method" in message:
                self.events.append(message)

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

    async def new_context(self, cookies=None):
        """A new browser context: a browser of its own (cookies, storage, cache), as an
        incognito window is. `cookies` ({url, name, value} each) are set in it first, so
        a page opened in it sends them with its very first request. Returns its id."""
        context = (await self.send("Target.createBrowserContext"))["browserContextId"]
        if cookies:
            await self.send("Storage.setCookies", {"cookies": cookies, "browserContextId": context})
        return context

    async def open(self, url, context=None, width=1000, height=620, init_script=None):
        """A new page (tab) at `url`, in `context` (new_context) or the default one, its
        viewport `width`×`height`; `init_script` runs in it before any of the page's own
        scripts (the page is loaded after it is set). Returns its session id."""
        params = {"url": "about:blank" if init_script else url}
        if context:
            params["browserContextId"] = context
        target = await self.send("Target.createTarget", params)
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        session = attached["sessionId"]
        await self.resize(session, width, height)
        if init_script:
            await self.send("Page.enable", {}, session)
            await self.send("Page.addScriptToEvaluateOnNewDocument", {"source": init_script}, session)
            await self.send("Page.navigate", {"url": url}, session)
        return session

    async def open_watched(self, url, context=None):
        """Like open, but the page's console and log are watched from before it loads
        (Log and Runtime enabled on about:blank, then the page navigated to `url`), and
        every document it loads reports Content-Security-Policy violations to
        `window.__csp` too: see csp_violations."""
        session = await self.open("about:blank", context)
        await self.send("Log.enable", {}, session)
        await self.send("Runtime.enable", {}, session)
        await self.send("Page.enable", {}, session)
        await self.send("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__csp = []; document.addEventListener('securitypolicyviolation', "
            "(e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));")}, session)
        await self.send("Page.navigate", {"url": url}, session)
        return session

    def csp_violations(self, session):
        """What Chromium's log and console said the Content-Security-Policy refused on
        the page `session` (opened with open_watched), as text."""
        found = []
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event["method"] == "Log.entryAdded":
                text = params.get("entry", {}).get("text", "")
            elif event["method"] == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", "")) for a in params.get("args", []))
            else:
                continue
            if "Content Security Policy" in text or "Content-Security-Policy" in text:
                found.append(text)
        return found

    async def cookies(self, context):
        """The cookies of browser context `context` (name, value, httpOnly, secure, sameSite...)."""
        return (await self.send("Storage.getCookies", {"browserContextId": context}))["cookies"]

    async def resize(self, session, width, height):
        """Sets the page's viewport (a phone's when narrower than 500 px)."""
        await self.send("Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}, session)

    async def key(self, session, key, code, keycode, modifiers=0):
        """Presses and releases a key in the focused element (modifiers: 1 Alt, 2 Ctrl, 8 Shift)."""
        for kind in ("rawKeyDown", "keyUp"):
            await self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code, "modifiers": modifiers,
                                                       "windowsVirtualKeyCode": keycode}, session)

    async def screenshot(self, session, path):
        """Saves what the page shows as a PNG at `path`."""
        import base64
        shot = await self.send("Page.captureScreenshot", {"format": "png"}, session)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    async def evaluate(self, session, expression):
        """The expression's value (JSON-able), or None if it threw."""
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in result:
            return None
        return result["result"].get("value")

    async def wait_for(self, session, what, expression, timeout=15):
        """Polls `expression` until it is truthy; prints `what`, or fails with the page's state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.evaluate(session, expression):
                print("ok  ", what, flush=True)
                return
            await asyncio.sleep(0.1)
        state = await self.evaluate(session, "JSON.stringify({status: document.getElementById('status').textContent, "
                                             "members: [...document.querySelectorAll('#members li')].map(l => l.textContent + '/' + l.className), "
                                             "messages: document.getElementById('messages').innerText.slice(-400), "
                                             "sent: (window.chat && chat.sent || []).slice(-8)})")
        raise AssertionError(f"timed out waiting for: {what}; page state: {state}")


@contextlib.asynccontextmanager
async def chromium(path, ignore_certificate_errors=False):
    """Starts headless Chromium with a throw-away profile; yields a Browser on its
    DevTools endpoint; stops Chromium and removes the profile however the block ends.
    `ignore_certificate_errors`: accept a test's self-signed certificate (HTTPS, WSS)."""
    profile = tempfile.mkdtemp(prefix="chatd-chromium-")
    extra = ["--ignore-certificate-errors"] if ignore_certificate_errors else []
    process = subprocess.Popen(
        [path, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
         f"--user-data-dir={profile}"] + extra + ["about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("Chromium did not start its DevTools endpoint")
            await asyncio.sleep(0.1)
        port, path = open(port_file).read().split()[:2]
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
            browser = Browser(ws)
            try:
                yield browser
            finally:
                browser.reader.cancel()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def member(nick, cls=None):
    """True when the member list shows `nick` (with class `cls`, e.g. online/away)."""
    sel = f"#members li[data-nick=\"{nick}\"]" + (f".{cls}" if cls else "")
    return f"!!document.querySelector('{sel}')"


def says(text):
    """True when the message pane shows `text`."""
    return f"document.getElementById('messages').innerText.includes({json.dumps(text)})"


def say(text):
    """Types `text` into the input and submits it."""
    return (f"(() => {{ document.getElementById('text').value = {json.dumps(text)}; "
            "document.getElementById('say').requestSubmit(); return true; })()")


class IRCClient:
    """A plain IRC client on a socket (an irssi user, as far as chatd can tell), reading
    lines until what it waits for."""

    def __init__(self, port, nick, caps=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        if caps:
            self.send(f"CAP REQ :{caps}", "CAP END")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        self.expect(" 001 ")

    def send(self, *lines):
        self.sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def expect(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\r\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\r\n", 1)
                if text in line.decode(errors="replace"):
                    return line.decode(errors="replace")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"IRC connection closed waiting for {text!r}")
            self.buffer += chunk
        raise AssertionError(f"IRC client timed out waiting for {text!r}")

    def sync(self, token="sync"):
        """Waits until the server has handled everything sent before."""
        self.send(f"PING :{token}")
        self.expect("PONG")

    def join(self, room):
        self.send(f"JOIN {room}")
        self.expect(" 366 ")

    def seed(self, room, count, prefix="seed"):
        """Says `count` numbered lines in `room`, in chunks, waiting for the server."""
        for start in range(0, count, 100):
            self.send(*[f"PRIVMSG {room} :{prefix} {i}" for i in range(start, min(count, start + 100))])
            self.sync(str(start))

    def close(self):
        self.sock.close()
