// An HTML form's fields as a browser posts them (application/x-www-form-urlencoded, the
// WHATWG URL standard's parser): `name=value` pairs joined by `&`, `+` for a space, bytes
// as `%XX`. The login and logout forms are the only bodies chatd reads; a body that is
// not such a form is refused by the caller before it gets here. A value: no state.

struct FormBody: Sendable {
  /// The fields in order (a repeated name keeps every value).
  var fields: [(name: String, value: String)]

  /// The first value of field `name`, if sent.
  subscript(_ name: String) -> String? { fields.first { $0.name == name }?.value }

  /// Parses `bytes`; nil if they are not UTF-8 once decoded.
  init?(_ bytes: [UInt8]) {
    fields = []
    for pair in bytes.split(separator: UInt8(ascii: "&")) {
      let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
      guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : []) else { return nil }
      fields.append((name, value))
    }
  }

  /// Percent-decoding with `+` as a space; a `%` without two hex digits stays as it is.
  private static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = bytes.startIndex
    while i < bytes.endIndex {
      let b = bytes[i]
      if b == UInt8(ascii: "+") {
        out.append(0x20)
      } else if b == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) {
        out.append(high << 4 | low)
        i += 2
      } else {
        out.append(b)
      }
      i += 1
    }
    return String(validating: out, as: UTF8.self)
  }

  private static func hex(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
