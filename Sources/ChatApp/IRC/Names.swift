// Nick and channel names: validity and case folding (CASEMAPPING=ascii).

enum Names {
  /// ASCII case folding: `Alice` and `ALICE` are the same nick.
  static func fold(_ name: String) -> String {
    var bytes = Array(name.utf8)
    for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] += 0x20 }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The targets of a comma-separated list (PRIVMSG a,b), each once — by folded name,
  /// in first-seen order — and empty ones dropped: `#c,#C,#c` is one target.
  static func targets(_ list: String) -> [String] {
    var seen: Set<String> = []
    var out: [String] = []
    for t in list.split(separator: ",") where seen.insert(fold(String(t))).inserted { out.append(String(t)) }
    return out
  }

  private static func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
  private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
  /// `[ ] \ ` _ ^ { | }`
  private static func isSpecial(_ b: UInt8) -> Bool {
    b == 0x5B || b == 0x5D || b == 0x5C || b == 0x60 || b == 0x5F || b == 0x5E || b == 0x7B || b == 0x7C || b == 0x7D
  }

  /// A nick: a letter or special character, then letters, digits, specials or `-`;
  /// at most `maxLength` bytes.
  static func isValidNick(_ nick: String, maxLength: Int) -> Bool {
    let b = Array(nick.utf8)
    guard let first = b.first, b.count <= maxLength else { return false }
    guard isLetter(first) || isSpecial(first) else { return false }
    return b.dropFirst().allSatisfy { isLetter($0) || isDigit($0) || isSpecial($0) || $0 == UInt8(ascii: "-") }
  }

  /// A channel: `#` then at least one byte, no space, comma, BEL or colon; at most
  /// `maxLength` bytes.
  static func isValidChannel(_ name: String, maxLength: Int) -> Bool {
    let b = Array(name.utf8)
    guard b.count >= 2, b.count <= maxLength, b[0] == UInt8(ascii: "#") else { return false }
    return !b.contains { $0 == 0x20 || $0 == 0x2C || $0 == 0x07 || $0 == 0x00 || $0 == 0x0D || $0 == 0x0A || $0 == 0x3A }
  }

  static func isChannel(_ name: String) -> Bool { name.utf8.first == UInt8(ascii: "#") }

  /// Glob match (`*` any run, `?` one character), case-folded: ban masks and WHO masks.
  static func globMatch(_ pattern: String, _ text: String) -> Bool {
    let p = Array(fold(pattern).utf8)
    let t = Array(fold(text).utf8)
    var pi = 0
    var ti = 0
    var star = -1
    var mark = 0
    while ti < t.count {
      if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
        pi += 1
        ti += 1
      } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
        star = pi
        mark = ti
        pi += 1
      } else if star >= 0 {
        pi = star + 1
        mark += 1
        ti = mark
      } else {
        return false
      }
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
  }

  /// Completes a ban mask the way servers do: `nick` → `nick!*@*`, `user@host` → `*!user@host`.
  static func normalizeMask(_ mask: String) -> String {
    var m = mask
    if !m.contains("!") && !m.contains("@") { m += "!*@*" } else if !m.contains("!") { m = "*!" + m } else if !m.contains("@") { m += "@*" }
    return m
  }
}
