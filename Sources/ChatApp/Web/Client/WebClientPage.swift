// The browser client chatd serves at `/`: the page's HTML, whose script (`/app.js`,
// WebClientScript.swift) and style (`/app.css`, WebClientStyle.swift) are files of their
// own, so that the Content-Security-Policy every page carries (Web/SecurityHeaders.swift)
// can forbid inline script and style. The page speaks IRC over WebSocket to `/ws` with
// the text.ircv3.net subprotocol: rooms (LIST, join by clicking), members with presence,
// messages with the history a room replays on join, nick change, away, reconnecting with
// backoff. `?nick=` and `?join=#a,#b` preset the nick and rooms (the browser tests use
// them); `window.chat` exposes the state for tests. Constant text: no state.

enum WebClientPage {
  /// The page as bytes, built once.
  static let bytes: [UInt8] = Array(html.utf8)

  static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>chatd</title>
    <link rel="stylesheet" href="/app.css">
    </head>
    <body>
    <header>
      <h1>chatd</h1>
      <label>nick <input id="nick" size="12" autocomplete="off"></label>
      <button id="setnick" type="button">change</button>
      <button id="away" type="button">away</button>
      <span id="status">connecting…</span>
    </header>
    <aside id="rooms">
      <h2>Joined</h2><ul id="joined"></ul>
      <h2>Rooms <button id="refresh" type="button" title="refresh">↻</button></h2><ul id="available"></ul>
    </aside>
    <main><div id="topic"></div><div id="messages"></div></main>
    <aside id="people"><h2>Members</h2><ul id="members"></ul></aside>
    <form id="say"><input id="text" autocomplete="off" placeholder="message, or /join #room, /nick name, /me, /away, /part"><button>send</button></form>
    <script src="/app.js"></script>
    </body>
    </html>
    """#
}
