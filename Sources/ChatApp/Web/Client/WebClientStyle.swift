// The web client's style sheet, served as `/app.css` (text/css) for the page
// (WebClientPage.swift). Constant text: no state.

enum WebClientStyle {
  /// The style sheet as bytes, built once.
  static let bytes: [UInt8] = Array(source.utf8)

  static let source = #"""
      :root { --bg:#f7f7f5; --panel:#fff; --line:#ddd; --ink:#222; --muted:#777; --accent:#2a6f97; }
      * { box-sizing: border-box; }
      body { margin:0; font:14px/1.4 system-ui, sans-serif; color:var(--ink); background:var(--bg);
             display:grid; grid-template-columns: 180px 1fr 180px; grid-template-rows: auto 1fr auto; height:100vh; }
      header { grid-column: 1 / 4; display:flex; gap:8px; align-items:center; padding:6px 10px; border-bottom:1px solid var(--line); background:var(--panel); }
      header h1 { font-size:16px; margin:0 12px 0 0; }
      #status { margin-left:auto; color:var(--muted); }
      #status.online { color:#2e7d32; }
      aside { background:var(--panel); overflow:auto; padding:8px; }
      #rooms { border-right:1px solid var(--line); }
      #people { border-left:1px solid var(--line); }
      aside h2 { font-size:12px; text-transform:uppercase; color:var(--muted); margin:4px 0; }
      ul { list-style:none; margin:0 0 12px; padding:0; }
      li { padding:2px 4px; border-radius:4px; cursor:default; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
      #joined li, #available li { cursor:pointer; }
      #joined li.current { background:var(--accent); color:#fff; }
      #joined li.unread { font-weight:bold; }
      #members li::before { content:"●"; color:#2e7d32; margin-right:4px; }
      #members li.away { color:var(--muted); }
      #members li.away::before { color:#bbb; }
      main { overflow:auto; padding:8px 12px; }
      #topic { color:var(--muted); border-bottom:1px solid var(--line); padding-bottom:4px; margin-bottom:6px; min-height:1.4em; }
      .msg { padding:1px 0; word-wrap:break-word; }
      .msg time { color:var(--muted); font-size:12px; margin-right:6px; }
      .msg .nick { font-weight:600; margin-right:6px; }
      .msg.event { color:var(--muted); font-style:italic; }
      .msg.history { opacity:.75; }
      form#say { grid-column: 1 / 4; display:flex; gap:6px; padding:6px 10px; border-top:1px solid var(--line); background:var(--panel); }
      #text { flex:1; padding:6px; }
      input, button { font:inherit; }
    """#
}
