import Foundation

// `chatd emit`: post one message into a channel of a chat network from a script (a
// deploy hook, a cron job) and exit when the network has taken it (ChatEmitter).

/// What `chatd emit` was asked to post.
public struct EmitRequest: Equatable, Sendable {
  public var cluster: String
  public var channel: String
  public var text: String
  public var name = "emitter"
  public var clusterName = "chatd"
  public var secret: String?
  public var timeout: Duration = .seconds(10)
}

extension ChatCommandLine {
  public static let emitHelp = """
    usage: chatd emit --cluster redis://HOST:PORT CHANNEL TEXT [options]

    Posts TEXT into CHANNEL of the chat network whose nodes run with the same --cluster,
    and exits 0 once the channel's room has taken it (sent to every member, on every
    node, and recorded in the history).

      --as NAME              post as NAME (shown as NAME!emit@<emitter>; default emitter)
      --cluster-name NAME    as the network's nodes were given (default chatd)
      --cluster-secret S     as the network's nodes were given (or CHATD_CLUSTER_SECRET;
                             default: the one the network keeps in its Redis)
      --timeout SECONDS      give up after this long (default 10)

    Exit status: 0 posted; 2 bad command line; 65 the channel refused it or nobody is
    in it; 76 the network or the channel's room could not be reached.
    """

  static func parseEmit(_ arguments: [String]) throws(UsageError) -> ChatCommand {
    var cluster: String?
    var positional: [String] = []
    var request = EmitRequest(cluster: "", channel: "", text: "")
    var i = 0
    func value(_ flag: String) throws(UsageError) -> String {
      i += 1
      guard i < arguments.count else { throw UsageError(description: "emit: \(flag) needs a value") }
      return arguments[i]
    }
    while i < arguments.count {
      let arg = arguments[i]
      switch arg {
      case "-h", "--help": return .emitHelp
      case "--cluster": cluster = try value(arg)
      case "--as": request.name = try value(arg)
      case "--cluster-name": request.clusterName = try value(arg)
      case "--cluster-secret": request.secret = try value(arg)
      case "--timeout":
        let v = try value(arg)
        guard let n = Int(v), (1...3600).contains(n) else {
          throw UsageError(description: "emit: --timeout: expected 1...3600 seconds, got \"\(v)\"")
        }
        request.timeout = .seconds(n)
      default:
        if arg.hasPrefix("--") { throw UsageError(description: "emit: unknown option \(arg) (see chatd emit --help)") }
        positional.append(arg)
      }
      i += 1
    }
    guard let cluster else { throw UsageError(description: "emit: --cluster redis://HOST:PORT is required (the network's Redis)") }
    guard positional.count == 2 else {
      throw UsageError(description: "emit: expected CHANNEL and TEXT, got \(positional.count) argument(s) (quote the text)")
    }
    request.cluster = cluster
    request.channel = positional[0]
    request.text = positional[1]
    guard Names.isChannel(request.channel) else { throw UsageError(description: "emit: \"\(request.channel)\" is not a channel (#name)") }
    if request.secret == nil, let s = ProcessInfo.processInfo.environment["CHATD_CLUSTER_SECRET"], !s.isEmpty { request.secret = s }
    return .emit(request)
  }
}
