// Messages that cross nodes: a type conforms to Transportable by writing itself to a
// WireEncoder and reading itself back from a WireDecoder. The encoding is compact and
// not self-describing (varints, length-prefixed bytes): both nodes run the same code.
// Encoders and decoders are values owned by the code encoding or decoding one message.

/// A message type that can be sent to a process of another node.
///
/// ```swift
/// enum Chat: Transportable {
///   case say(String), join(Pid)
///   func encode(to w: inout WireEncoder) {
///     switch self {
///     case .say(let text): w.tag(0); w.write(text)
///     case .join(let pid): w.tag(1); w.write(pid)
///     }
///   }
///   init(from r: inout WireDecoder) throws {
///     switch try r.tag() {
///     case 0: self = .say(try r.read())
///     case 1: self = .join(try r.read())
///     case let t: throw WireError.unknownTag(t, in: "Chat")
///     }
///   }
/// }
/// ```
public protocol Transportable: Sendable {
  func encode(to encoder: inout WireEncoder)
  init(from decoder: inout WireDecoder) throws
}

/// Why bytes from another node could not be read (the link that sent them is closed).
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
  case truncated(String)
  case unknownTag(UInt64, in: String)
  case invalid(String)
  /// A value that cannot cross (a thrown Swift error as an exit reason is sent as its
  /// description; this is for what cannot be described at all).
  case notTransportable(String)
  /// The sender wrote a placeholder for a value that could not cross (and logged why):
  /// the message is dropped, the link stays.
  case dropped(String)

  public var description: String {
    switch self {
    case .truncated(let what): return "truncated \(what)"
    case .unknownTag(let t, let type): return "unknown case \(t) of \(type)"
    case .invalid(let why): return "invalid: \(why)"
    case .notTransportable(let what): return "\(what) cannot be sent to another node"
    case .dropped(let what): return "a message the sender could not encode (\(what))"
    }
  }
}

/// Writes values for another node.
public struct WireEncoder {
  public internal(set) var bytes: [UInt8] = []
  /// The node encoding (pids, addresses and reply slots need it); nil in plain tests.
  let context: WireContext?

  init(context: WireContext?, reserving: Int = 64) {
    self.context = context
    bytes.reserveCapacity(reserving)
  }

  /// An encoder outside any link, for values that name no process (no pid, address or
  /// reply slot): what an application sends over a channel of its own.
  public init() { self.init(context: nil) }

  /// A case number or small count.
  public mutating func tag(_ value: UInt64) { writeVarint(value) }

  public mutating func write<T: Transportable>(_ value: T) { value.encode(to: &self) }

  mutating func writeVarint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  mutating func writeBytes(_ b: some Collection<UInt8>) {
    writeVarint(UInt64(b.count))
    bytes.append(contentsOf: b)
  }
}

/// Reads values written by another node's WireEncoder.
public struct WireDecoder {
  let bytes: [UInt8]
  var offset: Int
  let context: WireContext?

  init(_ bytes: [UInt8], offset: Int = 0, context: WireContext?) {
    self.bytes = bytes
    self.offset = offset
    self.context = context
  }

  /// A decoder outside any link, for what a context-free `WireEncoder()` wrote.
  public init(_ bytes: [UInt8]) { self.init(bytes, context: nil) }

  /// Whether everything has been read.
  public var isAtEnd: Bool { offset >= bytes.count }

  public mutating func tag() throws -> UInt64 { try readVarint() }

  public mutating func read<T: Transportable>(_ type: T.Type = T.self) throws -> T { try T(from: &self) }

  mutating func readVarint() throws -> UInt64 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard offset < bytes.count else { throw WireError.truncated("number") }
      let b = bytes[offset]
      offset += 1
      if shift == 63 && b > 1 { throw WireError.invalid("a number over 64 bits") }
      value |= UInt64(b & 0x7F) << shift
      if b < 0x80 { return value }
      shift += 7
      if shift > 63 { throw WireError.invalid("a number over 64 bits") }
    }
  }

  mutating func readBytes() throws -> ArraySlice<UInt8> {
    let n = try readVarint()
    guard n <= UInt64(bytes.count - offset) else { throw WireError.truncated("bytes (\(n) announced, \(bytes.count - offset) left)") }
    let start = offset
    offset += Int(n)
    return bytes[start..<offset]
  }
}
