// `chatd reload`: asks a running master (`chatd --workers`) for a rolling reload on its
// control socket and prints what it did, a line per worker. What SIGHUP to the master
// does, with the report and an exit status.
import Control
import Foundation

/// A `chatd reload` command line.
public struct ReloadRequest: Equatable, Sendable {
  /// The master's control socket.
  public var socket: String
  /// How long to wait for the whole reload.
  public var timeout: Duration

  public init(socket: String, timeout: Duration = .seconds(600)) {
    self.socket = socket
    self.timeout = timeout
  }
}

extension ChatCommandLine {
  public static let reloadHelp = """
    usage: chatd reload [--data-dir DIR | --control-socket PATH] [--timeout SECONDS]

    Replaces every worker of a running `chatd --workers` master, one at a time: the new
    worker starts and says it serves, the old one hands its IRC sessions over (its
    clients see no disconnect; those that cannot move are told to reconnect) and stops.
    The same as SIGHUP to the master, but waits and prints a line per worker.

      --data-dir DIR            the master's data directory (default ./chatd-data): its
                                control socket is DIR/control.sock
      --control-socket PATH     the master's control socket, if it was given one
      --timeout SECONDS         how long to wait for the whole reload (default 600)

    Exit status: 0 every worker replaced; 1 one could not be (the old one still serves);
    \(ChatExitStatus.usage.rawValue) a bad command line; \(ChatExitStatus.network.rawValue) no master answers there.
    """

  static func parseReload(_ arguments: [String]) throws(UsageError) -> ChatCommand {
    var dataDirectory = ChatConfig().dataDirectory
    var socket: String?
    var timeout = Duration.seconds(600)
    var i = 0
    func value(_ flag: String) throws(UsageError) -> String {
      i += 1
      guard i < arguments.count else { throw UsageError(description: "reload: \(flag) needs a value") }
      return arguments[i]
    }
    while i < arguments.count {
      let arg = arguments[i]
      switch arg {
      case "-h", "--help": return .reloadHelp
      case "--data-dir": dataDirectory = try value(arg)
      case "--control-socket": socket = try value(arg)
      case "--timeout":
        let v = try value(arg)
        guard let n = Int(v), (1...86_400).contains(n) else {
          throw UsageError(description: "reload: --timeout: expected 1...86400 seconds, got \"\(v)\"")
        }
        timeout = .seconds(n)
      default:
        throw UsageError(description: "reload: unknown argument \(arg) (see chatd reload --help)")
      }
      i += 1
    }
    return .reload(
      ReloadRequest(socket: socket ?? URL(fileURLWithPath: dataDirectory).appendingPathComponent("control.sock").path, timeout: timeout))
  }
}

/// Running `chatd reload`.
public enum ChatReload {
  /// Asks the master, prints its report; returns the exit status.
  public static func run(_ request: ReloadRequest, print: (String) -> Void, complain: (String) -> Void) -> Int32 {
    let result: JSON
    do throws(ControlClientError) {
      let client = try ControlClient(path: request.socket, timeout: request.timeout)
      defer { client.close() }
      result = try client.request(operation: "reload")
    } catch {
      if case .remote(let e) = error, e.code == .unknownOp {
        complain("reload: \(request.socket) is a chatd that runs no workers (start it with --workers)")
        return 1
      }
      complain("reload: \(error)")
      return ChatExitStatus.network.rawValue
    }
    if case .array(let steps) = result["steps"] ?? .null {
      for step in steps { print(step["summary"]?.stringValue ?? "\(step)") }
    }
    if let total = result["total_ms"]?.intValue { print("reload done in \(total) ms") }
    return result["failed"]?.boolValue == true ? 1 : 0
  }
}
