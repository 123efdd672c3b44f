// The web client's script, served as `/app.js` (application/javascript): everything
// the page (WebClientPage.swift) does, from parsing IRC lines to reconnecting. After a
// reconnect the room's replay holds lines the page already shows: each message carries
// its msgid (message-tags), and a line whose msgid the room has is not added again.
// Event handlers are set from here, never inline (the CSP forbids those). Constant
// text: no state.

enum WebClientScript {
  /// The script as bytes, built once.
  static let bytes: [UInt8] = Array(source.utf8)

  static let source = #"""
    "use strict";
    const params = new URLSearchParams(location.search);
    const $ = (id) => document.getElementById(id);
    const fold = (s) => s.toLowerCase();
    const chat = window.chat = {
      nick: params.get("nick") || localStorage.getItem("chatd.nick") || "guest" + Math.floor(Math.random() * 10000),
      wanted: (params.get("join") || localStorage.getItem("chatd.rooms") || "#lobby").split(",").filter(Boolean),
      rooms: new Map(),      // folded name -> {name, topic, members: Map(nick -> {nick, away, prefix}), lines: [], seen: Set(msgid), unread}
      available: [],         // from LIST
      current: null,
      connected: false, registered: false, attempts: 0, caps: new Set(), socket: null, away: false,
    };

    function parse(line) {
      const m = { tags: {}, source: "", command: "", params: [] };
      let i = 0;
      const word = () => { const j = line.indexOf(" ", i); const w = j < 0 ? line.slice(i) : line.slice(i, j); i = j < 0 ? line.length : j + 1; while (line[i] === " ") i++; return w; };
      if (line[0] === "@") { for (const t of word().slice(1).split(";")) { const k = t.indexOf("="); m.tags[k < 0 ? t : t.slice(0, k)] = k < 0 ? "" : t.slice(k + 1).replace(/\\:/g, ";").replace(/\\s/g, " ").replace(/\\\\/g, "\\"); } }
      if (line[i] === ":") m.source = word().slice(1);
      m.command = word().toUpperCase();
      while (i < line.length) { if (line[i] === ":") { m.params.push(line.slice(i + 1)); break; } m.params.push(word()); }
      return m;
    }
    const nickOf = (source) => source.split("!")[0];
    function send(line) { if (chat.socket && chat.socket.readyState === 1) chat.socket.send(line); }

    function room(name) {
      const key = fold(name);
      if (!chat.rooms.has(key)) chat.rooms.set(key, { name, topic: "", members: new Map(), lines: [], seen: new Set(), unread: false, names: null });
      return chat.rooms.get(key);
    }
    function addLine(r, kind, text, from, tags) {
      // A message shown already (a replay after a reconnect repeats what was seen live).
      const msgid = tags && tags.msgid;
      if (msgid) { if (r.seen.has(msgid)) return; r.seen.add(msgid); }
      const time = tags && tags.time ? new Date(tags.time) : new Date();
      r.lines.push({ kind, text, from, time, msgid, history: !!(tags && tags.time && Date.now() - time.getTime() > 3000) });
      if (r.lines.length > 500) { const old = r.lines.shift(); if (old.msgid) r.seen.delete(old.msgid); }
      if (r !== chat.rooms.get(chat.current)) r.unread = kind === "msg";
      render();
    }
    function everywhere(nick, text) { for (const r of chat.rooms.values()) if (r.members.has(fold(nick))) addLine(r, "event", text); }

    function handle(m) {
      const p = m.params, from = nickOf(m.source), me = fold(from) === fold(chat.nick);
      switch (m.command) {
        case "PING": send("PONG :" + (p[0] || "")); break;
        case "CAP":
          if (p[1] === "ACK") for (const c of (p[2] || "").split(" ")) chat.caps.add(c);
          if (p[1] === "ACK" || p[1] === "NAK") send("CAP END");
          break;
        case "001":
          chat.registered = true; chat.nick = p[0]; chat.attempts = 0;
          $("nick").value = chat.nick; status("online as " + chat.nick, true);
          for (const name of chat.wanted) send("JOIN " + name);
          send("LIST");
          if (chat.away) send("AWAY :away");
          break;
        case "433": if (!chat.registered) { chat.nick = chat.nick.slice(0, 28) + "_"; send("NICK " + chat.nick); } else addLine(currentRoom(), "event", "nick " + p[1] + " is taken"); break;
        case "432": addLine(currentRoom(), "event", "invalid nick: " + p[1]); break;
        case "JOIN": {
          const r = room(p[0]);
          r.members.set(fold(from), { nick: from, away: false, prefix: "" });
          if (me) { r.name = p[0]; if (!chat.wanted.some((w) => fold(w) === fold(p[0]))) chat.wanted.push(p[0]); saveRooms(); if (!chat.current) chat.current = fold(p[0]); send("WHO " + p[0]); }
          addLine(r, "event", from + " joined", null, m.tags);
          break;
        }
        case "PART": case "KICK": {
          const who = m.command === "KICK" ? p[1] : from;
          const r = room(p[0]);
          r.members.delete(fold(who));
          if (fold(who) === fold(chat.nick)) { chat.rooms.delete(fold(p[0])); chat.wanted = chat.wanted.filter((w) => fold(w) !== fold(p[0])); saveRooms(); if (chat.current === fold(p[0])) chat.current = chat.rooms.keys().next().value || null; render(); }
          else addLine(r, "event", who + (m.command === "KICK" ? " was kicked" : " left"));
          break;
        }
        case "QUIT": everywhere(from, from + " quit" + (p[0] ? " (" + p[0] + ")" : "")); for (const r of chat.rooms.values()) r.members.delete(fold(from)); render(); break;
        case "NICK":
          everywhere(from, from + " is now " + p[0]);
          for (const r of chat.rooms.values()) { const u = r.members.get(fold(from)); if (u) { r.members.delete(fold(from)); u.nick = p[0]; r.members.set(fold(p[0]), u); } }
          if (me) { chat.nick = p[0]; localStorage.setItem("chatd.nick", p[0]); $("nick").value = p[0]; status("online as " + p[0], true); }
          render();
          break;
        case "AWAY": for (const r of chat.rooms.values()) { const u = r.members.get(fold(from)); if (u) u.away = p.length > 0 && p[0] !== ""; } render(); break;
        case "305": case "306": chat.away = m.command === "306"; $("away").textContent = chat.away ? "back" : "away"; break;
        case "352": { const r = room(p[1]); const u = r.members.get(fold(p[5])); if (u) { u.away = (p[6] || "").startsWith("G"); render(); } break; }
        case "353": {
          const r = room(p[2]);
          if (!r.names) r.names = new Map();
          for (const entry of (p[3] || "").split(" ").filter(Boolean)) { const n = entry.replace(/^[@+%~&]+/, "").split("!")[0]; r.names.set(fold(n), { nick: n, away: r.members.get(fold(n))?.away || false, prefix: entry.slice(0, entry.length - entry.replace(/^[@+%~&]+/, "").length) }); }
          break;
        }
        case "366": { const r = room(p[1]); if (r.names) { r.members = r.names; r.names = null; } render(); break; }
        case "332": room(p[1]).topic = p[2] || ""; render(); break;
        case "TOPIC": room(p[0]).topic = p[1] || ""; addLine(room(p[0]), "event", from + " set the topic"); break;
        case "321": chat.listing = []; break;
        case "322": (chat.listing = chat.listing || []).push({ name: p[1], users: +p[2] }); break;
        case "323": chat.available = chat.listing || []; chat.listing = null; render(); break;
        case "PRIVMSG": case "NOTICE": {
          const target = p[0];
          const isChannel = /^[#&]/.test(target);
          const r = isChannel ? room(target) : room(me ? target : from);
          let text = p[1] || "";
          const action = text.startsWith("\u0001ACTION ") ? text.slice(8).replace(/\u0001$/, "") : null;
          addLine(r, "msg", action !== null ? "* " + from + " " + action : text, action !== null ? null : from, m.tags);
          break;
        }
        case "ERROR": status("server: " + (p[0] || ""), false); break;
        default:
          if (/^[45]\d\d$/.test(m.command)) addLine(currentRoom(), "event", p.slice(1).join(" "));
      }
    }
    function currentRoom() { return chat.rooms.get(chat.current) || room("*server*"); }
    function saveRooms() { localStorage.setItem("chatd.rooms", chat.wanted.join(",")); }
    function status(text, online) { const s = $("status"); s.textContent = text; s.className = online ? "online" : ""; }

    function render() {
      const joined = $("joined"); joined.replaceChildren();
      for (const [key, r] of chat.rooms) {
        if (key === "*server*" && r.lines.length === 0) continue;
        const li = document.createElement("li"); li.textContent = r.name; li.dataset.room = key;
        if (key === chat.current) li.className = "current"; else if (r.unread) li.className = "unread";
        li.onclick = () => { chat.current = key; r.unread = false; render(); };
        joined.append(li);
      }
      const available = $("available"); available.replaceChildren();
      for (const a of chat.available) {
        const li = document.createElement("li"); li.textContent = a.name + " (" + a.users + ")";
        li.onclick = () => send("JOIN " + a.name);
        available.append(li);
      }
      const r = chat.rooms.get(chat.current);
      $("topic").textContent = r ? r.topic : "";
      const members = $("members"); members.replaceChildren();
      if (r) for (const u of [...r.members.values()].sort((a, b) => fold(a.nick) < fold(b.nick) ? -1 : 1)) {
        const li = document.createElement("li"); li.textContent = u.prefix + u.nick; li.dataset.nick = u.nick;
        li.className = u.away ? "away" : "online"; li.title = u.away ? "away" : "online";
        members.append(li);
      }
      const box = $("messages"); box.replaceChildren();
      if (r) for (const l of r.lines) {
        const div = document.createElement("div"); div.className = "msg " + l.kind + (l.history ? " history" : "");
        const t = document.createElement("time"); t.textContent = l.time.toTimeString().slice(0, 5); div.append(t);
        if (l.from) { const n = document.createElement("span"); n.className = "nick"; n.textContent = l.from; div.append(n); }
        div.append(document.createTextNode(l.text));
        box.append(div);
      }
      box.parentElement.scrollTop = box.parentElement.scrollHeight;
    }

    function connect() {
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + location.pathname.replace(/[^/]*$/, "") + "ws";
      status(chat.attempts ? "reconnecting (attempt " + chat.attempts + ")…" : "connecting…", false);
      const ws = chat.socket = new WebSocket(url, ["text.ircv3.net"]);
      ws.onopen = () => {
        chat.connected = true; chat.registered = false; chat.caps.clear();
        send("CAP LS 302");
        send("CAP REQ :server-time message-tags away-notify multi-prefix echo-message");
        send("NICK " + chat.nick);
        send("USER web 0 * :chatd web client");
      };
      ws.onmessage = (e) => { for (const line of String(e.data).split(/\r?\n/)) if (line) handle(parse(line)); };
      ws.onclose = (e) => {
        chat.connected = false; chat.registered = false; chat.socket = null;
        for (const r of chat.rooms.values()) r.members.clear();
        render();
        // Exponential backoff with jitter: 1 s, 2 s, 4 s ... at most 30 s.
        const delay = Math.min(30000, 1000 * 2 ** chat.attempts) * (0.5 + Math.random() / 2);
        chat.attempts++;
        status("disconnected (" + e.code + "), retrying in " + Math.round(delay / 1000) + " s", false);
        chat.retry = setTimeout(connect, delay);
      };
    }

    $("say").onsubmit = (e) => {
      e.preventDefault();
      const text = $("text").value; $("text").value = "";
      if (!text) return;
      const r = chat.rooms.get(chat.current);
      if (text.startsWith("/")) {
        const [cmd, ...rest] = text.slice(1).split(" "); const arg = rest.join(" ");
        switch (cmd.toLowerCase()) {
          case "join": send("JOIN " + arg); break;
          case "part": if (r) send("PART " + r.name + (arg ? " :" + arg : "")); break;
          case "nick": send("NICK " + arg); break;
          case "me": if (r) { send("PRIVMSG " + r.name + " :\u0001ACTION " + arg + "\u0001"); if (!chat.caps.has("echo-message")) addLine(r, "msg", "* " + chat.nick + " " + arg); } break;
          case "away": send(arg ? "AWAY :" + arg : (chat.away ? "AWAY" : "AWAY :away")); break;
          case "msg": { const [to, ...words] = rest; send("PRIVMSG " + to + " :" + words.join(" ")); break; }
          default: send(text.slice(1));
        }
        return;
      }
      if (!r) return;
      send("PRIVMSG " + r.name + " :" + text);
      if (!chat.caps.has("echo-message")) addLine(r, "msg", text, chat.nick);
    };
    $("setnick").onclick = () => { const n = $("nick").value.trim(); if (n) send("NICK " + n); };
    $("away").onclick = () => send(chat.away ? "AWAY" : "AWAY :away");
    $("refresh").onclick = () => send("LIST");
    $("nick").value = chat.nick;
    setInterval(() => { if (chat.registered) send("LIST"); }, 30000);
    render();
    connect();
    """#
}
