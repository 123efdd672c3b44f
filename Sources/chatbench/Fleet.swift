// The driver's view of its clients: ircload's connection table and phases — connect and
// register with a cap on connections in flight (open_until), registration timeouts, the
// join phase with its own cap, and the bookkeeping of every event a client reports.
import Actors

/// What clients tell the driver.
enum DriverEvent: Sendable {
  case registered(id: Int)
  case joined(id: Int)
  case joinFailed(id: Int)
  /// A 4xx/5xx numeric (or 422); `line` is set when it is worth reporting as an error.
  case numeric(id: Int, code: Int, line: String?)
  /// The server sent `ERROR ...`.
  case errorLine(id: Int, line: String)
  /// The client ended; its samples come along.
  case gone(id: Int, reason: String, cause: GoneCause, report: ClientReport)
}

/// Counters of a run, as ircload prints them.
struct FleetCounters: Sendable, Equatable {
  var connectFail = 0
  var closed = 0
  var registrationTimeout = 0
  var errorLines = 0
  var emfile = 0
  var registered = 0
  var joined = 0
  /// Registered and still connected.
  var alive = 0
  /// Errors by numeric code.
  var numerics: [Int: Int] = [:]
  var firstError: String?
  /// ircload's `failures()`: what stops an idle step.
  var failures: Int { connectFail + closed + registrationTimeout + emfile }

  /// " numeric_433=2 numeric_422=300", as ircload prints them.
  var numericsText: String {
    numerics.keys.sorted().map { " numeric_\(threeDigits($0))=\(numerics[$0]!)" }.joined()
  }
}

/// A number as at least three digits ("001"), as ircload's %03d.
func threeDigits(_ n: Int) -> String {
  let s = String(n)
  return String(repeating: "0", count: max(0, 3 - s.count)) + s
}

/// The driver's table of clients. Lives inside the driver process and is used only there.
final class Fleet {
  let ctx: Context<DriverEvent>
  let run: RunContext
  let connect: ConnectParameters
  let inflightCap: Int
  /// Most clients ever started (ircload: the target plus 10 % + 16 for retries).
  let capacity: Int
  let log: Log

  private(set) var clients: [Address<ClientCommand>] = []
  private(set) var phase: [ClientPhase] = []
  private var startedAt: [UInt64] = []
  private(set) var room: [Int] = []
  private(set) var roomMembers: [Int]
  private(set) var counters = FleetCounters()
  /// Clients connecting or registering.
  private(set) var inflight = 0
  /// Clients whose JOIN waits for its 366.
  private(set) var joining = 0
  /// Samples of clients that have ended.
  private(set) var reports: [ClientReport] = []
  private var rateStart: UInt64 = 0
  private var rateLaunched = 0
  private var lastScan: UInt64 = 0

  init(ctx: Context<DriverEvent>, run: RunContext, connect: ConnectParameters, inflight: Int, target: Int, rooms: Int, log: Log) {
    self.ctx = ctx
    self.run = run
    self.connect = connect
    self.inflightCap = max(1, inflight)
    self.capacity = target + target / 10 + 16
    self.roomMembers = [Int](repeating: 0, count: max(1, rooms))
    self.log = log
  }

  var started: Int { clients.count }

  // MARK: - Events

  /// Waits up to `micros` for client events, then takes every event already queued.
  func pump(micros: UInt64) async throws {
    guard let first = try await ctx.receive(timeout: .after(.microseconds(Int64(micros)))) else { return }
    handle(first)
    while let next = try await ctx.receive(timeout: .zero) { handle(next) }
  }

  /// Pumps events for `seconds` (ircload's run_for).
  func runFor(seconds: Double) async throws {
    let end = MonotonicClock.microseconds() + UInt64(seconds * 1e6)
    while true {
      let t = MonotonicClock.microseconds()
      if t >= end { break }
      try await pump(micros: min(10_000, end - t))
    }
  }

  private func handle(_ message: Message<DriverEvent>) {
    guard case .message(let event) = message else { return }
    switch event {
    case .registered(let id):
      guard phase[id] == .connecting else { return }
      phase[id] = .registered
      counters.registered += 1
      counters.alive += 1
      inflight -= 1
    case .joined(let id):
      guard phase[id] == .joining else { return }
      phase[id] = .joined
      joining -= 1
      counters.joined += 1
      roomMembers[room[id]] += 1
    case .joinFailed(let id):
      guard phase[id] == .joining else { return }
      phase[id] = .registered
      joining -= 1
    case .numeric(let id, let code, let line):
      counters.numerics[code, default: 0] += 1
      if let line {
        if run.verbose { log.line("client \(id): \(line)") }
        note("client \(id) got: \(line)")
      }
    case .errorLine(let id, let line):
      counters.errorLines += 1
      note("client \(id) got: \(line.prefix(200))")
    case .gone(let id, let reason, let cause, let report):
      if !report.samples.isEmpty || report.foreign > 0 { reports.append(report) }
      guard phase[id] != .dead else { return }  // the driver ended it already
      markDead(id)
      switch cause {
      case .closed:
        counters.closed += 1
        note(reason)
      case .connectFailed(let emfile):
        counters.connectFail += 1
        if emfile { counters.emfile += 1 }
        note(reason)
      case .quit:
        break
      }
    }
  }

  func note(_ error: String) {
    if counters.firstError == nil && !error.isEmpty { counters.firstError = String(error.prefix(500)) }
  }

  /// ircload's conn_close bookkeeping.
  private func markDead(_ id: Int) {
    switch phase[id] {
    case .connecting, .registering: inflight -= 1
    case .registered: counters.alive -= 1
    case .joining:
      counters.alive -= 1
      joining -= 1
    case .joined:
      counters.alive -= 1
      roomMembers[room[id]] -= 1
    case .dead: return
    }
    phase[id] = .dead
  }

  // MARK: - Connect and register

  private func launch() {
    let id = clients.count
    let client = LoadClient.spawn(id: id, run: run, from: ctx)
    clients.append(client)
    phase.append(.connecting)
    startedAt.append(MonotonicClock.microseconds())
    room.append(0)
    inflight += 1
    LoadClient.connect(client, id: id, run: run, from: ctx)
  }

  /// Ends clients that have not registered within the timeout (checked every 0.5 s).
  private func scanTimeouts() {
    let t = MonotonicClock.microseconds()
    guard t - lastScan > 500_000 else { return }
    lastScan = t
    let limit = UInt64(connect.registrationTimeout * 1e6)
    for id in 0..<clients.count where phase[id] == .connecting && t - startedAt[id] > limit {
      note("registration timeout (client \(id), state \(ClientPhase.registering.rawValue))")
      counters.registrationTimeout += 1
      markDead(id)
      clients[id].send(.quit)
    }
  }

  /// Opens connections until `target` clients are registered (ircload's open_until).
  /// With `stopOnFailure`, the first failure ends it (after letting the connections in
  /// flight finish, 5 s at most). Returns whether it got there without failure.
  func openUntil(_ target: Int, stopOnFailure: Bool) async throws -> Bool {
    let failures0 = counters.failures
    if lastScan == 0 { lastScan = MonotonicClock.microseconds() }
    if rateStart == 0 { rateStart = MonotonicClock.microseconds() }
    while true {
      if counters.alive >= target && inflight == 0 { break }
      let t = MonotonicClock.microseconds()
      while inflight < inflightCap && counters.alive + inflight < target && clients.count < capacity {
        if connect.rate > 0 && rateLaunched >= Int(Double(t - rateStart) / 1e6 * connect.rate) + 1 { break }
        rateLaunched += 1
        launch()
      }
      if clients.count >= capacity && inflight == 0 { break }
      try await pump(micros: 5000)
      scanTimeouts()
      if stopOnFailure && counters.failures > failures0 {
        let t0 = MonotonicClock.microseconds()
        while inflight > 0 && MonotonicClock.microseconds() - t0 < 5_000_000 {
          try await pump(micros: 10_000)
          scanTimeouts()
        }
        return false
      }
    }
    return true
  }

  // MARK: - Join

  /// Every registered client joins room `id % rooms`, `joinInflight` at a time; bounded
  /// by four registration timeouts.
  func joinAll(rooms: Int, joinInflight: Int, roomPrefix: String) async throws {
    let t0 = MonotonicClock.microseconds()
    var next = 0
    while true {
      while joining < joinInflight && next < clients.count {
        let id = next
        next += 1
        guard phase[id] == .registered else { continue }
        room[id] = id % rooms
        phase[id] = .joining
        startedAt[id] = MonotonicClock.microseconds()
        joining += 1
        clients[id].send(.join(room: room[id]))
      }
      if next >= clients.count && joining == 0 { break }
      try await pump(micros: 5000)
      if MonotonicClock.microseconds() - t0 > UInt64(connect.registrationTimeout * 1e6 * 4) {
        note("join phase timeout")
        break
      }
    }
  }

  // MARK: - End of run

  /// Asks every live client for its samples; returns them with those of the clients
  /// that ended earlier.
  func collectReports(timeout: Duration = .seconds(10)) async throws -> [ClientReport] {
    var requests: [RequestID<ClientReport>] = []
    for id in 0..<clients.count where phase[id] != .dead {
      requests.append(ctx.sendRequest(clients[id]) { ClientCommand.report($0) })
    }
    var out: [ClientReport] = []
    out.reserveCapacity(requests.count + reports.count)
    let deadline = ContinuousClock.now + timeout
    for r in requests {
      let left = max(.zero, deadline - ContinuousClock.now)
      if let report = try? await ctx.receiveResponse(r, timeout: .after(left)) { out.append(report) }
    }
    // Clients that ended meanwhile sent theirs with `.gone`.
    while let next = try await ctx.receive(timeout: .zero) { handle(next) }
    out.append(contentsOf: reports)
    reports = []
    return out
  }
}
