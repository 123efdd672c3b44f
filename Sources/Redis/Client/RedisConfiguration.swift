// Where Redis is and how to talk to it: one value, made by the caller, read by every
// connection process of a client.
import Supervision

/// How a client connects to Redis.
///
/// ```swift
/// var config = try RedisConfiguration(url: "redis://:secret@127.0.0.1:6379/2")
/// config.clientName = "chatd-1"
/// ```
public struct RedisConfiguration: Sendable, Equatable {
  /// Where the server listens.
  public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    public var description: String {
      switch self {
      case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
      case .unix(let path): return path
      }
    }
  }

  /// Which protocol to speak.
  public enum ProtocolVersion: Sendable, Equatable {
    /// RESP3 (`HELLO 3`), falling back to RESP2 on a server that does not know HELLO.
    case resp3
    /// RESP2 only (what Redis before 6 speaks).
    case resp2
  }

  public var endpoint: Endpoint
  /// An ACL user (Redis 6+); nil is the `default` user.
  public var username: String?
  /// The password (`requirepass`, or the ACL user's).
  public var password: String?
  /// The database `SELECT`ed on every connection (not in Redis Cluster, which has only 0).
  public var database: Int = 0
  /// Set with `CLIENT SETNAME` (what `CLIENT LIST` shows).
  public var clientName: String?
  public var protocolVersion: ProtocolVersion = .resp3
  /// How long one connection attempt (TCP connect and handshake) may take.
  public var connectTimeout: Duration = .seconds(5)
  /// The default wait for a reply.
  public var commandTimeout: Duration = .seconds(5)
  /// The wait between reconnection attempts: from `initial`, doubling to `maximum`, with
  /// jitter. The first attempt after a loss is immediate.
  public var reconnectBackoff = Backoff(initial: .milliseconds(50), maximum: .seconds(2), jitter: 0.2)

  public init(endpoint: Endpoint) { self.endpoint = endpoint }

  /// `127.0.0.1:6379`, RESP3, no password.
  public init(host: String = "127.0.0.1", port: Int = 6379) { self.endpoint = .tcp(host: host, port: port) }

  /// Parses a Redis URL: `redis://[user[:password]@]host[:port][/db]`, `redis://:password@host`,
  /// `unix:///path/redis.sock[?db=N&password=P&user=U]` (also `redis+unix://`). Throws
  /// `RedisError.invalidRequest` with what is wrong (`rediss://`, TLS, is not supported yet).
  public init(url: String) throws(RedisError) {
    func bad(_ why: String) -> RedisError { .invalidRequest("the Redis URL \"\(url)\" \(why)") }
    let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2 else { throw bad("has no scheme (expected redis:// or unix://)") }
    let scheme = parts[0].lowercased()
    var rest = parts[1]
    var query: [String: String] = [:]
    if let q = rest.firstIndex(of: "?") {
      for item in rest[rest.index(after: q)...].split(separator: "&") {
        let kv = item.split(separator: "=", maxSplits: 1)
        query[String(kv[0])] = kv.count > 1 ? percentDecoded(kv[1]) : ""
      }
      rest = rest[..<q]
    }
    switch scheme {
    case "unix", "redis+unix":
      guard rest.hasPrefix("/") else { throw bad("needs an absolute socket path (unix:///path/redis.sock)") }
      endpoint = .unix(path: String(rest))
    case "redis":
      var userinfo: Substring? = nil
      if let at = rest.lastIndex(of: "@") {
        userinfo = rest[..<at]
        rest = rest[rest.index(after: at)...]
      }
      var path: Substring = ""
      if let slash = rest.firstIndex(of: "/") {
        path = rest[rest.index(after: slash)...]
        rest = rest[..<slash]
      }
      var host = rest
      var port = 6379
      if rest.hasPrefix("[") {  // [::1]:6379
        guard let close = rest.firstIndex(of: "]") else { throw bad("has an unclosed [ in its host") }
        host = rest[rest.index(after: rest.startIndex)..<close]
        let after = rest[rest.index(after: close)...]
        if after.hasPrefix(":") {
          guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw bad("has a bad port") }
          port = p
        }
      } else if let colon = rest.lastIndex(of: ":") {
        host = rest[..<colon]
        guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
          throw bad("has a bad port (expected 1...65535)")
        }
        port = p
      }
      if host.isEmpty { host = "127.0.0.1" }
      endpoint = .tcp(host: String(host), port: port)
      if let userinfo {
        let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if !parts[0].isEmpty { username = percentDecoded(parts[0]) }
        if parts.count > 1 { password = percentDecoded(parts[1]) }
      }
      if !path.isEmpty {
        guard let db = Int(path), db >= 0 else { throw bad("has a bad database number \"\(path)\"") }
        database = db
      }
    case "rediss":
      throw bad("asks for TLS, which this client does not speak yet (use redis:// or a Unix socket)")
    default:
      throw bad("has an unknown scheme \(scheme):// (expected redis:// or unix://)")
    }
    if let db = query["db"] {
      guard let n = Int(db), n >= 0 else { throw bad("has a bad db=\(db)") }
      database = n
    }
    if let p = query["password"] { password = p }
    if let u = query["user"] { username = u }
    if let n = query["name"] { clientName = n }
  }
}

private func percentDecoded(_ s: Substring) -> String {
  guard s.contains("%") else { return String(s) }
  var out: [UInt8] = []
  var i = s.utf8.startIndex
  let u = s.utf8
  while i < u.endIndex {
    if u[i] == UInt8(ascii: "%"), let a = u.index(i, offsetBy: 1, limitedBy: u.endIndex), a < u.endIndex,
      let b = u.index(i, offsetBy: 2, limitedBy: u.endIndex), b < u.endIndex,
      let v = UInt8(String(decoding: [u[a], u[b]], as: UTF8.self), radix: 16)
    {
      out.append(v)
      i = u.index(i, offsetBy: 3)
    } else {
      out.append(u[i])
      i = u.index(after: i)
    }
  }
  return String(decoding: out, as: UTF8.self)
}
