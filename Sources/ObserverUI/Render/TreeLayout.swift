// The supervision tree laid out as lines: guides (├─ └─ │), one line per node, folded
// supervisors' children hidden. Shared by `observer --once` and the interactive tree view.
import Control

/// One line of the laid-out tree.
struct TreeRow: Sendable, Equatable {
  /// The path of ids from the root ("app/rooms/lobby"): stable across restarts (a
  /// restarted child keeps its id, not its pid), so folding and selection follow it. A
  /// dynamic supervisor's child, whose id is its pid, is keyed by its registered name
  /// when it has one (a room keeps its name across restarts).
  let key: String
  let depth: Int
  /// The guides before the node ("│  ├─ ").
  let guides: String
  /// Nil for a "… N more" line.
  let node: TreeNode?
  /// The node's description.
  let text: String
  /// A supervisor with children listed.
  let foldable: Bool
  let folded: Bool
}

/// Lays out the supervision tree.
enum TreeLayout {
  /// The lines of `tree`, depth first. Children of keys in `folded` are hidden; with
  /// `markers`, supervisors get ▾ (open) or ▸ (folded) before their name.
  static func rows(_ tree: SupervisionTree, folded: Set<String> = [], markers: Bool = false) -> [TreeRow] {
    var out: [TreeRow] = []
    var seen: [String: Int] = [:]
    for root in tree.roots {
      add(root, key: unique(root, parent: "", &seen), depth: 0, guides: "", childGuides: "", folded: folded, markers: markers, into: &out)
    }
    if tree.omitted > 0 {
      out.append(
        TreeRow(
          key: "/more", depth: 0, guides: "", node: nil, text: "… \(Format.grouped(tree.omitted)) more top-level processes",
          foldable: false, folded: false))
    }
    return out
  }

  /// The tree as plain text, one node per line (`observer --once`).
  static func text(_ tree: SupervisionTree) -> String {
    rows(tree).map { $0.guides + $0.text }.joined(separator: "\n") + "\n"
  }

  private static func unique(_ node: TreeNode, parent: String, _ seen: inout [String: Int]) -> String {
    let id = stableID(node)
    var key = parent.isEmpty ? id : parent + "/" + id
    if let n = seen[key] {
      seen[key] = n + 1
      key += "#\(node.pid?.id ?? UInt64(n))"
    } else {
      seen[key] = 1
    }
    return key
  }

  private static func add(
    _ node: TreeNode, key: String, depth: Int, guides: String, childGuides: String, folded: Set<String>, markers: Bool,
    into out: inout [TreeRow]
  ) {
    let foldable = !node.children.isEmpty || node.omitted > 0
    let isFolded = foldable && folded.contains(key)
    var text = describe(node)
    if markers && node.kind == .supervisor { text = (isFolded ? "▸ " : "▾ ") + text }
    out.append(TreeRow(key: key, depth: depth, guides: guides, node: node, text: text, foldable: foldable, folded: isFolded))
    guard !isFolded else { return }
    var seen: [String: Int] = [:]
    let total = node.children.count + (node.omitted > 0 ? 1 : 0)
    for (i, child) in node.children.enumerated() {
      let last = i == total - 1
      add(
        child, key: unique(child, parent: key, &seen), depth: depth + 1,
        guides: childGuides + (last ? "└─ " : "├─ "), childGuides: childGuides + (last ? "   " : "│  "),
        folded: folded, markers: markers, into: &out)
    }
    if node.omitted > 0 {
      out.append(
        TreeRow(
          key: key + "/more", depth: depth + 1, guides: childGuides + "└─ ", node: nil,
          text: "… \(Format.grouped(node.omitted)) more", foldable: false, folded: false))
    }
  }

  /// What a node's line says after its guides.
  static func describe(_ node: TreeNode) -> String {
    var parts: [String] = [name(node)]
    if let pid = node.pid { parts.append(pid.description) }
    switch node.kind {
    case .supervisor:
      if let s = node.supervisor {
        parts.append(s.strategy)
        if let r = node.restart { parts.append(r) }
        parts.append(node.status)
        parts.append("restarts \(s.restartsInPeriod)/\(s.intensity) in \(Format.period(s.period)) (\(s.budgetLeft) left)")
        parts.append("children \(s.active)/\(s.specs)" + (s.supervisors > 0 ? " (\(s.supervisors) sup)" : ""))
      } else {
        parts.append("supervisor")
        if let r = node.restart { parts.append(r) }
        parts.append(node.status)
      }
    case .worker, .process:
      if let r = node.restart { parts.append(r) }
      parts.append(node.kind == .process ? (node.process?.status ?? node.status) : node.status)
      if let os = node.os {
        // An OS process child: what the kernel says of the OS process, not of its owner.
        parts.append("os \(os.osPid)" + (os.ready ? "" : " (starting)"))
        parts.append("cpu \(Format.fixed(os.cpuPercent, 1))%")
        parts.append("rss \(Format.bytes(os.residentBytes))")
        parts.append("up \(Format.uptime(os.uptime))")
        if let status = os.status, !status.isEmpty { parts.append("\"\(status)\"") }
      } else if let p = node.process {
        parts.append("mq \(Format.count(p.messageQueueLength))")
        parts.append("reds \(Format.count(p.reductions))")
        parts.append("mem \(Format.bytes(p.memory))")
        if let io = p.io, io.bytesIn + io.bytesOut > 0 {
          parts.append("in \(Format.bytes(io.bytesIn))")
          parts.append("out \(Format.bytes(io.bytesOut))")
        }
      }
    }
    if node.restarts > 0 { parts.append("restarts \(node.restarts)") }
    if let r = node.lastRestart, r.ago < 600 { parts.append("↻ \(Format.ago(r.ago)) ago (\(r.reason))") }
    if let e = node.error { parts.append("! \(e)") }
    return parts.joined(separator: "  ")
  }

  /// What a node is keyed by: its id, or for a dynamic supervisor's child (whose id is
  /// its pid, new at each restart) its registered name if it has one.
  static func stableID(_ node: TreeNode) -> String {
    if let pid = node.pid, node.id == pid.description, let name = node.process?.name { return "name:" + name }
    return node.id
  }

  /// How a node is called: its id, or for a dynamic supervisor's child (whose id is its
  /// pid) its registered name or label.
  static func name(_ node: TreeNode) -> String {
    if let pid = node.pid, node.id == pid.description, let p = node.process {
      let n = p.name ?? p.label
      if let n { return n }
    }
    return node.id
  }
}
