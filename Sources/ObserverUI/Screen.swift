// What the interactive observer draws: the model laid out as exactly `height` lines of
// at most `width` columns, each with a style — and those lines as one ANSI frame. Kept
// apart from the terminal so that tests can read frames as text.
import Control

/// How a line is drawn.
public enum LineStyle: Sendable, Equatable {
  case plain, bold, dim, selected, title, warning, error, restarted
}

/// One line of the screen.
public struct ScreenLine: Sendable, Equatable {
  /// What the line says (at most the screen's width).
  public var text: String
  /// How it is drawn.
  public var style: LineStyle

  init(_ text: String, _ style: LineStyle = .plain) {
    self.text = text
    self.style = style
  }
}

/// Lays out frames.
public enum Screen {
  /// The frame for `model`: `model.height` lines, none wider than `model.width`.
  public static func lines(_ model: inout ObserverModel, now: UInt64) -> [ScreenLine] {
    let width = max(1, model.width)
    let height = max(1, model.height)
    if width < 30 || height < 6 {
      var out = [ScreenLine(Format.fit("terminal too small (\(width)×\(height)); need 30×6", width), .warning)]
      while out.count < height { out.append(ScreenLine("")) }
      return Array(out.prefix(height))
    }
    var out: [ScreenLine] = header(model, width)
    let body: [ScreenLine]
    switch model.view {
    case .tree: body = treeBody(&model, width)
    case .top: body = topBody(model, width)
    case .process: body = processBody(&model, width)
    case .memory: body = memoryBody(&model, width)
    case .help: body = helpBody(width)
    }
    out += body.prefix(model.bodyRows)
    while out.count < height - 2 { out.append(ScreenLine("")) }
    out.append(statusLine(model, width))
    out.append(ScreenLine(Format.fit(keyHints(model), width), .title))
    return out.map { ScreenLine(Format.clip($0.text, width), $0.style) }
  }

  /// The frame as terminal output: home, each line with its style, cleared to its end.
  public static func ansi(_ lines: [ScreenLine], width: Int) -> String {
    var out = "\u{1B}[H"
    for (i, line) in lines.enumerated() {
      out += "\u{1B}[\(i + 1);1H"
      let text = line.style == .selected || line.style == .title ? Format.fit(line.text, width) : line.text
      switch line.style {
      case .plain: out += text
      case .bold: out += "\u{1B}[1m" + text + "\u{1B}[0m"
      case .dim: out += "\u{1B}[2m" + text + "\u{1B}[0m"
      case .selected: out += "\u{1B}[7m" + text + "\u{1B}[0m"
      case .title: out += "\u{1B}[1;7m" + text + "\u{1B}[0m"
      case .warning: out += "\u{1B}[33m" + text + "\u{1B}[0m"
      case .error: out += "\u{1B}[1;31m" + text + "\u{1B}[0m"
      case .restarted: out += "\u{1B}[36m" + text + "\u{1B}[0m"
      }
      out += "\u{1B}[K"
    }
    return out + "\u{1B}[J"
  }

  // MARK: - Parts

  static func header(_ model: ObserverModel, _ width: Int) -> [ScreenLine] {
    guard let s = model.system else {
      return [ScreenLine(Format.fit("observer · \(model.target) · connecting…", width), .bold)]
    }
    var parts = [
      "observer · \(s.node) (os pid \(s.osPid))", "up \(Format.uptime(s.uptime))", "\(Format.grouped(s.processCount)) procs",
      "\(s.openSockets) sockets", "RSS \(Format.bytes(s.residentBytes))", "\(Format.count(s.reductionsPerSecond)) msgs/s",
      model.paused ? "paused" : "every \(Format.period(Format.seconds(model.interval)))",
    ]
    if width < 100 {
      parts.remove(at: 0)
      parts.insert(s.node, at: 0)
    }
    var out = [ScreenLine(parts.joined(separator: " · "), .bold)]
    out += model.schedulerLines.map { ScreenLine($0) }
    return out
  }

  static func statusLine(_ model: ObserverModel, _ width: Int) -> ScreenLine {
    if let confirm = model.confirmRestart {
      return ScreenLine("Restart \(confirm.name)? Its supervisor stops it and starts it again. [y/N]", .warning)
    }
    if let confirm = model.confirmKill {
      return ScreenLine("Kill \(confirm.name) \(confirm.pid)? Its supervisor will restart it. [y/N]", .warning)
    }
    if let e = model.connectionError { return ScreenLine("connection: \(e) (retrying)", .error) }
    if let m = model.message { return ScreenLine(m.text, m.error ? .error : (m.text.hasPrefix("↻") ? .restarted : .plain)) }
    if let p = model.pendingPrefix { return ScreenLine("\(p)…", .dim) }
    return ScreenLine("")
  }

  static func keyHints(_ model: ObserverModel) -> String {
    switch model.view {
    case .tree:
      return
        " 1 tree  2 top  4 memory  ↑↓ move  ←→/space fold  c/e fold all  ↵ process  K kill  X restart  +/- interval  p pause  ? help  q quit"
    case .top: return " sort: r rr mq m  ↑↓ move  pu/pd page  ↵ process  K kill  1 tree  +/- interval  p pause  ? help  q quit"
    case .process: return " Esc back  K kill  ↑↓ scroll  1 tree  2 top  4 memory  ? help  q quit"
    case .memory: return " ↑↓ scroll  1 tree  2 top  +/- interval  p pause  ? help  q quit"
    case .help: return " Esc back  q quit"
    }
  }

  static func treeBody(_ model: inout ObserverModel, _ width: Int) -> [ScreenLine] {
    let rows = model.visibleTreeRows
    guard model.tree != nil else { return [ScreenLine("waiting for the tree…", .dim)] }
    if rows.isEmpty { return [ScreenLine("no processes", .dim)] }
    let first = model.scrollTree()
    var out: [ScreenLine] = []
    if let t = model.tree, t.source == .topLevel, first == 0 {
      out.append(ScreenLine("(no application root known: showing the node's top-level processes)", .dim))
    }
    for row in rows.dropFirst(first).prefix(max(0, model.bodyRows - out.count)) {
      let text = row.guides + row.text
      let style: LineStyle
      if row.key == model.currentTreeSelection {
        style = .selected
      } else if row.node?.error != nil {
        style = .error
      } else if let r = row.node?.lastRestart, r.ago < 10 {
        style = .restarted
      } else if let n = row.node, n.status != "running", n.kind != .process {
        style = .warning
      } else if row.node == nil {
        style = .dim
      } else {
        style = .plain
      }
      out.append(ScreenLine(text, style))
    }
    return out
  }

  static func topBody(_ model: ObserverModel, _ width: Int) -> [ScreenLine] {
    guard let page = model.top else { return [ScreenLine("waiting for processes…", .dim)] }
    var columns: [(title: String, width: Int, sort: TopSort?)] = [
      ("PID", 12, nil), ("STATUS", 13, nil), ("REDS", 9, .reductions), ("REDS/INT", 9, .reductionsRate),
      ("MQ", 7, .messageQueue), ("MEMORY", 10, .memory),
    ]
    // Bytes through the sockets each process owns, when there is room for the name too.
    let showIO = width >= 130
    if showIO { columns += [("IO IN", 10, nil), ("IO OUT", 10, nil)] }
    let fixed = columns.reduce(0) { $0 + $1.width + 1 }
    let nameWidth = max(8, width - fixed)
    func cell(_ text: String, _ i: Int) -> String {
      i <= 1 ? Format.fit(text, columns[i].width) : Format.right(text, columns[i].width)
    }
    var title = ""
    for (i, c) in columns.enumerated() {
      let marked = c.sort == page.sort ? c.title + "▼" : c.title
      title += cell(marked, i) + " "
    }
    title += "NAME"
    let rank = page.offset + 1
    var out = [
      ScreenLine(
        title
          + "   (\(Format.grouped(page.total)) processes, \(rank)–\(page.offset + page.rows.count), sorted by \(ObserverModel.sortName(page.sort)))",
        .bold)
    ]
    for (i, row) in page.rows.enumerated().prefix(model.topRows) {
      var values = [
        row.pid.description, row.status, Format.count(row.reductions), row.reductionsDelta.map { Format.count($0) } ?? "-",
        Format.count(row.messageQueueLength), Format.bytes(row.memory),
      ]
      if showIO { values += [row.io.map { Format.bytes($0.bytesIn) } ?? "-", row.io.map { Format.bytes($0.bytesOut) } ?? "-"] }
      var line = ""
      for (j, v) in values.enumerated() { line += cell(v, j) + " " }
      var name = row.displayName
      if let n = row.name, let l = row.label, n != l { name = "\(n) (\(l))" }
      if row.name == nil && row.label == nil, let t = row.messageType { name = t }
      line += Format.clip(name, nameWidth)
      let style: LineStyle = i == model.currentTopCursor ? .selected : (row.messageQueueLength > 1000 ? .warning : .plain)
      out.append(ScreenLine(line, style))
    }
    return out
  }

  /// The process view's lines (all of them; the model scrolls).
  static func processLines(_ model: ObserverModel, _ width: Int) -> [ScreenLine] {
    guard let pid = model.detailPid else { return [ScreenLine("no process selected", .dim)] }
    guard let d = model.detail, d.row.pid == pid else { return [ScreenLine("\(pid): fetching…", .dim)] }
    let r = d.row
    var out: [ScreenLine] = []
    var title = "\(r.pid)"
    if let n = r.name { title += "  registered \(n)" }
    if let l = r.label { title += "  “\(l)”" }
    out.append(ScreenLine(title, .bold))
    out.append(
      ScreenLine(
        "status \(r.status) · mq \(Format.grouped(r.messageQueueLength)) · reductions \(Format.grouped(r.reductions))"
          + (r.reductionsDelta.map { " (+\(Format.count($0)))" } ?? "")
          + " · memory \(Format.bytes(r.memory)) · age \(Format.uptime(d.age))"))
    out.append(
      ScreenLine(
        "kind \(r.kind ?? "-") · messages \(r.messageType ?? "-") · trap_exit \(d.trapExit) · parent \(d.parent?.description ?? "-")"))
    if let m = d.memoryParts {
      out.append(
        ScreenLine(
          "memory: object \(Format.bytes(m.object)) (state \(Format.bytes(m.state)) inline) · mailbox \(Format.bytes(m.mailbox))"
            + " · tables \(Format.bytes(m.tables))"))
    }
    if let io = r.io {
      out.append(
        ScreenLine("io: in \(Format.bytes(io.bytesIn)) · out \(Format.bytes(io.bytesOut)) on the \(d.socketCount) socket(s) it owns"))
    }
    func list(_ name: String, _ pids: [ProcessID]) {
      let text =
        pids.isEmpty ? "-" : pids.prefix(20).map(\.description).joined(separator: " ") + (pids.count > 20 ? " … (\(pids.count))" : "")
      out.append(ScreenLine("\(name): \(text)"))
    }
    list("links", d.links)
    list("monitors", d.monitors)
    list("monitored by", d.monitoredBy)
    if let s = d.supervisor {
      out.append(ScreenLine(""))
      out.append(
        ScreenLine(
          "supervisor \(s.strategy) · restarts \(s.restartsInPeriod)/\(s.intensity) in \(Format.period(s.period)) (\(s.budgetLeft) left) · total \(s.totalRestarts) · children \(s.active)/\(s.specs) (\(s.supervisors) sup, \(s.workers) wrk)",
          .bold))
      for e in s.recentRestarts.suffix(8).reversed() {
        out.append(
          ScreenLine(
            "  ↻ \(e.child) \(Format.ago(e.ago)) ago: \(e.reason)\(e.gaveUp ? " — gave up" : "")", e.ago < 10 ? .restarted : .plain))
      }
    }
    out.append(ScreenLine(""))
    out.append(ScreenLine("sockets: \(d.socketCount)", .bold))
    for s in d.sockets {
      out.append(
        ScreenLine(
          "  #\(s.id) \(s.kind) \(s.local ?? "-")\(s.peer.map { " ⇄ \($0)" } ?? "") · in \(Format.bytes(s.bytesIn)) · out \(Format.bytes(s.bytesOut)) · queued \(Format.bytes(s.queued))\(s.dropped > 0 ? " · dropped \(s.dropped)" : "")\(s.open ? "" : " · closed")"
        ))
    }
    if let messages = d.messages {
      out.append(ScreenLine(""))
      let total = r.messageQueueLength
      out.append(
        ScreenLine(
          total == 0
            ? "messages queued: none"
            : "messages queued: \(Format.grouped(total))" + (messages.count < total ? ", the first shown (type, cases)" : " (type, cases)"),
          .bold))
      if d.messagesInBatch > 0 {
        out.append(
          ScreenLine(
            "  \(Format.grouped(d.messagesInBatch)) taken into the batch it is working through (not shown while it runs), then:", .dim))
      }
      let typeWidth = min(40, messages.map(\.type.count).max() ?? 0)
      for (i, m) in messages.enumerated() {
        out.append(ScreenLine("  \(Format.right(String(d.messagesInBatch + i + 1), 4)). \(Format.fit(m.type, typeWidth))  \(m.summary)"))
      }
    }
    out.append(ScreenLine(""))
    out.append(ScreenLine("state:", .bold))
    if let state = d.state {
      for line in state.split(separator: "\n", omittingEmptySubsequences: false) {
        var rest = Substring(line)
        repeat {
          out.append(ScreenLine("  " + rest.prefix(max(10, width - 2))))
          rest = rest.dropFirst(max(10, width - 2))
        } while !rest.isEmpty
      }
    } else {
      out.append(
        ScreenLine("  " + (d.stateError ?? "(this process keeps no description of its state)"), d.stateError == nil ? .dim : .warning))
    }
    return out
  }

  static func processBody(_ model: inout ObserverModel, _ width: Int) -> [ScreenLine] {
    let all = processLines(model, width)
    model.clampDetailScroll(lines: all.count)
    return Array(all.dropFirst(model.currentDetailScroll))
  }

  static func memoryBody(_ model: inout ObserverModel, _ width: Int) -> [ScreenLine] {
    if let why = model.memoryUnavailable { return [ScreenLine(why, .warning)] }
    guard let m = model.memory else { return [ScreenLine("waiting for the memory breakdown…", .dim)] }
    let all = MemoryTable.lines(m, width: width).map { ScreenLine($0.text, $0.heading ? .bold : .plain) }
    model.clampMemoryScroll(lines: all.count)
    return Array(all.dropFirst(model.currentMemoryScroll))
  }

  static func helpBody(_ width: Int) -> [ScreenLine] {
    helpText.split(separator: "\n", omittingEmptySubsequences: false).map { ScreenLine(String($0), $0.hasSuffix(":") ? .bold : .plain) }
  }

  /// The keys, for the help view and `observer --help`.
  public static let helpText = """
    views:
      1 or t        supervision tree (the default)
      2 or o        top: processes ranked
      Enter         the selected process in full (3 goes back to it)
      4 or a        memory: where the RSS is, and how each part is counted
      Tab           tree → top → memory  Esc/Backspace  back from process view or help
    moving:
      ↑ ↓ or k j    select              PgUp PgDn, pu pd, B F   page
      Home End, g G first, last
    tree:
      ← → or h l    fold, unfold (← on a leaf goes to its parent)    Space  toggle
      c / e         fold / unfold everything
    top (observer_cli's keys; from any view they switch to top):
      r  reductions     rr  reductions per interval     mq  message queue     m  memory
    actions:
      K             kill the selected process (asks y/N); watch its supervisor restart it
      X             restart the selected child (tree; asks y/N): its supervisor stops it
                    gracefully and starts it again (an OS process: stop signal, then READY=1)
      + / -         refresh interval longer / shorter      p  pause / resume
      R or Ctrl-L   refresh and redraw now                 ?  this help
      q or Ctrl-C   quit                                   Ctrl-Z suspend
    """
}
