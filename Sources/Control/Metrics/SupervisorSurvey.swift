// Asking every supervisor of a tree for its report, for the metrics: level by level,
// each level's supervisors at once, the whole within one deadline. A supervisor that is
// busy (starting a slow child) and does not answer in time is left out, with the
// subtree below it, instead of holding the scrape up. The survey belongs to the task
// that runs it; it asks from outside any process (the node is the caller), so it can
// run in any process or none.
import Actors
import Supervision

struct SupervisorSurvey {
  let node: Node
  let timeout: Duration

  /// A supervisor that answered, and its path of child ids from the root.
  struct Answer: Sendable {
    let path: String
    let report: SupervisorReport
  }

  /// How many children a report lists at first: enough for any ordinary supervisor. A
  /// dynamic supervisor with more children, some of them supervisors, is asked again for
  /// all of them; one of 100,000 workers is not.
  static let childLimit = 64

  /// Reports of the supervisors under `roots` (each named with its first path
  /// component), in the order they were reached.
  func run(roots: [(name: String, pid: Pid)]) async -> [Answer] {
    let deadline = ContinuousClock.now + timeout
    var answers: [Answer] = []
    var seen = Set<Pid>()
    var level = roots.filter { seen.insert($0.pid).inserted }
    while !level.isEmpty {
      let node = self.node
      let got = await withTaskGroup(of: (Int, SupervisorReport?).self) { group in
        for (i, entry) in level.enumerated() {
          group.addTask { (i, await SupervisorSurvey.ask(node, entry.pid, until: deadline)) }
        }
        var got = [SupervisorReport?](repeating: nil, count: level.count)
        for await (i, report) in group { got[i] = report }
        return got
      }
      var next: [(name: String, pid: Pid)] = []
      for (entry, report) in zip(level, got) {
        guard let report else { continue }
        answers.append(Answer(path: entry.name, report: report))
        for child in report.children where child.type == .supervisor {
          if let pid = child.pid, seen.insert(pid).inserted { next.append((entry.name + "/" + child.id, pid)) }
        }
      }
      level = next
    }
    return answers
  }

  /// `pid`'s report, with every supervisor child listed; nil if it is no supervisor or
  /// did not answer before `deadline`.
  private static func ask(_ node: Node, _ pid: Pid, until deadline: ContinuousClock.Instant) async -> SupervisorReport? {
    func attempt(_ limit: Int?) async -> SupervisorReport? {
      let left = ContinuousClock.now.duration(to: deadline)
      guard left > .zero else { return nil }
      return try? await node.supervisorReport(of: pid, childLimit: limit, timeout: .after(left))
    }
    guard let report = await attempt(childLimit) else { return nil }
    let listed = report.children.filter { $0.type == .supervisor }.count
    if report.counts.supervisors > listed && report.counts.specs > report.children.count { return await attempt(nil) }
    return report
  }

  /// Where the survey starts, named: the root asked for; for `.automatic`, the topmost
  /// supervisor above `caller`, or (no caller, or none above it) every top-level
  /// supervisor of the node.
  static func roots(_ root: TreeRoot, caller: Pid?, node: Node) -> [(name: String, pid: Pid)] {
    func named(_ pid: Pid) -> (name: String, pid: Pid) {
      let summary = node.processSummary(pid)
      return (summary?.registeredName ?? summary?.label ?? pid.description, pid)
    }
    switch root {
    case .pid(let pid):
      return pid.isAlive ? [named(pid)] : []
    case .named(let name):
      return node.whereis(name).map { [named($0)] } ?? []
    case .automatic:
      if let caller, let top = topSupervisor(above: caller, node: node) { return [named(top)] }
      let system = node.systemPid
      return node.processCounters().filter { c in
        guard let parent = c.parent else { return true }
        return parent == system || !parent.isAlive
      }.map(\.pid).filter(\.isSupervisor).sorted().map(named)
    }
  }

  /// The topmost supervisor in the chain of parents above `pid`.
  private static func topSupervisor(above pid: Pid, node: Node) -> Pid? {
    var found: Pid?
    var current = pid
    for _ in 0..<64 {
      guard let parent = node.processSummary(current)?.counters.parent, parent != node.systemPid, parent.isSupervisor else { break }
      found = parent
      current = parent
    }
    return found
  }
}
