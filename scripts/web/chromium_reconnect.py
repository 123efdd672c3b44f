#!/usr/bin/env python3
"""The web page reconnects and shows each line once: the room's replay on the new JOIN
repeats what the page already shows, and only what it missed may be added.

usage: chromium_reconnect.py CHROMIUM http://127.0.0.1:WEBPORT/ IRCPORT

Alice's page and a plain IRC client talk in #back; the page's socket closes (its
reconnect held back), the IRC client says two more lines while alice is away, then the
page reconnects. Each line must be in the page exactly once, in the order said. Exits 0
when all of that held; prints what it checks.
"""
import asyncio
import json
import sys

from devtools import IRCClient, chromium, say, says

CHROMIUM, BASE, IRC_PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
ROOM = "#back"
BEFORE = ["before the drop 1", "before the drop 2"]
MINE = "alice was here"
MISSED = ["said while alice was away 1", "said while alice was away 2"]


class IRC(IRCClient):
    """devtools' IRC client on this run's IRC port, saying lines in the room."""

    def __init__(self, nick):
        super().__init__(IRC_PORT, nick)

    def say(self, text):
        """Sends and waits until the server has handled it (PONG after the message)."""
        self.send(f"PRIVMSG {ROOM} :{text}", f"PING :{len(text)}")
        self.expect(f"PONG")


# What the page holds for the room: its message lines' texts, in order.
LINES = f"JSON.stringify((chat.rooms.get('{ROOM}')?.lines || []).filter(l => l.kind === 'msg').map(l => l.text))"


async def main():
    irc = None
    async with chromium(CHROMIUM) as browser:
        try:
            alice = await browser.open(f"{BASE}?nick=alice&join=%23back")
            await browser.wait_for(alice, "alice is connected and in #back",
                                   f"window.chat && chat.registered && chat.rooms.has('{ROOM}')")
            irc = IRC("ircuser")
            irc.send(f"JOIN {ROOM}")
            irc.expect(f" 366 ")
            for text in BEFORE:
                irc.say(text)
                await browser.wait_for(alice, f"alice sees {text!r}", says(text))
            await browser.evaluate(alice, say(MINE))
            await browser.wait_for(alice, "alice sees her own line", says(MINE))
            irc.expect(MINE)

            # The socket closes; the page's retry timer is cleared as soon as it is set,
            # so it stays away until told to come back.
            await browser.evaluate(alice, "(() => { const ws = chat.socket, closed = ws.onclose; "
                                          "ws.onclose = (e) => { closed(e); clearTimeout(chat.retry); }; ws.close(); return true; })()")
            await browser.wait_for(alice, "alice's page is disconnected", "!chat.connected")
            irc.expect("QUIT")
            print("ok   the IRC client saw alice quit", flush=True)
            for text in MISSED:
                irc.say(text)
            await browser.evaluate(alice, "connect(), true")
            await browser.wait_for(alice, "alice is back in #back",
                                   f"chat.registered && chat.rooms.get('{ROOM}').members.has('alice')")
            await browser.wait_for(alice, "alice sees what she missed", says(MISSED[-1]))

            lines = json.loads(await browser.evaluate(alice, LINES))
            expected = BEFORE + [MINE] + MISSED
            for text in expected:
                count = sum(1 for line in lines if line == text)
                if count != 1:
                    raise AssertionError(f"{text!r} is shown {count} times; the room's lines: {lines}")
            if [line for line in lines if line in expected] != expected:
                raise AssertionError(f"lines out of order: {lines}")
            print("ok   each line is shown once, in order:", lines, flush=True)
            shown = await browser.evaluate(alice, "document.getElementById('messages').innerText")
            for text in expected:
                if shown.count(text) != 1:
                    raise AssertionError(f"the page shows {text!r} {shown.count(text)} times:\n{shown}")
            print("ok   the message pane agrees", flush=True)
        finally:
            if irc:
                irc.sock.close()


asyncio.run(main())
print("all passed")
