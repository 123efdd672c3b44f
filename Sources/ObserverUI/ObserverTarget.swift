// Which node `observer` attaches to: the socket it was given, or the one node the
// discovery directory points at (chatd when several run), with an error that says what
// to do when that is not one node.
import Control

/// Why `observer` has no node to attach to.
public struct ObserverTargetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong and what to do about it.
  public let message: String
  init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}

/// Finding the socket to attach to.
public enum ObserverTarget {
  /// The socket path for `options`: `--socket` as given; else a live pointer in the
  /// discovery directory (named `--node` if given; the only one, or the only chatd).
  public static func resolve(_ options: ObserverOptions) throws(ObserverTargetError) -> String {
    if let socket = options.socket { return socket }
    let directory = options.discoveryDirectory ?? Discovery.defaultDirectory
    let entries = Discovery.liveNodes(in: directory)
    switch Discovery.choose(entries, name: options.node) {
    case .node(let entry):
      return entry.socket
    case .none:
      if let name = options.node {
        let others = entries.map(\.name)
        throw ObserverTargetError(
          "no running node named \"\(name)\" in \(directory)" + (others.isEmpty ? "" : " (found: \(others.joined(separator: ", ")))"))
      }
      throw ObserverTargetError(
        "no running node found in \(directory); start one (swift run chatd) or give its socket with --socket PATH")
    case .ambiguous(let several):
      throw ObserverTargetError(
        "several nodes are running; choose one with --node NAME or --socket PATH:\n"
          + several.map { "  \($0.description)" }.joined(separator: "\n"))
    }
  }

  /// `observer --list`: one line per live node: name, OS pid, socket.
  public static func list(_ options: ObserverOptions) -> String {
    let directory = options.discoveryDirectory ?? Discovery.defaultDirectory
    return Discovery.liveNodes(in: directory).map { "\($0.name)\t\($0.osPid)\t\($0.socket)\n" }.joined()
  }
}
