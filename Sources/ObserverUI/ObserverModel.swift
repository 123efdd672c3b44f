// The interactive observer without its terminal: which view is shown, what is selected,
// folded and sorted, what to fetch next, and what each key does. The `observer`
// executable feeds it keys and data and draws what `Screen` makes of it; tests do the
// same without a terminal.
import Control

/// What the observer asks the node for at the next refresh.
public struct FetchPlan: Sendable, Equatable {
  /// The top view's page.
  public var top: (sort: TopSort, limit: Int, offset: Int)?
  /// Whether the supervision tree is wanted.
  public var tree: Bool
  /// The process view's process.
  public var process: ProcessID?
  /// Whether the memory breakdown is wanted (the `memory` operation).
  public var memory = false

  /// Equal when they ask for the same things (the tuple is compared field by field).
  public static func == (a: FetchPlan, b: FetchPlan) -> Bool {
    a.top?.sort == b.top?.sort && a.top?.limit == b.top?.limit && a.top?.offset == b.top?.offset && a.tree == b.tree
      && a.process == b.process && a.memory == b.memory
  }
}

/// What the driver must do after a key.
public enum Command: Sendable, Equatable {
  case none
  /// Fetch now (the view or what it shows changed).
  case refresh
  /// Send `kill` to the process (the user confirmed), then refresh.
  case kill(ProcessID)
  /// Have `supervisor` stop its child `child` and start it again (the user confirmed).
  case restart(supervisor: ProcessID, child: String)
  /// Stop the terminal session for a while (Ctrl-Z).
  case suspend
  case quit
}

/// The interactive observer's state.
public struct ObserverModel: Sendable {
  /// The observer's screens: the supervision tree, processes ranked, one process, where
  /// the memory is, the keys.
  public enum View: Sendable, Equatable { case tree, top, process, memory, help }

  /// The screen shown.
  public private(set) var view: View = .tree
  /// Where Escape goes back to from the process view and help.
  private var backView: View = .tree
  /// The top view's order.
  public private(set) var sort: TopSort = .reductions
  /// How often the driver refreshes.
  public private(set) var interval: Duration
  /// Whether refreshing is paused (`p`).
  public private(set) var paused = false
  /// The terminal's width, in columns.
  public var width = 80
  /// The terminal's height, in rows.
  public var height = 24
  /// What is attached to (shown in the header).
  public var target: String

  /// The node's system header, as last answered.
  public private(set) var system: SystemSummary?
  /// The supervision tree, as last answered.
  public private(set) var tree: SupervisionTree?
  /// The top view's page, as last answered.
  public private(set) var top: TopPage?
  /// The process view's process, as last answered.
  public private(set) var detail: ProcessDetail?
  /// The memory breakdown, as last answered.
  public private(set) var memory: MemoryBreakdown?
  /// Why the node gives no memory breakdown (it predates the operation).
  public private(set) var memoryUnavailable: String?
  /// Why the last refresh failed (the connection is retried each interval).
  public private(set) var connectionError: String?

  // Tree view.
  private(set) var folded: Set<String> = []
  private var seenKeys: Set<String> = []
  private(set) var treeSelection: String?
  private var treeScroll = 0
  private var lastPids: [String: ProcessID] = [:]
  // Top view.
  private(set) var topOffset = 0
  private(set) var topCursor = 0
  // Process view.
  /// The process the process view shows.
  public private(set) var detailPid: ProcessID?
  /// The process view's process, gone: the next tree tells whether it was restarted.
  private var lostPid: ProcessID?
  private var detailScroll = 0
  // Memory view.
  private var memoryScroll = 0

  // Prompts and messages.
  private(set) var confirmKill: (pid: ProcessID, name: String)?
  private(set) var confirmRestart: (supervisor: ProcessID, child: String, name: String)?
  private var pendingKey: (key: Character, deadline: UInt64)?
  private(set) var message: (text: String, until: UInt64, error: Bool)?

  /// Supervisors listing more children than this start folded.
  static let foldAbove = 20
  /// How long a prefix key (`r`, `m`, `p`) waits for its second letter.
  static let prefixWaitNanos: UInt64 = 400_000_000
  static let intervals: [Duration] = [
    .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
  ]

  /// A model with no data yet; `target` is what the header names while connecting.
  public init(target: String, interval: Duration = .seconds(1), view: View = .tree, sort: TopSort = .reductions) {
    self.target = target
    self.interval = interval
    self.view = view
    self.sort = sort
  }

  // MARK: - Data

  /// What to fetch next.
  public var plan: FetchPlan {
    FetchPlan(
      top: view == .top ? (sort, max(1, topRows), topOffset) : nil, tree: view == .tree || lostPid != nil,
      process: view == .process ? detailPid : nil, memory: view == .memory && memoryUnavailable == nil)
  }

  /// Takes what the node answered. `now`: monotonic nanoseconds.
  public mutating func update(_ snapshot: Snapshot, detail: ProcessDetail? = nil, memory: MemoryBreakdown? = nil, now: UInt64) {
    connectionError = nil
    system = snapshot.system
    if let memory { self.memory = memory }
    if let t = snapshot.top {
      top = t
      if topCursor >= t.rows.count { topCursor = max(0, t.rows.count - 1) }
    }
    if let t = snapshot.tree { take(t, now: now) }
    if let d = detail { self.detail = d }
  }

  /// The process shown in the process view has exited. The next tree says whether its
  /// supervisor restarted it (then the view follows the new process) or not.
  public mutating func processGone(_ pid: ProcessID, now: UInt64) {
    if detailPid == pid { lostPid = pid }
  }

  /// The last refresh failed.
  public mutating func failed(_ error: String) { connectionError = error }

  /// The node has no memory breakdown to give (`why`); the memory view says so.
  public mutating func memoryNotOffered(_ why: String) { memoryUnavailable = why }

  private mutating func take(_ newTree: SupervisionTree, now: UInt64) {
    let rows = TreeLayout.rows(newTree)
    var pids: [String: ProcessID] = [:]
    for row in rows {
      if let pid = row.node?.pid { pids[row.key] = pid }
      if !seenKeys.contains(row.key) {
        seenKeys.insert(row.key)
        if let node = row.node, node.children.count + node.omitted > ObserverModel.foldAbove { folded.insert(row.key) }
      }
    }
    // A child whose pid changed was restarted: say so. A static child (or a dynamic one
    // with a registered name) keeps its key; any other dynamic child is known by its
    // supervisor's restart log, which names the pid it was restarted as.
    let previous = Set(lastPids.values)
    var restarted: [String] = []
    for row in rows where !row.key.hasSuffix("/more") {
      guard let node = row.node, let pid = node.pid else { continue }
      if let old = lastPids[row.key], old != pid {
        restarted.append("\(TreeLayout.name(node)) \(old) → \(pid)")
      } else if let r = node.lastRestart, r.replacement == pid, let old = ProcessID(parsing: r.child), previous.contains(old) {
        restarted.append("\(TreeLayout.name(node)) \(old) → \(pid)")
      }
    }
    if !restarted.isEmpty { say("↻ restarted: " + restarted.sorted().joined(separator: ", "), now: now, error: false) }
    if let lost = lostPid {
      lostPid = nil
      if let node = ObserverModel.replacement(of: lost, in: rows, drawnAs: lastPids), let pid = node.pid {
        detailPid = pid
        detail = nil
        let reason = node.lastRestart.map { " (\($0.reason))" } ?? ""
        say("↻ \(TreeLayout.name(node)) restarted: \(lost) → \(pid)\(reason); showing the new process", now: now, error: false)
      } else {
        say("\(lost) has exited", now: now, error: true)
      }
    }
    lastPids = pids
    tree = newTree
    if treeSelection == nil { treeSelection = rows.first?.key }
  }

  /// The child that took `lost`'s place: named in a restart record as what `lost` was
  /// restarted as, or drawn under the key `lost` was drawn under, with another pid.
  static func replacement(of lost: ProcessID, in rows: [TreeRow], drawnAs keys: [String: ProcessID]) -> TreeNode? {
    for row in rows {
      if let node = row.node, let r = node.lastRestart, r.child == lost.description, let pid = node.pid, r.replacement == pid {
        return node
      }
    }
    guard let key = keys.first(where: { $0.value == lost })?.key,
      let node = rows.first(where: { $0.key == key })?.node, let pid = node.pid, pid != lost
    else { return nil }
    return node
  }

  // MARK: - Keys

  /// Handles a key pressed at `now` (monotonic nanoseconds).
  public mutating func handle(_ key: Key, now: UInt64) -> Command {
    // A pending confirmation takes the next key.
    if let confirm = confirmRestart {
      confirmRestart = nil
      if key == .char("y") || key == .char("Y") {
        say("restarting \(confirm.name): stop, then start again", now: now, error: false)
        return .restart(supervisor: confirm.supervisor, child: confirm.child)
      }
      say("restart cancelled", now: now, error: false)
      return .none
    }
    if let confirm = confirmKill {
      confirmKill = nil
      if key == .char("y") || key == .char("Y") {
        say("sent kill to \(confirm.name) \(confirm.pid); watching for a restart", now: now, error: false)
        return .kill(confirm.pid)
      }
      say("kill cancelled", now: now, error: false)
      return .none
    }
    // A prefix key waiting for its second letter.
    if let pending = pendingKey {
      pendingKey = nil
      switch (pending.key, key) {
      case ("r", .char("r")): return setSort(.reductionsRate, now: now)
      case ("m", .char("q")): return setSort(.messageQueue, now: now)
      case ("p", .char("d")): return page(+1)
      case ("p", .char("u")): return page(-1)
      default:
        let first = resolve(pending.key, now: now)
        let second = handle(key, now: now)
        return second == .none ? first : second
      }
    }
    switch key {
    case .char("q"), .interrupt: return .quit
    case .suspend: return .suspend
    case .redraw, .char("R"): return .refresh
    case .char("?"): return show(.help)
    case .char("1"), .char("t"): return show(.tree)
    case .char("2"), .char("o"): return show(.top)
    case .char("3"): return detailPid == nil ? .none : show(.process)
    case .char("4"), .char("a"): return show(.memory)
    case .tab: return show(view == .tree ? .top : view == .top ? .memory : .tree)
    case .escape, .backspace:
      if view == .process || view == .help { return show(backView) }
      return .none
    case .char("+"): return stepInterval(+1, now: now)
    case .char("-"): return stepInterval(-1, now: now)
    case .char("r"), .char("m"), .char("p"):
      if case .char(let c) = key { pendingKey = (c, now + ObserverModel.prefixWaitNanos) }
      return .none
    case .char("K"): return askKill(now: now)
    case .char("X"): return askRestart(now: now)
    case .up, .char("k"): return move(-1)
    case .down, .char("j"): return move(+1)
    case .pageUp, .char("B"): return page(-1)
    case .pageDown, .char("F"): return page(+1)
    case .home, .char("g"): return move(-1_000_000)
    case .end, .char("G"): return move(+1_000_000)
    case .enter: return openSelection()
    case .left, .char("h"): return fold(true)
    case .right, .char("l"): return fold(false)
    case .char(" "): return fold(nil)
    case .char("c") where view == .tree: return foldAll(true)
    case .char("e") where view == .tree: return foldAll(false)
    default: return .none
    }
  }

  /// Called when no key came: a prefix key whose wait is over takes effect alone; an
  /// expired message goes.
  public mutating func tick(now: UInt64) -> Command {
    if let m = message, now >= m.until { message = nil }
    if let pending = pendingKey, now >= pending.deadline {
      pendingKey = nil
      return resolve(pending.key, now: now)
    }
    return .none
  }

  /// When `tick` next has something to do (monotonic nanoseconds), if ever.
  public var nextDeadline: UInt64? {
    [pendingKey?.deadline, message?.until].compactMap { $0 }.min()
  }

  private mutating func resolve(_ prefix: Character, now: UInt64) -> Command {
    switch prefix {
    case "r": return setSort(.reductions, now: now)
    case "m": return setSort(.memory, now: now)
    case "p":
      paused.toggle()
      say(paused ? "paused (p to resume)" : "resumed", now: now, error: false)
      return paused ? .none : .refresh
    default: return .none
    }
  }

  /// Sorts the top view by `s` (and shows it: the sort keys work from every view).
  private mutating func setSort(_ s: TopSort, now: UInt64) -> Command {
    sort = s
    topOffset = 0
    topCursor = 0
    if view != .top { _ = show(.top) }
    say("sorted by \(ObserverModel.sortName(s)) [\(s.key)]", now: now, error: false)
    return .refresh
  }

  private mutating func show(_ v: View) -> Command {
    if v == .process || v == .help {
      if view != .process && view != .help { backView = view }
    }
    view = v
    if v == .process { detailScroll = 0 }
    if v == .memory { memoryScroll = 0 }
    return .refresh
  }

  private mutating func stepInterval(_ direction: Int, now: UInt64) -> Command {
    let list = ObserverModel.intervals
    let i = list.firstIndex { $0 >= interval } ?? list.count - 1
    interval = list[max(0, min(list.count - 1, i + direction))]
    say("refresh every \(Format.period(Format.seconds(interval)))", now: now, error: false)
    return .none
  }

  private mutating func askKill(now: UInt64) -> Command {
    guard let (pid, name) = selectedProcess else {
      say("nothing to kill here (select a running process)", now: now, error: true)
      return .none
    }
    confirmKill = (pid, name)
    return .none
  }

  /// Asks to restart the selected child: the tree view, a child of a static supervisor.
  private mutating func askRestart(now: UInt64) -> Command {
    let rows = visibleTreeRows
    guard view == .tree, let row = rows.first(where: { $0.key == treeSelection }), let node = row.node, row.depth > 0,
      let parent = rows.last(where: { $0.depth == row.depth - 1 && row.key.hasPrefix($0.key + "/") })?.node,
      let supervisor = parent.pid, parent.kind == .supervisor, parent.supervisor?.strategy != "simple_one_for_one"
    else {
      say("nothing to restart here (select a child of a supervisor that is not dynamic, in the tree)", now: now, error: true)
      return .none
    }
    confirmRestart = (supervisor, node.id, TreeLayout.name(node))
    return .none
  }

  /// The process the current view points at, with its name.
  var selectedProcess: (ProcessID, String)? {
    switch view {
    case .tree:
      guard let row = visibleTreeRows.first(where: { $0.key == treeSelection }), let node = row.node, let pid = node.pid else { return nil }
      return (pid, TreeLayout.name(node))
    case .top:
      guard let rows = top?.rows, topCursor < rows.count else { return nil }
      return (rows[topCursor].pid, rows[topCursor].displayName)
    case .process:
      guard let pid = detailPid else { return nil }
      return (pid, detail?.row.displayName ?? "")
    case .memory, .help:
      return nil
    }
  }

  private mutating func openSelection() -> Command {
    if view == .tree, let row = visibleTreeRows.first(where: { $0.key == treeSelection }), row.node?.pid == nil, row.foldable {
      return fold(nil)
    }
    guard let (pid, _) = selectedProcess, view != .process else { return .none }
    if detailPid != pid { detail = nil }
    detailPid = pid
    return show(.process)
  }

  private mutating func move(_ by: Int) -> Command {
    switch view {
    case .tree:
      let rows = visibleTreeRows
      guard !rows.isEmpty else { return .none }
      let i = rows.firstIndex { $0.key == treeSelection } ?? 0
      treeSelection = rows[max(0, min(rows.count - 1, i + by))].key
      return .none
    case .top:
      guard let t = top else { return .none }
      let target = topCursor + by
      if target < 0 && topOffset > 0 {
        topOffset = max(0, topOffset + target)
        topCursor = 0
        return .refresh
      }
      if target >= t.rows.count && topOffset + t.rows.count < t.total && by > 0 {
        topOffset = min(max(0, t.total - topRows), topOffset + (target - t.rows.count + 1))
        topCursor = max(0, min(topRows, t.rows.count) - 1)
        return .refresh
      }
      topCursor = max(0, min(t.rows.count - 1, target))
      return .none
    case .process:
      detailScroll = max(0, detailScroll + by)
      return .none
    case .memory:
      memoryScroll = max(0, memoryScroll + by)
      return .none
    case .help:
      return .none
    }
  }

  private mutating func page(_ direction: Int) -> Command {
    switch view {
    case .top:
      guard let t = top else { return .none }
      let rows = max(1, topRows)
      let newOffset = max(0, min(max(0, t.total - 1), topOffset + direction * rows))
      if newOffset == topOffset { return .none }
      topOffset = newOffset
      topCursor = 0
      return .refresh
    default:
      return move(direction * max(1, bodyRows - 1))
    }
  }

  private mutating func fold(_ close: Bool?) -> Command {
    guard view == .tree else { return .none }
    let rows = visibleTreeRows
    guard let row = rows.first(where: { $0.key == treeSelection }) else { return .none }
    let isFolded = folded.contains(row.key)
    let wantFolded = close ?? !isFolded
    if row.foldable && wantFolded != isFolded {
      if wantFolded { folded.insert(row.key) } else { folded.remove(row.key) }
    } else if close == true, row.depth > 0, let parent = rows.last(where: { $0.depth < row.depth && row.key.hasPrefix($0.key + "/") }) {
      // Already folded (or a leaf): go to the parent, as file browsers do.
      treeSelection = parent.key
    }
    return .none
  }

  private mutating func foldAll(_ close: Bool) -> Command {
    guard let tree else { return .none }
    if close {
      folded = Set(TreeLayout.rows(tree).filter { $0.foldable && $0.depth > 0 }.map(\.key))
      if let s = treeSelection, !visibleTreeRows.contains(where: { $0.key == s }) {
        treeSelection = visibleTreeRows.last { s.hasPrefix($0.key + "/") }?.key ?? visibleTreeRows.first?.key
      }
    } else {
      folded = []
    }
    return .none
  }

  private mutating func say(_ text: String, now: UInt64, error: Bool) {
    message = (text, now + 4_000_000_000, error)
  }

  // MARK: - Layout

  /// The tree's lines as the tree view shows them (folding applied).
  var visibleTreeRows: [TreeRow] {
    guard let tree else { return [] }
    return TreeLayout.rows(tree, folded: folded, markers: true)
  }

  /// Lines of the system header at the current width.
  var headerHeight: Int { 1 + schedulerLines.count }

  /// Lines between the header and the two bottom lines (message, keys).
  var bodyRows: Int { max(0, height - headerHeight - 2) }

  /// Rows of processes the top view shows (its body less the column titles).
  var topRows: Int { max(1, bodyRows - 1) }

  var schedulerLines: [String] {
    guard let s = system, !s.schedulers.isEmpty else { return [] }
    let cells = s.schedulers.map { sc -> String in
      let filled = Int((sc.utilisation * 10).rounded())
      let bar = String(repeating: "█", count: max(0, min(10, filled))) + String(repeating: "░", count: max(0, 10 - filled))
      return "s\(sc.index + 1) \(bar) \(Format.right(Format.percent(sc.utilisation), 4)) rq \(sc.runQueue)"
    }
    let cellWidth = (cells.map(\.count).max() ?? 20) + 3
    let perLine = max(1, (width + 3) / cellWidth)
    var lines: [String] = []
    var i = 0
    while i < cells.count {
      let slice = cells[i..<min(cells.count, i + perLine)]
      lines.append(slice.map { Format.fit($0, cellWidth - 3) }.joined(separator: " │ "))
      i += perLine
    }
    return lines
  }

  static func sortName(_ s: TopSort) -> String {
    switch s {
    case .reductions: return "reductions"
    case .reductionsRate: return "reductions per interval"
    case .messageQueue: return "message queue"
    case .memory: return "memory"
    }
  }

  // MARK: - Internal access for Screen

  var currentTreeSelection: String? { treeSelection }
  var currentTopCursor: Int { topCursor }
  var currentDetailScroll: Int { detailScroll }
  var currentMemoryScroll: Int { memoryScroll }
  var pendingPrefix: Character? { pendingKey?.key }

  /// Keeps the tree selection on screen; returns the first row shown.
  mutating func scrollTree() -> Int {
    let rows = visibleTreeRows
    let visible = max(1, bodyRows)
    if let i = rows.firstIndex(where: { $0.key == treeSelection }) {
      if i < treeScroll { treeScroll = i }
      if i >= treeScroll + visible { treeScroll = i - visible + 1 }
    } else if let first = rows.first {
      treeSelection = first.key
      treeScroll = 0
    }
    treeScroll = max(0, min(treeScroll, max(0, rows.count - visible)))
    return treeScroll
  }

  mutating func clampDetailScroll(lines: Int) {
    detailScroll = max(0, min(detailScroll, max(0, lines - bodyRows)))
  }

  mutating func clampMemoryScroll(lines: Int) {
    memoryScroll = max(0, min(memoryScroll, max(0, lines - bodyRows)))
  }
}
