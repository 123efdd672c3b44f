// The pieces the handlers build a line from: the wall-clock timestamp (UTC, ISO 8601,
// milliseconds), a value quoted for a human line (key=value, quoted when it must be),
// and JSON strings and values. Bytes are appended to one buffer per line, which the
// output writes in one call.
import Glibc

enum LogLineFormat {
  /// Now, as `2025-06-01T10:00:00.123Z`.
  static func appendTimestamp(to out: inout [UInt8]) {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var seconds = now.tv_sec
    var t = tm()
    gmtime_r(&seconds, &t)
    func digits(_ value: Int, _ count: Int) {
      var divisor = 1
      for _ in 1..<count { divisor *= 10 }
      var v = value
      while divisor > 0 {
        out.append(UInt8(ascii: "0") + UInt8((v / divisor) % 10))
        v %= divisor
        divisor /= 10
      }
    }
    digits(Int(t.tm_year) + 1900, 4)
    out.append(UInt8(ascii: "-"))
    digits(Int(t.tm_mon) + 1, 2)
    out.append(UInt8(ascii: "-"))
    digits(Int(t.tm_mday), 2)
    out.append(UInt8(ascii: "T"))
    digits(Int(t.tm_hour), 2)
    out.append(UInt8(ascii: ":"))
    digits(Int(t.tm_min), 2)
    out.append(UInt8(ascii: ":"))
    digits(Int(t.tm_sec), 2)
    out.append(UInt8(ascii: "."))
    digits(Int(now.tv_nsec) / 1_000_000, 3)
    out.append(UInt8(ascii: "Z"))
  }

  // MARK: - Human lines

  /// `text` on one line: line breaks and other control characters escaped.
  static func appendSingleLine(_ text: String, to out: inout [UInt8]) {
    for byte in text.utf8 {
      switch byte {
      case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
      case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0..<0x20, 0x7F: appendUnicodeEscape(byte, to: &out)
      default: out.append(byte)
      }
    }
  }

  /// A metadata value as `key=value` shows it: bare if it is one plain word, else in
  /// double quotes with `"` and `\` escaped.
  static func appendHumanValue(_ text: String, to out: inout [UInt8]) {
    let plain =
      !text.isEmpty
      && !text.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\\") || $0 == 0x7F }
    if plain {
      out += text.utf8
      return
    }
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
        out += [UInt8(ascii: "\\"), byte]
      } else {
        appendSingleLine(String(decoding: [byte], as: UTF8.self), to: &out)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  // MARK: - JSON

  /// `text` as a JSON string, quotes included.
  static func appendJSONString(_ text: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
      case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
      case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
      case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
      case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
      case 0..<0x20, 0x7F: appendUnicodeEscape(byte, to: &out)
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// A metadata value as JSON: strings, objects (keys sorted) and arrays; numbers and
  /// booleans given as printable values stay numbers and booleans.
  static func appendJSON(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
    switch value {
    case .string(let s): appendJSONString(s, to: &out)
    case .stringConvertible(let v):
      if v is Bool || v is any BinaryInteger {
        out += v.description.utf8
      } else if let d = v as? Double, d.isFinite {
        out += d.description.utf8
      } else {
        appendJSONString(v.description, to: &out)
      }
    case .dictionary(let d): appendJSONObject(d, to: &out)
    case .array(let a):
      out.append(UInt8(ascii: "["))
      for (i, element) in a.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        appendJSON(element, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    }
  }

  /// `metadata` as a JSON object, keys sorted (so equal records give equal lines).
  static func appendJSONObject(_ metadata: Logger.Metadata, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "{"))
    for (i, key) in metadata.keys.sorted().enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      appendJSONString(key, to: &out)
      out.append(UInt8(ascii: ":"))
      appendJSON(metadata[key]!, to: &out)
    }
    out.append(UInt8(ascii: "}"))
  }

  /// `\u00XX` for a control byte.
  static func appendUnicodeEscape(_ byte: UInt8, to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
  }
}
