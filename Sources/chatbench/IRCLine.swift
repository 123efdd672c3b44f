// The IRC lines chatbench reads from a server, cut the way ircload.c reads them: only the
// command matters (PRIVMSG, PING, ERROR, numerics); tags and the prefix are skipped.

/// What one line from the server means to a load client.
enum IRCLine: Equatable, Sendable {
  /// `PRIVMSG <target> :<text>`; the range is the text after the first " :" of the
  /// arguments (a message a sender of this benchmark sent, or not).
  case privmsg(text: Range<Int>)
  /// `PING <args>`: the client answers `PONG <args>`.
  case ping(arguments: Range<Int>)
  /// `ERROR ...`: the server is about to close the connection.
  case error
  /// A three-digit numeric reply (001 welcome, 366 end of NAMES, 433 nick in use...).
  case numeric(Int)
  /// Anything else (NOTICE, JOIN echoes, MODE...): ignored.
  case other

  /// Classifies `line` (without its CR LF). Never traps, whatever the bytes.
  static func parse(_ line: UnsafeBufferPointer<UInt8>) -> IRCLine {
    let n = line.count
    var p = 0
    // "@tags " then ":prefix " (several spaces after the prefix are skipped, as ircload).
    if p < n && line[p] == UInt8(ascii: "@") {
      guard let space = line.firstIndex(of: 0x20, from: p) else { return .other }
      p = space + 1
    }
    if p < n && line[p] == UInt8(ascii: ":") {
      guard let space = line.firstIndex(of: 0x20, from: p) else { return .other }
      p = space
      while p < n && line[p] == 0x20 { p += 1 }
    }
    let commandStart = p
    let commandEnd = line.firstIndex(of: 0x20, from: p) ?? n
    let arguments = commandEnd < n ? commandEnd + 1 : n
    let length = commandEnd - commandStart
    if length == 7 && line.matches("PRIVMSG", at: commandStart) {
      // The text starts after the first " :" of the arguments.
      var i = arguments
      while i + 1 < n {
        if line[i] == 0x20 && line[i + 1] == UInt8(ascii: ":") { return .privmsg(text: (i + 2)..<n) }
        i += 1
      }
      return .other
    }
    if length == 4 && line.matches("PING", at: commandStart) { return .ping(arguments: arguments..<n) }
    if length == 5 && line.matches("ERROR", at: commandStart) { return .error }
    if length == 3, isDigit(line[commandStart]) {
      // atoi: the leading digits.
      var value = 0
      var i = commandStart
      while i < commandEnd && isDigit(line[i]) {
        value = value * 10 + Int(line[i] &- 0x30)
        i += 1
      }
      return .numeric(value)
    }
    return .other
  }

  /// `parse` for a byte array (tests, and lines that are already arrays).
  static func parse(_ line: [UInt8]) -> IRCLine {
    line.withUnsafeBufferPointer { parse($0) }
  }
}

/// The text of a benchmark message: `<send time µs> <sender id> <seq> xxx…`.
struct Payload: Equatable, Sendable {
  /// CLOCK_MONOTONIC microseconds when the sender wrote it (same host as the receiver).
  var sentAt: UInt64
  var sender: Int64
  var seq: UInt64

  /// Reads a payload, or nil if the text is not one of this benchmark's messages (or its
  /// sequence number is not below `maxMessages`): ircload counts those as "foreign".
  /// Stricter than ircload's strtoull/strtol on malformed text (every number needs a
  /// digit); identical on what a sender of this benchmark writes.
  static func parse(_ line: UnsafeBufferPointer<UInt8>, _ text: Range<Int>, maxMessages: UInt64) -> Payload? {
    var i = text.lowerBound
    let end = text.upperBound
    func number(_ i: inout Int) -> UInt64? {
      let start = i
      var value: UInt64 = 0
      while i < end && isDigit(line[i]) {
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(UInt64(line[i] &- 0x30))
        if o1 || o2 { return nil }
        value = s
        i += 1
      }
      return i > start ? value : nil
    }
    guard let sentAt = number(&i), i < end, line[i] == 0x20 else { return nil }
    i += 1
    var negative = false
    if i < end && line[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    }
    guard let senderMagnitude = number(&i), i < end, line[i] == 0x20, senderMagnitude <= UInt64(Int64.max) else { return nil }
    i += 1
    guard let seq = number(&i), seq < maxMessages else { return nil }
    let sender = Int64(senderMagnitude)
    return Payload(sentAt: sentAt, sender: negative ? -sender : sender, seq: seq)
  }

  /// `parse` for a whole line given as a string (tests).
  static func parse(text: String, maxMessages: UInt64) -> Payload? {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { parse($0, 0..<bytes.count, maxMessages: maxMessages) }
  }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

extension UnsafeBufferPointer<UInt8> {
  /// The index of the first `byte` at or after `from`.
  @inline(__always) func firstIndex(of byte: UInt8, from: Int) -> Int? {
    var i = from
    while i < count {
      if self[i] == byte { return i }
      i += 1
    }
    return nil
  }

  /// Whether the ASCII `word` is at `offset`.
  @inline(__always) func matches(_ word: StaticString, at offset: Int) -> Bool {
    let w = word.utf8Start
    let length = word.utf8CodeUnitCount
    guard offset + length <= count else { return false }
    for k in 0..<length where self[offset + k] != w[k] { return false }
    return true
  }
}
