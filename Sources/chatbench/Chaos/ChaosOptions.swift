// `chatbench chaos`'s command line: the server (managed or running), the load, the
// kills and the output. Every bad flag or value is an `OptionsError` (exit code 2).
import Foundation

/// What a chaos run does.
struct ChaosOptions: Equatable {
  enum Target: Equatable {
    /// Start a chatd here (release build next to chatbench, or `--chatd PATH`).
    case managed
    /// A chatd already running: its IRC address and OS pid; its control socket is found
    /// through the discovery pointers by that pid unless `--control` names it.
    case external(host: String, port: Int, pid: Int32)
  }

  var target = Target.managed
  var chatdPath: String?
  var chatdArguments: [String] = []
  /// The control socket (default: the managed chatd's, or discovered by pid).
  var controlPath: String?

  /// Seconds of load and kills.
  var duration = 30.0
  /// Simulated clients; each reconnects (a new session, a new nick) when killed.
  var clients = 40
  /// Channels `#chaos0`...; client i joins `joins` of them, from i % channels on.
  var channels = 8
  var joins = 2
  /// Messages per second, all clients together.
  var rate = 100.0
  /// Seconds between kills.
  var killInterval = 0.1
  /// What to kill: children of chatd's root supervisor, by id. A supervisor's kind
  /// kills one of its children (a room, a connection); a worker's kills it.
  var kinds = ChaosOptions.defaultKinds
  /// Kill past half of each supervisor's restart budget (default: stay within it).
  var ignoreBudget = false
  /// The seed of every random choice (nil: one is drawn and printed).
  var seed: UInt64?
  /// Seconds over which the server's idle descriptors and threads are counted before
  /// the load (the fewest seen is the baseline).
  var baselineWait = 6.0
  /// How long, after the clients left, the server's descriptors and threads may take
  /// to come back (seconds).
  var resourceWait = 10.0
  /// Extra threads tolerated at the end (thread pools may keep a spare).
  var threadSlack = 0
  var nickPrefix = "k"
  /// Run chatd as a master of this many workers (`chatd --workers N`).
  var workers: Int?
  /// Seconds between rolling reloads of a master's workers (nil: none).
  var reloadInterval: Double?
  /// New connections a second (connect, register, quit) beside the load; 0: none.
  var connectRate = 0.0
  var schedulers: Int?
  var maxTime: Double?
  var json = false
  var verbose = false
  var showHelp = false

  /// Rooms (one at a time, and the whole room supervisor), presence, history,
  /// connections, and a connection killed together with one of its rooms.
  static let defaultKinds = ["rooms/room-supervisor", "rooms", "presence", "history", "connections", ChaosKiller.pair]

  /// The hard deadline: the load, plus time to count, connect, recover, check and stop.
  var effectiveMaxTime: Double { maxTime ?? duration + baselineWait + resourceWait + 180 }

  /// Parses the arguments after `chaos`.
  static func parse(_ arguments: [String]) throws(OptionsError) -> ChaosOptions {
    var o = ChaosOptions()
    var server: (host: String, port: Int)?
    var pid: Int32?
    var args = ArgumentCursor(arguments)
    while let arg = args.next() {
      switch arg {
      case "-h", "--help":
        try args.noValue()
        o.showHelp = true
      case "--json":
        try args.noValue()
        o.json = true
      case "-v", "--verbose":
        try args.noValue()
        o.verbose = true
      case "--chatd":
        let v = try args.value()
        guard !v.isEmpty else { throw OptionsError("--chatd needs a path") }
        o.chatdPath = v
      case "--chatd-args": o.chatdArguments = try args.value().split(whereSeparator: \.isWhitespace).map(String.init)
      case "--server": server = try Options.parseHostPort(try args.value())
      case "--server-pid": pid = Int32(try args.int(1...Int(Int32.max)))
      case "--control":
        let v = try args.value()
        guard !v.isEmpty else { throw OptionsError("--control needs a path") }
        o.controlPath = v
      case "--duration": o.duration = try args.number(0.1...86_400)
      case "--clients": o.clients = try args.int(2...10_000)
      case "--channels": o.channels = try args.int(1...1000)
      case "--joins": o.joins = try args.int(1...100)
      case "--rate": o.rate = try args.number(0.1...100_000)
      case "--kill-every": o.killInterval = try args.number(1...600_000) / 1000
      case "--kill": o.kinds = try parseKinds(try args.value())
      case "--ignore-budget":
        try args.noValue()
        o.ignoreBudget = true
      case "--seed":
        let text = try args.value()
        guard let v = UInt64(text) else { throw OptionsError("--seed takes a whole number, not '\(text)'") }
        o.seed = v
      case "--baseline-wait": o.baselineWait = try args.number(0...600)
      case "--resource-wait": o.resourceWait = try args.number(0...600)
      case "--thread-slack": o.threadSlack = try args.int(0...1000)
      case "--prefix": o.nickPrefix = try Options.parseNickPrefix(try args.value())
      case "--schedulers": o.schedulers = try args.int(1...256)
      case "--max-time": o.maxTime = try args.number(1...86_400)
      case "--workers": o.workers = try args.int(1...64)
      case "--reload-every": o.reloadInterval = try args.number(1...86_400)
      case "--connect-rate": o.connectRate = try args.number(0...10_000)
      default:
        throw OptionsError(arg.hasPrefix("-") ? "unknown option \(arg) for chaos" : "chaos takes no argument '\(arg)'")
      }
    }
    if let workers = o.workers {
      if server != nil {
        throw OptionsError("--workers starts a master here; for a running one give --server, --server-pid and --control its socket")
      }
      o.chatdArguments += ["--workers", String(workers)]
      // The kinds are nodes of one chatd's tree; a master's is another tree.
      if o.kinds == defaultKinds { o.kinds = [] }
    }
    if o.nickPrefix.contains("_") { throw OptionsError("--prefix: no '_' for chaos (it separates a client from its reconnections)") }
    if o.joins > o.channels { throw OptionsError("--joins (\(o.joins)) cannot exceed --channels (\(o.channels))") }
    if let server {
      guard let pid else { throw OptionsError("--server needs --server-pid PID (for its control socket, descriptors and threads)") }
      if o.chatdPath != nil || !o.chatdArguments.isEmpty { throw OptionsError("--server excludes --chatd and --chatd-args") }
      o.target = .external(host: server.host, port: server.port, pid: pid)
    } else if pid != nil {
      throw OptionsError("--server-pid needs --server HOST:PORT")
    }
    return o
  }

  /// "rooms/room-supervisor,history": paths of nodes in chatd's tree (checked against
  /// the running tree); never `control`, the endpoint the kills go through.
  static func parseKinds(_ text: String) throws(OptionsError) -> [String] {
    if text == "none" { return [] }
    var out: [String] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let name = part.trimmingCharacters(in: .whitespaces)
      guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.+/".contains($0) }) else {
        throw OptionsError(
          "--kill takes a comma list of nodes of chatd's tree or \(ChaosKiller.pair) (e.g. \(defaultKinds.joined(separator: ","))), not '\(part)'"
        )
      }
      if name == "control" { throw OptionsError("--kill: not control, the endpoint the kills are sent through") }
      if out.contains(name) { throw OptionsError("--kill names \(name) twice") }
      out.append(name)
    }
    return out
  }
}
