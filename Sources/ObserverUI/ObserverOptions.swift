// The `observer` command line: what it is asked to do, read from its arguments with an
// error that names the bad argument. Kept in ObserverUI, not the executable, so that tests
// parse exactly what the executable parses.
import Control

/// A command line `observer` cannot follow.
public struct ObserverUsageError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The command line's problem, naming the bad argument.
  public let message: String
  init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}

/// What `observer` was asked to do.
public struct ObserverOptions: Sendable, Equatable {
  /// What `observer` does.
  public enum Mode: Sendable, Equatable {
    /// The full-screen, live view (the default).
    case interactive
    /// The tree as text, once.
    case once
    /// The whole snapshot as JSON, once.
    case json
    /// The tree in Graphviz's dot language, once.
    case dot
    /// Where the node's memory is, once.
    case memory
    /// The nodes found in the discovery directory.
    case list
    /// `--help`: the usage and the live view's keys.
    case help
    /// `--version`.
    case version
  }

  /// What to do (`.interactive` unless a mode flag was given).
  public var mode: Mode = .interactive
  /// The control socket; nil: found through the discovery directory.
  public var socket: String?
  /// Which discovered node when several run: by name, OS pid or socket path (`--node`).
  public var node: Discovery.Selector?
  /// Where pointers to running nodes are looked for.
  public var discoveryDirectory: String?
  /// The interactive view's refresh interval.
  public var interval: Duration = .seconds(1)
  /// The view the interactive observer opens with.
  public var view: ObserverModel.View = .tree
  /// The top view's first sort.
  public var sort: TopSort = .reductions
  /// Children listed per supervisor.
  public var childLimit = 100
  /// How long one request to the node may take.
  public var timeout: Duration = .seconds(10)
  /// A cluster's Redis (`--cluster URL`): its live members are listed, and `--node NAME`
  /// picks a member (attached through the control socket it publishes).
  public var clusterRedis: String?
  /// The cluster's name in Redis (`--cluster-name`, default `otter`).
  public var clusterName = "otter"

  /// The defaults: interactive, the one node discovered, refreshed every second.
  public init() {}

  /// Reads `arguments` (without the program name).
  public static func parse(_ arguments: [String]) throws(ObserverUsageError) -> ObserverOptions {
    var o = ObserverOptions()
    var modes: [String] = []
    var viewGiven = false
    var sortGiven = false
    var i = 0
    func value(_ flag: String) throws(ObserverUsageError) -> String {
      guard i + 1 < arguments.count else { throw ObserverUsageError("\(flag) needs a value") }
      i += 1
      return arguments[i]
    }
    while i < arguments.count {
      var arg = arguments[i]
      var inline: String?
      if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
        inline = String(arg[arg.index(after: eq)...])
        arg = String(arg[..<eq])
      }
      func take() throws(ObserverUsageError) -> String {
        if let inline { return inline }
        return try value(arg)
      }
      switch arg {
      case "-h", "--help":
        o.mode = .help
        return o
      case "--version":
        o.mode = .version
        return o
      case "--once":
        modes.append(arg)
        o.mode = .once
      case "--json":
        modes.append(arg)
        o.mode = .json
      case "--dot":
        modes.append(arg)
        o.mode = .dot
      case "--memory":
        modes.append(arg)
        o.mode = .memory
      case "--list":
        modes.append(arg)
        o.mode = .list
      case "-s", "--socket":
        let path = try take()
        guard !path.isEmpty else { throw ObserverUsageError("--socket needs a path") }
        o.socket = path
      case "-n", "--node":
        let spec = try take()
        guard !spec.isEmpty else { throw ObserverUsageError("--node needs a name, an OS pid or a socket path") }
        let selector = Discovery.Selector(spec)
        if case .osPid(let pid) = selector, pid <= 0 {
          throw ObserverUsageError("--node \(spec) is not a process id (OS pids start at 1)")
        }
        o.node = selector
      case "--cluster":
        let url = try take()
        guard url.contains("://") else { throw ObserverUsageError("--cluster needs a Redis URL (redis://host:port or unix:///path)") }
        o.clusterRedis = url
      case "--cluster-name":
        let name = try take()
        guard !name.isEmpty else { throw ObserverUsageError("--cluster-name needs a name") }
        o.clusterName = name
      case "--discovery-dir":
        let dir = try take()
        guard !dir.isEmpty else { throw ObserverUsageError("--discovery-dir needs a directory") }
        o.discoveryDirectory = dir
      case "-i", "--interval":
        o.interval = try duration(take(), flag: "--interval", range: .milliseconds(100) ... .seconds(3600))
      case "--timeout":
        o.timeout = try duration(take(), flag: "--timeout", range: .milliseconds(10) ... .seconds(600))
      case "--view":
        viewGiven = true
        let v = try take()
        switch v {
        case "tree": o.view = .tree
        case "top": o.view = .top
        case "memory": o.view = .memory
        default: throw ObserverUsageError("--view must be tree, top or memory, not \"\(v)\"")
        }
      case "--sort":
        let s = try take()
        guard let sort = TopSort(name: s) else {
          throw ObserverUsageError(
            "--sort must be one of \(TopSort.allCases.map(\.key).joined(separator: ", ")) (or their long names), not \"\(s)\"")
        }
        o.sort = sort
        sortGiven = true
      case "--child-limit":
        let s = try take()
        guard let n = Int(s), (0...100_000).contains(n) else {
          throw ObserverUsageError("--child-limit must be a whole number in 0...100000, not \"\(s)\"")
        }
        o.childLimit = n
      default:
        if arg.hasPrefix("-") { throw ObserverUsageError("unknown option \(arg) (observer --help lists them)") }
        throw ObserverUsageError("unexpected argument \"\(arg)\" (a socket is given with --socket PATH)")
      }
      i += 1
    }
    if Set(modes).count > 1 { throw ObserverUsageError("choose one of \(modes.joined(separator: ", "))") }
    // Asking for a sort means wanting the view it sorts.
    if sortGiven && !viewGiven { o.view = .top }
    return o
  }

  /// A duration: `500ms`, `2s`, `1m`, or a plain number of seconds (`0.5`).
  static func duration(_ text: String, flag: String, range: ClosedRange<Duration>) throws(ObserverUsageError) -> Duration {
    var number = Substring(text)
    var scale = 1000.0  // milliseconds per unit
    if number.hasSuffix("ms") {
      number = number.dropLast(2)
      scale = 1
    } else if number.hasSuffix("s") {
      number = number.dropLast()
    } else if number.hasSuffix("m") {
      number = number.dropLast()
      scale = 60_000
    }
    guard let v = Double(number), v.isFinite, v >= 0 else {
      throw ObserverUsageError("\(flag) takes a duration like 500ms, 2s or 1.5, not \"\(text)\"")
    }
    let ms = v * scale
    guard ms <= 1e9 else { throw ObserverUsageError("\(flag) \(text) is too long") }
    let d = Duration.milliseconds(Int64(ms.rounded()))
    guard range.contains(d) else {
      throw ObserverUsageError("\(flag) must be between \(range.lowerBound) and \(range.upperBound), not \(text)")
    }
    return d
  }

  /// `observer --help`.
  public static let usage = """
    usage: observer [options]

    Attaches to a running Otter node (chatd, or any node serving a control endpoint)
    and shows its supervision tree and processes, live.

      observer                     find the local node (chatd if several) and watch it
      observer --node 4242         watch the node whose OS pid is 4242
      observer --socket PATH       attach to the control socket at PATH
      observer --once              print the supervision tree as text and exit
      observer --json              print the whole snapshot (system, tree, every
                                   process, sockets) as JSON and exit
      observer --dot               print the tree for Graphviz (| dot -Tsvg > tree.svg)
      observer --memory            print where the node's memory is (RSS, malloc, the
                                   parts the node can attribute) and how each is counted
      observer --list              list the nodes found, one per line
      observer --cluster URL --list
                                   list a cluster's live members (read from its Redis)
      observer --cluster URL --node NAME
                                   watch that member (through the control socket it
                                   publishes; it must run on this machine)

    options
      -s, --socket PATH            the node's control socket
      -n, --node NAME|PID|SOCKET   which node, when several are found: by name, by
                                   OS pid (digits), or by control socket path (has a /)
      --cluster URL                the cluster's Redis (redis://host:port, unix:///path)
      --cluster-name NAME          the cluster's name in Redis (default otter)
      --discovery-dir DIR          where nodes leave pointers (default $OTTER_RUNTIME_DIR
                                   or /tmp/otter-UID)
      -i, --interval DURATION      refresh interval (default 1s; e.g. 500ms, 2s)
      --view tree|top|memory       the first view (default tree)
      --sort r|rr|mq|m             the top view's sort (and open the top view)
      --child-limit N              children listed per supervisor (default 100)
      --timeout DURATION           time allowed for each request (default 10s)
      -h, --help                   this text and the keys of the live view

    """ + ObserverExit.helpSection + "\n\nkeys of the live view"
}
