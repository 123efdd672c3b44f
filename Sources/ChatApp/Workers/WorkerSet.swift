// The master's workers: which generation serves each slot, and the rolling reload that
// replaces them one at a time — start the new worker and wait until it serves (READY=1),
// move the old one's sessions to it, stop the old one — so that the network always has
// every slot but one serving and the listeners never lack a worker to accept. Owner:
// this process, of the slots' generations; the workers' supervisor (by name) owns the
// OS processes. Reloads are served in order: a second waits for the first.
import Actors
import GenServer
import Supervision

struct WorkerSet: GenServer {
  let plan: WorkerPlan
  let count: Int

  static let name = "chatd.master.workers"

  /// The worker set of the master running on `node`.
  static func running(on node: Node) -> GenServerRef<WorkerSet>? {
    node.whereis(name, as: ServerMessage<WorkerSet>.self).map(GenServerRef.init)
  }
  static let supervisorName = "chatd.master.worker-supervisor"

  enum Request: Sendable {
    case reload
    case slots
  }

  enum Reply: Sendable {
    case reloaded(ReloadReport)
    case slots([String])
  }

  struct State {
    /// The generation serving each slot (slot 1 first).
    var generations: [Int]
    var reloads = 0
  }

  func initialize(_ ctx: ServerContext<Self>) async throws -> InitResult<Self> {
    .ok(State(generations: Array(repeating: 1, count: count)))
  }

  func handleCall(_ request: Request, from: From<Reply>, state: inout State, _ ctx: ServerContext<Self>) async throws -> CallResult<Self> {
    switch request {
    case .slots:
      return .reply(.slots(state.generations.enumerated().map { plan.nodeName(slot: $0.offset + 1, generation: $0.element) }))
    case .reload:
      state.reloads += 1
      return .reply(.reloaded(await reload(&state, ctx)))
    }
  }

  private func reload(_ state: inout State, _ ctx: ServerContext<Self>) async -> ReloadReport {
    let logger = ctx.node.logger
    var report = ReloadReport(number: state.reloads)
    guard let address = ctx.node.whereis(Self.supervisorName, as: ServerMessage<Supervisor>.self) else {
      report.steps.append(ReloadStep(slot: 0, old: "", new: "", failure: "the workers' supervisor is not running"))
      return report
    }
    let supervisor = GenServerRef(address)
    let began = ContinuousClock.now
    for slot in 1...count {
      let old = state.generations[slot - 1]
      let new = old + 1
      let oldNode = plan.nodeName(slot: slot, generation: old)
      let newNode = plan.nodeName(slot: slot, generation: new)
      var step = ReloadStep(slot: slot, old: oldNode, new: newNode)
      let start = ContinuousClock.now
      logger.notice("reload: starting \(newNode) to replace \(oldNode)")
      do {
        _ = try await ctx.startChild(supervisor, plan.child(slot: slot, generation: new))
      } catch {
        // The old worker keeps serving; the reload goes on with the next slot.
        step.failure = "\(newNode) did not start: \(error)"
        logger.error("reload: \(step.failure!); \(oldNode) keeps serving")
        report.steps.append(step)
        continue
      }
      step.ready = ContinuousClock.now - start
      step.handOff = await SessionHandOff.move(
        old: plan.controlSocket(of: oldNode), to: plan.handOffSocket(of: newNode), logger: logger)
      if step.handOff != nil { try? await ctx.sleep(for: SessionHandOff.linger) }
      let stopping = ContinuousClock.now
      do {
        try await ctx.terminateChild(supervisor, id: plan.childID(slot: slot, generation: old))
        try await ctx.deleteChild(supervisor, id: plan.childID(slot: slot, generation: old))
      } catch {
        logger.warning("reload: stopping \(oldNode): \(error)")
      }
      step.stopped = ContinuousClock.now - stopping
      step.total = ContinuousClock.now - start
      plan.removeDirectory(of: oldNode)
      state.generations[slot - 1] = new
      logger.notice("reload: \(step.summary)")
      report.steps.append(step)
    }
    report.total = ContinuousClock.now - began
    return report
  }
}

/// What moving one worker's sessions to another did.
struct HandOffOutcome: Sendable, Equatable {
  /// Sessions that went on, on the new worker, without their clients noticing.
  var moved: Int
  /// Sessions told to reconnect (those that cannot move).
  var toldToReconnect: Int
}

/// One slot of a reload.
struct ReloadStep: Sendable {
  var slot: Int
  var old: String
  var new: String
  /// From the start of the new worker until it said it serves.
  var ready: Duration?
  var handOff: HandOffOutcome?
  /// How long the old worker took to stop.
  var stopped: Duration?
  /// The whole slot: start, hand-off, linger, stop.
  var total: Duration?
  /// Why the slot was not replaced (the old worker still serves it).
  var failure: String?

  var summary: String {
    if let failure { return "slot \(slot): \(failure)" }
    let moved =
      handOff.map { "\($0.moved) sessions moved, \($0.toldToReconnect) told to reconnect" }
      ?? "no hand-off: its clients were told to reconnect"
    return "slot \(slot): \(old) → \(new), ready after \(Self.ms(ready)), \(moved), old one stopped in \(Self.ms(stopped)); \(Self.ms(total)) in all"
  }

  static func ms(_ d: Duration?) -> String {
    guard let d else { return "-" }
    return "\(Int((Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) * 1000)) ms"
  }
}

/// A whole reload.
struct ReloadReport: Sendable {
  var number: Int
  var steps: [ReloadStep] = []
  var total: Duration = .zero

  var failed: Bool { steps.contains { $0.failure != nil } }
}
