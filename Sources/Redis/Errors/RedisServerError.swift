// An error reply from Redis (`-WRONGTYPE ...`), and the codes callers act on.

/// An error reply from the server. `code` is its first word (`ERR`, `WRONGTYPE`,
/// `MOVED`, ...); `message` the whole line as Redis sent it.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
  public var code: String
  public var message: String

  public init(message: String) {
    self.message = message
    let first = message.prefix { $0 != " " }
    self.code = first.isEmpty ? "ERR" : String(first)
  }

  /// The codes a client handles by itself, or that a caller is likely to act on.
  public enum Kind: Sendable, Hashable {
    /// Redis is loading its dataset after a start: retry shortly.
    case loading
    /// A write sent to a replica (after a failover, the node became one).
    case readOnly
    /// The script is not in the server's cache (EVALSHA): send it with EVAL.
    case noScript
    /// A Lua script or function is running: the server answers nothing else.
    case busy
    /// Authentication is needed, or failed.
    case noAuth, wrongPassword
    /// Redis Cluster: the slot lives at another node (`MOVED 3999 127.0.0.1:6381`).
    case moved(slot: Int, host: String, port: Int)
    /// Redis Cluster: the slot is migrating; ask that node, once.
    case ask(slot: Int, host: String, port: Int)
    /// Redis Cluster: the cluster is down, or keys moved mid-command: retry later.
    case clusterDown, tryAgain
    /// The key holds another type.
    case wrongType
    /// Over `maxmemory` with a no-eviction policy.
    case outOfMemory
    /// Anything else (`ERR` and friends).
    case other
  }

  /// What the code means, with the address of MOVED and ASK parsed.
  public var kind: Kind {
    switch code {
    case "LOADING": return .loading
    case "READONLY": return .readOnly
    case "NOSCRIPT": return .noScript
    case "BUSY": return .busy
    case "NOAUTH": return .noAuth
    case "WRONGPASS": return .wrongPassword
    case "CLUSTERDOWN": return .clusterDown
    case "TRYAGAIN": return .tryAgain
    case "WRONGTYPE": return .wrongType
    case "OOM": return .outOfMemory
    case "MOVED", "ASK":
      // MOVED <slot> <host>:<port> (host may be an IPv6 address: split at the last colon)
      let parts = message.split(separator: " ")
      guard parts.count >= 3, let slot = Int(parts[1]), let colon = parts[2].lastIndex(of: ":"),
        let port = Int(parts[2][parts[2].index(after: colon)...])
      else { return .other }
      let host = String(parts[2][..<colon])
      return code == "MOVED" ? .moved(slot: slot, host: host, port: port) : .ask(slot: slot, host: host, port: port)
    default: return .other
    }
  }

  public var description: String { message }
}
