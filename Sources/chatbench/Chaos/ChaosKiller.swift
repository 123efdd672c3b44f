// The killer of a chaos run: a thread of its own (the control client blocks; chatbench's
// schedulers must not) that every interval asks chatd's control endpoint for its
// supervision tree, picks a kind at random among those asked for, a process of that kind
// at random, and kills it. A kind is a node of chatd's tree, named by its path of child
// ids from the root (`presence`, `rooms/room-supervisor`): a supervisor's kind
// (`connections`, `rooms/room-supervisor`) kills one of its children (a connection, a
// room), a worker's (history, presence) kills the worker. When the process owns a session's socket, the kill names that
// session, so its disconnection is expected and its QUIT is owed to its channels.
// One more kind, `connection+room`, kills a session's connection and, right after, the
// room of one of its channels: the two dying together, which a kill every interval
// almost never makes by chance.
//
// Kills stay within half of each supervisor's restart budget (intensity in period, as
// the tree reports it): past the whole budget a supervisor gives up, and chatd's root
// would stop the server — a verdict on the budget, not on recovery. `--ignore-budget`
// kills regardless, to see what a supervisor giving up does to the clients.
import Actors
import Control
import Foundation
import Synchronization

final class ChaosKiller: Sendable {
  /// The kind that kills a connection and one of its rooms together; its kills are
  /// recorded under this name when the connection's went first, else under `pairRoomFirst`.
  static let pair = "connection+room"
  static let pairRoomFirst = "room+connection"
  /// The supervisors that a pair kill takes its processes from (paths in chatd's tree).
  static let pairParts = (connections: "connections", rooms: "rooms/room-supervisor")

  /// The node at `path` (child ids from `root`, separated by `/`).
  static func node(_ path: String, in root: TreeNode) -> TreeNode? {
    var node = root
    for id in path.split(separator: "/") {
      guard let child = node.children.first(where: { $0.id == id }) else { return nil }
      node = child
    }
    return node
  }

  private let socketPath: String
  private let kinds: [String]
  private let interval: Double
  private let context: ChaosContext
  private let seed: UInt64
  /// The channels of a client (by slot), to find the rooms of a connection.
  private let channelsOf: @Sendable (Int) -> [Int]
  /// Whether kills stay within half of each supervisor's restart budget.
  private let withinBudgets: Bool
  private let stopping = Atomic<Bool>(false)
  private let finished = DispatchGroup()
  private let state = Mutex<(records: [KillRecord], skipped: Int, errors: Int, lastError: String?)>(([], 0, 0, nil))

  init(
    socketPath: String, kinds: [String], interval: Double, context: ChaosContext, seed: UInt64,
    withinBudgets: Bool = true, channelsOf: @escaping @Sendable (Int) -> [Int]
  ) {
    self.socketPath = socketPath
    self.kinds = kinds
    self.interval = interval
    self.context = context
    self.seed = seed
    self.channelsOf = channelsOf
    self.withinBudgets = withinBudgets
  }

  /// The kinds chatd's root has, or why they cannot be killed; checked before the run.
  static func validate(kinds: [String], tree: SupervisionTree) -> String? {
    guard let root = tree.roots.first else { return "the control endpoint reports no supervision tree" }
    let ids = root.children.map(\.id)
    let needed = kinds.flatMap { $0 == pair ? [pairParts.connections, pairParts.rooms] : [$0] }
    let unknown = needed.filter { node($0, in: root) == nil }
    if !unknown.isEmpty {
      return "--kill: \(root.id) has no node \(unknown.joined(separator: ", ")); its children: \(ids.joined(separator: ", "))"
    }
    return nil
  }

  /// Starts killing.
  func start() {
    // Nothing to kill (a run of reloads only).
    guard !kinds.isEmpty else { return }
    finished.enter()
    let thread = Thread { [self] in
      self.run()
      self.finished.leave()
    }
    thread.start()
  }

  /// Stops killing and waits for the thread (the kill in progress completes).
  func stop() {
    stopping.store(true, ordering: .relaxed)
    _ = finished.wait(timeout: .now() + 15)
  }

  var records: [KillRecord] { state.withLock { $0.records } }
  /// Ticks that found nothing to kill within the budgets.
  var skipped: Int { state.withLock { $0.skipped } }
  /// Ticks the endpoint did not serve, and the last reason.
  var errors: (count: Int, last: String?) { state.withLock { ($0.errors, $0.lastError) } }

  private func run() {
    var random = SeededRandom(seed: seed)
    var client: ControlClient?
    var window: [String: [UInt64]] = [:]  // supervisor id → kill times charged to it
    var next = MonotonicClock.microseconds()
    let step = UInt64(interval * 1e6)
    while !stopping.load(ordering: .relaxed) {
      next += step
      let now = MonotonicClock.microseconds()
      if next > now { usleep(UInt32(min(next - now, 1_000_000))) } else { next = now }
      if stopping.load(ordering: .relaxed) { break }
      do throws(ControlClientError) {
        if client == nil { client = try ControlClient(path: socketPath, timeout: .seconds(2)) }
        if try !tick(client!, &random, &window) { state.withLock { $0.skipped += 1 } }
      } catch {
        state.withLock {
          $0.errors += 1
          $0.lastError = error.description
        }
        if case .remote = error {
        } else {
          client?.close()
          client = nil
        }
      }
    }
    client?.close()
  }

  /// One kill, if some kind has a target within its budget; false if none had.
  private func tick(_ client: ControlClient, _ random: inout SeededRandom, _ window: inout [String: [UInt64]]) throws(ControlClientError)
    -> Bool
  {
    let tree = try client.tree(childLimit: 100_000, timeout: .seconds(1))
    guard let root = tree.roots.first else { return false }
    for kind in random.shuffled(kinds) {
      if kind == ChaosKiller.pair {
        if try killPair(client, root, &random, &window) { return true }
        continue
      }
      guard let node = Self.node(kind, in: root) else { continue }
      let targets: [ProcessID]
      let charged: TreeNode
      if node.kind == .supervisor {
        targets = node.children.filter { $0.status == "running" }.compactMap(\.pid)
        charged = node
      } else {
        targets = node.status == "running" ? node.pid.map { [$0] } ?? [] : []
        // A worker's restart counts against its parent supervisor's budget.
        charged = Self.node(kind.split(separator: "/").dropLast().joined(separator: "/"), in: root) ?? root
      }
      guard !targets.isEmpty, inBudget(charged, window) else { continue }
      // A connection not (yet) named as a session's is left alone: its client would
      // count as disconnected without a kill.
      let owners = node.kind == .supervisor ? try sessions(client) : [:]
      let nameable = targets.filter { owners[$0] != .some(nil) }
      guard !nameable.isEmpty else { continue }
      let pid = nameable[random.below(nameable.count)]
      let session = owners[pid] ?? nil
      guard let record = try kill(client, kind: kind, pid, session: session) else { continue }  // it ended meanwhile
      window[charged.id, default: []].append(record.at)
      return true
    }
    return false
  }

  /// A session's connection, then the room of one of its channels; false if there was
  /// no such pair within both budgets.
  private func killPair(_ client: ControlClient, _ root: TreeNode, _ random: inout SeededRandom, _ window: inout [String: [UInt64]])
    throws(ControlClientError) -> Bool
  {
    guard let connections = Self.node(ChaosKiller.pairParts.connections, in: root),
      let rooms = Self.node(ChaosKiller.pairParts.rooms, in: root),
      inBudget(connections, window), inBudget(rooms, window)
    else { return false }
    let owners = try sessions(client)
    var pairs: [(connection: ProcessID, session: SessionKey, room: ProcessID)] = []
    for child in connections.children where child.status == "running" {
      guard let pid = child.pid, let owner = owners[pid], let session = owner else { continue }
      for channel in channelsOf(session.slot) {
        // A room is registered under a name ending in its (case-folded) channel name.
        let name = context.channelName(channel).lowercased()
        if let room = rooms.children.first(where: { $0.process?.name?.hasSuffix(name) == true })?.pid {
          pairs.append((pid, session, room))
        }
      }
    }
    guard !pairs.isEmpty else { return false }
    let pick = pairs[random.below(pairs.count)]
    // Both in one write, in either order: the room dying first (its restart then races
    // the connection's exit) or the connection first (its DOWN races the room's death).
    var order: [(pid: ProcessID, session: SessionKey?)] = [(pick.connection, pick.session), (pick.room, nil)]
    if random.below(2) == 0 { order.reverse() }
    let kind = order[0].pid == pick.room ? ChaosKiller.pairRoomFirst : ChaosKiller.pair
    let at = MonotonicClock.microseconds()
    let results = try client.kill(order.map(\.pid))
    var killed = false
    for (target, error) in zip(order, results) where error == nil {
      state.withLock { $0.records.append(KillRecord(kind: kind, pid: target.pid.description, at: at, session: target.session)) }
      killed = true
    }
    guard killed else { return false }
    if context.verbose {
      context.log.line("chaos: killed together \(order.map { "\($0.pid)" }.joined(separator: " and ")) (session \(pick.session))")
    }
    window[connections.id, default: []].append(at)
    window[rooms.id, default: []].append(at)
    return true
  }

  /// Whether one more kill of a child of `supervisor` stays within half its budget.
  private func inBudget(_ supervisor: TreeNode, _ window: [String: [UInt64]]) -> Bool {
    guard withinBudgets else { return true }
    guard let budget = supervisor.supervisor else { return false }
    let now = MonotonicClock.microseconds()
    let period = UInt64(budget.period * 1e6)
    let recent = window[supervisor.id, default: []].filter { now - $0 < period }.count
    let allowed = max(1, budget.intensity / 2)
    return recent < allowed && budget.restartsInPeriod < allowed
  }

  /// Owners of connected sockets: the session whose connection it is, or nil for a
  /// peer that is no session (yet).
  private func sessions(_ client: ControlClient) throws(ControlClientError) -> [ProcessID: SessionKey?] {
    var out: [ProcessID: SessionKey?] = [:]
    for row in try client.sockets() {
      guard let peer = row.peer else { continue }
      out[row.owner] = context.session(at: peer)
    }
    return out
  }

  /// Kills `pid` and records it; nil if it had ended already.
  private func kill(_ client: ControlClient, kind: String, _ pid: ProcessID, session: SessionKey?) throws(ControlClientError) -> KillRecord?
  {
    let record = KillRecord(kind: kind, pid: pid.description, at: MonotonicClock.microseconds(), session: session)
    do {
      try client.kill(pid)
    } catch .remote(let e) where e.code == .noSuchProcess {
      return nil
    }
    state.withLock { $0.records.append(record) }
    if context.verbose { context.log.line("chaos: killed \(kind) \(pid)\(session.map { " (session \($0))" } ?? "")") }
    return record
  }
}
