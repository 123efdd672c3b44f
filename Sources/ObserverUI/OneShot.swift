// `observer --once`, `--json`, `--dot` and `--memory`: one request, its answer printed for
// people, for scripts or for Graphviz, and exit.
import Control

/// The non-interactive outputs.
public enum OneShot {
  /// The text `options.mode` prints, fetched over `client`. Only `.once`, `.json`,
  /// `.dot` and `.memory` print something; other modes print nothing.
  public static func output(_ options: ObserverOptions, client: ControlClient) throws(ControlClientError) -> String {
    switch options.mode {
    case .once:
      let snapshot = try client.snapshot(tree: (options.childLimit, gatherTimeout(client)), processes: false, sockets: false)
      return text(snapshot)
    case .json:
      let json = try client.snapshotJSON(tree: (options.childLimit, gatherTimeout(client)))
      return json.description + "\n"
    case .dot:
      let tree = try client.tree(childLimit: options.childLimit, timeout: gatherTimeout(client))
      return TreeDot.render(tree)
    case .memory:
      let node = try client.stats()
      return MemoryTable.text(try client.memory(), node: "\(node.node) (os pid \(node.osPid))")
    case .interactive, .list, .help, .version:
      return ""
    }
  }

  /// How long supervisors get to answer: well within the request's own time limit.
  static func gatherTimeout(_ client: ControlClient) -> Duration {
    max(.milliseconds(1), min(.seconds(5), client.timeout / 2))
  }

  /// A one-line summary of the node, then its tree (`observer --once`).
  static func text(_ snapshot: Snapshot) -> String {
    let s = snapshot.system
    var out =
      "\(s.node) (os pid \(s.osPid)) · up \(Format.uptime(s.uptime)) · \(Format.grouped(s.processCount)) processes · "
      + "\(s.schedulers.count) schedulers · \(s.openSockets) sockets · RSS \(Format.bytes(s.residentBytes))\n"
    if let tree = snapshot.tree {
      if tree.source == .topLevel { out += "(no application root known: the node's top-level processes)\n" }
      out += TreeLayout.text(tree)
    }
    return out
  }
}
