// The socket benchmarks.
//
// `echo`: N client processes in one Otter node ping-pong 64-byte messages over loopback
// TCP with an echo server running in its own OS process (so that N = 10,000 fits the
// per-process limit of open files on both sides). Four pairings in the same run:
// Otter client ↔ Otter server, Otter client ↔ C server, Otter client ↔ Erlang server,
// and C client ↔ C server (Benchmarks/c/echo.c: the physical limit of this machine).
// Every side gets one thread (one scheduler, +S 1, single-threaded C) so the pairings
// share the two cores alike.
//
// `conns`: as many idle loopback connections as the open-file limit allows (the issue
// asks for 50,000); bytes of RSS per connection on the server side (a process per
// connection; Otter, Erlang and C servers) and on the client side (an Otter node).
import Actors
import COtterSys
import Foundation
import Synchronization

let ioBenchmarks: [Benchmark] = [
  Benchmark(name: "echo", summary: "64-byte ping-pong over loopback TCP, N = 1, 100, 10,000 clients: round trips/s, p99", run: echoBench),
  Benchmark(name: "conns", summary: "idle loopback connections up to the fd limit: bytes of RSS per connection", run: connsBench),
]

// MARK: - Servers in child processes

/// A server in a child process that prints "PORT <n>" and stops when its stdin closes.
///
/// `@unchecked Sendable`: every stored property is a constant; `Process` and `Pipe` are
/// Foundation classes used here only to read the pid and close stdin.
final class ServerChild: @unchecked Sendable {
  let process = Process()
  let stdin = Pipe()
  let port: Int
  let name: String

  init(name: String, executable: String, arguments: [String], environment: [String: String] = [:]) throws {
    self.name = name
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle.standardError
    try process.run()
    // Read the first line with a deadline.
    let fd = stdout.fileHandleForReading.fileDescriptor
    var line: [UInt8] = []
    let deadline = Date().addingTimeInterval(30)
    while !line.contains(0x0A) {
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      if Date() > deadline || poll(&p, 1, 100) < 0 { break }
      if p.revents == 0 { continue }
      var b = [UInt8](repeating: 0, count: 256)
      let n = read(fd, &b, 256)
      if n <= 0 { break }
      line += b[0..<n]
    }
    let text = String(decoding: line, as: UTF8.self)
    guard let portText = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") })?.dropFirst(5),
      let port = Int(portText.trimmingCharacters(in: .whitespaces))
    else {
      process.terminate()
      throw PeerError.failed("\(name) server did not start: \(text)")
    }
    self.port = port
  }

  /// Resident bytes of the server process.
  var residentBytes: UInt64 { processResidentBytes(process.processIdentifier) }

  func stop() {
    try? stdin.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
  }
}

/// RSS of another process, from /proc/PID/statm.
func processResidentBytes(_ pid: Int32) -> UInt64 {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return 0 }
  let fields = text.split(separator: " ")
  guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
  return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
}

/// This executable (to start it again as a server).
func ownExecutable() -> String {
  (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// The C peer, compiled once per run with the system's C compiler; nil if there is none.
enum CPeer {
  nonisolated(unsafe) private static var built: String??

  static func echo() throws -> String? {
    if let b = built { return b }
    guard let cc = which("cc") ?? which("gcc") ?? which("clang") else {
      built = .some(nil)
      return nil
    }
    let source = benchmarkSources("c").appendingPathComponent("echo.c").path
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("otter-bench-echo-\(getpid())").path
    let (status, output) = try run(cc, ["-O2", "-o", out, source])
    if status != 0 { throw PeerError.failed("cc echo.c: \(output)") }
    built = .some(out)
    return out
  }
}

func startOtterEchoServer(schedulers: Int = 1) throws -> ServerChild {
  try ServerChild(
    name: "otter", executable: ownExecutable(), arguments: ["--serve-echo"],
    environment: ["OTTER_SCHEDULERS": String(schedulers)])
}

func startCEchoServer() throws -> ServerChild? {
  guard let exe = try CPeer.echo() else { return nil }
  return try ServerChild(name: "c", executable: exe, arguments: ["server"])
}

func startErlangEchoServer() throws -> ServerChild? {
  guard let erl = Erlang.erl, let dir = try Erlang.compiled() else { return nil }
  return try ServerChild(
    name: "erlang", executable: erl,
    arguments: ["+S", "1", "+Q", "1048576", "-noshell", "-pa", dir.path, "-run", "bench_io", "main", "echo_server"])
}

/// `otter-bench --serve-echo`: the Otter echo server (acceptor pattern, one process per
/// connection, active-once reads). Runs until stdin closes.
func serveEcho() throws -> Never {
  let node = try Node()
  let (replyTo, request) = node.makeReply(Result<Int, SocketError>.self)
  node.spawn(Never.self, options: SpawnOptions(label: "acceptor")) { ctx in
    let listener: Socket
    do {
      listener = try ctx.listen(tcp: "127.0.0.1", port: 0, backlog: 4096)
    } catch {
      replyTo.reply(.failure(error as! SocketError))
      return
    }
    replyTo.reply(.success(Int(listener.localAddress!.split(separator: ":").last!)!))
    while true {
      let connection = try await ctx.accept(listener)
      let worker = ctx.spawnLink(Never.self, state: ()) { (_: inout Void, message: Message<Never>, c: Context<Never>) throws -> Next in
        switch message {
        case .io(let s, .owned): try c.activate(s, .once)
        case .io(let s, .data(let bytes)):
          s.send(bytes)
          try c.activate(s, .once)
        case .io(_, .closed), .io(_, .error): return .stop(.normal)
        default: break
        }
        return .continue
      }
      try ctx.transfer(connection, to: worker.pid)
    }
  }
  let semaphore = DispatchSemaphore(value: 0)
  let port = Shared<Result<Int, any Error>?>(nil)
  Task {
    do throws(CallError) {
      let r = try await node.receiveResponse(request, timeout: .seconds(10))
      port.withLock { $0 = r.mapError { $0 as any Error } }
    } catch {
      port.withLock { $0 = .failure(error) }
    }
    semaphore.signal()
  }
  semaphore.wait()
  switch port.withLock({ $0 })! {
  case .success(let p): FileHandle.standardOutput.write(Data("PORT \(p)\n".utf8))
  case .failure(let e):
    FileHandle.standardError.write(Data("otter echo server: \(e)\n".utf8))
    exit(1)
  }
  var byte: UInt8 = 0
  while read(0, &byte, 1) > 0 {}
  exit(0)
}

// MARK: - echo

struct EchoResult {
  var roundTripsPerSecond: Double
  var p50: Double
  var p99: Double
}

/// What the Otter echo clients report when they finish.
final class EchoTally: Sendable {
  let samples = Shared<[UInt32]>([])
  let finished = Atomic<Int>(0)
  let failed = Atomic<Int>(0)
}

/// N Otter client processes against `port`: each connects, then sends 64 bytes and waits
/// for them to come back, over and over. Latencies are counted for round trips started
/// inside the measuring window.
func otterEchoClients(port: Int, clients n: Int, warmup: Duration, measure: Duration) async throws -> EchoResult {
  let node = try Node(schedulers: 1)
  defer { node.shutdown(timeout: .seconds(2)) }
  let tally = EchoTally()
  let message = [UInt8](repeating: 0x78, count: 64)
  let measureFrom = Shared<UInt64>(UInt64.max)
  let measureTo = Shared<UInt64>(UInt64.max)
  struct ClientState {
    var sentAt: UInt64 = 0
    var received = 0
    var samples: [UInt32] = []
    var from: UInt64 = 0
    var to: UInt64 = 0
  }
  // Connect everything first, then start the clients together.
  try await node.run { ctx in
    var sockets: [Socket] = []
    sockets.reserveCapacity(n)
    for _ in 0..<n { sockets.append(try await ctx.connect(tcp: "127.0.0.1", port: port)) }
    let start = MonotonicClock.nanoseconds()
    let from = start + UInt64(warmup.components.seconds) * 1_000_000_000 + UInt64(warmup.components.attoseconds / 1_000_000_000)
    let to = from + UInt64(measure.components.seconds) * 1_000_000_000 + UInt64(measure.components.attoseconds / 1_000_000_000)
    measureFrom.withLock { $0 = from }
    measureTo.withLock { $0 = to }
    for socket in sockets {
      let client = ctx.spawn(Never.self, state: ClientState(from: from, to: to)) {
        (state: inout ClientState, msg: Message<Never>, c: Context<Never>) throws -> Next in
        switch msg {
        case .io(let s, .owned):
          try c.activate(s, .always)
          state.sentAt = MonotonicClock.nanoseconds()
          s.send(message)
        case .io(let s, .data(let bytes)):
          state.received += bytes.count
          guard state.received >= 64 else { return .continue }
          state.received -= 64
          let t = MonotonicClock.nanoseconds()
          if t >= state.to {
            let mine = state.samples
            tally.samples.withLock { $0 += mine }
            tally.finished.add(1, ordering: .relaxed)
            s.close()
            return .stop(.normal)
          }
          if state.sentAt >= state.from { state.samples.append(UInt32(min(t - state.sentAt, UInt64(UInt32.max)))) }
          state.sentAt = t
          s.send(message)
        case .io(_, .closed), .io(_, .error):
          tally.failed.add(1, ordering: .relaxed)
          return .stop(.normal)
        default: break
        }
        return .continue
      }
      try ctx.transfer(socket, to: client.pid)
    }
  }
  let deadline = ContinuousClock.now + warmup + measure + .seconds(30)
  while tally.finished.load(ordering: .relaxed) + tally.failed.load(ordering: .relaxed) < n {
    if ContinuousClock.now > deadline { throw PeerError.failed("echo clients did not finish") }
    try await Task.sleep(for: .milliseconds(10))
  }
  if tally.failed.load(ordering: .relaxed) > 0 {
    throw PeerError.failed("\(tally.failed.load(ordering: .relaxed)) echo connections failed")
  }
  var samples = tally.samples.withLock { $0 }
  samples.sort()
  let seconds = Double(measureTo.withLock { $0 } - measureFrom.withLock { $0 }) / 1e9
  return EchoResult(
    roundTripsPerSecond: Double(samples.count) / seconds,
    p50: samples.isEmpty ? 0 : Double(samples[samples.count / 2]) / 1000,
    p99: samples.isEmpty ? 0 : Double(samples[Int(Double(samples.count) * 0.99)]) / 1000)
}

/// The C client against `port`.
func cEchoClients(port: Int, clients n: Int, warmup: Duration, measure: Duration) throws -> EchoResult? {
  guard let exe = try CPeer.echo() else { return nil }
  let ms = { (d: Duration) in String(Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)) }
  let (status, output) = try run(exe, ["client", String(port), String(n), ms(warmup), ms(measure)], timeout: 120)
  guard status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT") }) else {
    throw PeerError.failed("c echo client: \(output)")
  }
  var kv: [String: Double] = [:]
  for field in line.split(separator: " ").dropFirst() {
    let p = field.split(separator: "=")
    if p.count == 2 { kv[String(p[0])] = Double(p[1]) }
  }
  return EchoResult(roundTripsPerSecond: kv["rtt_per_s"] ?? 0, p50: kv["p50_us"] ?? 0, p99: kv["p99_us"] ?? 0)
}

func echoBench(_ options: BenchOptions) async throws -> [Row] {
  let warmup: Duration = options.quick ? .milliseconds(300) : .milliseconds(500)
  let measure: Duration = options.quick ? .seconds(1) : .seconds(3)
  var rows: [Row] = []
  for n in [1, 100, 10_000] {
    progress("  echo N=\(n)")
    let otterServer = try startOtterEchoServer()
    let otter = try await otterEchoClients(port: otterServer.port, clients: n, warmup: warmup, measure: measure)
    otterServer.stop()

    var cc: EchoResult?
    var otterToC: EchoResult?
    var otterToErlang: EchoResult?
    if options.peers, let cServer = try startCEchoServer() {
      cc = try cEchoClients(port: cServer.port, clients: n, warmup: warmup, measure: measure)
      otterToC = try await otterEchoClients(port: cServer.port, clients: n, warmup: warmup, measure: measure)
      cServer.stop()
    }
    if options.peers, let erlangServer = try startErlangEchoServer() {
      otterToErlang = try await otterEchoClients(port: erlangServer.port, clients: n, warmup: warmup, measure: measure)
      erlangServer.stop()
    }
    let tag = "echo.n\(n)"
    rows.append(
      Row(
        bench: "\(tag).rtt_per_s", value: otter.roundTripsPerSecond, unit: "rt/s",
        peer: cc?.roundTripsPerSecond, peerName: cc.map { _ in "c client+server" }, lowerIsBetter: false,
        note: "otter client ↔ otter server"))
    rows.append(
      Row(
        bench: "\(tag).p99_us", value: otter.p99, unit: "µs", peer: cc?.p99, peerName: cc.map { _ in "c client+server" },
        note: "p50 \(Output.format(otter.p50)) µs (c \(cc.map { Output.format($0.p50) } ?? "-"))"))
    if let otterToC {
      rows.append(
        Row(
          bench: "\(tag).server_rtt_per_s", value: otter.roundTripsPerSecond, unit: "rt/s",
          peer: otterToC.roundTripsPerSecond, peerName: "c server", lowerIsBetter: false,
          note: "same otter client; server swapped"))
    }
    if let otterToErlang {
      rows.append(
        Row(
          bench: "\(tag).server_rtt_per_s", value: otter.roundTripsPerSecond, unit: "rt/s",
          peer: otterToErlang.roundTripsPerSecond, peerName: "erlang server", lowerIsBetter: false,
          note: "same otter client; server swapped"))
    }
  }
  return rows
}

// MARK: - conns

/// Opens `n` idle connections to `port` from this process's own Otter node, all owned
/// by one process; returns the growth of this process's RSS per connection and keeps
/// them open until `hold` returns.
func openIdleConnections(port: Int, count n: Int, hold: @Sendable () async throws -> Void) async throws -> Double {
  let node = try Node(schedulers: 1)
  defer { node.shutdown(timeout: .seconds(5)) }
  let before = Shared<UInt64>(0)
  let after = Shared<UInt64>(0)
  let (ready, readyRequest) = node.makeReply(Result<Void, SocketError>.self)
  let (release, releaseRequest) = node.makeReply(Bool.self)
  let holder = node.spawn(Never.self) { ctx in
    var sockets: [Socket] = []
    sockets.reserveCapacity(n)
    before.withLock { $0 = otter_rss_bytes() }
    do {
      for i in 0..<n {
        // 127.0.0.1 until its ports could run short, then 127.0.0.2, ...
        let source = i < 25_000 ? nil : "127.0.0.\(2 + (i - 25_000) / 25_000)"
        let s = try await ctx.connect(tcp: "127.0.0.1", port: port, source: source)
        try ctx.activate(s, .once)  // idle but listening, as a real client
        sockets.append(s)
      }
    } catch let e as SocketError {
      ready.reply(.failure(e))
      return
    }
    after.withLock { $0 = otter_rss_bytes() }
    ready.reply(.success(()))
    _ = try await ctx.receiveResponse(releaseRequest, timeout: .infinity)
  }
  _ = holder
  try await node.receiveResponse(readyRequest, timeout: .seconds(300)).get()
  try await hold()
  release.reply(true)
  return Double(after.withLock { $0 } &- before.withLock { $0 }) / Double(n)
}

func connsBench(_ options: BenchOptions) async throws -> [Row] {
  let wanted = options.quick ? 5_000 : 50_000
  // Each side holds one descriptor per connection; keep a margin for the rest.
  let limit = Int(otter_raise_nofile_limit())
  let n = min(wanted, max(100, limit - 200))
  if n < wanted {
    progress("  conns: the open-file limit is \(limit) per process, so \(n) connections instead of \(wanted)")
  }
  func serverSide(_ server: ServerChild) async throws -> (server: Double, client: Double) {
    defer { server.stop() }
    let base = server.residentBytes
    let serverBytes = Shared<Double>(0)
    let client = try await openIdleConnections(port: server.port, count: n) {
      // Let the server accept everything and settle.
      var last = UInt64(0)
      for _ in 0..<100 {
        try await Task.sleep(for: .milliseconds(100))
        let now = server.residentBytes
        if now == last { break }
        last = now
      }
      serverBytes.withLock { $0 = Double(server.residentBytes &- base) / Double(n) }
    }
    return (serverBytes.withLock { $0 }, client)
  }
  progress("  conns N=\(n): otter server")
  let otter = try await serverSide(try startOtterEchoServer())
  var erlang: Double?
  var c: Double?
  if options.peers, let s = try startErlangEchoServer() {
    progress("  conns N=\(n): erlang server")
    erlang = try await serverSide(s).server
  }
  if options.peers, let s = try startCEchoServer() {
    progress("  conns N=\(n): c server")
    c = try await serverSide(s).server
  }
  let note = n < wanted ? "\(n) connections (fd limit \(limit)/process)" : "\(n) connections"
  var rows = [
    Row(
      bench: "conns.server_rss_bytes_per_conn", value: otter.server, unit: "B", peer: erlang, peerName: erlang.map { _ in "erlang" },
      note: "\(note); a process per connection"),
    Row(bench: "conns.client_rss_bytes_per_conn", value: otter.client, unit: "B", note: "\(note); one owner process"),
  ]
  if let c {
    rows.append(
      Row(
        bench: "conns.server_rss_bytes_per_conn", value: otter.server, unit: "B", peer: c, peerName: "c epoll", note: "c keeps only the fd")
    )
  }
  rows.append(Row(bench: "conns.count", value: Double(n), unit: "conns", goal: "50000", lowerIsBetter: false, note: "open at once"))
  return rows
}
