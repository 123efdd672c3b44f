"""Headless Chromium driven over the DevTools protocol, for the web page's browser tests
(with the `websockets` package; no Selenium or Puppeteer needed).

    async with chromium(path) as browser:
        page = await browser.open(url)                   # or, a browser of its own:
        page = await browser.open(url, await browser.new_context(cookies))
        await browser.wait_for(page, "what", "a JavaScript expression that becomes true")
"""
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time

import websockets


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

    async def new_context(self, cookies=None):
        """A new browser context: a browser of its own (cookies, storage, cache), as an
        incognito window is. `cookies` ({url, name, value} each) are set in it first, so
        a page opened in it sends them with its very first request. Returns its id."""
        context = (await self.send("Target.createBrowserContext"))["browserContextId"]
        if cookies:
            await self.send("Storage.setCookies", {"cookies": cookies, "browserContextId": context})
        return context

    async def open(self, url, context=None):
        """A new page (tab) at `url`, in `context` (new_context) or the default one;
        returns its session id."""
        params = {"url": url}
        if context:
            params["browserContextId"] = context
        target = await self.send("Target.createTarget", params)
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        session = attached["sessionId"]
        await self.send("Emulation.setDeviceMetricsOverride",
                        {"width": 1000, "height": 620, "deviceScaleFactor": 1, "mobile": False}, session)
        return session

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
