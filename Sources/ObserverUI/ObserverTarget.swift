// Which node `observer` attaches to: the socket it was given, or the node the discovery
// directory points at — the one `--node` names (by name, OS pid or socket path), else the
// only one, else the only chatd — with an error that lists the candidates (name, OS pid,
// uptime, socket) when that is not one node.
import Control
import Glibc

/// Why `observer` has no node to attach to.
public struct ObserverTargetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong and what to do about it.
  public let message: String
  /// How `observer` exits for it: `.unavailable` (no node) or `.ambiguous` (several).
  public let exit: ObserverExit
  init(_ message: String, exit: ObserverExit) {
    self.message = message
    self.exit = exit
  }
  /// The message.
  public var description: String { message }
}

/// Finding the socket to attach to.
public enum ObserverTarget {
  /// The socket path for `options`: `--socket` as given; else a live pointer in the
  /// discovery directory (the one `--node` selects; the only one, or the only chatd).
  /// A `--node` socket path that no pointer names is used as it is, if it is a socket.
  public static func resolve(_ options: ObserverOptions) throws(ObserverTargetError) -> String {
    if let socket = options.socket { return socket }
    let directory = options.discoveryDirectory ?? Discovery.defaultDirectory
    let entries = Discovery.liveNodes(in: directory)
    switch Discovery.choose(entries, selector: options.node) {
    case .node(let entry):
      return entry.socket
    case .none:
      if case .socket(let path)? = options.node, isSocket(path) { return path }
      if let selector = options.node {
        throw ObserverTargetError(
          "no running node \(selector) in \(directory)"
            + (entries.isEmpty ? "" : "; running:\n" + table(entries)), exit: .unavailable)
      }
      throw ObserverTargetError(
        "no running node found in \(directory); start one (swift run chatd) or give its socket with --socket PATH",
        exit: .unavailable)
    case .ambiguous(let several):
      let names = Set(several.map(\.name))
      let what =
        names.count == 1
        ? "\(several.count) nodes named \"\(several[0].name)\" are running" : "\(several.count) nodes are running"
      throw ObserverTargetError(
        "\(what); choose one with --node NAME, --node PID or --node SOCKET (or --socket PATH):\n" + table(several), exit: .ambiguous)
    }
  }

  /// `observer --list`: one line per live node: name, OS pid, socket.
  public static func list(_ options: ObserverOptions) -> String {
    let directory = options.discoveryDirectory ?? Discovery.defaultDirectory
    return Discovery.liveNodes(in: directory).map { "\($0.name)\t\($0.osPid)\t\($0.socket)\n" }.joined()
  }

  /// The candidates as an aligned table: name, OS pid, uptime, socket.
  static func table(_ entries: [Discovery.Entry]) -> String {
    let rows =
      [["NAME", "OS PID", "UPTIME", "SOCKET"]]
      + entries.map { e in
        [e.name, String(e.osPid), e.uptime.map(Format.uptime) ?? "?", e.socket]
      }
    var widths = [0, 0, 0]
    for row in rows { for i in 0..<3 { widths[i] = max(widths[i], row[i].count) } }
    return rows.map { row in
      "  " + (0..<3).map { Format.fit(row[$0], widths[$0]) + "  " }.joined() + row[3]
    }.joined(separator: "\n")
  }

  private static func isSocket(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
  }
}
