// Gathering the supervision tree without stalling anyone: every supervisor is asked for
// its report by a helper process of its own, all at once, level by level as the answers
// name child supervisors; the connection waits (a selective receive, its thread free)
// until all have answered or the deadline passes. A supervisor that is busy — starting a
// slow child, say — is drawn with "no answer" rather than holding the tree up (the
// anchors' complaint about which_children timing out whole tree views).
import Actors
import Supervision

/// Where the tree starts.
public enum TreeRoot: Sendable {
  /// The topmost supervisor above the endpoint when the endpoint runs in a supervision
  /// tree; else every top-level process of the node.
  case automatic
  /// This process (the application's root supervisor).
  case pid(Pid)
  /// The process registered under this name.
  case named(String)
}

/// What a connection process receives besides socket events: a helper's answer.
enum ConnectionMessage: Sendable {
  case report(generation: Int, Pid, Result<SupervisorReport?, SupervisorError>)
}

struct TreeGatherer {
  let node: Node
  let childLimit: Int
  let timeout: Duration
  /// Tells answers to this gathering from late ones to an earlier one.
  let generation: Int

  /// Supervisor reports by pid; absent: no answer (yet).
  private var reports: [Pid: Result<SupervisorReport?, SupervisorError>] = [:]

  init(node: Node, childLimit: Int, timeout: Duration, generation: Int) {
    self.node = node
    self.childLimit = childLimit
    self.timeout = timeout
    self.generation = generation
  }

  /// The tree from `root`, as seen by the endpoint `endpoint`.
  mutating func gather(_ root: TreeRoot, endpoint: Pid?, _ ctx: Context<ConnectionMessage>) async throws -> SupervisionTree {
    // Late answers to an earlier gathering are dropped.
    while try await ctx.receive(
      timeout: .zero,
      { message -> Bool? in
        if case .message(.report(let g, _, _)) = message, g != generation { return true }
        return nil
      }) != nil
    {}

    let (source, rootPids, omitted) = roots(root, endpoint: endpoint)
    let deadline = ContinuousClock.now + timeout
    var pending = Set<Pid>()
    let me = ctx.address
    func ask(_ pid: Pid) {
      guard reports[pid] == nil, !pending.contains(pid) else { return }
      pending.insert(pid)
      let limit = childLimit
      let generation = generation
      let wait = Timeout.after(max(.milliseconds(1), deadline - .now))
      ctx.spawn(Never.self, options: SpawnOptions(label: "control tree helper")) { helper in
        let result: Result<SupervisorReport?, SupervisorError>
        do throws(SupervisorError) {
          result = .success(try await helper.supervisorReport(of: pid, childLimit: limit, timeout: wait))
        } catch {
          result = .failure(error)
        }
        me.send(.report(generation: generation, pid, result))
      }
    }
    for pid in rootPids where pid.isSupervisor { ask(pid) }
    while !pending.isEmpty {
      let left = deadline - .now
      if left <= .zero { break }
      let got = try await ctx.receive(timeout: .after(left)) { message -> (Pid, Result<SupervisorReport?, SupervisorError>)? in
        if case .message(.report(let g, let pid, let r)) = message, g == generation { return (pid, r) }
        return nil
      }
      guard let (pid, result) = got else { break }
      pending.remove(pid)
      reports[pid] = result
      if case .success(let report?) = result {
        for child in report.children where child.type == .supervisor {
          if let p = child.pid { ask(p) }
        }
      }
    }
    var visited = Set<Pid>()
    let nodes = rootPids.map { rootNode($0, &visited) }
    return SupervisionTree(source: source, roots: nodes, omitted: omitted)
  }

  /// The root pids, where they come from, and how many top-level processes were left out.
  private func roots(_ root: TreeRoot, endpoint: Pid?) -> (SupervisionTree.Source, [Pid], Int) {
    switch root {
    case .pid(let pid) where pid.isAlive:
      return (.root, [pid], 0)
    case .named(let name):
      if let pid = node.whereis(name) { return (.root, [pid], 0) }
    case .automatic:
      if let endpoint, let top = topSupervisor(above: endpoint) { return (.ancestor, [top], 0) }
    case .pid:
      break
    }
    // Every top-level process: supervisors first, then the rest by pid.
    let system = node.systemPid
    let top = node.processCounters().filter { c in
      guard let parent = c.parent else { return true }
      return parent == system || !parent.isAlive
    }.map(\.pid)
    let supervisors = top.filter(\.isSupervisor).sorted()
    let others = top.filter { !$0.isSupervisor }.sorted()
    let listed = supervisors + others.prefix(max(0, childLimit - supervisors.count))
    return (.topLevel, listed, top.count - listed.count)
  }

  /// The topmost supervisor in the chain of parents above `pid`, if its parent is one.
  private func topSupervisor(above pid: Pid) -> Pid? {
    var found: Pid?
    var current = pid
    for _ in 0..<64 {
      guard let parent = node.processSummary(current)?.counters.parent, parent != node.systemPid, parent.isSupervisor else { break }
      found = parent
      current = parent
    }
    return found
  }

  private func rootNode(_ pid: Pid, _ visited: inout Set<Pid>) -> TreeNode {
    let info = node.processSummary(pid)
    let isSupervisor = reports[pid] != nil || pid.isSupervisor
    let id = info?.registeredName ?? info?.label ?? (isSupervisor ? "supervisor" : info?.messageType ?? "process")
    var n = TreeNode(
      kind: isSupervisor ? .supervisor : .process, id: id, pid: ProcessID(pid),
      status: info == nil ? "exited" : "running", process: info.map { ProcessRow($0) })
    if isSupervisor { fill(&n, pid, &visited) }
    return n
  }

  /// Adds a supervisor's summary and children to `n`.
  private func fill(_ n: inout TreeNode, _ pid: Pid, _ visited: inout Set<Pid>) {
    guard visited.insert(pid).inserted else {
      n.error = "already drawn above"
      return
    }
    switch reports[pid] {
    case nil:
      n.error = "no answer within \(timeout)"
    case .failure(let e)?:
      n.error = e.description
    case .success(nil)?:
      n.error = "not a supervisor (any more)"
    case .success(let report?)?:
      n.supervisor = SupervisorSummary(report)
      n.omitted = max(0, report.counts.specs - report.children.count)
      // The latest restart of each child id — for a dynamic supervisor's child (named by
      // pid) under its new pid too, so that a restarted room shows its restart.
      var latest: [String: RestartRecord] = [:]
      for r in report.recentRestarts {
        latest[r.child] = r
        if let replacement = r.replacement { latest[replacement.description] = r }
      }
      for child in report.children {
        let info = child.pid.flatMap { node.processSummary($0) }
        var c = TreeNode(
          kind: child.type == .supervisor ? .supervisor : .worker, id: child.id, pid: child.pid.map(ProcessID.init),
          status: child.status.rawValue, restart: child.restart.rawValue, shutdown: child.shutdown,
          process: info.map { ProcessRow($0) },
          lastRestart: latest[child.id].map { RestartEvent($0, now: report.now) }, restarts: child.restarts,
          os: child.os.map(OSChildRow.init))
        if child.type == .supervisor, let p = child.pid { fill(&c, p, &visited) }
        n.children.append(c)
      }
    }
  }
}
