// The web client's page: the HTML chatd serves at `/` — landmarks (header, the rooms'
// navigation, the messages' main, the members' aside), labelled controls, and the two
// files it loads, `/app.css` (WebClientStyle) and `/app.js` (WebClientScript, at the end
// of the body). No inline script, style or event handler: the page runs under a
// Content-Security-Policy that allows none. Constant text, written by no one at run time.

enum WebClientPage {
  /// The page as bytes, built once.
  static let bytes: [UInt8] = Array(html.utf8)

  /// The page's HTML.
  static let html = ##"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>chatd</title>
    <link rel="stylesheet" href="/app.css">
    </head>
    <body>
    <a class="skip" href="#text">Skip to the message box</a>
    <header>
      <button id="rooms-toggle" class="drawer-toggle" type="button" aria-controls="rooms" aria-expanded="false" aria-label="Rooms">☰</button>
      <h1 id="room-name">chatd</h1>
      <span id="status" role="status" aria-live="polite">connecting…</span>
      <div id="controls">
        <label for="nick">Nick</label>
        <input id="nick" size="10" autocomplete="off" spellcheck="false">
        <button id="setnick" type="button">change</button>
        <button id="away" type="button" aria-pressed="false">away</button>
        <button id="notify" type="button" aria-pressed="false" title="desktop notifications for mentions and private messages while this tab is hidden">notify</button>
        <div id="account" hidden>
          <a id="login-link" href="/login">Log in</a>
          <span id="account-name"></span>
          <form id="logout" method="post" action="/logout" hidden><input type="hidden" name="csrf" id="csrf"><button type="submit">Log out</button></form>
        </div>
      </div>
      <button id="people-toggle" class="drawer-toggle" type="button" aria-controls="people" aria-expanded="false">Members <span id="member-count"></span></button>
    </header>
    <div id="offline" role="alert" hidden><span id="offline-text">Offline.</span> <button id="reconnect" type="button">reconnect now</button></div>
    <nav id="rooms" aria-label="Rooms">
      <h2 id="joined-heading">Joined</h2>
      <ul id="joined" aria-labelledby="joined-heading"></ul>
      <h2 id="available-heading">Rooms <button id="refresh" type="button" aria-label="refresh the room list">↻</button></h2>
      <ul id="available" aria-labelledby="available-heading"></ul>
    </nav>
    <main id="main">
      <p id="topic" hidden></p>
      <form id="search" role="search" aria-label="Search this room">
        <label for="search-text" class="visually-hidden">Search this room</label>
        <input id="search-text" type="search" placeholder="search this room" autocomplete="off">
        <button type="submit">search</button>
      </form>
      <section id="search-results" aria-label="Search results" aria-live="polite" hidden></section>
      <div id="log" role="log" aria-label="Messages" tabindex="0">
        <button id="older" type="button" hidden>load older messages</button>
        <div id="messages"></div>
      </div>
      <form id="say" aria-label="Send a message">
        <label for="text" class="visually-hidden">Message</label>
        <input id="text" autocomplete="off" enterkeyhint="send" placeholder="message, or /join #room, /me, /msg, /help">
        <button type="submit">send</button>
      </form>
    </main>
    <aside id="people" aria-label="Members">
      <h2>Members</h2>
      <ul id="members"></ul>
    </aside>
    <div id="scrim"></div>
    <script src="/app.js"></script>
    </body>
    </html>
    """##
}
