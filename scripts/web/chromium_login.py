#!/usr/bin/env python3
"""The web login in headless Chromium, driven over the DevTools protocol (devtools.py).

usage: chromium_login.py CHROMIUM http(s)://127.0.0.1:WEBPORT/ IRCPORT ACCOUNT PASSWORD [cross-origin]

The account must exist. In a browser of its own, the script opens /login, posts a wrong
password (the error must show in #login-error, and no session cookie be set), then the
right one: the browser must land on the chat page with a `chatd_session` cookie that is
HttpOnly, SameSite=Strict, and Secure over HTTPS (and invisible to document.cookie). The
chat page (?nick=webuser&join=#web) then connects with that cookie: a plain IRC client in
#web asking for extended-join must see webuser join as ACCOUNT. Every page loaded must
have run with no Content-Security-Policy violation, as Chromium reports them — and, to
show the check would see one, an inline style the page then adds must be reported. Then
the page logs out with a form posted as its logout button would: the cookie is gone.

With `cross-origin`: a page from another origin (a tiny HTTP server this script starts
on a free port) tries `new WebSocket("ws://127.0.0.1:WEBPORT/ws")`: it must not open
(the server refuses it with 403; the test reads that from chatd's log). Prints
"foreign origin http://127.0.0.1:PORT" first, and what it checks; exits 0 when all passed.
"""
import asyncio
import http.server
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devtools import chromium  # noqa: E402

CHROMIUM, BASE, IRC_PORT, ACCOUNT, PASSWORD = sys.argv[1:6]
CROSS = len(sys.argv) > 6 and sys.argv[6] == "cross-origin"
SECURE = BASE.startswith("https:")
BASE = BASE.rstrip("/")


def fill(account, password):
    return (f"(() => {{ const f = document.getElementById('login'); f.account.value = {json.dumps(account)}; "
            f"f.password.value = {json.dumps(password)}; f.requestSubmit(); return true; }})()")


class Observer:
    """A plain IRC client in #web with extended-join: the account a joining user has."""

    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", int(IRC_PORT)), timeout=20)
        self.sock.sendall(b"CAP LS 302\r\nCAP REQ :extended-join\r\nCAP END\r\nNICK observer\r\nUSER o 0 * :o\r\nJOIN #web\r\n")
        self.buffer = b""

    def wait_for(self, what, predicate, timeout=20):
        loop_deadline = asyncio.get_event_loop().time() + timeout
        while True:
            for line in self.buffer.split(b"\r\n"):
                if predicate(line.decode(errors="replace")):
                    print("ok  ", what, flush=True)
                    return
            if asyncio.get_event_loop().time() > loop_deadline:
                raise AssertionError(f"timed out waiting for: {what}; IRC saw: {self.buffer[-600:]!r}")
            self.sock.settimeout(0.2)
            try:
                self.buffer += self.sock.recv(65536)
            except socket.timeout:
                pass


def foreign_server():
    """A page on another origin that tries to open chatd's WebSocket; returns its port."""
    ws_url = BASE.replace("http", "ws", 1) + "/ws"
    page = f"""<!doctype html><title>elsewhere</title><script>
window.outcome = "pending";
const ws = new WebSocket({json.dumps(ws_url)}, ["text.ircv3.net"]);
ws.onopen = () => {{ window.outcome = "open"; }};
ws.onclose = (e) => {{ if (window.outcome === "pending") window.outcome = "closed " + e.code; }};
</script>""".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


async def main():
    foreign = foreign_server() if CROSS else None
    if foreign:
        print(f"foreign origin http://127.0.0.1:{foreign}", flush=True)
    observer = Observer()
    async with chromium(CHROMIUM, ignore_certificate_errors=SECURE) as browser:
        context = await browser.new_context()
        page = await browser.open_watched(f"{BASE}/login", context)
        await browser.wait_for(page, "the login page is shown", "!!document.getElementById('login')")
        await browser.evaluate(page, fill(ACCOUNT, "not-the-password"))
        await browser.wait_for(page, "a wrong password shows the error",
                               "document.getElementById('login-error').textContent.includes('invalid account or password')")
        names = [c["name"] for c in await browser.cookies(context)]
        assert "chatd_session" not in names, f"a session cookie after a wrong password: {names}"
        print("ok   no session cookie after a wrong password", flush=True)
        assert not browser.csp_violations(page), browser.csp_violations(page)

        await browser.evaluate(page, fill(ACCOUNT, PASSWORD))
        await browser.wait_for(page, "the right password lands on the chat page",
                               "location.pathname === '/' && !!document.getElementById('messages')")
        cookie = next((c for c in await browser.cookies(context) if c["name"] == "chatd_session"), None)
        assert cookie, "no chatd_session cookie"
        assert cookie["httpOnly"], cookie
        assert cookie.get("sameSite") == "Strict", cookie
        assert cookie["secure"] == SECURE, cookie
        print(f"ok   chatd_session is HttpOnly, SameSite=Strict{', Secure' if SECURE else ', not Secure on HTTP'}", flush=True)
        visible = await browser.evaluate(page, "document.cookie")
        assert "chatd_session" not in (visible or ""), visible

        chat = await browser.open_watched(f"{BASE}/?nick=webuser&join=%23web", context)
        await browser.wait_for(chat, "the chat page connects and joins #web",
                               "window.chat && chat.registered && chat.rooms.has('#web')")
        if SECURE:
            await browser.wait_for(chat, "its WebSocket is over WSS", "chat.socket.url.startsWith('wss://')")
        observer.wait_for(f"an IRC client sees webuser join #web as {ACCOUNT}",
                          lambda line: "webuser!" in line and f"JOIN #web {ACCOUNT} " in line)
        await asyncio.sleep(0.3)
        for session in (page, chat):
            violations = browser.csp_violations(session) + (await browser.evaluate(session, "window.__csp") or [])
            assert not violations, f"CSP violations: {violations}"
        print("ok   no Content-Security-Policy violation on the pages", flush=True)
        # The check sees one when there is one: an inline style is refused and reported.
        await browser.evaluate(chat, "document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>'), true")
        await browser.wait_for(chat, "an inline style the page adds is reported as a CSP violation",
                               "window.__csp.some((v) => v.startsWith('style-src'))")

        # Logout, as the page's button would post it: the token from /session.
        await browser.evaluate(chat, """(async () => {
            const s = await (await fetch('/session')).json();
            const f = document.createElement('form'); f.method = 'post'; f.action = '/logout';
            const i = document.createElement('input'); i.type = 'hidden'; i.name = 'csrf'; i.value = s.csrf;
            f.append(i); document.body.append(f); f.submit(); return true; })()""")
        await browser.wait_for(chat, "logout lands on the login page", "location.pathname === '/login'")
        names = [c["name"] for c in await browser.cookies(context)]
        assert "chatd_session" not in names, f"the session cookie is still there: {names}"
        print("ok   logged out: the session cookie is gone", flush=True)

        if foreign:
            other = await browser.open(f"http://127.0.0.1:{foreign}/", await browser.new_context())
            await browser.wait_for(other, "the foreign page's WebSocket is refused (closed, never open)",
                                   "window.outcome && window.outcome.startsWith('closed')")
            print("ok   foreign page saw:", await browser.evaluate(other, "window.outcome"), flush=True)
    observer.sock.close()


asyncio.run(main())
print("all passed")
