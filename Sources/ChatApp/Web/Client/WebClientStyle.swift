// The web client's style sheet, served as `/app.css`: light and dark themes from the
// system's preference, three columns on wide screens and drawers for rooms and members
// below 760 px (down to 360 px phones, nothing wider than the viewport). Constant text.

enum WebClientStyle {
  /// The style sheet as bytes, built once.
  static let bytes: [UInt8] = Array(source.utf8)

  /// The style sheet.
  static let source = ##"""
    /* chatd's web client. Light or dark as the system says; three columns on wide screens,
       one with drawers for rooms and members below 760 px. */
    :root {
      color-scheme: light dark;
      --bg: #f7f7f5; --panel: #fff; --line: #d9d9d6; --ink: #1f2328; --muted: #656d76; --accent: #1f6feb;
      --accent-ink: #fff; --online: #1a7f37; --away: #9a9a9a; --mention: #fff4ce; --link: #0550ae; --error: #b42318;
    }
    @media (prefers-color-scheme: dark) {
      :root {
        --bg: #16181b; --panel: #1f2226; --line: #33373d; --ink: #e6e6e6; --muted: #9da5ae; --accent: #4493f8;
        --accent-ink: #0d1117; --online: #3fb950; --away: #6e7681; --mention: #3d3418; --link: #79b8ff; --error: #ff7b72;
      }
    }
    * { box-sizing: border-box; }
    html, body { height: 100%; }
    body {
      margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg);
      display: grid; grid-template-columns: 210px minmax(0, 1fr) 200px; grid-template-rows: auto auto minmax(0, 1fr);
      grid-template-areas: "head head head" "off off off" "rooms main people"; height: 100vh; height: 100dvh; overflow: hidden;
    }
    input, button { font: inherit; color: inherit; }
    button { cursor: pointer; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 3px 9px; }
    button:disabled { cursor: default; opacity: .6; }
    button[aria-pressed="true"] { background: var(--accent); color: var(--accent-ink); border-color: var(--accent); }
    input { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; min-width: 0; }
    :focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
    a { color: var(--link); }
    [hidden] { display: none !important; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    .skip { position: absolute; left: 8px; top: -40px; z-index: 30; background: var(--panel); padding: 4px 8px; }
    .skip:focus { top: 8px; }
    header {
      grid-area: head; display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; padding: 6px 10px;
      border-bottom: 1px solid var(--line); background: var(--panel); min-width: 0;
    }
    header h1 { font-size: 17px; margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; max-width: 40vw; }
    #status { color: var(--muted); font-size: 13px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
    #status::before { content: "●"; margin-right: 4px; color: var(--away); }
    #status.online::before { color: var(--online); }
    #status.offline { color: var(--error); }
    #status.offline::before { color: var(--error); }
    #controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-left: auto; min-width: 0; }
    #controls label { color: var(--muted); font-size: 13px; }
    #account { display: flex; gap: 6px; align-items: center; font-size: 13px; }
    #logout { margin: 0; }
    .drawer-toggle { display: none; }
    #offline { grid-area: off; background: var(--error); color: #fff; padding: 6px 10px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
    #offline button { background: #fff; color: #000; }
    nav#rooms, aside#people { background: var(--panel); overflow: auto; padding: 8px; min-width: 0; }
    nav#rooms { grid-area: rooms; border-right: 1px solid var(--line); }
    aside#people { grid-area: people; border-left: 1px solid var(--line); }
    h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 6px 4px; display: flex; align-items: center; gap: 6px; }
    h2 button { padding: 0 6px; }
    ul { list-style: none; margin: 0 0 14px; padding: 0; }
    li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    #joined button, #available button {
      display: flex; width: 100%; align-items: center; gap: 6px; text-align: left; border: 0; background: none; padding: 4px 6px;
      border-radius: 6px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis;
    }
    #joined button:hover, #available button:hover { background: var(--bg); }
    #joined li.current button { background: var(--accent); color: var(--accent-ink); }
    #joined li.unread .name { font-weight: 700; }
    .name { overflow: hidden; text-overflow: ellipsis; }
    .badge { margin-left: auto; font-size: 12px; border-radius: 9px; padding: 0 7px; background: var(--muted); color: var(--panel); font-weight: 700; }
    .badge.mention { background: var(--error); color: #fff; }
    #members li { padding: 0 6px; }
    #members button { border: 0; background: none; padding: 2px 0; color: inherit; max-width: calc(100% - 16px); overflow: hidden; text-overflow: ellipsis; }
    #members li::before { content: "●"; color: var(--online); margin-right: 5px; }
    #members li.away { color: var(--muted); }
    #members li.away::before { color: var(--away); }
    main { grid-area: main; display: flex; flex-direction: column; min-width: 0; min-height: 0; }
    #topic { margin: 0; padding: 6px 12px; color: var(--muted); border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
    #search { display: flex; gap: 6px; padding: 6px 12px; border-bottom: 1px solid var(--line); }
    #search input { flex: 1; }
    #search-results { max-height: 40%; overflow: auto; padding: 6px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
    .search-head { display: flex; gap: 8px; align-items: center; justify-content: space-between; }
    .search-head p { margin: 0; }
    .unavailable { color: var(--error); }
    .results { margin: 4px 0; padding: 0; list-style: none; }
    .results li { white-space: normal; }
    #log { flex: 1; overflow-y: auto; overflow-x: hidden; padding: 6px 12px; min-height: 0; }
    #older { display: block; margin: 4px auto 8px; font-size: 13px; }
    .msg { padding: 1px 0; overflow-wrap: anywhere; word-break: break-word; }
    .msg time { color: var(--muted); font-size: 12px; margin-right: 6px; font-variant-numeric: tabular-nums; }
    .msg .nick { font-weight: 650; margin-right: 6px; }
    .nick.c0 { color: #b42318; } .nick.c1 { color: #b54708; } .nick.c2 { color: #027a48; } .nick.c3 { color: #026aa2; }
    .nick.c4 { color: #5925dc; } .nick.c5 { color: #c11574; } .nick.c6 { color: #3b7c0f; } .nick.c7 { color: #6941c6; }
    @media (prefers-color-scheme: dark) {
      .nick.c0 { color: #ff8a80; } .nick.c1 { color: #fdb022; } .nick.c2 { color: #6ce9a6; } .nick.c3 { color: #7cd4fd; }
      .nick.c4 { color: #bdb4fe; } .nick.c5 { color: #faa7e0; } .nick.c6 { color: #a6ef67; } .nick.c7 { color: #d6bbfb; }
    }
    .msg.event { color: var(--muted); font-size: 13px; }
    .msg.action .text, .msg.notice .text { font-style: italic; }
    .msg.mention { background: var(--mention); border-radius: 4px; }
    .day, .unread-since { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 12px; margin: 8px 0 4px; }
    .day::before, .day::after, .unread-since::before, .unread-since::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
    .unread-since { color: var(--error); }
    .unread-since::before, .unread-since::after { border-color: var(--error); }
    #say { display: flex; gap: 6px; padding: 8px 12px; border-top: 1px solid var(--line); background: var(--panel); }
    #text { flex: 1; padding: 8px; }
    body.is-offline #say button { opacity: .6; }
    #scrim { display: none; }
    @media (max-width: 760px) {
      body { grid-template-columns: minmax(0, 1fr); grid-template-areas: "head" "off" "main"; }
      .drawer-toggle { display: inline-block; }
      header h1 { max-width: 45vw; }
      #controls { margin-left: 0; order: 5; width: 100%; }
      #controls input#nick { width: 7em; }
      #controls label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
      nav#rooms, aside#people {
        display: none; position: fixed; top: 0; bottom: 0; width: min(82vw, 300px); z-index: 20;
        box-shadow: 0 0 24px rgba(0, 0, 0, .35); border: 0;
      }
      nav#rooms { left: 0; }
      aside#people { right: 0; }
      body.rooms-open nav#rooms, body.people-open aside#people { display: block; }
      body.rooms-open #scrim, body.people-open #scrim { display: block; position: fixed; inset: 0; z-index: 10; background: rgba(0, 0, 0, .4); }
      #log { padding: 6px 8px; }
      #say { padding: 6px 8px; }
      #rooms-toggle[data-unread]:not([data-unread="0"])::after { content: attr(data-unread); margin-left: 4px; font-size: 12px; font-weight: 700; color: var(--error); }
    }
    """##
}
