// The web client's script, served as `/app.js`: IRC over a WebSocket to `/ws`
// (text.ircv3.net subprotocol), negotiating the IRCv3 capabilities the server offers.
// The page's state lives in one `chat` object the script alone writes (`window.chat`,
// read by the browser tests): rooms with their lines (time-ordered, once per msgid),
// members and presence, unread and mention counts from the read position (the server's
// `draft/read-marker` MARKREAD when it has it), history by `draft/chathistory` (LATEST
// on a first join, AFTER the newest line held on a rejoin, BEFORE page by page when
// scrolling up), search by `soju.im/search` when offered, and `GET /session`'s login
// state. Text people wrote is only ever set as text (links are built as elements), never
// as markup. `?nick=` and `?join=#a,#b` in the address preset the nick and rooms.

enum WebClientScript {
  /// The script as bytes, built once.
  static let bytes: [UInt8] = Array(source.utf8)

  /// The script's source.
  static let source = ##"""
    "use strict";
    // chatd's web client: IRC over a WebSocket (text.ircv3.net). One `chat` object holds the
    // state; handlers for server lines change it, then render what changed. Markup is never
    // built from strings: every text a person wrote goes in through textContent or text nodes.
    const params = new URLSearchParams(location.search);
    const $ = (id) => document.getElementById(id);
    const fold = (s) => s.toLowerCase();
    const isChannelName = (s) => /^[#&]/.test(s);
    const PAGE = 50;
    // What the page asks for; it requests the ones the server offers.
    const WANTED_CAPS = ["server-time", "message-tags", "away-notify", "multi-prefix", "echo-message", "batch",
      "draft/chathistory", "account-notify", "extended-join", "draft/read-marker", "soju.im/search", "cap-notify"];
    const chat = window.chat = {
      nick: params.get("nick") || localStorage.getItem("chatd.nick") || "guest" + Math.floor(Math.random() * 10000),
      wanted: (params.get("join") || localStorage.getItem("chatd.rooms") || "#lobby").split(",").filter(Boolean),
      rooms: new Map(),      // folded name -> room (see room())
      available: [],         // from LIST
      current: null,         // folded name of the room in view
      connected: false, registered: false, attempts: 0, caps: new Set(), offered: new Set(), socket: null, away: false,
      session: null,         // GET /session's answer, or null where there is none
      account: null,
      batches: new Map(),    // open BATCH id -> {type, params, items}
      conn: 0,               // counts registrations: history is asked for once per connection
      switchTo: null,        // a room /join asked for: shown once joined
      notify: localStorage.getItem("chatd.notify") === "1",
      sent: [],              // the last lines sent (tests read them)
      search: null,          // {target, text, results} while a search runs or shows
      firstMessageAt: null,
      lastViewed: localStorage.getItem("chatd.current"),  // the room in view when the page was last open
      autoCurrent: true,     // the room in view was chosen by the page, not the person
    };

    // ---- IRC lines ----
    function parse(line) {
      const m = { tags: {}, source: "", command: "", params: [] };
      let i = 0;
      const word = () => {
        const j = line.indexOf(" ", i); const w = j < 0 ? line.slice(i) : line.slice(i, j);
        i = j < 0 ? line.length : j + 1; while (line[i] === " ") i++; return w;
      };
      if (line[0] === "@") {
        for (const t of word().slice(1).split(";")) {
          const k = t.indexOf("=");
          m.tags[k < 0 ? t : t.slice(0, k)] = k < 0 ? "" : t.slice(k + 1).replace(/\\(.?)/g, (_, c) => ({ ":": ";", s: " ", r: "\r", n: "\n" })[c] ?? c);
        }
      }
      if (line[i] === ":") m.source = word().slice(1);
      m.command = word().toUpperCase();
      while (i < line.length) { if (line[i] === ":") { m.params.push(line.slice(i + 1)); break; } m.params.push(word()); }
      return m;
    }
    const nickOf = (source) => source.split("!")[0];
    const tagValue = (s) => s.replace(/\\/g, "\\\\").replace(/;/g, "\\:").replace(/ /g, "\\s");
    function send(line) {
      if (!chat.socket || chat.socket.readyState !== 1) return false;
      chat.socket.send(line);
      chat.sent.push(line); if (chat.sent.length > 500) chat.sent.shift();
      return true;
    }

    // ---- rooms and lines ----
    function room(name) {
      const key = fold(name);
      if (!chat.rooms.has(key)) {
        chat.rooms.set(key, {
          name, key, isChannel: isChannelName(name), topic: "", members: new Map(), names: null,
          lines: [], seen: new Set(), unread: 0, mentions: 0,
          // ms: lines after it are unread (the server's MARKREAD, or what this browser showed)
          readUpTo: Number(localStorage.getItem("chatd.read." + key)) || null,
          since: null,       // ms: where the "unread since" line goes while the room is in view
          sentMarker: 0, more: true, loading: null, requested: 0, historyConn: -1, joined: false,
        });
      }
      return chat.rooms.get(key);
    }
    // The newest message's server time: what "read up to here" means to the server (events
    // and lines without a server time carry this browser's clock, which may differ).
    function newest(r) {
      for (let i = r.lines.length - 1; i >= 0; i--) if (r.lines[i].kind === "msg" && r.lines[i].serverTime) return r.lines[i].ts;
      return 0;
    }
    const viewing = (r) => r.key === chat.current && document.visibilityState !== "hidden";
    const strip = (s) => s.replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");
    function mentions(text) {
      const n = chat.nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return new RegExp("(^|[^\\w\\-\\[\\]\\\\`^{}|])" + n + "($|[^\\w\\-\\[\\]\\\\`^{}|])", "i").test(text);
    }

    // Adds a line to a room in time order, once per msgid. `how`: "live" (as it happens),
    // "history" (a CHATHISTORY page). Returns the line, or null for a duplicate.
    function addLine(r, kind, text, from, tags, how = "live", sender = from, position = null) {
      const msgid = tags && tags.msgid;
      if (msgid) { if (r.seen.has(msgid)) return null; r.seen.add(msgid); }
      const time = tags && tags.time ? new Date(tags.time) : new Date();
      const self = !!sender && fold(sender) === fold(chat.nick);
      const l = { kind, text, from, time, ts: time.getTime(), msgid, self, action: false, mention: false, serverTime: !!(tags && tags.time) };
      if (kind === "msg" && !self && (mentions(text) || !r.isChannel)) l.mention = kind === "msg";
      // In server-time order; a line without a server time (an event seen live) goes last.
      let at = position ?? r.lines.length;
      if (position === null && tags && tags.time) while (at > 0 && r.lines[at - 1].ts > l.ts) at--;
      r.lines.splice(at, 0, l);
      if (r.lines.length > 5000) { const old = r.lines.shift(); if (old.msgid) r.seen.delete(old.msgid); r.more = true; }
      if (kind === "msg") {
        if (viewing(r) && how === "live") { if (l.serverTime) r.readUpTo = Math.max(r.readUpTo || 0, l.ts); markReadSoon(r); }
        else if (!self && (how === "live" || r.readUpTo !== null && l.ts > r.readUpTo)) { r.unread++; if (l.mention) r.mentions++; }
        if (how === "live" && l.mention && !self) notifyHidden(r, l);
      }
      if (how === "live") {
        if (r.key === chat.current && at === r.lines.length - 1) appendLine(l, r.lines[at - 1]);
        else if (r.key === chat.current) dirty.messages = true;
        dirty.rooms = true; schedule();
      }
      return l;
    }
    function event(r, text) { return addLine(r, "event", text, null, null); }
    function everywhere(nick, text) { for (const r of chat.rooms.values()) if (r.members.has(fold(nick))) event(r, text); }
    // Unread counts from the lines after the read position.
    function recount(r) {
      r.unread = 0; r.mentions = 0;
      if (r.readUpTo === null) return;
      for (const l of r.lines) if (l.kind === "msg" && !l.self && l.ts > r.readUpTo) { r.unread++; if (l.mention) r.mentions++; }
    }
    function currentRoom() { return chat.rooms.get(chat.current) || room("*server*"); }
    function saveRooms() { localStorage.setItem("chatd.rooms", chat.wanted.join(",")); }

    // Shows a room: everything in it counts as read from now on, and its "unread since"
    // line stays where the reading starts.
    function show(key, auto = false) {
      const r = chat.rooms.get(key); if (!r) return;
      chat.current = key; chat.autoCurrent = auto;
      if (key !== "*server*") localStorage.setItem("chatd.current", key);
      r.since = r.unread > 0 ? r.readUpTo : null;
      markViewed(r);
      dirty.messages = dirty.members = dirty.rooms = true;
      closeDrawers();
      render();
      if (r.since !== null) { const mark = document.querySelector("#messages .unread-since"); if (mark) mark.scrollIntoView({ block: "center" }); }
    }
    function markViewed(r) {
      if (!r || !viewing(r)) return;
      const upTo = newest(r);
      if (upTo) r.readUpTo = Math.max(r.readUpTo || 0, upTo);  // none yet: the first page decides
      saveRead(r);
      r.unread = 0; r.mentions = 0;
      markReadSoon(r);
      dirty.rooms = true; schedule();
    }
    // draft/read-marker: tell the server (so the account's other pages) where reading got.
    function saveRead(r) { if (r.readUpTo) localStorage.setItem("chatd.read." + r.key, String(r.readUpTo)); }
    function markReadSoon(r) {
      if (!chat.caps.has("draft/read-marker") || r.key === "*server*") return;
      clearTimeout(r.markTimer);
      r.markTimer = setTimeout(() => {
        const ts = r.readUpTo || 0;
        if (ts > r.sentMarker && send("MARKREAD " + r.name + " timestamp=" + new Date(ts).toISOString())) r.sentMarker = ts;
      }, 300);
    }
    function step(delta) {
      const keys = [...chat.rooms.keys()].filter((k) => k !== "*server*" || chat.rooms.get(k).lines.length);
      if (!keys.length) return;
      const i = keys.indexOf(chat.current);
      show(keys[(i + delta + keys.length) % keys.length]);
    }

    // ---- history (draft/chathistory) ----
    function askHistory(r, subcommand, anchor, limit) {
      if (!chat.caps.has("draft/chathistory") || !r.isChannel || r.loading) return false;
      // The server serves at most its CHATHISTORY= (RPL_ISUPPORT): a shorter page is not the end.
      if (chat.historyMax) limit = Math.min(limit, chat.historyMax);
      r.loading = subcommand; r.requested = limit;
      return send("CHATHISTORY " + subcommand + " " + r.name + " " + anchor + " " + limit);
    }
    const anchorOf = (l) => l.msgid ? "msgid=" + l.msgid : "timestamp=" + l.time.toISOString();
    // After (re)joining: what was missed since the newest line held, or the latest page.
    function catchUp(r) {
      const last = [...r.lines].reverse().find((l) => l.kind === "msg" && (l.msgid || l.ts));
      if (last) askHistory(r, "AFTER", anchorOf(last), 100); else askHistory(r, "LATEST", "*", PAGE);
    }
    function loadOlder(r) {
      if (!r || !r.more || r.loading || !chat.registered) return;
      const first = r.lines.find((l) => l.kind === "msg");
      if (askHistory(r, "BEFORE", first ? anchorOf(first) : "*", PAGE)) { dirty.messages = true; schedule(); }
    }
    function finishHistory(r, items) {
      const mode = r.loading; r.loading = null;
      // An older page goes above what is held, as one block in the server's order (lines
      // of one millisecond would otherwise mix); other pages by time.
      let at = null;
      if (mode === "BEFORE" && items.length) {
        const first = r.lines.findIndex((l) => l.kind === "msg"), oldest = Date.parse(items[0].tags.time || "") || 0;
        at = first < 0 ? r.lines.length : first;
        while (at > 0 && r.lines[at - 1].ts > oldest) at--;
      }
      let added = 0, last = 0;
      for (const m of items) {
        const l = addMessage(m, "history", at);
        if (l) { added++; last = Math.max(last, l.ts); if (at !== null) at++; }
      }
      if (mode === "BEFORE" || mode === "LATEST") r.more = items.length >= r.requested;
      // No read position yet (no MARKREAD): the history is read; lines that came live while
      // it was on its way are not.
      if (r.readUpTo === null) r.readUpTo = last;
      recount(r);
      // What came in while away, in the room in view: the "unread since" line shows where.
      if (viewing(r) && r.unread > 0 && r.since === null) { r.since = r.readUpTo; dirty.messages = true; }
      if (viewing(r)) markViewed(r);
      if (mode === "AFTER" && items.length >= r.requested) catchUp(r);  // more was missed than one page
      if (r.key === chat.current) dirty.messages = true;
      dirty.rooms = true; schedule();
      return added;
    }

    // ---- search (soju.im/search) ----
    function search(text) {
      const r = chat.rooms.get(chat.current);
      const box = $("search-results");
      box.hidden = false;
      if (!chat.caps.has("soju.im/search")) {
        chat.search = { text, unavailable: true, results: [] };
        renderSearch();
        return;
      }
      if (!r || !text) return;
      chat.search = { target: r.name, text, results: null };
      renderSearch();
      send("SEARCH in=" + tagValue(r.name) + ";text=" + tagValue(text) + ";limit=50");
    }

    // ---- server lines ----
    function addMessage(m, how, at = null) {
      const p = m.params, from = nickOf(m.source);
      const me = fold(from) === fold(chat.nick);
      const target = p[0] || "";
      // A server's own notices (no nick!user@host) go to the server view, not a conversation.
      const r = isChannelName(target) ? room(target) : !m.source.includes("!") ? room("*server*") : room(me ? target : from);
      const text = strip(p[1] || "");
      const action = text.startsWith("\u0001ACTION ") ? text.slice(8).replace(/\u0001$/, "") : null;
      if (action === null && text.startsWith("\u0001")) return null;  // other CTCP
      const l = addLine(r, "msg", action !== null ? "* " + from + " " + action : text, action !== null ? null : from, m.tags, how, from, at);
      if (l) { l.action = action !== null; l.notice = m.command === "NOTICE"; }
      return l;
    }
    function handle(m) {
      const p = m.params, from = nickOf(m.source), me = fold(from) === fold(chat.nick);
      const batch = m.tags.batch && chat.batches.get(m.tags.batch);
      if (batch && (m.command === "PRIVMSG" || m.command === "NOTICE")) { batch.items.push(m); return; }
      switch (m.command) {
        case "PING": send("PONG :" + (p[0] || "")); break;
        case "CAP": {
          const sub = p[1];
          if (sub === "LS" || sub === "NEW") {
            const more = p[2] === "*" && p.length > 3;
            for (const c of (more ? p[3] : p[2] || "").split(" ").filter(Boolean)) chat.offered.add(c.split("=")[0]);
            if (!more) {
              const want = WANTED_CAPS.filter((c) => chat.offered.has(c) && !chat.caps.has(c));
              if (want.length) send("CAP REQ :" + want.join(" ")); else if (!chat.registered) send("CAP END");
            }
          }
          if (sub === "ACK") for (const c of (p[2] || "").split(" ").filter(Boolean)) c[0] === "-" ? chat.caps.delete(c.slice(1)) : chat.caps.add(c);
          if (sub === "DEL") for (const c of (p[2] || "").split(" ")) { chat.caps.delete(c); chat.offered.delete(c); }
          if ((sub === "ACK" || sub === "NAK") && !chat.registered) send("CAP END");
          break;
        }
        case "001":
          chat.registered = true; chat.nick = p[0]; chat.attempts = 0; chat.conn++;
          $("nick").value = chat.nick; localStorage.setItem("chatd.nick", chat.nick);
          for (const name of chat.wanted) send("JOIN " + name);
          send("LIST");
          if (chat.away) send("AWAY :away");
          dirty.all = true; schedule();
          break;
        case "005":
          for (const token of p.slice(1, -1)) if (token.startsWith("CHATHISTORY=")) chat.historyMax = Number(token.slice(12)) || 0;
          break;
        case "900": chat.account = p[2] || chat.account; dirty.status = true; schedule(); break;
        case "433":
          if (!chat.registered) { chat.nick = chat.nick.slice(0, 28) + "_"; send("NICK " + chat.nick); }
          else event(currentRoom(), "nick " + p[1] + " is taken");
          break;
        case "BATCH": {
          const id = p[0].slice(1);
          if (p[0][0] === "+") { chat.batches.set(id, { type: p[1], params: p.slice(2), items: [] }); break; }
          const b = chat.batches.get(id); chat.batches.delete(id);
          if (!b) break;
          if (b.type === "chathistory") finishHistory(room(b.params[0]), b.items);
          else if (b.type === "soju.im/search") { if (chat.search) { chat.search.results = b.items; renderSearch(); } }
          else for (const item of b.items) addMessage(item, "live");
          break;
        }
        case "JOIN": {
          const r = room(p[0]);
          r.members.set(fold(from), { nick: from, away: false, prefix: "", account: p[1] && p[1] !== "*" ? p[1] : null });
          if (me) {
            r.name = p[0];
            if (!chat.wanted.some((w) => fold(w) === fold(p[0]))) { chat.wanted.push(p[0]); saveRooms(); send("LIST"); }
            const first = !r.joined; r.joined = true;
            if (r.historyConn !== chat.conn) { r.historyConn = chat.conn; send("WHO " + p[0]); catchUp(r); }
            // The room /join asked for; else the first, or the one in view when the page was last open.
            if (chat.switchTo === r.key) { chat.switchTo = null; show(r.key); }
            else if (!chat.current || (chat.autoCurrent && r.key === fold(chat.lastViewed || ""))) show(r.key, true);
            if (first) event(r, "you joined " + p[0]);
          } else event(r, from + " joined");
          dirty.members = dirty.rooms = true; schedule();
          break;
        }
        case "PART": case "KICK": {
          const who = m.command === "KICK" ? p[1] : from;
          const r = room(p[0]);
          r.members.delete(fold(who));
          if (fold(who) === fold(chat.nick)) {
            chat.rooms.delete(r.key); chat.wanted = chat.wanted.filter((w) => fold(w) !== r.key); saveRooms();
            if (m.command === "KICK") event(room("*server*"), "you were kicked from " + p[0] + " by " + from + (p[2] ? " (" + p[2] + ")" : ""));
            if (chat.current === r.key) { const next = [...chat.rooms.keys()].find((k) => k !== "*server*"); chat.current = null; if (next) show(next); }
            send("LIST");
          } else event(r, m.command === "KICK" ? who + " was kicked by " + from + (p[2] ? " (" + p[2] + ")" : "") : who + " left");
          dirty.all = true; schedule();
          break;
        }
        case "QUIT":
          everywhere(from, from + " quit" + (p[0] ? " (" + p[0] + ")" : ""));
          for (const r of chat.rooms.values()) r.members.delete(fold(from));
          dirty.members = true; schedule();
          break;
        case "NICK":
          everywhere(from, from + " is now " + p[0]);
          for (const r of chat.rooms.values()) { const u = r.members.get(fold(from)); if (u) { r.members.delete(fold(from)); u.nick = p[0]; r.members.set(fold(p[0]), u); } }
          if (me) { chat.nick = p[0]; localStorage.setItem("chatd.nick", p[0]); $("nick").value = p[0]; }
          dirty.all = true; schedule();
          break;
        case "AWAY":
          for (const r of chat.rooms.values()) { const u = r.members.get(fold(from)); if (u) u.away = p.length > 0 && p[0] !== ""; }
          dirty.members = true; schedule();
          break;
        case "ACCOUNT":
          for (const r of chat.rooms.values()) { const u = r.members.get(fold(from)); if (u) u.account = p[0] === "*" ? null : p[0]; }
          break;
        case "305": case "306": chat.away = m.command === "306"; dirty.status = true; schedule(); break;
        case "352": { const r = room(p[1]); const u = r.members.get(fold(p[5])); if (u) { u.away = (p[6] || "").startsWith("G"); dirty.members = true; schedule(); } break; }
        case "353": {
          const r = room(p[2]);
          if (!r.names) r.names = new Map();
          for (const entry of (p[3] || "").split(" ").filter(Boolean)) {
            const bare = entry.replace(/^[@+%~&]+/, ""); const n = bare.split("!")[0];
            const old = r.members.get(fold(n));
            r.names.set(fold(n), { nick: n, away: old ? old.away : false, account: old ? old.account : null, prefix: entry.slice(0, entry.length - bare.length) });
          }
          break;
        }
        case "366": { const r = room(p[1]); if (r.names) { r.members = r.names; r.names = null; } dirty.members = true; schedule(); break; }
        case "332": room(p[1]).topic = p[2] || ""; dirty.header = true; schedule(); break;
        case "TOPIC": room(p[0]).topic = p[1] || ""; event(room(p[0]), from + " set the topic: " + (p[1] || "")); dirty.header = true; schedule(); break;
        case "MODE": if (isChannelName(p[0])) { event(room(p[0]), from + " sets mode " + p.slice(1).join(" ")); send("NAMES " + p[0]); } break;
        case "321": chat.listing = []; break;
        case "322": (chat.listing = chat.listing || []).push({ name: p[1], users: +p[2] }); break;
        case "323": chat.available = chat.listing || []; chat.listing = null; dirty.rooms = true; schedule(); break;
        case "PRIVMSG": case "NOTICE": addMessage(m, "live"); break;
        case "MARKREAD": {
          const r = chat.rooms.get(fold(p[0] || "")); const v = p[1] || "";
          if (!r || !v.startsWith("timestamp=")) break;
          const ts = Date.parse(v.slice(10));
          if (!isNaN(ts) && ts > (r.readUpTo || 0)) { r.readUpTo = ts; r.sentMarker = Math.max(r.sentMarker, ts); saveRead(r); recount(r); dirty.rooms = true; schedule(); }
          break;
        }
        case "FAIL":
          if (p[0] === "CHATHISTORY") { const r = chat.rooms.get(fold(p[3] || "")); if (r) { r.loading = null; r.more = false; dirty.messages = true; schedule(); } }
          else if (p[0] === "SEARCH" && chat.search) { chat.search.error = p[p.length - 1]; renderSearch(); }
          else event(currentRoom(), p[0] + ": " + p[p.length - 1]);
          break;
        case "ERROR": chat.lastError = p[0] || ""; dirty.status = true; schedule(); break;
        default:
          if (/^[45]\d\d$/.test(m.command)) event(currentRoom(), p.slice(1).join(" "));
      }
    }

    // ---- typed commands ----
    function command(text, r) {
      const [word, ...rest] = text.slice(1).split(" ");
      const arg = rest.join(" ");
      const here = r && r.key !== "*server*" ? r.name : null;
      const need = (what) => { event(currentRoom(), "/" + word + " needs " + what); return false; };
      switch (word.toLowerCase()) {
        case "join": case "j": {
          if (!rest[0]) return need("a room, as in /join #room");
          const name = isChannelName(rest[0]) ? rest[0] : "#" + rest[0];
          const first = fold(name.split(",")[0]);
          if (chat.rooms.get(first)?.joined) { show(first); return true; }
          chat.switchTo = first;
          return send("JOIN " + name + (rest[1] ? " " + rest[1] : ""));
        }
        case "part": case "leave": {
          const target = rest[0] && isChannelName(rest[0]) ? rest.shift() : here;
          if (!target) return need("a room");
          if (!isChannelName(target)) { chat.rooms.delete(fold(target)); chat.current = null; step(0); dirty.all = true; schedule(); return true; }
          return send("PART " + target + (rest.length ? " :" + rest.join(" ") : ""));
        }
        case "nick": return rest[0] ? send("NICK " + rest[0]) : need("a new nick");
        case "me": {
          if (!here) return need("a room");
          const ok = send("PRIVMSG " + here + " :\u0001ACTION " + arg + "\u0001");
          if (ok && !chat.caps.has("echo-message")) addLine(r, "msg", "* " + chat.nick + " " + arg, null, null);
          return ok;
        }
        case "topic": return here ? send("TOPIC " + here + (arg ? " :" + arg : "")) : need("a room");
        case "msg": case "query": {
          if (!rest[0]) return need("a nick");
          const to = rest[0], words = rest.slice(1).join(" ");
          if (word.toLowerCase() === "query" && !isChannelName(to)) show(room(to).key);
          if (!words) return true;
          const ok = send("PRIVMSG " + to + " :" + words);
          if (ok && !chat.caps.has("echo-message")) addLine(room(to), "msg", words, chat.nick, null);
          return ok;
        }
        case "away": return send(arg ? "AWAY :" + arg : (chat.away ? "AWAY" : "AWAY :away"));
        case "back": return send("AWAY");
        case "kick": return here && rest[0] ? send("KICK " + here + " " + rest[0] + (rest.length > 1 ? " :" + rest.slice(1).join(" ") : "")) : need("a nick, in a room");
        case "mode": {
          if (!rest.length) return here ? send("MODE " + here) : need("a room");
          return send("MODE " + (/^[+-]/.test(rest[0]) && here ? here + " " : "") + arg);
        }
        case "search": search(arg); return true;
        case "quote": case "raw": return send(arg);
        case "help":
          event(currentRoom(), "commands: /join #room, /part [reason], /nick name, /me action, /topic [text], /msg nick text, " +
            "/query nick, /away [message], /kick nick [reason], /mode [+o nick], /search words, /quote RAW LINE");
          return true;
        default: return send(text.slice(1));
      }
    }
    function submit(e) {
      e.preventDefault();
      const input = $("text"), text = input.value;
      if (!text) return;
      const r = chat.rooms.get(chat.current);
      if (!chat.registered) { event(currentRoom(), "not connected: the line was kept, send it again once online"); return; }
      input.value = "";
      if (text.startsWith("/") && !text.startsWith("//")) { command(text, r); return; }
      if (!r || r.key === "*server*") return;
      const line = text.startsWith("//") ? text.slice(1) : text;
      if (send("PRIVMSG " + r.name + " :" + line) && !chat.caps.has("echo-message")) addLine(r, "msg", line, chat.nick, null);
    }

    // Tab: the nick (or room) that begins the word before the caret; again: the next one.
    let completion = null;
    function complete(input) {
      const v = input.value, caret = input.selectionStart;
      if (!completion) {
        const start = v.lastIndexOf(" ", caret - 1) + 1, word = fold(v.slice(start, caret));
        if (!word) return false;
        const r = chat.rooms.get(chat.current);
        const names = word[0] === "#" ? [...chat.rooms.values()].map((x) => x.name) : r ? [...r.members.values()].map((u) => u.nick) : [];
        const matches = names.filter((n) => fold(n).startsWith(word) && fold(n) !== fold(chat.nick)).sort((a, b) => fold(a) < fold(b) ? -1 : 1);
        if (!matches.length) return false;
        completion = { start, end: caret, matches, index: -1 };
      }
      const c = completion;
      c.index = (c.index + 1) % c.matches.length;
      const insert = c.matches[c.index] + (c.start === 0 && c.matches[c.index][0] !== "#" ? ": " : " ");
      input.value = v.slice(0, c.start) + insert + v.slice(c.end);
      c.end = c.start + insert.length;
      input.setSelectionRange(c.end, c.end);
      return true;
    }

    // ---- notifications (opt-in; only while the page is hidden) ----
    function notifyHidden(r, l) {
      const N = window.Notification;
      if (!chat.notify || document.visibilityState !== "hidden" || !N || N.permission !== "granted") return;
      const n = new N((r.isChannel ? r.name + ": " : "") + (l.from || ""), { body: l.text, tag: r.key });
      n.onclick = () => { window.focus(); show(r.key); };
    }
    function toggleNotify() {
      const N = window.Notification;
      if (chat.notify) { chat.notify = false; localStorage.setItem("chatd.notify", "0"); dirty.status = true; schedule(); return; }
      if (!N) { event(currentRoom(), "this browser has no desktop notifications"); return; }
      Promise.resolve(N.requestPermission()).then((answer) => {
        chat.notify = answer === "granted";
        localStorage.setItem("chatd.notify", chat.notify ? "1" : "0");
        if (!chat.notify) event(currentRoom(), "notifications were not allowed by the browser");
        dirty.status = true; schedule();
      });
    }

    // ---- rendering ----
    const dirty = {};
    let scheduled = false;
    function schedule() { if (!scheduled) { scheduled = true; queueMicrotask(render); } }
    const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
    const hhmm = (d) => d.toTimeString().slice(0, 5);
    // A nick's colour: one of eight, the same for the same nick everywhere.
    function colour(nick) { let h = 0; for (const c of fold(nick)) h = (h * 31 + c.charCodeAt(0)) >>> 0; return "c" + (h % 8); }
    const dayOf = (d) => d.toDateString();
    const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
    // Text with its http(s) addresses as links: text nodes and anchors, never markup.
    function linkify(parent, text) {
      let last = 0;
      for (const match of text.matchAll(URL_RE)) {
        let url = match[0];
        while (/[.,;:!?)\]'}]$/.test(url) && !(url.endsWith(")") && url.includes("("))) url = url.slice(0, -1);
        parent.append(text.slice(last, match.index));
        const a = el("a", null, url); a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
        parent.append(a);
        last = match.index + url.length;
      }
      parent.append(text.slice(last));
    }
    function lineNode(l) {
      const div = el("div", "msg " + l.kind + (l.action ? " action" : "") + (l.notice ? " notice" : "") + (l.mention ? " mention" : "") + (l.self ? " self" : ""));
      if (l.msgid) div.dataset.msgid = l.msgid;
      const t = el("time", null, hhmm(l.time)); t.dateTime = l.time.toISOString(); t.title = l.time.toLocaleString(); div.append(t);
      if (l.from) div.append(el("span", "nick " + colour(l.from), l.from));
      const body = el("span", "text"); linkify(body, l.text); div.append(body);
      if (l.kind === "msg" && chat.firstMessageAt === null) { chat.firstMessageAt = performance.now(); performance.mark("chatd-first-message"); }
      return div;
    }
    function daySeparator(d) {
      const div = el("div", "day", d.toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" }));
      div.setAttribute("role", "separator");
      return div;
    }
    function sinceSeparator(r) {
      const div = el("div", "unread-since", "unread since " + hhmm(new Date(r.since)));
      div.setAttribute("role", "separator");
      return div;
    }
    // One line at the bottom of the room in view (the common case: no full redraw).
    function appendLine(l, previous) {
      const log = $("log"), box = $("messages");
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      if (!previous || dayOf(previous.time) !== dayOf(l.time)) box.append(daySeparator(l.time));
      box.append(lineNode(l));
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    function renderMessages() {
      const r = chat.rooms.get(chat.current), log = $("log"), box = $("messages");
      const keep = box.dataset.room === chat.current ? log.scrollHeight - log.scrollTop : null;
      const atBottom = keep === null || keep - log.clientHeight < 40;
      const fragment = document.createDocumentFragment();
      let previous = null, sinceShown = false;
      if (r) for (const l of r.lines) {
        if (!previous || dayOf(previous.time) !== dayOf(l.time)) fragment.append(daySeparator(l.time));
        if (r.since !== null && !sinceShown && l.kind === "msg" && !l.self && l.ts > r.since) { fragment.append(sinceSeparator(r)); sinceShown = true; }
        fragment.append(lineNode(l));
        previous = l;
      }
      box.replaceChildren(fragment);
      box.dataset.room = chat.current || "";
      const older = $("older");
      older.hidden = !r || !r.isChannel || !chat.caps.has("draft/chathistory");
      older.disabled = !!(r && (r.loading || !r.more));
      older.textContent = r && r.loading === "BEFORE" ? "loading older messages…" : r && !r.more ? "beginning of history" : "load older messages";
      log.scrollTop = atBottom ? log.scrollHeight : log.scrollHeight - keep;
      // A short room fills the view from older pages, one at a time.
      if (r && r.more && !r.loading && log.scrollHeight <= log.clientHeight && r.lines.some((l) => l.kind === "msg")) loadOlder(r);
    }
    function roomLabel(r) {
      return r.name + (r.unread ? ", " + r.unread + " unread" : "") + (r.mentions ? ", " + r.mentions + (r.mentions === 1 ? " mention" : " mentions") : "");
    }
    function renderRooms() {
      const joined = $("joined"); joined.replaceChildren();
      let unread = 0, mentionCount = 0;
      for (const [key, r] of chat.rooms) {
        if (key === "*server*" && r.lines.length === 0) continue;
        unread += r.unread; mentionCount += r.mentions;
        const li = el("li"); li.dataset.room = key; li.dataset.unread = r.unread; li.dataset.mentions = r.mentions;
        const b = el("button", "room", null); b.type = "button"; b.dataset.room = key;
        b.append(el("span", "name", key === "*server*" ? "server" : r.name));
        if (r.unread) b.append(el("span", "badge" + (r.mentions ? " mention" : ""), r.mentions ? "@" + r.mentions : String(r.unread)));
        b.setAttribute("aria-label", roomLabel(r));
        if (key === chat.current) { li.className = "current"; b.setAttribute("aria-current", "page"); }
        else if (r.unread) li.className = "unread";
        joined.append(li); li.append(b);
      }
      const available = $("available"); available.replaceChildren();
      for (const a of chat.available) {
        if (chat.rooms.get(fold(a.name))?.joined) continue;
        const li = el("li"); const b = el("button", "join", a.name + " (" + a.users + ")"); b.type = "button"; b.dataset.join = a.name;
        b.setAttribute("aria-label", "join " + a.name + ", " + a.users + " people");
        li.append(b); available.append(li);
      }
      const r = chat.rooms.get(chat.current);
      document.title = (unread ? "(" + unread + (mentionCount ? ", @" + mentionCount : "") + ") " : "") + (r && r.key !== "*server*" ? r.name + " · " : "") + "chatd";
      $("rooms-toggle").dataset.unread = unread;
      $("rooms-toggle").setAttribute("aria-label", "Rooms" + (unread ? ", " + unread + " unread" : ""));
    }
    function renderMembers() {
      const r = chat.rooms.get(chat.current);
      const members = $("members"); members.replaceChildren();
      // Operators first, then voiced, then everyone else; by name within each.
      const rank = (u) => { const i = "~&@%+".indexOf(u.prefix[0]); return i < 0 ? 5 : i; };
      if (r) for (const u of [...r.members.values()].sort((a, b) => rank(a) - rank(b) || (fold(a.nick) < fold(b.nick) ? -1 : 1))) {
        const li = el("li", u.away ? "away" : "online"); li.dataset.nick = u.nick;
        const b = el("button", "member", u.prefix + u.nick); b.type = "button";
        b.title = (u.away ? "away" : "online") + (u.account ? ", account " + u.account : "") + "; click to address";
        b.setAttribute("aria-label", u.prefix + u.nick + ", " + (u.away ? "away" : "online"));
        li.append(b); members.append(li);
      }
      $("member-count").textContent = r && r.isChannel ? String(r.members.size) : "";
    }
    function renderHeader() {
      const r = chat.rooms.get(chat.current);
      $("room-name").textContent = r && r.key !== "*server*" ? r.name : "chatd";
      $("topic").textContent = r ? r.topic : "";
      $("topic").hidden = !(r && r.topic);
    }
    function renderStatus() {
      const s = $("status"), offline = $("offline");
      const online = chat.registered;
      s.textContent = online ? "online as " + chat.nick + (chat.account ? " (" + chat.account + ")" : "") : chat.connected ? "connecting…" : "offline";
      s.className = online ? "online" : chat.connected ? "" : "offline";
      offline.hidden = online || chat.connected || chat.attempts === 0;
      if (!offline.hidden) {
        const seconds = Math.max(0, Math.ceil(((chat.retryAt || 0) - Date.now()) / 1000));
        $("offline-text").textContent = "Offline" + (chat.lastClose ? " (" + chat.lastClose + ")" : "") + (chat.lastError ? ": " + chat.lastError : "") +
          (chat.retry ? ". Reconnecting in " + seconds + " s." : ".");
      }
      document.body.classList.toggle("is-offline", !online);
      $("away").textContent = chat.away ? "back" : "away";
      $("away").setAttribute("aria-pressed", String(chat.away));
      $("notify").setAttribute("aria-pressed", String(chat.notify));
    }
    function renderSearch() {
      const box = $("search-results"), s = chat.search;
      box.replaceChildren();
      if (!s) { box.hidden = true; return; }
      const head = el("div", "search-head");
      const close = el("button", "close", "close"); close.type = "button"; close.id = "search-close";
      if (s.unavailable) head.append(el("p", "unavailable", "Search is not available on this server."));
      else if (s.error) head.append(el("p", "unavailable", "Search failed: " + s.error));
      else if (s.results === null) head.append(el("p", null, "searching " + s.target + " for “" + s.text + "”…"));
      else head.append(el("p", null, s.results.length + (s.results.length === 1 ? " result" : " results") + " for “" + s.text + "” in " + s.target));
      head.append(close); box.append(head);
      const list = el("ol", "results");
      for (const m of s.results || []) {
        const time = m.tags.time ? new Date(m.tags.time) : new Date();
        const li = el("li", "msg");
        const t = el("time", null, time.toLocaleDateString() + " " + hhmm(time)); t.dateTime = time.toISOString(); li.append(t);
        li.append(el("span", "nick", nickOf(m.source)));
        const body = el("span", "text"); linkify(body, strip(m.params[1] || "")); li.append(body);
        list.append(li);
      }
      box.append(list);
      box.hidden = false;
    }
    function renderAccount() {
      const s = chat.session;
      $("account").hidden = !s;
      if (!s) return;
      $("login-link").hidden = !!s.account;
      $("login-link").href = s.login || "/login";
      $("account-name").hidden = !s.account;
      $("account-name").textContent = s.account ? "signed in as " + s.account : "";
      $("logout").hidden = !s.account;
      $("csrf").value = s.csrf || "";
    }
    function render() {
      scheduled = false;
      const all = dirty.all;
      if (all || dirty.rooms) renderRooms();
      if (all || dirty.members) renderMembers();
      if (all || dirty.messages) renderMessages();
      renderHeader(); renderStatus();
      for (const k of Object.keys(dirty)) delete dirty[k];
    }

    // ---- the connection ----
    function connect() {
      clearTimeout(chat.retry); chat.retry = null;
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + location.pathname.replace(/[^/]*$/, "") + "ws";
      const ws = chat.socket = new WebSocket(url, ["text.ircv3.net"]);
      let opened = false;
      chat.lastError = null;
      renderStatus();
      ws.onopen = () => {
        opened = true;
        chat.connected = true; chat.registered = false; chat.caps.clear(); chat.offered.clear(); chat.batches.clear();
        send("CAP LS 302");
        send("NICK " + chat.nick);
        send("USER web 0 * :chatd web client");
        renderStatus();
      };
      ws.onmessage = (e) => { for (const line of String(e.data).split(/\r?\n/)) if (line) handle(parse(line)); };
      ws.onclose = (e) => {
        if (chat.socket !== ws) return;
        chat.connected = false; chat.registered = false; chat.socket = null;
        // Refused before it opened, with guests not allowed: the session is gone; log in again.
        if (!opened && chat.session && !chat.session.guests && !chat.account) { location.href = chat.session.login || "/login"; return; }
        for (const r of chat.rooms.values()) { r.members.clear(); r.loading = null; }
        // Exponential backoff with jitter: about 1 s, 2 s, 4 s ... at most 30 s.
        const delay = Math.min(30000, 1000 * 2 ** chat.attempts) * (0.5 + Math.random() / 2);
        chat.attempts++;
        chat.lastClose = e.code ? "closed " + e.code : null;
        chat.closedAt = Date.now(); chat.retryAt = chat.closedAt + delay;
        chat.retry = setTimeout(() => { chat.retry = null; connect(); }, delay);
        dirty.all = true; render();
      };
    }
    function reconnectNow() { if (chat.socket) return; clearTimeout(chat.retry); connect(); }
    async function loadSession() {
      try {
        const answer = await fetch("/session", { credentials: "same-origin", headers: { Accept: "application/json" }, signal: AbortSignal.timeout(3000) });
        if (!answer.ok) return;
        const s = await answer.json();
        chat.session = s; chat.account = s.account || null;
        if (!s.account && s.guests === false) { location.href = s.login || "/login"; return "leaving"; }
        if (s.account && !params.get("nick") && !localStorage.getItem("chatd.nick")) chat.nick = s.account;
      } catch (error) {
        // No session endpoint (an older server), or it did not answer: a guest, as before.
      }
    }

    // ---- wiring ----
    function closeDrawers() { document.body.classList.remove("rooms-open", "people-open"); $("rooms-toggle").setAttribute("aria-expanded", "false"); $("people-toggle").setAttribute("aria-expanded", "false"); }
    function toggleDrawer(which) {
      const open = !document.body.classList.contains(which + "-open");
      closeDrawers();
      document.body.classList.toggle(which + "-open", open);
      $(which + "-toggle").setAttribute("aria-expanded", String(open));
      if (open) { const first = $(which === "rooms" ? "rooms" : "people").querySelector("button, li"); if (first && first.focus) first.focus(); }
    }
    $("say").addEventListener("submit", submit);
    $("text").addEventListener("keydown", (e) => {
      if (e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) { if (complete(e.target)) e.preventDefault(); }
      else if (e.key !== "Shift") completion = null;
    });
    document.addEventListener("keydown", (e) => {
      if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) { e.preventDefault(); step(e.key === "ArrowUp" ? -1 : 1); }
      if (e.key === "Escape") closeDrawers();
    });
    $("joined").addEventListener("click", (e) => { const b = e.target.closest("button[data-room]"); if (b) show(b.dataset.room); });
    $("available").addEventListener("click", (e) => { const b = e.target.closest("button[data-join]"); if (b) command("/join " + b.dataset.join); });
    $("setnick").addEventListener("click", () => { const n = $("nick").value.trim(); if (n) send("NICK " + n); });
    $("nick").addEventListener("keydown", (e) => { if (e.key === "Enter") $("setnick").click(); });
    $("away").addEventListener("click", () => send(chat.away ? "AWAY" : "AWAY :away"));
    $("notify").addEventListener("click", toggleNotify);
    $("refresh").addEventListener("click", () => send("LIST"));
    $("reconnect").addEventListener("click", reconnectNow);
    $("rooms-toggle").addEventListener("click", () => toggleDrawer("rooms"));
    $("people-toggle").addEventListener("click", () => toggleDrawer("people"));
    $("scrim").addEventListener("click", closeDrawers);
    $("older").addEventListener("click", () => loadOlder(chat.rooms.get(chat.current)));
    $("log").addEventListener("scroll", () => { if ($("log").scrollTop < 80) loadOlder(chat.rooms.get(chat.current)); }, { passive: true });
    $("search").addEventListener("submit", (e) => { e.preventDefault(); search($("search-text").value.trim()); });
    $("search-results").addEventListener("click", (e) => { if (e.target.id === "search-close") { chat.search = null; renderSearch(); } });
    $("members").addEventListener("click", (e) => { const li = e.target.closest("li[data-nick]"); if (li && fold(li.dataset.nick) !== fold(chat.nick)) { const t = $("text"); t.value = li.dataset.nick + ": " + t.value; t.focus(); closeDrawers(); } });
    // Back to the tab: what came meanwhile in the room in view is marked, then read.
    document.addEventListener("visibilitychange", () => {
      const r = chat.rooms.get(chat.current);
      if (!r || document.visibilityState === "hidden") return;
      if (r.unread > 0) { r.since = r.readUpTo; dirty.messages = true; }
      markViewed(r);
    });
    window.addEventListener("online", reconnectNow);
    chat.handleLine = (line) => handle(parse(line));  // for tests: a server line, as if it came over the socket
    $("nick").value = chat.nick;
    setInterval(() => { if (chat.registered) send("LIST"); }, 30000);
    setInterval(() => { if (!chat.socket) renderStatus(); }, 1000);  // the offline bar's countdown
    dirty.all = true; render();
    loadSession().then((leaving) => { renderAccount(); if (leaving !== "leaving") connect(); });
    """##
}
