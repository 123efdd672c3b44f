// The supervision tree as the wire carries it: supervisors with their strategy, restart
// budget and children; workers with their live figures.

/// A restart a supervisor made (or the failure that made it give up).
public struct RestartEvent: Sendable, Equatable {
  /// The child's id (a dynamic supervisor's children are named by pid).
  public var child: String
  /// The exit reason of the child that failed.
  public var reason: String
  /// Seconds before the report was made.
  public var ago: Double
  /// Past the budget: the supervisor gave up.
  public var gaveUp: Bool
  /// What a dynamic supervisor's child was restarted as (its id, the old pid, names a
  /// process that is gone); nil for static children and restarts not done (yet).
  public var replacement: ProcessID?

  public init(child: String, reason: String, ago: Double, gaveUp: Bool, replacement: ProcessID? = nil) {
    self.child = child
    self.reason = reason
    self.ago = ago
    self.gaveUp = gaveUp
    self.replacement = replacement
  }

  var json: JSON {
    .fields([
      "child": .string(child), "reason": .string(reason), "ago_s": .double(ago), "gave_up": .bool(gaveUp),
      "restarted_as": replacement?.json,
    ])
  }

  init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "restart")
    self.init(
      child: try f.string("child"), reason: try f.string("reason"), ago: try f.double("ago_s"), gaveUp: try f.bool("gave_up"),
      replacement: try f.optionalPid("restarted_as"))
  }
}

/// What a supervisor says about itself.
public struct SupervisorSummary: Sendable, Equatable {
  /// `one_for_one`, `one_for_all`, `rest_for_one`, `simple_one_for_one` (dynamic).
  public var strategy: String
  /// More than `intensity` restarts within `period` seconds make it give up.
  public var intensity: Int
  public var period: Double
  /// Restarts within the current period: the budget used.
  public var restartsInPeriod: Int
  public var budgetLeft: Int
  public var totalRestarts: Int
  /// All children: specs, running, supervisors, workers.
  public var specs: Int
  public var active: Int
  public var supervisors: Int
  public var workers: Int
  public var autoShutdown: String
  /// The last restarts, newest last.
  public var recentRestarts: [RestartEvent]

  public init(
    strategy: String, intensity: Int, period: Double, restartsInPeriod: Int, budgetLeft: Int, totalRestarts: Int,
    specs: Int, active: Int, supervisors: Int, workers: Int, autoShutdown: String, recentRestarts: [RestartEvent]
  ) {
    self.strategy = strategy
    self.intensity = intensity
    self.period = period
    self.restartsInPeriod = restartsInPeriod
    self.budgetLeft = budgetLeft
    self.totalRestarts = totalRestarts
    self.specs = specs
    self.active = active
    self.supervisors = supervisors
    self.workers = workers
    self.autoShutdown = autoShutdown
    self.recentRestarts = recentRestarts
  }

  var json: JSON {
    .fields([
      "strategy": .string(strategy), "intensity": .number(intensity), "period_s": .double(period),
      "restarts_in_period": .number(restartsInPeriod), "budget_left": .number(budgetLeft),
      "total_restarts": .number(totalRestarts),
      "children": .fields([
        "specs": .number(specs), "active": .number(active), "supervisors": .number(supervisors), "workers": .number(workers),
      ]),
      "auto_shutdown": .string(autoShutdown), "recent_restarts": .array(recentRestarts.map(\.json)),
    ])
  }

  init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "supervisor")
    let c = try f.object("children")
    self.init(
      strategy: try f.string("strategy"), intensity: try f.int("intensity"), period: try f.double("period_s"),
      restartsInPeriod: try f.int("restarts_in_period"), budgetLeft: try f.int("budget_left"),
      totalRestarts: try f.int("total_restarts"), specs: try c.int("specs"), active: try c.int("active"),
      supervisors: try c.int("supervisors"), workers: try c.int("workers"), autoShutdown: try f.string("auto_shutdown"),
      recentRestarts: try f.array("recent_restarts") { (j) throws(ControlError) in try RestartEvent(json: j) })
  }
}

/// One node of the tree: a supervisor, a worker, or (when the tree is drawn from the
/// node's top-level processes) a process nobody supervises.
public struct TreeNode: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case supervisor, worker
    /// A top-level process that is not a supervisor.
    case process
  }

  public var kind: Kind
  /// The child id (a dynamic supervisor's children: their pid), or for a root its
  /// registered name or label.
  public var id: String
  public var pid: ProcessID?
  /// `running`, `restarting`, `stopped` (as the supervisor lists it).
  public var status: String
  /// `permanent`, `transient`, `temporary` (nil for a root).
  public var restart: String?
  /// The shutdown protocol (`brutal_kill`, `5 seconds`, `infinity`).
  public var shutdown: String?
  /// The live process's figures (nil when it is not running).
  public var process: ProcessRow?
  /// For a supervisor that answered.
  public var supervisor: SupervisorSummary?
  /// Why the supervisor's report is missing (it did not answer in time, ...).
  public var error: String?
  /// This child's latest restart by its supervisor, if the supervisor remembers one.
  public var lastRestart: RestartEvent?
  /// Times its supervisor has restarted this child (a static supervisor's; 0 otherwise).
  public var restarts: Int
  /// For an OS process child that runs: its OS process.
  public var os: OSChildRow?
  public var children: [TreeNode]
  /// Children not listed (past the request's `child_limit`).
  public var omitted: Int

  public init(
    kind: Kind, id: String, pid: ProcessID?, status: String, restart: String? = nil, shutdown: String? = nil,
    process: ProcessRow? = nil, supervisor: SupervisorSummary? = nil, error: String? = nil, lastRestart: RestartEvent? = nil,
    restarts: Int = 0, os: OSChildRow? = nil, children: [TreeNode] = [], omitted: Int = 0
  ) {
    self.kind = kind
    self.id = id
    self.pid = pid
    self.status = status
    self.restart = restart
    self.shutdown = shutdown
    self.process = process
    self.supervisor = supervisor
    self.error = error
    self.lastRestart = lastRestart
    self.restarts = restarts
    self.os = os
    self.children = children
    self.omitted = omitted
  }

  /// This node and all below it, depth first.
  public var count: Int { 1 + children.reduce(0) { $0 + $1.count } }

  public var json: JSON {
    .fields([
      "kind": .string(kind.rawValue), "id": .string(id), "pid": pid?.json, "status": .string(status),
      "restart": restart.map(JSON.string), "shutdown": shutdown.map(JSON.string), "process": process?.json,
      "supervisor": supervisor?.json, "error": error.map(JSON.string), "last_restart": lastRestart?.json,
      "restarts": restarts > 0 ? .number(restarts) : nil, "os": os?.json,
      "children": .array(children.map(\.json)), "omitted": omitted > 0 ? .number(omitted) : nil,
    ])
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "tree node")
    let kindName = try f.string("kind")
    guard let kind = Kind(rawValue: kindName) else { throw .badRequest("tree node: unknown kind \"\(kindName)\"") }
    self.init(
      kind: kind, id: try f.string("id"), pid: try f.optionalPid("pid"), status: try f.string("status"),
      restart: try f.optionalString("restart"), shutdown: try f.optionalString("shutdown"),
      process: try f.value("process").map { (j) throws(ControlError) in try ProcessRow(json: j) },
      supervisor: try f.value("supervisor").map { (j) throws(ControlError) in try SupervisorSummary(json: j) },
      error: try f.optionalString("error"),
      lastRestart: try f.value("last_restart").map { (j) throws(ControlError) in try RestartEvent(json: j) },
      restarts: try f.optionalInt("restarts") ?? 0, os: try f.value("os").map { (j) throws(ControlError) in try OSChildRow(json: j) },
      children: try f.array("children") { (j) throws(ControlError) in try TreeNode(json: j) },
      omitted: try f.optionalInt("omitted") ?? 0)
  }
}

/// The supervision tree (the `tree` operation).
public struct SupervisionTree: Sendable, Equatable {
  /// Where the roots come from.
  public enum Source: String, Sendable {
    /// The root the endpoint was given.
    case root
    /// The topmost supervisor above the endpoint (it runs inside the application's tree).
    case ancestor
    /// Every top-level process (no root known).
    case topLevel = "top_level"
  }

  public var source: Source
  public var roots: [TreeNode]
  /// Top-level processes not listed (source `top_level` only).
  public var omitted: Int

  public init(source: Source, roots: [TreeNode], omitted: Int = 0) {
    self.source = source
    self.roots = roots
    self.omitted = omitted
  }

  public var json: JSON {
    .fields(["source": .string(source.rawValue), "roots": .array(roots.map(\.json)), "omitted": omitted > 0 ? .number(omitted) : nil])
  }

  public init(json: JSON) throws(ControlError) {
    let f = try Fields(json, "tree")
    let name = try f.string("source")
    guard let source = Source(rawValue: name) else { throw .badRequest("tree: unknown source \"\(name)\"") }
    self.init(
      source: source, roots: try f.array("roots") { (j) throws(ControlError) in try TreeNode(json: j) },
      omitted: try f.optionalInt("omitted") ?? 0)
  }

  /// Every node, depth first.
  public var allNodes: [TreeNode] {
    var out: [TreeNode] = []
    func walk(_ n: TreeNode) {
      out.append(n)
      n.children.forEach(walk)
    }
    roots.forEach(walk)
    return out
  }
}
