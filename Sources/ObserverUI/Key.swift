// Keys as a terminal in raw mode sends them: bytes, and the escape sequences of arrows
// and paging keys (xterm and vt220 forms), decoded into `Key`s.

/// A key press.
public enum Key: Sendable, Equatable {
  case char(Character)
  case up, down, left, right, pageUp, pageDown, home, end
  case enter, escape, backspace, tab
  /// Ctrl-C (raw mode delivers it as a byte, not a signal).
  case interrupt
  /// Ctrl-Z.
  case suspend
  /// Ctrl-L.
  case redraw
}

/// Decodes the bytes read from a raw-mode terminal. Keeps an incomplete escape sequence
/// or UTF-8 character for the next read.
public struct KeyDecoder: Sendable {
  private var pending: [UInt8] = []

  /// A decoder with nothing pending.
  public init() {}

  /// Whether a lone ESC is waiting (it is a key of its own if nothing follows soon).
  public var hasPartialEscape: Bool { pending.first == 0x1B }

  /// The keys in `bytes` (plus what was pending).
  public mutating func feed(_ bytes: [UInt8]) -> [Key] {
    pending += bytes
    var keys: [Key] = []
    var i = 0
    while i < pending.count {
      let b = pending[i]
      if b == 0x1B {
        guard i + 1 < pending.count else { break }  // maybe the start of a sequence
        let next = pending[i + 1]
        if next == UInt8(ascii: "[") || next == UInt8(ascii: "O") {
          guard let (key, length) = sequence(from: i + 2) else {
            if sequenceIncomplete(from: i + 2) { break }
            keys.append(.escape)
            i += 1
            continue
          }
          if let key { keys.append(key) }
          i += 2 + length
        } else {
          keys.append(.escape)
          i += 1
        }
        continue
      }
      switch b {
      case 0x0D, 0x0A: keys.append(.enter)
      case 0x7F, 0x08: keys.append(.backspace)
      case 0x09: keys.append(.tab)
      case 0x03: keys.append(.interrupt)
      case 0x1A: keys.append(.suspend)
      case 0x0C: keys.append(.redraw)
      case 0x20..<0x7F: keys.append(.char(Character(Unicode.Scalar(b))))
      case 0xC0...0xF7:
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        guard i + length <= pending.count else {
          pending.removeFirst(i)
          return keys
        }
        if let s = String(validating: pending[i..<(i + length)], as: UTF8.self), let c = s.first { keys.append(.char(c)) }
        i += length
        continue
      default: break  // other control bytes and stray continuation bytes: ignored
      }
      i += 1
    }
    pending.removeFirst(i)
    return keys
  }

  /// A pending lone ESC, given up on waiting for the rest: it is the Escape key.
  public mutating func flushEscape() -> [Key] {
    guard hasPartialEscape else { return [] }
    pending.removeFirst()
    return [.escape] + feed([])
  }

  /// The CSI/SS3 sequence whose parameters start at `start`: the key (nil for an
  /// unknown sequence, which is skipped) and the bytes it took.
  private func sequence(from start: Int) -> (Key?, Int)? {
    var j = start
    while j < pending.count {
      let c = pending[j]
      if (0x40...0x7E).contains(c) {
        let params = String(decoding: pending[start..<j], as: UTF8.self)
        let key: Key?
        switch (Character(Unicode.Scalar(c)), params) {
        case ("A", _): key = .up
        case ("B", _): key = .down
        case ("C", _): key = .right
        case ("D", _): key = .left
        case ("H", _): key = .home
        case ("F", _): key = .end
        case ("Z", _): key = .tab
        case ("~", "1"), ("~", "7"): key = .home
        case ("~", "4"), ("~", "8"): key = .end
        case ("~", "5"): key = .pageUp
        case ("~", "6"): key = .pageDown
        default: key = nil
        }
        return (key, j - start + 1)
      }
      guard (0x20...0x3F).contains(c) else { return nil }
      j += 1
    }
    return nil
  }

  private func sequenceIncomplete(from start: Int) -> Bool {
    pending[start...].allSatisfy { (0x20...0x3F).contains($0) }
  }
}
