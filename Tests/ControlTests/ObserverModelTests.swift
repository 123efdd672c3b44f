import XCTest

@testable import Control
@testable import ObserverUI

/// The live view without a terminal: keys, views, folding, the kill confirmation, and
/// frames at any size.
final class ObserverModelTests: XCTestCase {
  static func row(_ id: UInt64, _ name: String, reductions: UInt64 = 0, mq: Int = 0) -> ProcessRow {
    ProcessRow(pid: ProcessID(id), name: name, status: "waiting", reductions: reductions, messageQueueLength: mq, memory: 1000)
  }

  static func summary(_ n: Int) -> SupervisorSummary {
    SupervisorSummary(
      strategy: "one_for_one", intensity: 3, period: 5, restartsInPeriod: 0, budgetLeft: 3, totalRestarts: 0, specs: n,
      active: n, supervisors: 0, workers: n, autoShutdown: "never", recentRestarts: [])
  }

  /// app ─ a, b, and "many" with 30 children (starts folded).
  static func tree(bPid: UInt64 = 3) -> SupervisionTree {
    let many = TreeNode(
      kind: .supervisor, id: "many", pid: ProcessID(4), status: "running", restart: "permanent", supervisor: summary(30),
      children: (0..<30).map {
        TreeNode(kind: .worker, id: "w\($0)", pid: ProcessID(100 + UInt64($0)), status: "running", restart: "temporary")
      })
    let app = TreeNode(
      kind: .supervisor, id: "app", pid: ProcessID(1), status: "running", supervisor: summary(3),
      children: [
        TreeNode(kind: .worker, id: "a", pid: ProcessID(2), status: "running", restart: "permanent", process: row(2, "a")),
        TreeNode(kind: .worker, id: "b", pid: ProcessID(bPid), status: "running", restart: "permanent", process: row(bPid, "b")),
        many,
      ])
    return SupervisionTree(source: .ancestor, roots: [app])
  }

  static let system = SystemSummary(
    node: "n", osPid: 1, uptime: 75, processCount: 35, processesSpawned: 40,
    schedulers: [SchedulerSample(index: 0, runQueue: 2, utilisation: 0.5, busyNanoseconds: 0, dispatches: 0, timers: 0, ioSources: 0)],
    reductions: 0, reductionsPerSecond: 1234, interval: 1, residentBytes: 10 << 20, mallocBytes: 0, openSockets: 2,
    registeredNames: 0, fileDescriptorLimit: 1024)

  static let memory = MemoryBreakdown(
    residentTotal: 30 << 20, residentFiles: 25 << 20, residentAnonymous: 5 << 20, residentShared: 0, mainStack: 132 << 10, threads: 9,
    schedulerStacksReserved: 16 << 20, schedulerStacksResident: 100 << 10, mallocHeap: 4 << 20, mallocInUse: 3 << 20,
    mallocFree: 1 << 20,
    parts: [
      .init(name: "processes", bytes: 1 << 20, count: 1000, counted: String(repeating: "how ", count: 80)),
      .init(name: "schedulers", bytes: 200 << 10, count: 2, counted: "estimate"),
    ], unattributed: (3 << 20) - (1 << 20) - (200 << 10), otherAnonymous: 600 << 10,
    processTypes: [.init(type: "ServerMessage<" + String(repeating: "Long", count: 60) + ">", count: 1000, bytes: 1 << 20)])

  func frame(_ m: inout ObserverModel) -> [String] { Screen.lines(&m, now: 0).map(\.text) }

  func testTreeViewFoldsMovesAndOpensAProcess() {
    var m = ObserverModel(target: "test")
    m.update(Snapshot(system: Self.system, tree: Self.tree()), now: 0)
    XCTAssertEqual(m.plan, FetchPlan(top: nil, tree: true, process: nil))
    var lines = frame(&m)
    XCTAssertEqual(lines.count, 24)
    XCTAssertTrue(lines[0].contains("35 procs"), lines[0])
    XCTAssertTrue(lines[1].hasPrefix("s1 █████░░░░░  50% rq 2"), lines[1])
    XCTAssertTrue(lines[2].hasPrefix("▾ app  <0.1.0>  one_for_one"), lines[2])
    XCTAssertTrue(lines[5].hasPrefix("└─ ▸ many  <0.4.0>"), "a supervisor of 30 starts folded: \(lines[5])")
    XCTAssertFalse(lines.contains { $0.contains("w0") })

    XCTAssertEqual(m.handle(.down, now: 0), .none)
    XCTAssertEqual(m.selectedProcess?.0, ProcessID(2))
    _ = m.handle(.char("G"), now: 0)
    XCTAssertEqual(m.selectedProcess?.1, "many")
    _ = m.handle(.right, now: 0)
    lines = frame(&m)
    XCTAssertTrue(lines.contains { $0.hasPrefix("   ├─ w0  <0.100.0>  temporary") })
    _ = m.handle(.char("c"), now: 0)
    XCTAssertFalse(frame(&m).contains { $0.contains("w0") })

    _ = m.handle(.char("g"), now: 0)
    _ = m.handle(.down, now: 0)
    XCTAssertEqual(m.handle(.enter, now: 0), .refresh)
    XCTAssertEqual(m.view, .process)
    XCTAssertEqual(m.plan.process, ProcessID(2))
    XCTAssertEqual(m.handle(.escape, now: 0), .refresh)
    XCTAssertEqual(m.view, .tree)
  }

  func testKillAsksFirstAndARestartIsAnnounced() {
    var m = ObserverModel(target: "test")
    m.update(Snapshot(system: Self.system, tree: Self.tree()), now: 0)
    _ = m.handle(.down, now: 0)
    _ = m.handle(.down, now: 0)
    XCTAssertEqual(m.handle(.char("K"), now: 0), .none)
    XCTAssertEqual(frame(&m)[22], "Kill b <0.3.0>? Its supervisor will restart it. [y/N]")
    XCTAssertEqual(m.handle(.char("n"), now: 0), .none, "anything but y cancels")
    XCTAssertEqual(frame(&m)[22], "kill cancelled")
    _ = m.handle(.char("K"), now: 0)
    XCTAssertEqual(m.handle(.char("y"), now: 0), .kill(ProcessID(3)))
    // The next tree has b under a new pid: the supervisor restarted it.
    m.update(Snapshot(system: Self.system, tree: Self.tree(bPid: 77)), now: 1)
    XCTAssertEqual(frame(&m)[22], "↻ restarted: b <0.3.0> → <0.77.0>")
    // Messages go after a while.
    XCTAssertEqual(m.tick(now: 5_000_000_000), .none)
    XCTAssertEqual(frame(&m)[22], "")
  }

  /// A dynamic supervisor with one child, a room registered as `room:#a` whose id is its pid.
  static func roomTree(roomPid: UInt64) -> SupervisionTree {
    let room = TreeNode(
      kind: .worker, id: ProcessID(roomPid).description, pid: ProcessID(roomPid), status: "running", restart: "permanent",
      process: ProcessRow(pid: ProcessID(roomPid), name: "room:#a", status: "waiting", reductions: 0, messageQueueLength: 0, memory: 1))
    let rooms = TreeNode(
      kind: .supervisor, id: "rooms", pid: ProcessID(2), status: "running", restart: "permanent", supervisor: summary(1),
      children: [room])
    return SupervisionTree(
      source: .ancestor, roots: [TreeNode(kind: .supervisor, id: "app", pid: ProcessID(1), status: "running", children: [rooms])])
  }

  func testADynamicChildWithARegisteredNameKeepsItsPlaceAcrossARestart() {
    var m = ObserverModel(target: "test")
    m.update(Snapshot(system: Self.system, tree: Self.roomTree(roomPid: 15)), now: 0)
    _ = m.handle(.char("G"), now: 0)
    XCTAssertEqual(m.selectedProcess?.0, ProcessID(15))
    m.update(Snapshot(system: Self.system, tree: Self.roomTree(roomPid: 20)), now: 1)
    XCTAssertEqual(frame(&m)[22], "↻ restarted: room:#a <0.15.0> → <0.20.0>")
    XCTAssertEqual(m.selectedProcess?.0, ProcessID(20), "the selection stays on the room")
    // Its process view follows it too: the tree drew it under the same key.
    _ = m.handle(.enter, now: 1)
    m.processGone(ProcessID(20), now: 2)
    XCTAssertTrue(m.plan.tree)
    m.update(Snapshot(system: Self.system, tree: Self.roomTree(roomPid: 21)), now: 2)
    XCTAssertEqual(m.detailPid, ProcessID(21))
    XCTAssertEqual(frame(&m)[22], "↻ room:#a restarted: <0.20.0> → <0.21.0>; showing the new process")
    // A process that was not restarted has exited.
    m.processGone(ProcessID(21), now: 3)
    m.update(Snapshot(system: Self.system, tree: Self.tree()), now: 3)
    XCTAssertEqual(m.detailPid, ProcessID(21))
    XCTAssertEqual(frame(&m)[22], "<0.21.0> has exited")
  }

  func testSortKeysLikeObserverCli() {
    var m = ObserverModel(target: "test")
    m.update(Snapshot(system: Self.system, tree: Self.tree()), now: 0)
    // r alone waits for a possible second r; after the wait it means reductions.
    XCTAssertEqual(m.handle(.char("r"), now: 0), .none)
    XCTAssertEqual(m.tick(now: ObserverModel.prefixWaitNanos + 1), .refresh)
    XCTAssertEqual(m.view, .top)
    XCTAssertEqual(m.sort, .reductions)
    _ = m.handle(.char("r"), now: 0)
    XCTAssertEqual(m.handle(.char("r"), now: 1), .refresh)
    XCTAssertEqual(m.sort, .reductionsRate)
    _ = m.handle(.char("m"), now: 0)
    XCTAssertEqual(m.handle(.char("q"), now: 1), .refresh)
    XCTAssertEqual(m.sort, .messageQueue)
    _ = m.handle(.char("m"), now: 0)
    // m then j: memory, then the j (a move, with nothing to move over yet).
    XCTAssertEqual(m.handle(.char("j"), now: 1), .refresh)
    XCTAssertEqual(m.sort, .memory)
    XCTAssertEqual(m.plan.top?.sort, .memory)
    XCTAssertEqual(m.plan.top?.limit, 24 - 2 - 2 - 1, "rows: height less header, status, keys, titles")

    let page = TopPage(
      sort: .memory, total: 3, offset: 0, interval: 1,
      rows: [
        Self.row(5, "heavy", mq: 4000), Self.row(6, "light"), Self.row(7, "tiny"),
      ])
    m.update(Snapshot(system: Self.system, top: page), now: 0)
    let lines = frame(&m)
    XCTAssertTrue(lines[2].hasPrefix("PID          STATUS"), lines[2])
    XCTAssertTrue(lines[2].contains("MEMORY▼"), lines[2])
    XCTAssertTrue(lines[3].hasPrefix("<0.5.0>"), lines[3])
    XCTAssertTrue(lines[3].hasSuffix("heavy"), lines[3])
    XCTAssertEqual(m.selectedProcess?.1, "heavy")
    _ = m.handle(.char("j"), now: 0)
    XCTAssertEqual(m.selectedProcess?.1, "light")
    XCTAssertTrue(frame(&m)[4].hasSuffix("light"))
  }

  func testFramesFitAnyTerminalSize() {
    for (w, h) in [(1, 1), (10, 3), (29, 40), (30, 6), (45, 10), (80, 24), (200, 60)] {
      for view in [ObserverModel.View.tree, .top, .memory] {
        var m = ObserverModel(target: "test", view: view)
        m.width = w
        m.height = h
        m.update(
          Snapshot(
            system: Self.system,
            top: TopPage(sort: .reductions, total: 1, offset: 0, interval: nil, rows: [Self.row(9, String(repeating: "x", count: 300))]),
            tree: Self.tree()), memory: Self.memory, now: 0)
        _ = m.handle(.char("?"), now: 0)
        for _ in 0..<2 {
          let lines = Screen.lines(&m, now: 0)
          XCTAssertEqual(lines.count, h, "\(w)×\(h)")
          for line in lines { XCTAssertLessThanOrEqual(line.text.count, w, "\(w)×\(h): \(line.text)") }
          _ = m.handle(.escape, now: 0)
        }
      }
    }
    var m = ObserverModel(target: "test")
    m.width = 20
    m.height = 5
    XCTAssertEqual(Screen.lines(&m, now: 0)[0].text, "terminal too small …")
    // The ANSI frame homes the cursor, places each line, and clears what is left.
    let ansi = Screen.ansi([ScreenLine("a", .bold), ScreenLine("b")], width: 5)
    XCTAssertEqual(ansi, "\u{1B}[H\u{1B}[1;1H\u{1B}[1ma\u{1B}[0m\u{1B}[K\u{1B}[2;1Hb\u{1B}[K\u{1B}[J")
  }

  func testKeyDecoderReadsSequencesSplitAcrossReads() {
    var d = KeyDecoder()
    XCTAssertEqual(d.feed(Array("q".utf8)), [.char("q")])
    XCTAssertEqual(d.feed([0x1B, 0x5B]), [])
    XCTAssertTrue(d.hasPartialEscape)
    XCTAssertEqual(d.feed([0x41, 0x1B, 0x5B, 0x36, 0x7E, 0x03, 0x0D]), [.up, .pageDown, .interrupt, .enter])
    XCTAssertEqual(d.feed([0x1B, 0x4F, 0x48]), [.home], "SS3 form")
    XCTAssertEqual(d.feed([0x1B]), [])
    XCTAssertEqual(d.flushEscape(), [.escape])
    XCTAssertEqual(d.feed([0x1B, 0x5B, 0x39, 0x39, 0x7A, 0x6A]), [.char("j")], "an unknown sequence is skipped whole")
    XCTAssertEqual(d.feed([0xC3]), [])
    XCTAssertEqual(d.feed([0xA9]), [.char("é")])
  }

  func testCommandLine() throws {
    XCTAssertEqual(try ObserverOptions.parse([]).mode, .interactive)
    let o = try ObserverOptions.parse(["--socket", "/x.sock", "--once", "--child-limit=7", "-i", "250ms", "--timeout", "3s"])
    XCTAssertEqual(o.mode, .once)
    XCTAssertEqual(o.socket, "/x.sock")
    XCTAssertEqual(o.childLimit, 7)
    XCTAssertEqual(o.interval, .milliseconds(250))
    XCTAssertEqual(o.timeout, .seconds(3))
    XCTAssertEqual(try ObserverOptions.parse(["--sort", "mq"]).view, .top)
    XCTAssertEqual(try ObserverOptions.parse(["--sort", "mq"]).sort, .messageQueue)
    XCTAssertEqual(try ObserverOptions.parse(["--sort", "rr", "--view", "tree"]).view, .tree)
    XCTAssertEqual(try ObserverOptions.parse(["-i", "1.5"]).interval, .milliseconds(1500))
    func error(_ args: [String]) -> String {
      do {
        _ = try ObserverOptions.parse(args)
        return "no error"
      } catch {
        return error.message
      }
    }
    XCTAssertEqual(error(["--socket"]), "--socket needs a value")
    XCTAssertEqual(error(["--bogus"]), "unknown option --bogus (observer --help lists them)")
    XCTAssertEqual(error(["/tmp/x.sock"]), "unexpected argument \"/tmp/x.sock\" (a socket is given with --socket PATH)")
    XCTAssertEqual(error(["--json", "--once"]), "choose one of --json, --once")
    XCTAssertEqual(error(["--sort", "size"]), "--sort must be one of r, rr, mq, m (or their long names), not \"size\"")
    XCTAssertEqual(error(["-i", "fast"]), "--interval takes a duration like 500ms, 2s or 1.5, not \"fast\"")
    XCTAssertTrue(error(["-i", "1ms"]).hasPrefix("--interval must be between"))
    XCTAssertEqual(error(["--child-limit", "-3"]), "--child-limit must be a whole number in 0...100000, not \"-3\"")
    XCTAssertEqual(error(["--view", "graph"]), "--view must be tree, top or memory, not \"graph\"")
    XCTAssertEqual(try ObserverOptions.parse(["--view", "memory"]).view, .memory)
    XCTAssertEqual(try ObserverOptions.parse(["--memory"]).mode, .memory)
    XCTAssertEqual(error(["--memory", "--dot"]), "choose one of --memory, --dot")
    // --node: a name, an OS pid (digits) or a socket path (a slash, or .sock).
    XCTAssertEqual(try ObserverOptions.parse(["--node", "chatd"]).node, .name("chatd"))
    XCTAssertEqual(try ObserverOptions.parse(["--node", "4242"]).node, .osPid(4242))
    XCTAssertEqual(try ObserverOptions.parse(["-n", "./data/control.sock"]).node, .socket("./data/control.sock"))
    XCTAssertEqual(try ObserverOptions.parse(["--node=x.sock"]).node, .socket("x.sock"))
    XCTAssertEqual(error(["--node", "0"]), "--node 0 is not a process id (OS pids start at 1)")
    XCTAssertEqual(error(["--node", ""]), "--node needs a name, an OS pid or a socket path")
  }
}
