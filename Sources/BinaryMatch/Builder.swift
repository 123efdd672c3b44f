// Building: values in, bits out, with the same pattern that matches them.
//
// Segments are written in order into a `Bitstring`. Unlike Erlang, which silently drops the
// high bits of an integer too wide for its segment (`<<16#1FF:8>>` is `<<255>>`), building
// here throws: a value that does not fit is almost always a bug in a protocol encoder. Floats
// that do not fit, binaries of the wrong size and invalid code points throw too, as in Erlang.
// A size that names a field may be left out when a later binary determines it:
// `build(["Payload": "abc"])` on `Len:8, Payload:Len/binary` sets Len to 3.

extension BitPattern {
  /// Builds the bytes for `values` (one entry per bound name; skipped `_` segments are zeros).
  /// Throws when a value is missing, unknown, does not fit, or the result is not whole bytes
  /// (use `buildBits` for bitstrings).
  public func build(_ values: [String: BitValue]) throws(BitBuildError) -> [UInt8] {
    let bits = try buildBits(values)
    guard bits.isBinary else {
      throw BitBuildError(
        field: nil, column: 0, message: "the result is \(bits.bitCount) bits, not whole bytes; use buildBits to get a Bitstring")
    }
    return bits.bytes
  }

  /// Builds the bits for `values`; see `build(_:)`.
  public func buildBits(_ values: [String: BitValue]) throws(BitBuildError) -> Bitstring {
    var out = Bitstring()
    try program.build(values, into: &out)
    return out
  }

  /// Appends the bits for `values` to `output` (for binary comprehensions: build one element
  /// per iteration into the same buffer). On error `output` is unchanged.
  public func build(_ values: [String: BitValue], appendingTo output: inout Bitstring) throws(BitBuildError) {
    var element = Bitstring()
    try program.build(values, into: &element)
    output.append(element)
  }
}

extension Program {
  func build(_ given: [String: BitValue], into out: inout Bitstring) throws(BitBuildError) {
    for key in given.keys where fields[key] == nil && !parameters.contains(key) {
      let known = (fieldOrder + parameters.sorted()).joined(separator: ", ")
      throw BitBuildError(field: key, column: 0, message: "the pattern has no field '\(key)' (it has: \(known.isEmpty ? "none" : known))")
    }
    var values = given
    inferSizes(&values)
    for s in segments { try write(s, values, into: &out) }
  }

  /// Fills in size fields left out of `values` from the binaries whose size they give.
  private func inferSizes(_ values: inout [String: BitValue]) {
    for s in segments {
      guard case .dynamic(let expression) = s.size, case .bind(let name) = s.value,
        case .bits(let bits)? = values[name], let a = expression.affine, let sizeName = a.name,
        values[sizeName] == nil, a.k1 != 0, bits.bitCount % s.unit == 0
      else { continue }
      let (units, o1) = Int64(bits.bitCount / s.unit).subtractingReportingOverflow(a.k0)
      let (remainder, o2) = units.remainderReportingOverflow(dividingBy: a.k1)
      guard !o1, !o2, remainder == 0 else { continue }
      values[sizeName] = .int(units.dividedReportingOverflow(by: a.k1).partialValue)
    }
  }

  private func write(_ s: Segment, _ values: [String: BitValue], into out: inout Bitstring) throws(BitBuildError) {
    func fail(_ message: String) -> BitBuildError { BitBuildError(field: s.name, column: s.column, message: message) }

    var width: Int?
    switch s.size {
    case .fixed(let bits): width = bits
    case .dynamic(let expression):
      for (name, _) in expression.variables where values[name] == nil {
        throw fail("the size \(expression.text) uses '\(name)', which has no value")
      }
      guard let size = expression.evaluate({ values[$0]?.int64 }) else {
        throw fail("the size \(expression.text) cannot be computed (a non-integer value, overflow, or division by zero)")
      }
      guard size >= 0 else { throw fail("the size \(expression.text) is negative (\(size))") }
      let (bits, overflow) = size.multipliedReportingOverflow(by: Int64(s.unit))
      guard !overflow, bits <= Int64(Int32.max) else { throw fail("the size \(expression.text) = \(size) is too large") }
      width = Int(bits)
    case .rest, .utf: width = nil
    }

    let value: BitValue
    switch s.value {
    case .skip:
      switch s.type {
      case .utf8, .utf16, .utf32: throw fail("a skipped (_) \(s.type) segment cannot be built; give it a name")
      default:
        var zeros = width ?? 0
        while zeros > 0 {
          out.appendBits(0, count: min(64, zeros))
          zeros -= 64
        }
        return
      }
    case .literal(let bits):
      value = s.isSigned ? .int(Int64(bitPattern: bits)) : .uint(bits)
    case .literalFloat(let d):
      value = .float(d)
    case .bind(let name), .repeatOf(let name):
      guard let v = values[name] else { throw fail("no value given for '\(name)'") }
      value = v
    }

    switch s.type {
    case .integer:
      let w = width ?? 8
      guard w <= 64 else { throw fail("an integer segment is at most 64 bits; its size is \(w)") }
      let bits: UInt64
      switch value {
      case .int(let v):
        guard fits(v, count: w, signed: s.isSigned) else { throw fail("\(v) does not fit \(w) bits \(s.isSigned ? "signed" : "unsigned")") }
        bits = UInt64(bitPattern: v)
      case .uint(let v):
        guard fits(v, count: w, signed: s.isSigned) else { throw fail("\(v) does not fit \(w) bits \(s.isSigned ? "signed" : "unsigned")") }
        bits = v
      default: throw fail("expected an integer, got \(value)")
      }
      let masked = w == 64 ? bits : bits & ((1 << UInt64(w)) - 1)
      out.appendBits(s.isLittle ? littleToStream(masked, count: w) : masked, count: w)

    case .float:
      let w = width ?? 64
      let d: Double
      switch value {
      case .float(let v): d = v
      case .int(let v): d = Double(v)
      case .uint(let v): d = Double(v)
      case .bits: throw fail("expected a number, got \(value)")
      }
      guard w == 16 || w == 32 || w == 64 else { throw fail("a float segment is 16, 32 or 64 bits, not \(w)") }
      guard let bits = floatBits(d, width: w) else { throw fail("\(d) cannot be represented as a \(w)-bit float") }
      out.appendBits(s.isLittle ? littleToStream(bits, count: w) : bits, count: w)

    case .binary, .bitstring:
      guard case .bits(let b) = value else { throw fail("expected a binary, got \(value)") }
      if let w = width {
        guard b.bitCount == w else {
          throw fail("the value has \(describe(bits: b.bitCount)); the segment takes \(describe(bits: w))")
        }
      } else if b.bitCount % s.unit != 0 {
        let hint = s.type == .binary && s.unit == 8 ? " (use /bitstring for any number of bits)" : ""
        throw fail("the value has \(describe(bits: b.bitCount)), not a multiple of the unit \(s.unit)\(hint)")
      }
      out.append(b)

    case .utf8, .utf16, .utf32:
      guard let code = value.int64, code >= 0, code <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(code)) else {
        throw fail("\(value) is not a Unicode scalar value")
      }
      for byte in encode([scalar], as: s.type, little: s.isLittle) { out.appendBits(UInt64(byte), count: 8) }
    }
  }

  private func describe(bits: Int) -> String {
    bits % 8 == 0 ? "\(bits / 8) bytes" : "\(bits) bits"
  }
}
