// The general path: a pattern matched one segment at a time, straight from its checked
// segments, the way the reference manual describes bit syntax — no fused words, no blocks, no
// compiled sizes. It is slow (it builds a dictionary) and meant to be obviously right: the
// property tests check every compiled program against it on random patterns and inputs.

extension Program {
  /// The values `input` binds when it matches the pattern as a whole, or nil.
  func referenceMatch(_ input: Bitstring) -> [String: BitValue]? {
    guard !buildOnly else { return nil }
    return input.withUnsafeBits { base, byteCount, origin -> [String: BitValue]? in
      var pos = origin
      let end = origin + input.bitCount
      var values: [String: BitValue] = [:]
      /// What a name is worth in a size expression (nil: an unsigned value beyond Int64).
      var sizeValues: [String: Int64?] = [:]

      func read(_ bits: Int) -> UInt64 { loadValue(base, byteCount: byteCount, bitOffset: pos, count: bits) }

      for s in segments {
        // 1. How many bits the segment takes.
        var bits: Int
        switch s.size {
        case .fixed(let n):
          bits = n
        case .dynamic(let expression):
          var missing = false
          let size = expression.evaluate { name in
            guard let v = sizeValues[name], let value = v else {
              missing = true
              return nil
            }
            return value
          }
          guard !missing, let size else { return nil }
          let (product, overflow) = size.multipliedReportingOverflow(by: Int64(s.unit))
          guard !overflow, product >= 0 else { return nil }
          bits = Int(product)
        case .rest:
          bits = end - pos
          guard bits % s.unit == 0 else { return nil }
        case .utf:
          bits = 0
        }
        guard bits <= end - pos else { return nil }

        // 2. What it holds.
        switch s.type {
        case .integer:
          guard s.value != .skip else { break }
          guard bits <= 64 else { return nil }
          var raw = read(bits)
          if s.isLittle { raw = streamToLittle(raw, count: bits) }
          if s.isSigned && bits > 0 { raw = signExtend(raw, count: bits) }
          let value: BitValue = s.isSigned ? .int(Int64(bitPattern: raw)) : .uint(raw)
          switch s.value {
          case .literal(let literal):
            guard raw == literal else { return nil }
          case .bind(let name):
            values[name] = value
            sizeValues[name] = .some(s.isSigned ? Int64(bitPattern: raw) : Int64(exactly: raw))
          case .repeatOf(let name):
            guard values[name] == value else { return nil }
          case .skip, .literalFloat:
            break
          }

        case .float:
          // Even a skipped float must be one (Erlang's `<<_:32/float>>` fails on a NaN).
          guard bits == 16 || bits == 32 || bits == 64 else { return nil }
          var raw = read(bits)
          if s.isLittle { raw = streamToLittle(raw, count: bits) }
          let value =
            bits == 64
            ? Double(bitPattern: raw)
            : bits == 32 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))) : doubleFromHalf(UInt16(truncatingIfNeeded: raw))
          guard value.isFinite else { return nil }
          switch s.value {
          case .bind(let name): values[name] = .float(value)
          case .literalFloat(let literal): guard value == literal else { return nil }
          default: break
          }

        case .binary, .bitstring:
          if case .bind(let name) = s.value {
            values[name] = .bits(input[bits: (pos - origin)..<(pos - origin + bits)])
          }

        case .utf8, .utf16, .utf32:
          let code: Op.Code = s.type == .utf8 ? .utf8 : s.type == .utf16 ? .utf16 : .utf32
          let (scalar, n) = decodeUTF(code, little: s.isLittle, base: base, byteCount: byteCount, pos: pos, available: end - pos)
          guard n > 0 else { return nil }
          bits = n
          if case .bind(let name) = s.value {
            values[name] = .uint(UInt64(scalar))
            sizeValues[name] = .some(Int64(scalar))
          }
        }
        pos += bits
      }
      return pos == end ? values : nil
    }
  }
}
