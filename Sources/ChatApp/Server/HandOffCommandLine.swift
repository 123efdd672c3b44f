// `chatd handoff`: drain a running node of a chatd network — hand every session it
// serves to another node, then stop it — from a script or a supervisor's reload. It
// asks the node's control endpoint (the `handoff` operation, HandOff/HandOffDrain.swift)
// and prints what happened in one line. Nothing here is state.
import Control
import Foundation

/// What `chatd handoff` was asked to do.
public struct HandOffRequest: Equatable, Sendable {
  /// The control socket of the node to drain.
  public var controlSocket: String
  /// The hand-off socket of the node that takes the sessions over.
  public var to: String
  /// Stop the drained node afterwards.
  public var stop = true
  /// Sessions moving at once (nil: the node's default).
  public var window: Int?
  /// The longest one phase of one session's move may take, in seconds (nil: default).
  public var deadline: Int?
  /// How long to wait for the node's answer.
  public var timeout: Duration = .seconds(600)
}

extension ChatCommandLine {
  public static let handOffHelp = """
    usage: chatd handoff --to SOCKET [options]

    Hands every session of a running chatd node to another node of the same network
    (--cluster) — IRC clients move without noticing: same connection, nick, channels
    and status, no line lost or repeated — then stops the node. WebSocket clients and
    clients not registered yet are told to reconnect. See docs/HANDOFF.md.

      --to SOCKET            the other node's hand-off socket (its --handoff-socket;
                             by default handoff.sock in its data directory)
      --control-socket PATH  the control socket of the node to drain
      --data-dir DIR         or its data directory (the control socket is
                             DIR/control.sock; default ./chatd-data)
      --keep-running         do not stop the node afterwards
      --window N             sessions moving at once (default 64: more move faster
                             in all, each waiting longer)
      --deadline SECONDS     the longest one step of one session's move may take
                             (default 10)
      --timeout SECONDS      how long to wait for the node's answer (default 600)

    Exit status: 0 every session moved or was told to reconnect as it should; 1 some
    could not move (they were told to reconnect) or the node refused (the message says
    why); 2 bad command line; 69 no node at the control socket; 75 no answer in time;
    77 permission denied.
    """

  static func parseHandOff(_ arguments: [String]) throws(UsageError) -> ChatCommand {
    var to: String?
    var controlSocket: String?
    var dataDirectory = ChatConfig().dataDirectory
    var request = HandOffRequest(controlSocket: "", to: "")
    var i = 0
    func value(_ flag: String) throws(UsageError) -> String {
      i += 1
      guard i < arguments.count else { throw UsageError(description: "handoff: \(flag) needs a value") }
      return arguments[i]
    }
    func number(_ flag: String, _ range: ClosedRange<Int>) throws(UsageError) -> Int {
      let v = try value(flag)
      guard let n = Int(v), range.contains(n) else {
        throw UsageError(
          description: "handoff: \(flag): expected a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(v)\"")
      }
      return n
    }
    while i < arguments.count {
      let arg = arguments[i]
      switch arg {
      case "-h", "--help": return .handOffHelp
      case "--to": to = try value(arg)
      case "--control-socket": controlSocket = try value(arg)
      case "--data-dir": dataDirectory = try value(arg)
      case "--keep-running": request.stop = false
      case "--window": request.window = try number(arg, 1...100_000)
      case "--deadline": request.deadline = try number(arg, 1...600)
      case "--timeout": request.timeout = .seconds(try number(arg, 1...86_400))
      default: throw UsageError(description: "handoff: unknown option \(arg) (see chatd handoff --help)")
      }
      i += 1
    }
    guard let to, !to.isEmpty else {
      throw UsageError(description: "handoff: --to SOCKET is required (the hand-off socket of the node taking the sessions over)")
    }
    request.to = to
    var config = ChatConfig()
    config.dataDirectory = dataDirectory
    request.controlSocket = controlSocket ?? config.controlSocketPath
    return .handOff(request)
  }
}

/// Runs `chatd handoff`.
public enum HandOffCommand {
  /// Asks the node, prints one line (stdout: what happened; stderr: why not), and
  /// returns the exit status.
  public static func run(_ request: HandOffRequest) -> Int32 {
    var parameters: [(key: String, value: JSON)] = [(key: "to", value: .string(request.to)), (key: "stop", value: .bool(request.stop))]
    if let window = request.window { parameters.append((key: "window", value: .number(window))) }
    if let deadline = request.deadline { parameters.append((key: "deadline_ms", value: .number(deadline * 1000))) }
    let result: JSON
    do {
      let client = try ControlClient(path: request.controlSocket, timeout: request.timeout)
      defer { client.close() }
      result = try client.request(operation: "handoff", parameters)
    } catch {
      let why: String
      if case .remote(let e) = error { why = e.message } else { why = error.description }
      FileHandle.standardError.write(Data("chatd: \(why)\n".utf8))
      if case .remote = error { return 1 }
      return error.exitStatus
    }
    let (line, complete) = summary(result)
    print(line)
    return complete ? 0 : 1
  }

  /// The one line that says what a drain did, and whether every session went as it
  /// should.
  static func summary(_ result: JSON) -> (line: String, complete: Bool) {
    func int(_ j: JSON?) -> Int { Int(j?.intValue ?? 0) }
    func ms(_ j: JSON?) -> String {
      guard let d = j?.doubleValue else { return "?" }
      return d < 10 ? String(format: "%.1f", d) : String(Int(d.rounded()))
    }
    let moved = int(result["handed_over"])
    let total = int(result["sessions"])
    let to = result["to"]?.stringValue ?? ""
    let seconds = result["seconds"]?.doubleValue ?? 0
    let websocket = int(result["told_to_reconnect"]?["websocket"])
    let unregistered = int(result["told_to_reconnect"]?["unregistered"])
    let failed = result["failed"]?.arrayValue ?? []
    var line = "handed \(moved) of \(total) sessions over" + (to.isEmpty ? "" : " to \(to)") + " in \(String(format: "%.2f", seconds)) s"
    if moved > 0 {
      line += " (frozen here: median \(ms(result["frozen_ms"]?["median"])) ms, longest \(ms(result["frozen_ms"]?["longest"])) ms)"
    }
    if websocket + unregistered > 0 {
      line += "; told \(websocket + unregistered) to reconnect (\(websocket) on WebSocket, \(unregistered) not registered)"
    }
    if !failed.isEmpty {
      let first = failed.prefix(3).map { "\($0["nick"]?.stringValue ?? "?"): \($0["reason"]?.stringValue ?? "?")" }
      line +=
        "; \(failed.count) could not move and were told to reconnect (\(first.joined(separator: "; "))\(failed.count > 3 ? "; ..." : ""))"
    }
    let left = int(result["left"])
    if left > 0 { line += "; \(left) left meanwhile" }
    if let lost = result["link_lost"]?.stringValue { line += "; the link broke: \(lost)" }
    if result["stopping"]?.boolValue == true { line += "; the node is stopping" }
    return (line, failed.isEmpty && result["link_lost"]?.stringValue == nil)
  }
}
