// A command, encoded once by whoever makes it (a RESP array of bulk strings), so the
// connection process only concatenates bytes.

/// A value that can be a command argument: written as a RESP bulk string.
public protocol RESPArgument {
  /// Appends `$<len>\r\n<bytes>\r\n`.
  func appendBulk(to buffer: inout [UInt8])
}

/// A Redis command, already in wire form.
///
/// ```swift
/// let set = RedisCommand("SET", "greeting", "hello", "EX", 60)
/// let raw = RedisCommand(["CLIENT", "INFO"])
/// ```
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
  /// The encoded command (`*<n>\r\n$<len>\r\n...`).
  public private(set) var bytes: [UInt8]
  /// How many arguments, the command name included.
  public private(set) var count: Int

  /// A command from its name and arguments of any `RESPArgument` types.
  public init<each A: RESPArgument>(_ name: String, _ arguments: repeat each A) {
    var n = 1
    for _ in repeat each arguments { n += 1 }
    var out: [UInt8] = []
    out.reserveCapacity(16 + name.utf8.count + 16 * n)
    out.append(UInt8(ascii: "*"))
    appendDecimal(n, to: &out)
    out.append(13)
    out.append(10)
    name.appendBulk(to: &out)
    for a in repeat each arguments { a.appendBulk(to: &out) }
    bytes = out
    count = n
  }

  /// A command from a list of strings (`["SET", "k", "v"]`), as redis-cli takes it.
  public init(_ parts: [String]) {
    self.init(arguments: parts)
  }

  /// A command from binary-safe parts (any `RESPArgument`s).
  public init(arguments parts: [some RESPArgument]) {
    var out: [UInt8] = [UInt8(ascii: "*")]
    appendDecimal(parts.count, to: &out)
    out.append(13)
    out.append(10)
    for p in parts { p.appendBulk(to: &out) }
    bytes = out
    count = parts.count
  }

  /// A command with more arguments appended (`XADD k * f1 v1 f2 v2 ...`).
  public func appending(_ more: [some RESPArgument]) -> RedisCommand {
    guard !more.isEmpty else { return self }
    var out: [UInt8] = [UInt8(ascii: "*")]
    appendDecimal(count + more.count, to: &out)
    // Skip the old header: `*<n>\r\n`.
    let headerEnd = (bytes.firstIndex(of: 10) ?? 0) + 1
    out.append(13)
    out.append(10)
    out.append(contentsOf: bytes[headerEnd...])
    for p in more { p.appendBulk(to: &out) }
    var copy = self
    copy.bytes = out
    copy.count = count + more.count
    return copy
  }

  /// The arguments, the name first, decoded back from the wire form.
  public var arguments: [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    result.reserveCapacity(count)
    var i = (bytes.firstIndex(of: 10) ?? bytes.count - 1) + 1
    while let (argument, next) = bulk(at: i) {
      result.append(argument)
      i = next
    }
    return result
  }

  /// The bulk string whose `$` is at `i`, and where the next one starts.
  private func bulk(at start: Int) -> (ArraySlice<UInt8>, next: Int)? {
    guard start < bytes.count, bytes[start] == UInt8(ascii: "$") else { return nil }
    var i = start + 1
    var length = 0
    while i < bytes.count, bytes[i] != 13 {
      length = length * 10 + Int(bytes[i] &- 48)
      i += 1
    }
    i += 2
    guard i + length <= bytes.count else { return nil }
    return (bytes[i..<(i + length)], i + length + 2)
  }

  /// The command's name in upper case (`GET`, `CLIENT`).
  public var name: String {
    guard let first = firstArgument else { return "" }
    return String(decoding: first, as: UTF8.self).uppercased()
  }

  /// Redis answers nothing at all to an empty command (`*0`), which would leave the
  /// caller waiting and shift every later reply: refuse it before it is sent.
  func checkNotEmpty() throws {
    if count == 0 || firstArgument?.isEmpty != false { throw RedisError.invalidRequest("an empty command (no name)") }
  }

  /// The first argument (the name as given), read without decoding the rest.
  var firstArgument: ArraySlice<UInt8>? {
    guard let newline = bytes.firstIndex(of: 10) else { return nil }
    return bulk(at: newline + 1)?.0
  }

  /// The command as redis-cli would show it, long arguments shortened.
  public var description: String {
    arguments.map { a in
      let s = String(decoding: a.prefix(64), as: UTF8.self)
      return a.count > 64 ? s + "..." : s
    }.joined(separator: " ")
  }
}

@inline(__always)
func appendDecimal(_ value: Int, to out: inout [UInt8]) {
  if value >= 0 && value < 10 {
    out.append(UInt8(truncatingIfNeeded: 48 + value))
    return
  }
  out.append(contentsOf: String(value).utf8)
}

@inline(__always)
func appendBulkHeader(_ length: Int, to out: inout [UInt8]) {
  out.append(UInt8(ascii: "$"))
  appendDecimal(length, to: &out)
  out.append(13)
  out.append(10)
}

extension String: RESPArgument {
  public func appendBulk(to buffer: inout [UInt8]) {
    var s = self
    s.withUTF8 { u in
      appendBulkHeader(u.count, to: &buffer)
      buffer.append(contentsOf: u)
    }
    buffer.append(13)
    buffer.append(10)
  }
}

extension Substring: RESPArgument {
  public func appendBulk(to buffer: inout [UInt8]) { String(self).appendBulk(to: &buffer) }
}

extension Array: RESPArgument where Element == UInt8 {
  public func appendBulk(to buffer: inout [UInt8]) {
    appendBulkHeader(count, to: &buffer)
    buffer.append(contentsOf: self)
    buffer.append(13)
    buffer.append(10)
  }
}

extension ArraySlice: RESPArgument where Element == UInt8 {
  public func appendBulk(to buffer: inout [UInt8]) {
    appendBulkHeader(count, to: &buffer)
    buffer.append(contentsOf: self)
    buffer.append(13)
    buffer.append(10)
  }
}

extension Int: RESPArgument {
  public func appendBulk(to buffer: inout [UInt8]) { String(self).appendBulk(to: &buffer) }
}

extension Int64: RESPArgument {
  public func appendBulk(to buffer: inout [UInt8]) { String(self).appendBulk(to: &buffer) }
}

extension UInt64: RESPArgument {
  public func appendBulk(to buffer: inout [UInt8]) { String(self).appendBulk(to: &buffer) }
}

extension Double: RESPArgument {
  /// Written so Redis reads it back exactly (`inf`, `-inf` for the infinities).
  public func appendBulk(to buffer: inout [UInt8]) {
    if self == .infinity { return "+inf".appendBulk(to: &buffer) }
    if self == -.infinity { return "-inf".appendBulk(to: &buffer) }
    String(self).appendBulk(to: &buffer)
  }
}

extension RESPValue: RESPArgument {
  /// A reply used as an argument: its bytes (a string), or its digits (a number).
  public func appendBulk(to buffer: inout [UInt8]) {
    if let b = bytes { return b.appendBulk(to: &buffer) }
    (string ?? "").appendBulk(to: &buffer)
  }
}
