// The supervision tree for Graphviz (`observer --dot | dot -Tsvg > tree.svg`):
// supervisors as boxes with their strategy and budget, workers as ellipses, edges
// labelled with the restart type; children not running are dashed, recent restarts
// are marked.
import Control

/// Renders the tree in Graphviz's dot language.
enum TreeDot {
  static func render(_ tree: SupervisionTree, title: String = "supervision") -> String {
    var lines = [
      "digraph \(quote(title)) {",
      "  rankdir=LR;",
      "  node [fontname=\"Helvetica\", fontsize=10];",
      "  edge [fontname=\"Helvetica\", fontsize=9];",
    ]
    var counter = 0
    func id(_ node: TreeNode) -> String {
      if let pid = node.pid { return "p\(pid.id)" }
      counter += 1
      return "n\(counter)"
    }
    func walk(_ node: TreeNode) -> String {
      let me = id(node)
      var label = [TreeLayout.name(node)]
      if let pid = node.pid { label.append(pid.description) }
      var attributes: [String] = []
      if node.kind == .supervisor {
        if let s = node.supervisor {
          label.append(s.strategy)
          label.append("restarts \(s.restartsInPeriod)/\(s.intensity) in \(Format.period(s.period))")
        }
        attributes += ["shape=box", "style=\"rounded\(node.status == "running" ? "" : ",dashed")\""]
      } else {
        attributes += ["shape=ellipse"]
        if node.status != "running" { attributes.append("style=dashed") }
      }
      if let r = node.lastRestart, r.ago < 600 {
        label.append("restarted \(Format.ago(r.ago)) ago (\(r.reason))")
        attributes.append("color=orange")
      }
      if let e = node.error {
        label.append("! \(e)")
        attributes.append("color=red")
      }
      if node.status != "running" && node.kind != .process { label.append(node.status) }
      attributes.insert("label=\(quote(label.joined(separator: "\n")))", at: 0)
      lines.append("  \(me) [\(attributes.joined(separator: ", "))];")
      for child in node.children {
        let c = walk(child)
        lines.append("  \(me) -> \(c)" + (child.restart.map { " [label=\(quote($0))]" } ?? "") + ";")
      }
      if node.omitted > 0 {
        counter += 1
        let more = "more\(counter)"
        lines.append("  \(more) [label=\(quote("… \(Format.grouped(node.omitted)) more")), shape=plaintext];")
        lines.append("  \(me) -> \(more) [style=dotted];")
      }
      return me
    }
    for root in tree.roots { _ = walk(root) }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// A dot string literal: quotes and backslashes escaped, newlines as \n.
  static func quote(_ s: String) -> String {
    var out = "\""
    for c in s {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default: out.append(c)
      }
    }
    return out + "\""
  }
}
