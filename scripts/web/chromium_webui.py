#!/usr/bin/env python3
"""The web client as a person uses it, in headless Chromium (devtools.py), against a
real chatd; one scenario a run, so each Swift test stays short.

usage: chromium_webui.py SCENARIO CHROMIUM http://127.0.0.1:WEBPORT/ IRCPORT OUTDIR

Every page is opened with a listener for Content-Security-Policy violations (the page
must run under the policy chatd serves it with) and a canary a script smuggled into a
message would set. Scenarios:

  layout      desktop (1280×800) and phone (360×740) sizes, screenshots in OUTDIR, no
              element wider than the viewport, the rooms drawer on the phone, the
              accessibility tree's landmarks and names, Alt+↓ between rooms, Tab nick
              completion, a `<script>` in a message shown as text and a URL as a link
  unread      unread and mention counts per room and in the title, an opt-in desktop
              notification while hidden, the "unread since" line, /join switching the
              view and the room lists updating, and the typed commands
  scrollback  300+ lines seeded; scrolling up loads older pages (CHATHISTORY BEFORE)
              until the first line, each line once, in order; day separators
  reconnect   the WebSocket closes; lines said meanwhile in two rooms; the page shows
              it is offline, reconnects (its button), keeps its view, asks only AFTER
              what it holds, and shows each line once
  perf        1,000 lines seeded; a fresh page's time to its first message and first
              paint (Performance API), and the page's weight
  search      soju.im/search when the server offers it; otherwise the page must say
              search is not available (prints "skip:" for the test to report)
  session     GET /session's login state on the page: a guest's Log in link (or, with
              guests off, the login page); prints "skip:" when the server has none
  alwayson    an always-on account's page closes and opens again: it stayed in its room
              (no QUIT seen), and what was said meanwhile shows once, after an "unread
              since" line; prints "skip:" when the server has no /session
  readmarker  two pages of one account (logged in through /login): reading a room in
              one clears its unread count in the other (draft/read-marker); prints
              "skip:" when the server has no /login or no draft/read-marker
  irssi       a real irssi (in a tmux session of its own) and two pages, desktop and
              phone, in one room: each sees what the others say — irssi's line on both
              pages, a page's line, its link and its /me on irssi's screen — and irssi's
              PART on the pages; prints "skip:" without irssi or tmux

Exits 0 when every check held; prints each as it passes, then "all passed".
"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devtools import IRCClient, chromium, member, say, says  # noqa: E402

SCENARIO, CHROMIUM, BASE, IRC_PORT, OUT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]

# Runs before the page's own script: records CSP violations, and gives an injected
# script a canary to set.
WATCH = ("window.__csp = []; window.__xss = 0; document.addEventListener('securitypolicyviolation', "
         "(e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")

# Elements that stick out of the viewport sideways (zero-sized ones do not count), and
# whether the document itself scrolls sideways.
OVERFLOW = """(() => {
  const w = document.documentElement.clientWidth, bad = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > w + 0.5 || r.left < -0.5) bad.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  if (document.documentElement.scrollWidth > w) bad.push('the document is ' + document.documentElement.scrollWidth + ' px wide');
  return JSON.stringify(bad.slice(0, 10));
})()"""


VISIBLE, HIDDEN = ("(Object.defineProperty(document, 'visibilityState', {value: '%s', configurable: true}), "
                   "document.dispatchEvent(new Event('visibilitychange')), true)" % state for state in ("visible", "hidden"))


def ok(what):
    print("ok  ", what, flush=True)


class IRC(IRCClient):
    """devtools' IRC client on this run's IRC port."""

    def __init__(self, nick, caps=None):
        super().__init__(IRC_PORT, nick, caps)


def js(value):
    return json.dumps(value)


def room_state(room):
    return f"chat.rooms.get({js(room)})"


async def open_page(browser, nick, rooms, width=1280, height=800, context=None):
    query = urllib.parse.urlencode({"nick": nick, "join": ",".join(rooms)})
    page = await browser.open(f"{BASE}?{query}", context, width, height, WATCH)
    await browser.wait_for(page, f"{nick} is connected and in {rooms[0]}",
                           f"window.chat && chat.registered && {room_state(rooms[0])}?.joined && {member(nick)}")
    return page


async def clean(browser, page, who):
    """No CSP violation, no injected script ran."""
    csp = await browser.evaluate(page, "JSON.stringify(window.__csp)")
    if csp != "[]":
        raise AssertionError(f"{who}'s page broke its Content-Security-Policy: {csp}")
    if await browser.evaluate(page, "window.__xss") != 0:
        raise AssertionError(f"a script from a message ran in {who}'s page")
    ok(f"{who}'s page ran under its Content-Security-Policy, no injected script ran")


async def no_overflow(browser, page, what):
    bad = json.loads(await browser.evaluate(page, OVERFLOW))
    if bad:
        raise AssertionError(f"{what}: elements wider than the viewport: {bad}")
    ok(f"{what}: nothing wider than the viewport")


async def shot(browser, page, name):
    path = os.path.join(OUT, name)
    await browser.screenshot(page, path)
    ok(f"screenshot {path}")


async def click(browser, page, selector):
    found = await browser.evaluate(page, f"(() => {{ const e = document.querySelector({js(selector)}); if (!e) return false; e.click(); return true; }})()")
    if not found:
        raise AssertionError(f"nothing to click at {selector}")


async def typed(browser, page, text):
    await browser.evaluate(page, say(text))


# ---------------------------------------------------------------- scenarios

async def layout(browser):
    irc = IRC("irssi_user")
    irc.join("#web")
    alice = await open_page(browser, "alice", ["#web", "#side"])
    await browser.wait_for(alice, "alice is in #side too", f"{room_state('#side')}?.joined")
    await click(browser, alice, "#joined button[data-room='#web']")
    await browser.wait_for(alice, "alice sees the IRC user", member("irssi_user"))
    hostile = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss=2\"> see https://example.com/a?b=1&c=2."
    long_word = "x" * 150
    irc.send(f"PRIVMSG #web :{hostile}", f"PRIVMSG #web :{long_word} https://example.com/{'y' * 120}")
    await browser.wait_for(alice, "the hostile line arrives", says("<script>window.__xss = 1</script>"))
    await browser.wait_for(alice, "the long line arrives", says(long_word))
    shown = await browser.evaluate(alice, "JSON.stringify({scripts: document.querySelectorAll('#messages script, #messages img').length, "
                                          "link: [...document.querySelectorAll('#messages a')].map(a => [a.href, a.textContent, a.rel])})")
    shown = json.loads(shown)
    if shown["scripts"] != 0:
        raise AssertionError(f"markup from a message became elements: {shown}")
    if ["https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2", "noopener noreferrer"] not in shown["link"]:
        raise AssertionError(f"the URL is not a link (without the sentence's full stop): {shown['link']}")
    ok("a <script> in a message is shown as text, its URL as a link")

    await no_overflow(browser, alice, "desktop 1280×800")
    await shot(browser, alice, "webui-desktop.png")
    # The system's dark preference gives the dark theme.
    background = "getComputedStyle(document.body).backgroundColor"
    light = await browser.evaluate(alice, background)
    await browser.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}, alice)
    dark = await browser.evaluate(alice, background)
    channels = [int(c) for c in dark[dark.index("(") + 1:dark.index(")")].split(",")[:3]]
    if dark == light or max(channels) > 80:
        raise AssertionError(f"the dark preference did not darken the page: {light} then {dark}")
    ok(f"dark theme from the system's preference ({light} → {dark})")
    await shot(browser, alice, "webui-desktop-dark.png")
    await browser.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]}, alice)

    # Accessibility: landmarks, names, and the message box reachable by name.
    await browser.send("Accessibility.enable", {}, alice)
    tree = (await browser.send("Accessibility.getFullAXTree", {}, alice))["nodes"]
    nodes = [(n.get("role", {}).get("value"), n.get("name", {}).get("value", "")) for n in tree if not n.get("ignored")]
    for role, name in [("banner", None), ("navigation", "Rooms"), ("main", None), ("complementary", "Members"),
                       ("search", "Search this room"), ("log", "Messages"), ("textbox", "Message"), ("status", None)]:
        if not any(r == role and (name is None or n == name) for r, n in nodes):
            raise AssertionError(f"no {role} {name or ''} in the accessibility tree: {sorted(set(nodes))[:60]}")
    unnamed = [r for r, n in nodes if r in ("button", "textbox", "searchbox", "link") and not n.strip()]
    if unnamed:
        raise AssertionError(f"controls without an accessible name: {unnamed}")
    ok("the accessibility tree has the landmarks (banner, Rooms, main, Members, search, log) and every control a name")

    # Focus order: the document's order (no positive tabindex), the skip link first,
    # and it leads to the message box.
    if await browser.evaluate(alice, "[...document.querySelectorAll('[tabindex]')].some(e => e.tabIndex > 0)"):
        raise AssertionError("a positive tabindex reorders the focus")
    await browser.evaluate(alice, "document.activeElement.blur(), true")
    await browser.key(alice, "Tab", "Tab", 9)
    await browser.wait_for(alice, "Tab from the start focuses the skip link", "document.activeElement.classList.contains('skip')")
    order = json.loads(await browser.evaluate(alice, "JSON.stringify([...document.querySelectorAll('a[href], button:not([hidden]), input:not([type=hidden])')]"
                                                     ".filter(e => e.offsetParent !== null).map(e => e.id || e.className || e.tagName))"))
    positions = {name: order.index(name) for name in ("nick", "room", "search-text", "text") if name in order}
    if not positions.get("nick", 99) < positions.get("room", 99) < positions.get("search-text", 99) < positions.get("text", 99):
        raise AssertionError(f"focus order is not header, rooms, search, message box: {order}")
    ok("focus follows the page: skip link, header, rooms, search, message box")
    await browser.key(alice, "Enter", "Enter", 13)
    await browser.wait_for(alice, "the skip link moves the focus to the message box", "document.activeElement.id === 'text'")

    # Keyboard: Alt+↓ goes to the next room; Tab completes a nick.
    await browser.evaluate(alice, "document.getElementById('text').focus(), true")
    await browser.key(alice, "ArrowDown", "ArrowDown", 40, modifiers=1)
    await browser.wait_for(alice, "Alt+↓ shows the next room, #side", "chat.current === '#side'")
    await browser.key(alice, "ArrowUp", "ArrowUp", 38, modifiers=1)
    await browser.wait_for(alice, "Alt+↑ goes back to #web", "chat.current === '#web'")
    await browser.evaluate(alice, "(() => { const t = document.getElementById('text'); t.value = 'irs'; t.focus(); t.setSelectionRange(3, 3); return true; })()")
    await browser.key(alice, "Tab", "Tab", 9)
    await browser.wait_for(alice, "Tab completes irs to 'irssi_user: '", "document.getElementById('text').value === 'irssi_user: '")
    await browser.wait_for(alice, "the message box keeps the focus", "document.activeElement.id === 'text'")
    await browser.evaluate(alice, "document.getElementById('text').value = '', true")

    # The phone: one column, rooms and members in drawers.
    await browser.resize(alice, 360, 740)
    await browser.wait_for(alice, "at 360 px the rooms are a closed drawer", "getComputedStyle(document.getElementById('rooms')).display === 'none'")
    width = await browser.evaluate(alice, "document.getElementById('log').getBoundingClientRect().width")
    if width < 300:
        raise AssertionError(f"the message column is {width} px wide at 360 px")
    ok(f"the message column is {round(width)} px wide on the phone")
    await no_overflow(browser, alice, "phone 360×740")
    await shot(browser, alice, "webui-phone.png")
    await click(browser, alice, "#rooms-toggle")
    await browser.wait_for(alice, "the rooms drawer opens", "getComputedStyle(document.getElementById('rooms')).display !== 'none' && "
                                                            "document.getElementById('rooms-toggle').getAttribute('aria-expanded') === 'true'")
    await no_overflow(browser, alice, "phone with the rooms drawer open")
    await shot(browser, alice, "webui-phone-rooms.png")
    await click(browser, alice, "#joined button[data-room='#side']")
    await browser.wait_for(alice, "choosing a room in the drawer shows it and closes the drawer",
                           "chat.current === '#side' && getComputedStyle(document.getElementById('rooms')).display === 'none'")
    await click(browser, alice, "#people-toggle")
    await browser.wait_for(alice, "the members drawer opens", "getComputedStyle(document.getElementById('people')).display !== 'none'")
    await no_overflow(browser, alice, "phone with the members drawer open")
    await browser.key(alice, "Escape", "Escape", 27)
    await browser.wait_for(alice, "Escape closes it", "getComputedStyle(document.getElementById('people')).display === 'none'")
    await clean(browser, alice, "alice")
    irc.close()


async def unread(browser):
    irc = IRC("ircuser")
    irc.join("#a")
    irc.join("#b")
    alice = await open_page(browser, "alice", ["#a", "#b"])
    await browser.wait_for(alice, "alice is in #b too", f"{room_state('#b')}?.joined")
    await click(browser, alice, "#joined button[data-room='#a']")
    bob = await open_page(browser, "bob", ["#a"], 1000, 620)
    # Notifications: opted in, the browser's permission granted (a stand-in records
    # them), and the tab hidden. Which headless tab counts as visible is the browser's
    # choice, so alice's page is told (as a browser would when its tab is shown or hidden).
    await browser.evaluate(alice, VISIBLE)
    await browser.evaluate(alice, """(() => {
      window.__notes = [];
      window.Notification = function (title, options) { window.__notes.push(title + ' | ' + options.body); };
      Notification.permission = 'granted';
      Notification.requestPermission = () => Promise.resolve('granted');
      document.getElementById('notify').click();
      return true; })()""")
    await browser.wait_for(alice, "notifications are opted in", "chat.notify && document.getElementById('notify').getAttribute('aria-pressed') === 'true'")
    irc.send("PRIVMSG #b :one", "PRIVMSG #b :two", "PRIVMSG #b :alice: three, for you")
    await browser.wait_for(alice, "#b shows 3 unread, 1 mention",
                           "(() => { const li = document.querySelector('#joined li[data-room=\"#b\"]'); "
                           "return li && li.dataset.unread === '3' && li.dataset.mentions === '1' && !!li.querySelector('.badge.mention'); })()")
    await browser.wait_for(alice, "the title says so", "document.title.startsWith('(3, @1)')")
    if await browser.evaluate(alice, "window.__notes.length") != 0:
        raise AssertionError("a notification while the page was visible")
    ok("no notification while the page is visible")
    await browser.evaluate(alice, HIDDEN)
    irc.send("PRIVMSG #b :alice, are you there?")
    await browser.wait_for(alice, "a mention while hidden makes a desktop notification",
                           "window.__notes.length === 1 && window.__notes[0].includes('alice, are you there?')")
    await browser.evaluate(bob, say("/msg alice a private word"))
    await browser.wait_for(alice, "a private message makes one too, and a room of its own with a mention",
                           "window.__notes.length === 2 && document.querySelector('#joined li[data-room=\"bob\"]')?.dataset.mentions === '1'")
    # Back to the tab: the lines that came in the room in view while hidden are marked.
    await click(browser, alice, "#joined button[data-room='#a']")
    await browser.evaluate(alice, HIDDEN)
    irc.send("PRIVMSG #a :while the tab was hidden")
    await browser.wait_for(alice, "a line in the room in view while hidden counts as unread",
                           "document.querySelector('#joined li[data-room=\"#a\"]').dataset.unread === '1'")
    await browser.evaluate(alice, VISIBLE)
    await browser.wait_for(alice, "back on the tab, it is marked and read",
                           "document.querySelector('#messages .unread-since')?.nextElementSibling?.textContent.endsWith('while the tab was hidden') && "
                           "document.querySelector('#joined li[data-room=\"#a\"]').dataset.unread === '0'")
    await click(browser, alice, "#joined button[data-room='#b']")
    await browser.wait_for(alice, "showing #b clears its counts", "document.querySelector('#joined li[data-room=\"#b\"]').dataset.unread === '0'")
    await browser.wait_for(alice, "and marks where the unread lines began",
                           "document.querySelector('#messages .unread-since')?.nextElementSibling?.textContent.endsWith('one')")
    await browser.wait_for(alice, "the title keeps bob's private message", "document.title.startsWith('(1, @1)')")

    # /join switches the view; both room lists update.
    await typed(browser, alice, "/join #c")
    await browser.wait_for(alice, "/join #c shows #c", "chat.current === '#c' && document.getElementById('room-name').textContent === '#c'")
    await browser.wait_for(alice, "#c is in the joined list", "!!document.querySelector('#joined button[data-room=\"#c\"]')")
    await click(browser, bob, "#refresh")
    await browser.wait_for(bob, "bob's room list shows #c", "!!document.querySelector('#available button[data-join=\"#c\"]')")
    await click(browser, bob, "#available button[data-join='#c']")
    await browser.wait_for(bob, "bob joins #c from the list and sees it", "chat.current === '#c'")
    await browser.wait_for(bob, "bob's list no longer offers #c", "!document.querySelector('#available button[data-join=\"#c\"]')")

    # Typed commands.
    await typed(browser, alice, "/topic the c room")
    await browser.wait_for(bob, "/topic: bob sees it", "document.getElementById('topic').textContent === 'the c room'")
    await typed(browser, alice, "/me waves")
    await browser.wait_for(bob, "/me: bob sees the action", says("* alice waves"))
    await typed(browser, alice, "/mode +v bob")
    await browser.wait_for(alice, "/mode +v bob: bob is voiced", "!!document.querySelector('#members li[data-nick=\"bob\"]')?.textContent.startsWith('+')")
    await browser.wait_for(alice, "members: operators first, then voiced",
                           "[...document.querySelectorAll('#members li')].map(l => l.textContent).join(' ') === '@alice +bob'")
    await typed(browser, alice, "/away gone fishing")
    await browser.wait_for(bob, "/away: bob sees alice away", member("alice", "away"))
    await typed(browser, alice, "/away")
    await browser.wait_for(bob, "/away again: back", member("alice", "online"))
    await typed(browser, alice, "/query bob")
    await browser.wait_for(alice, "/query bob shows the conversation with bob", "chat.current === 'bob'")
    await typed(browser, alice, "/msg bob see you in #c")
    await browser.wait_for(bob, "/msg: bob gets it", "document.querySelector('#joined li[data-room=\"alice\"]')?.dataset.unread === '1'")
    # A server's notice goes to the server view, not a conversation named after the server.
    await browser.evaluate(alice, "chat.handleLine(':test.server NOTICE alice :*** a word from the server'), true")
    await browser.wait_for(alice, "a server notice lands in the server view",
                           "chat.rooms.get('*server*')?.lines.some(l => l.text === '*** a word from the server') && !chat.rooms.has('test.server')")
    await click(browser, alice, "#joined button[data-room='#c']")
    await typed(browser, alice, "/kick bob not now")
    await browser.wait_for(bob, "/kick: bob is out of #c", "!chat.rooms.has('#c') && chat.current !== '#c'")
    await browser.wait_for(alice, "alice sees the kick", says("bob was kicked by alice (not now)"))
    await typed(browser, alice, "/nick alicia")
    await browser.wait_for(alice, "/nick: alice is alicia", "chat.nick === 'alicia' && document.getElementById('status').textContent.includes('alicia')")
    await typed(browser, alice, "/part")
    await browser.wait_for(alice, "/part: #c is gone from the list", "!document.querySelector('#joined button[data-room=\"#c\"]') && chat.current !== '#c'")
    await clean(browser, alice, "alice")
    await clean(browser, bob, "bob")
    irc.close()


async def scrollback(browser):
    irc = IRC("seeder")
    irc.join("#hist")
    count = 320
    irc.seed("#hist", count)
    ok(f"{count} lines said in #hist")
    alice = await open_page(browser, "alice", ["#hist"])
    await browser.wait_for(alice, "the latest page is shown", says(f"seed {count - 1}"))
    first = await browser.evaluate(alice, "chat.rooms.get('#hist').lines.filter(l => l.kind === 'msg').length")
    if first >= count:
        raise AssertionError(f"the page loaded all {first} lines at once")
    ok(f"{first} lines at first")
    for _ in range(40):
        # Until the server says there is no more: an empty (or short) older page.
        if await browser.evaluate(alice, "!chat.rooms.get('#hist').more"):
            break
        # Scrolled to the top, as a person would: the next page comes.
        await browser.evaluate(alice, "(() => { const log = document.getElementById('log'); log.scrollTop = 0; log.dispatchEvent(new Event('scroll')); return true; })()")
        await browser.wait_for(alice, "an older page arrived", "!chat.rooms.get('#hist').loading")
    await browser.wait_for(alice, "scrolling up reached the first line", says("seed 0"))
    texts = json.loads(await browser.evaluate(alice, "JSON.stringify(chat.rooms.get('#hist').lines.filter(l => l.kind === 'msg').map(l => l.text))"))
    expected = [f"seed {i}" for i in range(count)]
    if texts != expected:
        raise AssertionError(f"lines not each once in order: {len(texts)} lines, first {texts[:3]}, last {texts[-3:]}")
    befores = await browser.evaluate(alice, "chat.sent.filter(l => l.startsWith('CHATHISTORY BEFORE #hist')).length")
    if befores < 5:
        raise AssertionError(f"only {befores} CHATHISTORY BEFORE pages for {count} lines")
    ok(f"each of the {count} lines once, in order, over {befores} older pages (CHATHISTORY BEFORE)")
    await browser.wait_for(alice, "the page says when history begins", "document.getElementById('older').textContent === 'beginning of history'")
    shown = await browser.evaluate(alice, "document.querySelectorAll('#messages .msg.msg').length")
    if shown < count:
        raise AssertionError(f"the pane shows {shown} lines")
    days = await browser.evaluate(alice, "document.querySelectorAll('#messages .day').length")
    if days != 1:
        raise AssertionError(f"{days} day separators for lines of one day")
    # A line from another day, as the server would send it with its time: a separator.
    await browser.evaluate(alice, "chat.handleLine('@time=2025-01-01T10:00:00.000Z;msgid=old-1 :seeder!s@h PRIVMSG #hist :from last year'), true")
    await browser.wait_for(alice, "a line from another day gets its own day separator, first",
                           "document.querySelectorAll('#messages .day').length === 2 && "
                           "document.querySelector('#messages .day').nextElementSibling.textContent.endsWith('from last year')")
    await shot(browser, alice, "webui-scrollback.png")
    await clean(browser, alice, "alice")
    irc.close()


async def reconnect(browser):
    irc = IRC("ircuser")
    irc.join("#r1")
    irc.join("#r2")
    alice = await open_page(browser, "alice", ["#r1", "#r2"])
    await browser.wait_for(alice, "alice is in #r2", f"{room_state('#r2')}?.joined")
    await click(browser, alice, "#joined button[data-room='#r2']")
    before = {"#r1": ["r1 before"], "#r2": ["r2 before"]}
    for room, lines in before.items():
        irc.send(*[f"PRIVMSG {room} :{t}" for t in lines])
    await browser.wait_for(alice, "alice sees the lines before", "chat.rooms.get('#r1').lines.some(l => l.text === 'r1 before') && " + says("r2 before"))
    # The socket drops; the page's own retry is held back so the test says when.
    await browser.evaluate(alice, "(() => { const ws = chat.socket, closed = ws.onclose; "
                                  "ws.onclose = (e) => { closed(e); clearTimeout(chat.retry); }; ws.close(); return true; })()")
    await browser.wait_for(alice, "the page says it is offline",
                           "!chat.connected && !document.getElementById('offline').hidden && "
                           "document.getElementById('status').textContent === 'offline'")
    await shot(browser, alice, "webui-offline.png")
    # The first retry is due after a jittered 0.5–1 s (later ones double, up to 30 s).
    due = await browser.evaluate(alice, "chat.retryAt - chat.closedAt")
    if not 500 <= due <= 1000:
        raise AssertionError(f"the first retry is due after {due} ms")
    ok(f"the first retry was due after {due} ms (jittered backoff)")
    irc.expect("QUIT")
    missed = {"#r1": [f"r1 missed {i}" for i in range(3)], "#r2": [f"r2 missed {i}" for i in range(2)]}
    for room, lines in missed.items():
        irc.send(*[f"PRIVMSG {room} :{t}" for t in lines])
    irc.sync()
    sent_before = await browser.evaluate(alice, "chat.sent.length")
    await click(browser, alice, "#reconnect")
    await browser.wait_for(alice, "the reconnect button brings the page back", "chat.registered && document.getElementById('offline').hidden")
    await browser.wait_for(alice, "alice sees what she missed in #r2", says("r2 missed 1"))
    await browser.wait_for(alice, "and it kept the view on #r2", "chat.current === '#r2'")
    await browser.wait_for(alice, "where the missed lines begin in #r2 is marked",
                           "document.querySelector('#messages .unread-since')?.nextElementSibling?.textContent.endsWith('r2 missed 0')")
    await browser.wait_for(alice, "#r1 counts its unread lines: the one before and the three missed",
                           "document.querySelector('#joined li[data-room=\"#r1\"]').dataset.unread === '4'")
    asked = json.loads(await browser.evaluate(alice, f"JSON.stringify(chat.sent.slice({sent_before}).filter(l => l.startsWith('CHATHISTORY')))"))
    if len(asked) != 2 or not all(a.split()[1] == "AFTER" and "msgid=" in a for a in asked):
        raise AssertionError(f"after the reconnect the page asked for: {asked}")
    ok(f"it asked only for what came after what it held: {asked}")
    for room in ("#r1", "#r2"):
        texts = json.loads(await browser.evaluate(alice, f"JSON.stringify(chat.rooms.get('{room}').lines.filter(l => l.kind === 'msg').map(l => l.text))"))
        if texts != before[room] + missed[room]:
            raise AssertionError(f"{room} holds {texts}")
    ok("each line once, in order, in both rooms")
    await click(browser, alice, "#joined button[data-room='#r1']")
    shown = await browser.evaluate(alice, "document.getElementById('messages').innerText")
    for text in before["#r1"] + missed["#r1"]:
        if shown.count(text) != 1:
            raise AssertionError(f"#r1's pane shows {text!r} {shown.count(text)} times")
    if "unread since" not in shown:
        raise AssertionError(f"no 'unread since' line in #r1: {shown}")
    ok("#r1's pane shows each line once, after an 'unread since' line")
    await clean(browser, alice, "alice")

    # The tab closed and opened again later: what was said meanwhile is marked.
    await close_tab(browser, alice)
    irc.expect("QUIT")
    irc.send("PRIVMSG #r1 :said while the tab was closed", "PRIVMSG #r1 :and more")
    irc.sync()
    alice = await browser.open(f"{BASE}?nick=alice&join=%23r1,%23r2", None, 1280, 800, WATCH)
    await browser.wait_for(alice, "the page opens again in #r1", "window.chat && chat.registered && chat.current === '#r1'")
    await browser.wait_for(alice, "'unread since' marks the lines said while the tab was closed",
                           "document.querySelector('#messages .unread-since')?.nextElementSibling?.textContent.endsWith('said while the tab was closed')")
    irc.close()


async def perf(browser):
    irc = IRC("seeder")
    irc.join("#perf")
    irc.seed("#perf", 1000, "line")
    ok("1000 lines said in #perf")
    weight = 0
    for path in ("", "app.js", "app.css"):
        with urllib.request.urlopen(BASE + path) as answer:
            weight += len(answer.read())
    alice = await open_page(browser, "alice", ["#perf"])
    await browser.wait_for(alice, "the latest line is shown", says("line 999"))
    timing = json.loads(await browser.evaluate(alice, """JSON.stringify({
      first: performance.getEntriesByName('chatd-first-message')[0]?.startTime,
      paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
      loaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd })"""))
    print(f"metric page-weight-bytes={weight}", flush=True)
    print(f"metric first-contentful-paint-ms={timing['paint']:.0f}", flush=True)
    print(f"metric dom-content-loaded-ms={timing['loaded']:.0f}", flush=True)
    print(f"metric first-message-ms={timing['first']:.0f}", flush=True)
    # All 1,000 lines in the page (scrolling up, page by page), then the room drawn anew.
    for _ in range(40):
        if await browser.evaluate(alice, "chat.rooms.get('#perf').lines.some(l => l.text === 'line 0')"):
            break
        await browser.evaluate(alice, "(() => { const log = document.getElementById('log'); log.scrollTop = 0; log.dispatchEvent(new Event('scroll')); return true; })()")
        await browser.wait_for(alice, "an older page arrived", "!chat.rooms.get('#perf').loading")
    held = await browser.evaluate(alice, "chat.rooms.get('#perf').lines.filter(l => l.kind === 'msg').length")
    if held != 1000:
        raise AssertionError(f"the page holds {held} of the 1000 lines")
    redraw = await browser.evaluate(alice, "(() => { const t = performance.now(); show('#perf'); return performance.now() - t; })()")
    print(f"metric redraw-1000-lines-ms={redraw:.0f}", flush=True)
    await clean(browser, alice, "alice")
    irc.close()


async def search(browser):
    irc = IRC("seeder")
    irc.join("#find")
    irc.send("PRIVMSG #find :the haystack", "PRIVMSG #find :a needle in it", "PRIVMSG #find :more hay")
    irc.sync()
    alice = await open_page(browser, "alice", ["#find"])
    offered = await browser.evaluate(alice, "chat.offered.has('soju.im/search')")
    await browser.evaluate(alice, "document.getElementById('search-text').value = 'needle', document.getElementById('search').requestSubmit(), true")
    if not offered:
        await browser.wait_for(alice, "without soju.im/search the page says search is not available",
                               "document.getElementById('search-results').textContent.includes('Search is not available')")
        print("skip: the server does not offer soju.im/search, so searching itself was not tried", flush=True)
        return await clean(browser, alice, "alice")
    await browser.wait_for(alice, "the search finds the needle",
                           "(() => { const r = document.querySelectorAll('#search-results .results li'); "
                           "return r.length === 1 && r[0].textContent.includes('a needle in it'); })()")
    await clean(browser, alice, "alice")
    irc.close()


def http(method, path, form=None, cookie=None):
    """A request without following redirects: (status, headers, body)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(BASE.rstrip("/") + path, data=data, method=method)
    if cookie:
        request.add_header("Cookie", cookie)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


async def logged_in_page(browser, name, account, password, room):
    """A page in a browser of its own, logged in through /login (the form posts the
    account's password, the session cookie comes back, the chat page opens with it), in `room`."""
    context = await browser.new_context()
    page = await browser.open(BASE.rstrip("/") + "/login", context, 1000, 620, WATCH)
    await browser.wait_for(page, f"{name}: the login form", "!!document.querySelector('form#login input[name=csrf]')")
    await browser.evaluate(page, f"(() => {{ const f = document.getElementById('login'); f.account.value = {js(account)}; "
                                 f"f.password.value = {js(password)}; f.submit(); return true; }})()")
    await browser.wait_for(page, f"{name}: logged in, the chat page", f"window.chat && chat.registered && chat.account === {js(account)}", timeout=20)
    await browser.evaluate(page, say("/join " + room))
    await browser.wait_for(page, f"{name}: in {room}", f"chat.rooms.get({js(room)})?.joined")
    CONTEXTS[page] = context
    return page


CONTEXTS = {}  # a logged-in page's browser context (its cookie jar)


async def close_tab(browser, page):
    """Closes the page's tab (its WebSocket with it: a navigation away may keep the page
    in the back/forward cache, its socket open)."""
    target = (await browser.send("Target.getTargetInfo", {}, page))["targetInfo"]["targetId"]
    await browser.send("Target.closeTarget", {"targetId": target})


def register(account, password):
    """Registers `account` through NickServ, then leaves (its nick free again)."""
    irc = IRC(account)
    irc.send(f"PRIVMSG NickServ :REGISTER {password}")
    irc.expect(" 900 ")
    irc.send("QUIT")
    while irc.sock.recv(4096):
        pass  # the nick is free again once the server has closed
    irc.close()


async def alwayson(browser):
    status, _, _ = http("GET", "/session")
    if status == 404:
        print("skip: the server has no /session (web logins)", flush=True)
        return
    register("keeper", "keeper-password")
    talker = IRC("talker", "away-notify")
    talker.join("#ao")
    page = await logged_in_page(browser, "keeper's page", "keeper", "keeper-password", "#ao")
    await browser.evaluate(page, VISIBLE)
    talker.send("PRIVMSG #ao :seen before closing")
    await browser.wait_for(page, "keeper sees the line said before closing", says("seen before closing"))
    await browser.wait_for(page, "and has told the server it read it", "chat.sent.some(l => l.startsWith('MARKREAD #ao'))")
    talker.sync("before")
    # The tab closes: an always-on account stays in its channels.
    await close_tab(browser, page)
    talker.expect(":keeper!", timeout=15)  # its session detached: away (away-notify)
    ok("the session detached when the tab closed")
    talker.send("NAMES #ao")
    names = talker.expect(" 353 ")
    if "keeper" not in names:
        raise AssertionError(f"keeper left #ao when the tab closed: {names}")
    ok("with the tab closed keeper is still in #ao (always-on)")
    missed = ["said while the tab was closed 1", "said while the tab was closed 2"]
    talker.send(*[f"PRIVMSG #ao :{t}" for t in missed])
    talker.sync("missed")
    page = await browser.open(BASE, CONTEXTS[page], 1000, 620, WATCH)
    await browser.evaluate(page, VISIBLE)
    await browser.wait_for(page, "the page opens again, logged in, in #ao", "window.chat && chat.registered && chat.rooms.get('#ao')?.joined && chat.current === '#ao'")
    await browser.wait_for(page, "'unread since' marks what was said while the tab was closed",
                           f"document.querySelector('#messages .unread-since')?.nextElementSibling?.textContent.endsWith({js(missed[0])})")
    texts = json.loads(await browser.evaluate(page, "JSON.stringify(chat.rooms.get('#ao').lines.filter(l => l.kind === 'msg').map(l => l.text))"))
    for text in ["seen before closing"] + missed:
        if texts.count(text) != 1:
            raise AssertionError(f"{text!r} is shown {texts.count(text)} times: {texts}")
    ok("each line once")
    talker.sync("after")
    talker.send("PING :end")
    seen = []
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        line = talker.expect("", timeout=2)
        seen.append(line)
        if "PONG" in line:
            break
    if any(" QUIT" in line and line.startswith(":keeper!") for line in seen):
        raise AssertionError(f"the others saw keeper quit: {seen}")
    await clean(browser, page, "keeper")
    talker.close()


async def readmarker(browser):
    status, _, _ = http("GET", "/session")
    if status == 404:
        print("skip: the server has no /session (web logins), so two pages cannot share an account", flush=True)
        return
    irc = IRC("probe")
    irc.send("CAP LS 302")
    caps = irc.expect(" LS ")
    irc.close()
    if "draft/read-marker" not in caps:
        print("skip: the server does not offer draft/read-marker", flush=True)
        return
    register("reader", "correct-horse-battery")
    talker = IRC("talker")
    talker.join("#rm")

    one = await logged_in_page(browser, "the first page", "reader", "correct-horse-battery", "#rm")
    two = await logged_in_page(browser, "the second page", "reader", "correct-horse-battery", "#rm")
    await browser.wait_for(one, "the first page shows the account and a logout form",
                           "!document.getElementById('logout').hidden && document.getElementById('account-name').textContent.includes('reader')")
    for page in (one, two):
        await browser.evaluate(page, VISIBLE)
        await browser.evaluate(page, say("/join #elsewhere"))
        await browser.wait_for(page, "a page looks at another room", "chat.current === '#elsewhere'")
    talker.send("PRIVMSG #rm :unread one", "PRIVMSG #rm :unread two")
    for page, name in ((one, "first"), (two, "second")):
        await browser.wait_for(page, f"the {name} page counts 2 unread in #rm",
                               "document.querySelector('#joined li[data-room=\"#rm\"]')?.dataset.unread === '2'")
    await click(browser, one, "#joined button[data-room='#rm']")
    await browser.wait_for(one, "the first page reads #rm (MARKREAD)", "chat.sent.some(l => l.startsWith('MARKREAD #rm timestamp='))")
    await browser.wait_for(two, "the second page's #rm is read too (the server's MARKREAD)",
                           "document.querySelector('#joined li[data-room=\"#rm\"]')?.dataset.unread === '0'")
    await clean(browser, one, "the first page")
    await click(browser, one, "#logout button")
    await browser.wait_for(one, "Log out ends the session: the page is logged out",
                           "location.pathname === '/login' || (window.chat && chat.registered && !chat.account)", timeout=20)
    talker.close()


async def session(browser):
    status, headers, body = http("GET", "/session")
    if status == 404:
        print("skip: the server has no /session (web logins)", flush=True)
        return
    state = json.loads(body)
    if not state.get("guests"):
        page = await browser.open(BASE, None, 1000, 620, WATCH)
        await browser.wait_for(page, "guests not allowed: the page goes to the login page", f"location.pathname === {js(state['login'])}")
        return
    alice = await open_page(browser, "alice", ["#s"])
    await browser.wait_for(alice, "a guest gets a Log in link to the login page and no Log out",
                           f"!document.getElementById('account').hidden && !document.getElementById('login-link').hidden && "
                           f"document.getElementById('login-link').getAttribute('href') === {js(state['login'])} && "
                           "document.getElementById('logout').hidden")
    await clean(browser, alice, "alice")


class Irssi:
    """A real irssi in a tmux session of its own, its screen read with capture-pane."""

    def __init__(self, nick):
        self.session = f"webui-irssi-{os.getpid()}"
        home = os.path.join(OUT, f"irssi-{nick}")
        os.makedirs(home, exist_ok=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", "200", "-y", "50",
                        f"irssi --home={home} -n {nick}"], check=True)
        time.sleep(1)
        self.say(f"/set user_name {nick}")
        self.say(f"/connect 127.0.0.1 {IRC_PORT}")
        self.sees("Welcome to the")

    def say(self, text):
        subprocess.run(["tmux", "send-keys", "-t", self.session, "-l", text], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.session, "Enter"], check=True)

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session], capture_output=True, text=True).stdout

    def sees(self, text, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                ok(f"irssi sees {text!r}")
                return
            time.sleep(0.1)
        raise AssertionError(f"irssi does not see {text!r}; its screen:\n{self.screen()}")

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)


async def irssi(browser):
    missing = [tool for tool in ("irssi", "tmux") if shutil.which(tool) is None]
    if missing:
        print(f"skip: needs {' and '.join(missing)} (apt-get install irssi tmux)")
        return
    client = Irssi("irssi_real")
    try:
        client.say("/join #web")
        client.sees("has joined #web")
        alice = await open_page(browser, "alice", ["#web"])
        bob = await open_page(browser, "bob", ["#web"], 360, 740)
        for page, who in ((alice, "alice"), (bob, "bob")):
            await browser.wait_for(page, f"{who} sees irssi in #web", member("irssi_real"))
        client.say("hello from a real irssi <b>bold?</b>")
        for page, who in ((alice, "alice"), (bob, "bob")):
            await browser.wait_for(page, f"{who} sees irssi's line", says("hello from a real irssi <b>bold?</b>"))
        await typed(browser, alice, "hi irssi, see https://example.com/otter")
        client.sees("hi irssi, see https://example.com/otter")
        await browser.wait_for(bob, "bob sees alice's link as a link",
                               "[...document.querySelectorAll('#messages a')].some(a => a.href === 'https://example.com/otter')")
        await typed(browser, bob, "/me waves from a phone")
        client.sees("bob waves from a phone")
        client.say("/part #web")
        for page, who in ((alice, "alice"), (bob, "bob")):
            await browser.wait_for(page, f"{who} sees irssi leave", f"!({member('irssi_real')})")
        await clean(browser, alice, "alice")
        await clean(browser, bob, "bob")
    finally:
        client.close()


async def main():
    os.makedirs(OUT, exist_ok=True)
    scenario = {"layout": layout, "unread": unread, "scrollback": scrollback, "reconnect": reconnect,
                "perf": perf, "search": search, "readmarker": readmarker, "session": session,
                "alwayson": alwayson, "irssi": irssi}[SCENARIO]
    async with chromium(CHROMIUM) as browser:
        await scenario(browser)


if __name__ == "__main__":
    asyncio.run(main())
    print("all passed")
