// Segment descriptors: what each `Value:Size/Specifiers` of a pattern means, checked.
//
// This is where Erlang's rules are applied: defaults (integer, 8 bits, unsigned, big; float 64;
// binary takes the rest with unit 8), which specifiers go together, literal values that must
// fit their segment, sizes that may only use integer fields bound earlier, a size-less binary
// only at the end, string literals expanded into one segment per character. Every rejection
// names the column it is about.

/// One checked segment of a pattern.
struct Segment: Equatable {
  enum Size: Equatable {
    /// A width in bits (size × unit, already multiplied).
    case fixed(Int)
    /// `expression × unit` bits, evaluated against fields bound earlier.
    case dynamic(SizeExpression)
    /// Whatever is left of the input (a binary or bitstring without size).
    case rest
    /// The length of one encoded character (utf8/16/32).
    case utf
  }

  enum Value: Equatable {
    /// Bind the field to a name.
    case bind(String)
    /// `_`: match anything, bind nothing (zeros when building).
    case skip
    /// An integer literal, as its two's complement bit pattern (already checked to fit).
    case literal(UInt64)
    /// A float literal whose width is only known when matching.
    case literalFloat(Double)
    /// A name bound earlier in the pattern: the values must be equal.
    case repeatOf(String)
  }

  var column: Int
  var type: SegmentType
  var isSigned: Bool
  var isLittle: Bool
  var unit: Int
  var size: Size
  var value: Value

  /// The name this segment binds or repeats, if any.
  var name: String? {
    switch value {
    case .bind(let n), .repeatOf(let n): return n
    default: return nil
    }
  }
}

/// Whether the host stores integers little-endian (`native` resolves to this).
let hostIsLittleEndian = 1.littleEndian == 1

/// Turns parsed segments into checked ones.
struct SegmentChecker {
  let text: String
  let buildOnly: Bool

  /// Types of the names bound so far, with the column that bound them.
  private var bound: [String: (type: SegmentType, column: Int)] = [:]

  init(text: String, buildOnly: Bool) {
    self.text = text
    self.buildOnly = buildOnly
  }

  private func error(_ message: String, _ column: Int) -> BitPatternError {
    BitPatternError(column: column, message: message, pattern: text)
  }

  mutating func check(_ parsed: [ParsedSegment]) throws(BitPatternError) -> [Segment] {
    var out: [Segment] = []
    for (i, p) in parsed.enumerated() {
      let segments = try check(p)
      if !buildOnly, i < parsed.count - 1, segments.contains(where: { $0.size == .rest }) {
        throw error(
          "a \(segments[0].type) segment without a size must be the last segment; give it a size (or create the pattern with mode: .buildOnly to only build)",
          p.column)
      }
      out += segments
    }
    return out
  }

  private static let typeNames: [String: SegmentType] = [
    "integer": .integer, "float": .float, "binary": .binary, "bytes": .binary,
    "bitstring": .bitstring, "bits": .bitstring, "utf8": .utf8, "utf16": .utf16, "utf32": .utf32,
  ]
  private static let allSpecifiers = [
    "integer", "float", "binary", "bytes", "bitstring", "bits", "utf8", "utf16", "utf32",
    "signed", "unsigned", "big", "little", "native", "unit",
  ]

  // swiftlint:disable:next cyclomatic_complexity function_body_length
  private mutating func check(_ p: ParsedSegment) throws(BitPatternError) -> [Segment] {
    // 1. Specifiers.
    var type: SegmentType?
    var typeWord = ""
    var signed: (Bool, String)?
    var little: (Bool, String)?
    var unit: Int?
    for s in p.specifiers {
      if let t = Self.typeNames[s.name] {
        if let existing = type, existing != t || Self.fixedUnit(typeWord) != Self.fixedUnit(s.name) {
          throw error("conflicting types '\(typeWord)' and '\(s.name)'", s.column)
        }
        type = t
        typeWord = s.name
      } else if s.name == "signed" || s.name == "unsigned" {
        if let (_, w) = signed, w != s.name { throw error("conflicting specifiers '\(w)' and '\(s.name)'", s.column) }
        signed = (s.name == "signed", s.name)
      } else if s.name == "big" || s.name == "little" || s.name == "native" {
        if let (_, w) = little, w != s.name { throw error("conflicting specifiers '\(w)' and '\(s.name)'", s.column) }
        little = (s.name == "little" || (s.name == "native" && hostIsLittleEndian), s.name)
      } else if s.name == "unit" {
        if let u = unit, u != s.unit { throw error("conflicting units \(u) and \(s.unit ?? 0)", s.column) }
        unit = s.unit
      } else {
        throw error(Self.unknownSpecifierMessage(s.name), s.column)
      }
    }
    let segmentType = type ?? .integer
    let isSigned = signed?.0 ?? false
    let isLittle = little?.0 ?? false
    let unitColumn = p.specifiers.first(where: { $0.name == "unit" })?.column ?? p.column

    // 2. Unit and size.
    let isUTF = segmentType == .utf8 || segmentType == .utf16 || segmentType == .utf32
    if isUTF {
      if p.size != nil { throw error("\(segmentType) segments have no size: the character decides it", p.sizeColumn) }
      if unit != nil { throw error("\(segmentType) segments have no unit", unitColumn) }
    }
    if let fixed = Self.fixedUnit(typeWord), let u = unit, u != fixed {
      throw error("'\(typeWord)' always has unit \(fixed); write \(segmentType)-unit:\(u) instead", unitColumn)
    }
    if unit != nil && p.size == nil && (segmentType == .integer || segmentType == .float) {
      throw error("a unit needs a size, as in X:4/unit:8", unitColumn)
    }
    let effectiveUnit = unit ?? (segmentType == .binary ? 8 : 1)

    var size: Segment.Size
    if isUTF {
      size = .utf
    } else if let expression = p.size {
      if let a = expression.affine, a.name == nil {
        guard a.k0 >= 0 else { throw error("a size cannot be negative", p.sizeColumn) }
        let (bits, overflow) = a.k0.multipliedReportingOverflow(by: Int64(effectiveUnit))
        guard !overflow, bits <= Int64(Int32.max) else { throw error("size \(a.k0) × unit \(effectiveUnit) is too large", p.sizeColumn) }
        size = .fixed(Int(bits))
      } else {
        for (name, column) in expression.variables {
          guard let b = bound[name] else {
            if buildOnly { continue }
            throw error("'\(name)' is not bound before this segment; a size may only use fields bound earlier in the pattern", column)
          }
          guard b.type == .integer || b.type == .utf8 || b.type == .utf16 || b.type == .utf32 else {
            throw error("'\(name)' is a \(b.type) (bound at column \(b.column)); a size must be an integer", column)
          }
        }
        size = .dynamic(expression)
      }
    } else {
      switch segmentType {
      case .integer: size = .fixed(8)
      case .float: size = .fixed(64)
      default: size = .rest
      }
    }
    if case .fixed(let bits) = size {
      if segmentType == .integer && bits > 64 && p.value != .skip {
        throw error(
          "integer segments are at most 64 bits wide, not \(bits) (Erlang would make a bignum); split it or use /binary", p.sizeColumn)
      }
      if segmentType == .float && bits != 16 && bits != 32 && bits != 64 {
        throw error("a float segment is 16, 32 or 64 bits wide, not \(bits)", p.sizeColumn)
      }
    }

    func segment(_ value: Segment.Value, type: SegmentType = segmentType, size: Segment.Size = size, signed: Bool = isSigned) -> Segment {
      Segment(column: p.column, type: type, isSigned: signed, isLittle: isLittle, unit: effectiveUnit, size: size, value: value)
    }

    // 3. The value.
    switch p.value {
    case .skip:
      return [segment(.skip)]

    case .name(let name):
      if let earlier = bound[name] {
        guard earlier.type == .integer && segmentType == .integer else {
          throw error(
            "'\(name)' is already bound at column \(earlier.column); only integer fields may repeat (both must then be equal)", p.column)
        }
        return [segment(.repeatOf(name))]
      }
      bound[name] = (segmentType, p.column)
      return [segment(.bind(name))]

    case .integer(let magnitude, let negative):
      switch segmentType {
      case .integer:
        let bits = try literalBits(magnitude: magnitude, negative: negative, size: size, signed: isSigned, column: p.column)
        return [segment(.literal(bits))]
      case .float:
        let value = negative ? -Double(magnitude) : Double(magnitude)
        return [try floatLiteral(value, size: size, segment: segment)]
      case .utf8, .utf16, .utf32:
        guard !negative, magnitude <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(magnitude)) else {
          throw error("\(negative ? "-" : "")\(magnitude) is not a Unicode code point", p.column)
        }
        return encodedLiteral([scalar], type: segmentType, little: isLittle, column: p.column)
      case .binary, .bitstring:
        throw error("an integer literal cannot be a \(segmentType) segment; write it as an integer (e.g. 7:3)", p.column)
      }

    case .float(let value):
      guard segmentType == .float else {
        throw error("a float literal needs /float (Erlang reads <<3.14>> as an integer segment and rejects it)", p.column)
      }
      return [try floatLiteral(value, size: size, segment: segment)]

    case .string(let scalars):
      switch segmentType {
      case .integer:
        var out: [Segment] = []
        for c in scalars {
          do {
            let bits = try literalBits(magnitude: UInt64(c.value), negative: false, size: size, signed: isSigned, column: p.column)
            out.append(segment(.literal(bits)))
          } catch {
            throw self.error("character '\(c)' (\(c.value)) does not fit the segment; add /utf8 to encode it as UTF-8", p.column)
          }
        }
        return out
      case .utf8, .utf16, .utf32:
        return encodedLiteral(scalars, type: segmentType, little: isLittle, column: p.column)
      default:
        throw error(
          "a string literal is a list of characters: write it as \"...\" (8-bit characters) or \"...\"/utf8, not as a \(segmentType)",
          p.column)
      }
    }
  }

  /// The two's complement bits of an integer literal, checked against a fixed width.
  private func literalBits(magnitude: UInt64, negative: Bool, size: Segment.Size, signed: Bool, column: Int) throws(BitPatternError)
    -> UInt64
  {
    if negative && !signed {
      throw error("-\(magnitude) does not fit an unsigned segment; add /signed", column)
    }
    let bits: UInt64
    if negative {
      guard magnitude <= UInt64(1) << 63 else { throw error("-\(magnitude) does not fit 64 bits", column) }
      bits = 0 &- magnitude
    } else {
      bits = magnitude
    }
    if case .fixed(let width) = size {
      let ok = negative ? fits(Int64(bitPattern: bits), count: width, signed: true) : fits(magnitude, count: width, signed: signed)
      guard ok else {
        throw error("\(negative ? "-" : "")\(magnitude) does not fit \(width) bits\(signed ? " signed" : "")", column)
      }
    }
    return bits
  }

  /// A float literal: with a fixed width it becomes the integer bit pattern of that width.
  private func floatLiteral(_ value: Double, size: Segment.Size, segment: (Segment.Value, SegmentType, Segment.Size, Bool) -> Segment)
    throws(BitPatternError) -> Segment
  {
    let column = segment(.skip, .float, size, false).column
    guard case .fixed(let width) = size else { return segment(.literalFloat(value), .float, size, false) }
    guard let bits = floatBits(value, width: width) else {
      throw error("\(value) cannot be represented as a \(width)-bit float", column)
    }
    return segment(.literal(bits), .integer, size, false)
  }

  /// A literal string or code point with a utf type becomes its encoded bytes, one 8-bit
  /// literal segment per byte (UTF encodings are unique, so comparing bytes is comparing
  /// characters).
  private func encodedLiteral(_ scalars: [Unicode.Scalar], type: SegmentType, little: Bool, column: Int) -> [Segment] {
    encode(scalars, as: type, little: little).map {
      Segment(column: column, type: .integer, isSigned: false, isLittle: false, unit: 1, size: .fixed(8), value: .literal(UInt64($0)))
    }
  }

  private static func fixedUnit(_ typeWord: String) -> Int? {
    switch typeWord {
    case "bytes": 8
    case "bits": 1
    default: nil
    }
  }

  private static func unknownSpecifierMessage(_ word: String) -> String {
    let best = allSpecifiers.min { editDistance($0, word) < editDistance($1, word) }!
    let hint = editDistance(best, word) <= 2 ? "; did you mean '\(best)'?" : ""
    return
      "unknown type specifier '\(word)'\(hint) (expected integer, float, binary, bytes, bitstring, bits, utf8, utf16, utf32, signed, unsigned, big, little, native or unit:N)"
  }

  private static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
      var previous = row[0]
      row[0] = i
      for j in 1...max(1, b.count) where !b.isEmpty {
        let current = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
        previous = current
      }
    }
    return row[b.count]
  }
}

/// The IEEE 754 bit pattern of `value` at `width` (16, 32 or 64), or nil when the value is not
/// finite or too large for that width (Erlang raises for these when constructing too).
func floatBits(_ value: Double, width: Int) -> UInt64? {
  guard value.isFinite else { return nil }
  switch width {
  case 16: return halfFromDouble(value).map { UInt64($0) }
  case 32:
    let f = Float(value)
    return f.isFinite ? UInt64(f.bitPattern) : nil
  case 64: return value.bitPattern
  default: return nil
  }
}

/// The bytes of `scalars` in a UTF encoding (utf16/utf32 in the given byte order).
func encode(_ scalars: [Unicode.Scalar], as type: SegmentType, little: Bool) -> [UInt8] {
  var out: [UInt8] = []
  func unit16(_ u: UInt16) { out += little ? [UInt8(u & 0xFF), UInt8(u >> 8)] : [UInt8(u >> 8), UInt8(u & 0xFF)] }
  for s in scalars {
    switch type {
    case .utf8: out += Array(String(Character(s)).utf8)
    case .utf16: for u in String(Character(s)).utf16 { unit16(u) }
    default:
      let v = s.value
      let be: [UInt8] = [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
      out += little ? be.reversed() : be
    }
  }
  return out
}
