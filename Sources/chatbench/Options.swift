// The command line: scenarios, the target server(s), parameter overrides, output. Every
// bad flag or value is a clear `OptionsError` (exit code 2), never a crash.
import Foundation

/// A command-line mistake, shown as "chatbench: <message> (try --help)".
struct OptionsError: Error, Equatable, CustomStringConvertible {
  let message: String
  init(_ message: String) { self.message = message }
  var description: String { message }
}

/// What to run, against what, and how to print it.
struct Options: Equatable {
  enum Target: Equatable {
    /// Start these servers (or networks) here, one after the other.
    case managed([ManagedKind])
    /// A server, or the servers of one network, already running (client `i` connects to
    /// `endpoints[i % count]`), and the processes whose CPU and RSS are summed.
    case external(endpoints: [Endpoint], pids: [Int32], name: String)
  }

  var scenarios: [Scenario] = Scenario.allCases
  var target = Target.managed(ManagedKind.singles)
  var chatdPath: String?
  /// `--chatd-args`: more arguments for a chatd this tool starts.
  var chatdArguments: [String] = []
  /// How clients talk to the server; each selected scenario runs once per transport (on
  /// a fresh server). WebSocket needs chatd (managed: its web port; `--server`: the web
  /// port given).
  var transports: [ChatTransport] = [.irc]
  /// Over TLS, the bench certificate's key: RSA 2048 instead of EC P-256.
  var tlsRSA = false

  // Chat overrides (every selected chat scenario).
  var clients: Int?
  var rooms: Int?
  var senders: Int?
  var rate: Double?
  var duration: Double?
  var size: Int?
  var joinInflight: Int?
  var settle: Double?
  var drainIdle: Double?
  var drainMax: Double?
  var roomPrefix: String?
  var allowPartial = false
  // Idle overrides (S4).
  var steps: [Int]?
  var maxConnections: Int?
  var hold: Double?
  // Connecting (all scenarios).
  var connInflight: Int?
  var connRate: Double?
  var registrationTimeout: Double?
  var nickPrefix: String?
  var sources: [String] = []
  // The run.
  var schedulers: Int?
  /// Hard deadline of each run (one scenario on one server), seconds.
  var maxTime = 900.0
  var json = false
  var verbose = false
  var showHelp = false
  /// `--serve NAME`: only start that server and hold it (for comparison scripts).
  var serve: ManagedKind?
  /// `--list-servers`: print which managed servers are available here.
  var listServers = false

  /// The processes given with `--server-pid(s)`.
  var serverPids: [Int32] {
    if case .external(_, let pids, _) = target { return pids }
    return []
  }

  // MARK: - Parameters after overrides

  /// The chat parameters of `scenario` with the overrides applied (nil for S4).
  func chat(_ scenario: Scenario) -> ChatParameters? {
    guard var p = scenario.chat else { return nil }
    if let v = clients { p.clients = v }
    if let v = rooms { p.rooms = v }
    if let v = senders { p.senders = v }
    if let v = rate { p.rate = v }
    if let v = duration { p.duration = v }
    if let v = size { p.size = v }
    if let v = joinInflight { p.joinInflight = v }
    if let v = settle { p.settle = v }
    if let v = drainIdle { p.drainIdle = v }
    if let v = drainMax { p.drainMax = v }
    if let v = roomPrefix { p.roomPrefix = v }
    p.allowPartial = allowPartial
    p.connect = connect(p.connect)
    return p
  }

  /// The S4 parameters with the overrides applied.
  func idle() -> IdleParameters {
    var p = IdleParameters()
    if let v = steps { p.steps = v }
    if let v = maxConnections { p.maxConnections = v }
    if let v = hold { p.hold = v }
    if let v = settle { p.settle = v }
    p.connect = connect(p.connect)
    return p
  }

  private func connect(_ base: ConnectParameters) -> ConnectParameters {
    var c = base
    if let v = connInflight { c.inflight = v }
    if let v = connRate { c.rate = v }
    if let v = registrationTimeout { c.registrationTimeout = v }
    if let v = nickPrefix { c.nickPrefix = v }
    c.sources = sources
    return c
  }

  // MARK: - Parsing

  /// Parses the arguments (without the program name).
  static func parse(_ arguments: [String]) throws(OptionsError) -> Options {
    var o = Options()
    var named: [Scenario] = []
    var servers: [ManagedKind]?
    var external: [Endpoint]?
    var network: [Endpoint]?
    var pids: [Int32] = []
    var name: String?
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
      case "--allow-partial":
        try args.noValue()
        o.allowPartial = true
      case "--list-servers":
        try args.noValue()
        o.listServers = true
      case "--servers": servers = try parseServers(try args.value())
      case "--transport", "--transports": o.transports = try parseTransports(try args.value(), flag: arg)
      case "--tls":
        if !o.transports.contains(.tls) { o.transports.append(.tls) }
      case "--tls-key-type":
        switch try args.value() {
        case "ec": o.tlsRSA = false
        case "rsa": o.tlsRSA = true
        case let other: throw OptionsError("--tls-key-type takes ec or rsa, not '\(other)'")
        }
      case "--server":
        let (host, port) = try parseHostPort(try args.value())
        external = [Endpoint(host: host, port: port)]
      case "--servers-addrs": network = try parseAddresses(try args.value())
      case "--server-pid": pids.append(Int32(try args.int(1...Int(Int32.max))))
      case "--server-pids": pids += try parsePids(try args.value())
      case "--server-name":
        let v = try args.value()
        guard !v.isEmpty, v.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
          throw OptionsError("--server-name takes letters, digits, '-', '_' or '.', not '\(v)'")
        }
        name = v
      case "--chatd":
        let v = try args.value()
        guard !v.isEmpty else { throw OptionsError("--chatd needs a path") }
        o.chatdPath = v
      case "--chatd-args":
        o.chatdArguments = try args.value().split(whereSeparator: \.isWhitespace).map(String.init)
      case "--clients": o.clients = try args.int(1...1_000_000)
      case "--rooms": o.rooms = try args.int(1...1_000_000)
      case "--senders": o.senders = try args.int(1...1_000_000)
      case "--rate": o.rate = try args.number(0...1_000_000, open: true)
      case "--duration": o.duration = try args.number(0...86_400, open: true)
      case "--size": o.size = try args.int(0...OutgoingLines.maxPadding)
      case "--join-inflight": o.joinInflight = try args.int(1...1_000_000)
      case "--settle": o.settle = try args.number(0...3600)
      case "--drain-idle": o.drainIdle = try args.number(0...3600)
      case "--drain-max": o.drainMax = try args.number(0...3600)
      case "--room-prefix": o.roomPrefix = try parseRoomPrefix(try args.value())
      case "--steps": o.steps = try parseSteps(try args.value())
      case "--max-conns": o.maxConnections = try args.int(1...1_000_000)
      case "--hold": o.hold = try args.number(0...86_400)
      case "--conn-inflight": o.connInflight = try args.int(1...100_000)
      case "--conn-rate": o.connRate = try args.number(0...1_000_000)
      case "--reg-timeout": o.registrationTimeout = try args.number(0...3600, open: true)
      case "--prefix": o.nickPrefix = try parseNickPrefix(try args.value())
      case "--src": o.sources = try parseSources(try args.value())
      case "--schedulers": o.schedulers = try args.int(1...256)
      case "--max-time": o.maxTime = try args.number(0...86_400, open: true)
      case "--serve":
        let v = try args.value()
        guard let kind = ManagedKind(rawValue: v) else {
          throw OptionsError("--serve takes one of \(ManagedKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(v)'")
        }
        o.serve = kind
      default:
        if arg.hasPrefix("-") { throw OptionsError("unknown option \(arg)") }
        guard let s = Scenario(rawValue: arg.uppercased()) else {
          throw OptionsError("unknown scenario '\(arg)' (scenarios: S1, S2, S3, S4)")
        }
        if !named.contains(s) { named.append(s) }
      }
    }
    if !named.isEmpty { o.scenarios = named }
    if external != nil && network != nil { throw OptionsError("--server and --servers-addrs exclude each other") }
    if Set(pids).count < pids.count { throw OptionsError("--server-pid/--server-pids name a process twice") }
    if let endpoints = external ?? network {
      let flag = external != nil ? "--server" : "--servers-addrs"
      if servers != nil { throw OptionsError("\(flag) and --servers exclude each other") }
      if o.transports.count > 1 {
        throw OptionsError("\(flag) takes one transport (its PORT is the IRC or the web port), not \(o.transports.count)")
      }
      if network != nil && o.transports != [.irc] {
        throw OptionsError(
          "--servers-addrs takes IRC addresses (the readiness check speaks IRC); --transport websocket or tls needs --server")
      }
      o.target = .external(endpoints: endpoints, pids: pids, name: name ?? (network != nil ? "network" : "server"))
    } else {
      if !pids.isEmpty { throw OptionsError("--server-pid/--server-pids need --server HOST:PORT or --servers-addrs") }
      if name != nil { throw OptionsError("--server-name needs --server HOST:PORT or --servers-addrs") }
      if let servers { o.target = .managed(servers) }
    }
    try o.validate()
    return o
  }

  /// Checks what depends on several flags at once.
  func validate() throws(OptionsError) {
    for s in scenarios {
      guard let p = chat(s) else { continue }
      if p.rooms > p.clients { throw OptionsError("\(s.rawValue): --rooms (\(p.rooms)) cannot exceed --clients (\(p.clients))") }
      if p.rate * p.duration > 100_000_000 {
        throw OptionsError("\(s.rawValue): --rate × --duration is over 100,000,000 messages")
      }
    }
  }

  static func parseServers(_ text: String) throws(OptionsError) -> [ManagedKind] {
    var out: [ManagedKind] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let name = part.trimmingCharacters(in: .whitespaces).lowercased()
      guard let kind = ManagedKind(rawValue: name) else {
        throw OptionsError("--servers takes a list of \(ManagedKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(part)'")
      }
      if out.contains(kind) { throw OptionsError("--servers names \(name) twice") }
      out.append(kind)
    }
    return out
  }

  /// "irc", "websocket" (or "ws"), "tls", or a comma list: "irc,tls".
  static func parseTransports(_ text: String, flag: String = "--transports") throws(OptionsError) -> [ChatTransport] {
    var out: [ChatTransport] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let name = part.trimmingCharacters(in: .whitespaces).lowercased()
      guard let t = name == "ws" ? .websocket : ChatTransport(rawValue: name) else {
        throw OptionsError("\(flag) takes irc, websocket, tls or a comma list of them, not '\(part)'")
      }
      if out.contains(t) { throw OptionsError("\(flag) names \(t.rawValue) twice") }
      out.append(t)
    }
    return out
  }

  /// "127.0.0.1:6667": the host must be a loopback IPv4 address (as ircload's --host).
  static func parseHostPort(_ text: String, flag: String = "--server") throws(OptionsError) -> (host: String, port: Int) {
    guard let colon = text.lastIndex(of: ":") else { throw OptionsError("\(flag) takes HOST:PORT, not '\(text)'") }
    var host = String(text[..<colon])
    let portText = text[text.index(after: colon)...]
    guard let port = Int(portText), (1...65535).contains(port) else {
      throw OptionsError("\(flag): the port must be 1 to 65535, not '\(portText)'")
    }
    if host == "localhost" { host = "127.0.0.1" }
    guard isLoopbackIPv4(host) else { throw OptionsError("\(flag): the host must be a loopback IPv4 address (127.x.y.z), not '\(host)'") }
    return (host, port)
  }

  /// "127.0.0.1:6667,127.0.0.1:6668": the servers of one network, two or more, each
  /// once.
  static func parseAddresses(_ text: String) throws(OptionsError) -> [Endpoint] {
    var out: [Endpoint] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let (host, port) = try parseHostPort(part.trimmingCharacters(in: .whitespaces), flag: "--servers-addrs")
      let e = Endpoint(host: host, port: port)
      if out.contains(e) { throw OptionsError("--servers-addrs names \(e) twice") }
      out.append(e)
    }
    guard out.count >= 2 else {
      throw OptionsError("--servers-addrs takes the servers of one network, two or more HOST:PORT (one server: --server HOST:PORT)")
    }
    return out
  }

  /// "1234,1235,1236": the processes of a network (its servers and any helper).
  static func parsePids(_ text: String) throws(OptionsError) -> [Int32] {
    var out: [Int32] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let pid = Int32(part.trimmingCharacters(in: .whitespaces)), pid > 0 else {
        throw OptionsError("--server-pids takes a comma list of process ids, not '\(part)'")
      }
      out.append(pid)
    }
    return out
  }

  /// "127.0.0.2-127.0.0.9" or a comma list of loopback addresses (64 at most).
  static func parseSources(_ text: String) throws(OptionsError) -> [String] {
    var out: [String] = []
    for part in text.split(separator: ",") {
      let ends = part.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
      guard ends.count <= 2, let a = ipv4(ends[0]), let b = ipv4(ends.last!) else {
        throw OptionsError("--src takes loopback addresses like 127.0.0.2-127.0.0.9 or a comma list, not '\(part)'")
      }
      guard a >> 24 == 127, b >> 24 == 127 else { throw OptionsError("--src: source addresses must be loopback (127/8), not '\(part)'") }
      guard a <= b else { throw OptionsError("--src: the range \(part) runs backwards") }
      var x = a
      while x <= b && out.count < 64 {
        out.append("\(x >> 24).\(x >> 16 & 255).\(x >> 8 & 255).\(x & 255)")
        x += 1
      }
    }
    if out.isEmpty { throw OptionsError("--src needs at least one address") }
    return out
  }

  static func parseSteps(_ text: String) throws(OptionsError) -> [Int] {
    var out: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let v = Int(part.trimmingCharacters(in: .whitespaces)), v > 0, v <= 1_000_000 else {
        throw OptionsError("--steps takes a comma list of connection counts (1 to 1,000,000), not '\(part)'")
      }
      out.append(v)
    }
    return out
  }

  static func parseNickPrefix(_ text: String) throws(OptionsError) -> String {
    let allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-[]\\`^{}|"
    guard (1...8).contains(text.count), text.allSatisfy({ allowed.contains($0) }), let first = text.first, !first.isNumber, first != "-"
    else {
      throw OptionsError("--prefix takes 1 to 8 nick characters, starting with a letter, not '\(text)'")
    }
    return text
  }

  static func parseRoomPrefix(_ text: String) throws(OptionsError) -> String {
    guard let first = text.first, first == "#" || first == "&", text.count <= 20,
      text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "," && $0 != ":" })
    else {
      throw OptionsError(
        "--room-prefix takes a channel prefix like '#r' (starting with # or &, no spaces, commas or colons), not '\(text)'")
    }
    return text
  }

  static func isLoopbackIPv4(_ text: String) -> Bool {
    guard let a = ipv4(text) else { return false }
    return a >> 24 == 127
  }

  /// A dotted IPv4 address as a number.
  static func ipv4(_ text: String) -> UInt32? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var value: UInt32 = 0
    for p in parts {
      guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let byte = UInt8(p) else { return nil }
      value = value << 8 | UInt32(byte)
    }
    return value
  }
}
