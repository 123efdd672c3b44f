// One IRC line, parsed or to be sent: IRCv3 tags, source, command, parameters
// (RFC 1459 §2.3.1 as amended by modern.ircdocs.horse and IRCv3 message-tags).

/// An IRC message.
public struct IRCMessage: Sendable, Equatable, CustomStringConvertible {
  /// IRCv3 tags in the order they appeared (values unescaped; nil for a tag without `=`).
  public var tags: [(key: String, value: String?)]
  /// The `:source` prefix, if any.
  public var source: String?
  /// The command, upper-cased (or a three-digit numeric).
  public var command: String
  /// Middle parameters and the trailing one, without the `:`.
  public var params: [String]

  public init(tags: [(key: String, value: String?)] = [], source: String? = nil, _ command: String, _ params: [String] = []) {
    self.tags = tags
    self.source = source
    self.command = command
    self.params = params
  }

  public static func == (a: IRCMessage, b: IRCMessage) -> Bool {
    a.source == b.source && a.command == b.command && a.params == b.params
      && a.tags.count == b.tags.count && zip(a.tags, b.tags).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }

  public var description: String { String(decoding: serialized(), as: UTF8.self) }

  /// The value of tag `key`, if present.
  public func tag(_ key: String) -> String?? {
    tags.first { $0.key == key }.map { $0.value }
  }

  // MARK: - Parsing

  /// Why a line is not a message.
  public enum ParseError: Error, Equatable, Sendable {
    /// Nothing but spaces.
    case empty
    /// Tags or source with no command after them.
    case noCommand
    /// The command has characters other than letters or is not a 3-digit numeric.
    case badCommand(String)
  }

  /// Parses one line (without its CR LF). Bytes that are not UTF-8 are replaced with
  /// U+FFFD; `isValidUTF8` on the raw line tells whether that happened.
  public static func parse(_ line: [UInt8]) throws(ParseError) -> IRCMessage {
    var i = 0
    let n = line.count
    func skipSpaces() { while i < n && line[i] == 0x20 { i += 1 } }
    func word() -> ArraySlice<UInt8> {
      let start = i
      while i < n && line[i] != 0x20 { i += 1 }
      return line[start..<i]
    }
    skipSpaces()
    var tags: [(key: String, value: String?)] = []
    if i < n && line[i] == UInt8(ascii: "@") {
      i += 1
      let raw = word()
      tags = parseTags(raw)
      skipSpaces()
    }
    var source: String?
    if i < n && line[i] == UInt8(ascii: ":") {
      i += 1
      source = String(decoding: word(), as: UTF8.self)
      skipSpaces()
    }
    if i >= n { throw tags.isEmpty && source == nil ? .empty : .noCommand }
    let commandBytes = word()
    let command = String(decoding: commandBytes, as: UTF8.self).uppercased()
    let isNumeric = commandBytes.count == 3 && commandBytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    let isWord = commandBytes.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
    guard isNumeric || isWord else { throw .badCommand(command) }
    var params: [String] = []
    while true {
      skipSpaces()
      if i >= n { break }
      if line[i] == UInt8(ascii: ":") {
        params.append(String(decoding: line[(i + 1)..<n], as: UTF8.self))
        break
      }
      params.append(String(decoding: word(), as: UTF8.self))
    }
    return IRCMessage(tags: tags, source: source, command, params)
  }

  private static func parseTags(_ raw: ArraySlice<UInt8>) -> [(key: String, value: String?)] {
    var out: [(key: String, value: String?)] = []
    for item in raw.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: true) {
      if let eq = item.firstIndex(of: UInt8(ascii: "=")) {
        let key = String(decoding: item[item.startIndex..<eq], as: UTF8.self)
        let value = unescapeTagValue(item[(eq + 1)...])
        out.append((key, value.isEmpty ? nil : value))
      } else {
        out.append((String(decoding: item, as: UTF8.self), nil))
      }
    }
    return out
  }

  static func unescapeTagValue(_ raw: ArraySlice<UInt8>) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(raw.count)
    var escaped = false
    for b in raw {
      if escaped {
        switch b {
        case UInt8(ascii: ":"): bytes.append(UInt8(ascii: ";"))
        case UInt8(ascii: "s"): bytes.append(0x20)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        default: bytes.append(b)  // "\\" and unknown escapes: the character itself
        }
        escaped = false
      } else if b == UInt8(ascii: "\\") {
        escaped = true
      } else {
        bytes.append(b)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  // MARK: - Serialising

  /// The line with CR LF. The last parameter is written as trailing (`:`) when it
  /// needs to be (empty, has a space, or starts with `:`), or when `forceTrailing`.
  public func serialized(forceTrailing: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(64 + params.reduce(0) { $0 + $1.utf8.count + 1 })
    if !tags.isEmpty {
      out.append(UInt8(ascii: "@"))
      for (k, (key, value)) in tags.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ";")) }
        out.append(contentsOf: key.utf8)
        if let value, !value.isEmpty {
          out.append(UInt8(ascii: "="))
          IRCMessage.escapeTagValue(value, into: &out)
        }
      }
      out.append(0x20)
    }
    let bodyStart = out.count
    if let source {
      out.append(UInt8(ascii: ":"))
      out.append(contentsOf: source.utf8)
      out.append(0x20)
    }
    out.append(contentsOf: command.utf8)
    for (k, p) in params.enumerated() {
      out.append(0x20)
      let last = k == params.count - 1
      if last && (forceTrailing || p.isEmpty || p.utf8.first == UInt8(ascii: ":") || p.utf8.contains(0x20)) {
        out.append(UInt8(ascii: ":"))
      }
      out.append(contentsOf: p.utf8)
    }
    // A line is at most 512 bytes with its CR LF (tags aside): a longer one, e.g. a
    // relayed message whose sender's prefix made it grow, is cut at a character boundary.
    if out.count - bodyStart > IRCMessage.maxBody {
      var end = bodyStart + IRCMessage.maxBody
      while end > bodyStart && out[end] & 0xC0 == 0x80 { end -= 1 }
      out.removeSubrange(end...)
    }
    out.append(0x0D)
    out.append(0x0A)
    return out
  }

  /// The most bytes of a line after its tags, without CR LF.
  static let maxBody = 510

  static func escapeTagValue(_ value: String, into out: inout [UInt8]) {
    for b in value.utf8 {
      switch b {
      case UInt8(ascii: ";"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: ":")])
      case 0x20: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "s")])
      case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
      case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
      case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
      default: out.append(b)
      }
    }
  }
}

extension Array where Element == UInt8 {
  /// Whether the bytes are valid UTF-8.
  var isValidUTF8: Bool {
    var it = makeIterator()
    var decoder = UTF8()
    while true {
      switch decoder.decode(&it) {
      case .scalarValue: continue
      case .emptyInput: return true
      case .error: return false
      }
    }
  }
}
