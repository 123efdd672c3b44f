// A reply as the fixtures' own RESP2 reader sees it: written from the protocol's rules,
// independently of the Redis target, so the fixtures can check a server without the code
// under test. Values only; RedisProbe owns the buffer they are parsed from.

/// A RESP2 reply (the protocol a connection speaks until it sends HELLO 3).
public enum ProbeReply: Sendable, Hashable, CustomStringConvertible {
  /// `+text`
  case simple(String)
  /// `-CODE message`
  case error(String)
  /// `:n`
  case integer(Int)
  /// `$n` and n bytes.
  case bulk([UInt8])
  /// `$-1` or `*-1`.
  case null
  /// `*n` and n replies.
  case array([ProbeReply])

  /// A simple or bulk string as text (bulk bytes decoded as UTF-8); nil otherwise.
  public var string: String? {
    switch self {
    case .simple(let s): s
    case .bulk(let b): String(decoding: b, as: UTF8.self)
    default: nil
    }
  }

  /// The integer of `.integer`; nil otherwise.
  public var integer: Int? {
    if case .integer(let n) = self { n } else { nil }
  }

  /// The elements of `.array`; nil otherwise.
  public var elements: [ProbeReply]? {
    if case .array(let a) = self { a } else { nil }
  }

  /// The message of `.error`; nil otherwise.
  public var errorMessage: String? {
    if case .error(let e) = self { e } else { nil }
  }

  /// The reply in a redis-cli-like notation.
  public var description: String {
    switch self {
    case .simple(let s): s
    case .error(let e): "(error) \(e)"
    case .integer(let n): "(integer) \(n)"
    case .bulk(let b): String(decoding: b, as: UTF8.self).debugDescription
    case .null: "(nil)"
    case .array(let a): "[" + a.map(\.description).joined(separator: ", ") + "]"
    }
  }

  /// What went wrong reading a reply.
  public struct Malformed: Error, CustomStringConvertible {
    public let description: String
  }

  /// Parses one reply at `start` in `buffer`: the reply and the index after it, or nil if
  /// the buffer does not hold all of it yet. Throws on bytes that are not RESP2.
  public static func parse(_ buffer: [UInt8], from start: Int) throws(Malformed) -> (reply: ProbeReply, end: Int)? {
    guard start < buffer.count else { return nil }
    guard let lineEnd = lineEnd(buffer, from: start + 1) else { return nil }
    let line = String(decoding: buffer[(start + 1)..<lineEnd], as: UTF8.self)
    let next = lineEnd + 2
    switch buffer[start] {
    case UInt8(ascii: "+"): return (.simple(line), next)
    case UInt8(ascii: "-"): return (.error(line), next)
    case UInt8(ascii: ":"):
      guard let n = Int(line) else { throw Malformed(description: "bad integer \(line.debugDescription)") }
      return (.integer(n), next)
    case UInt8(ascii: "$"):
      guard let n = Int(line), n >= -1 else { throw Malformed(description: "bad bulk length \(line.debugDescription)") }
      if n == -1 { return (.null, next) }
      guard buffer.count >= next + n + 2 else { return nil }
      guard buffer[next + n] == 13, buffer[next + n + 1] == 10 else { throw Malformed(description: "bulk string not ended by CR LF") }
      return (.bulk(Array(buffer[next..<(next + n)])), next + n + 2)
    case UInt8(ascii: "*"):
      guard let n = Int(line), n >= -1 else { throw Malformed(description: "bad array length \(line.debugDescription)") }
      if n == -1 { return (.null, next) }
      var items: [ProbeReply] = []
      items.reserveCapacity(n)
      var at = next
      for _ in 0..<n {
        guard let (item, end) = try parse(buffer, from: at) else { return nil }
        items.append(item)
        at = end
      }
      return (.array(items), at)
    default:
      throw Malformed(description: "unexpected type byte \(buffer[start]) (not RESP2)")
    }
  }

  /// The index of the CR of the first CR LF at or after `from`.
  private static func lineEnd(_ buffer: [UInt8], from: Int) -> Int? {
    var i = from
    while i + 1 < buffer.count {
      if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
      i += 1
    }
    return nil
  }
}
