// The segment types of static patterns, in the `Seg` namespace. Each is the static twin of a
// runtime segment (Erlang notation on the right):
//
//   Seg.U<4>                  V:4                         unsigned big-endian integer, 0...64 bits
//   Seg.I<12>                 V:12/signed                 signed big-endian integer, 0...64 bits
//   Seg.Flag                  F:1                         one bit, as Bool
//   Seg.Lit<4, 4>             4:4                         literal: no match unless equal
//   Seg.Skip<3>               _:3                         skipped bits
//   Seg.Bytes<4>              B:4/binary                  fixed-size binary
//   Seg.USizedBy<3, 32>       K:Mask/unit:32              integer whose width is an earlier field × unit
//   Seg.BytesSizedBy<1,-5,32> O:(IHL - 5)/binary-unit:32  binary of (earlier field + add) × unit bits
//   Seg.Rest                  Rest/binary                 the rest of the input
//
// A size names an earlier segment by its 0-based position in the pattern.

/// The segment types of static bit patterns (see `StaticBitPattern`). Every segment is an
/// empty value whose type says everything: `Seg.U<4>()`.
public enum Seg {}

extension Seg {
  /// An unsigned big-endian integer of `bits` bits (0...64, any alignment): Erlang's `V:bits`.
  /// Other widths never match and cannot be built.
  public struct U<let bits: Int>: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { bits }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> UInt64? {
      guard let value = state.readBits(bits) else { return nil }
      state.bind(value, at: position)
      return value
    }

    @inlinable
    public static func write(_ value: UInt64, _ state: inout StaticBuildState) {
      if bits < 0 || bits > 64 {
        state.reject("an integer segment has 0...64 bits, not \(bits)")
      } else if bits < 64 && value >> UInt64(bits) != 0 {
        state.reject("\(value) does not fit in \(bits) bits")
      } else {
        state.append(value, bits: bits)
      }
      state.bind(value)
    }
  }

  /// A signed (two's complement) big-endian integer of `bits` bits (0...64): `V:bits/signed`.
  public struct I<let bits: Int>: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { bits }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> Int64? {
      guard let raw = state.readBits(bits) else { return nil }
      state.bind(raw, at: position)
      guard bits > 0 && bits <= 64 else { return 0 }
      let unused = UInt64(truncatingIfNeeded: 64 &- bits)
      return Int64(bitPattern: raw &<< unused) &>> Int64(bitPattern: unused)
    }

    @inlinable
    public static func write(_ value: Int64, _ state: inout StaticBuildState) {
      let raw = bits > 0 && bits < 64 ? UInt64(bitPattern: value) & ((1 &<< UInt64(bits)) &- 1) : UInt64(bitPattern: value)
      if bits < 0 || bits > 64 {
        state.reject("an integer segment has 0...64 bits, not \(bits)")
      } else if bits == 0 ? value != 0 : bits < 64 && (value < -(1 << Int64(bits - 1)) || value >= 1 << Int64(bits - 1)) {
        state.reject("\(value) does not fit in \(bits) signed bits")
      } else {
        state.append(raw, bits: bits)
      }
      state.bind(raw)
    }
  }

  /// One bit, read as `Bool` (`F:1`).
  public struct Flag: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { 1 }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> Bool? {
      guard let value = state.readBits(1) else { return nil }
      state.bind(value, at: position)
      return value != 0
    }

    @inlinable
    public static func write(_ value: Bool, _ state: inout StaticBuildState) {
      state.append(value ? 1 : 0, bits: 1)
      state.bind(value ? 1 : 0)
    }
  }

  /// A literal: `bits` bits (0...64) that must equal `value` (`4:4`). A value that does not fit
  /// (negative, or too wide) never matches and cannot be built.
  public struct Lit<let bits: Int, let value: Int>: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { bits }

    @inlinable @inline(__always)
    static var fits: Bool { bits >= 0 && bits <= 64 && value >= 0 && (bits == 64 || UInt64(value) >> UInt64(bits) == 0) }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> Void? {
      guard let found = state.readBits(bits), fits && found == UInt64(truncatingIfNeeded: value) else { return nil }
      state.bind(found, at: position)
      return ()
    }

    @inlinable
    public static func write(_ value: Void, _ state: inout StaticBuildState) {
      if fits {
        state.append(UInt64(Self.value), bits: bits)
      } else {
        state.reject("the literal \(Self.value) does not fit in \(bits) bits")
      }
      state.bind(UInt64(truncatingIfNeeded: Self.value))
    }
  }

  /// `bits` bits (any number) that are not read (`_:bits`); built as zeros.
  public struct Skip<let bits: Int>: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { bits }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> Void? {
      // Only checked: a skipped field in the fixed prefix costs nothing.
      guard state.skip(bits) else { return nil }
      state.bindNothing(at: position)
      return ()
    }

    @inlinable
    public static func write(_ value: Void, _ state: inout StaticBuildState) {
      if bits < 0 {
        state.reject("a skipped segment cannot have \(bits) bits")
      } else {
        var left = bits
        while left > 0 {
          state.append(0, bits: min(left, 64))
          left -= min(left, 64)
        }
      }
      state.bindNothing()
    }
  }

  /// A binary of `count` bytes starting on a byte boundary (`B:count/binary`). Matching gives
  /// its byte range in the input: `input[range]` is the bytes, without a copy.
  public struct Bytes<let count: Int>: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { count >= 0 && count <= Int.max / 8 ? count &* 8 : -1 }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> Range<Int>? {
      guard let range = state.readBytes(bits: count >= 0 && count <= Int.max / 8 ? count &* 8 : -1) else { return nil }
      state.bindNothing(at: position)
      return range
    }

    @inlinable
    public static func write(_ value: [UInt8], _ state: inout StaticBuildState) {
      if value.count == count { state.append(bytes: value) } else { state.reject("\(value.count) bytes for a \(count)-byte binary") }
      state.bindNothing()
    }
  }

  /// An unsigned big-endian integer whose width is the value of the earlier segment at
  /// position `field` times `unit` (`Key:Mask/unit:32`). A width over 64 does not match.
  public struct USizedBy<let field: Int, let unit: Int>: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { -1 }

    @inlinable @inline(__always)
    static func width(_ size: UInt64?) -> Int? {
      guard let size, unit >= 1, unit <= 64, size <= 64 else { return nil }
      let bits = Int(size) &* unit
      return bits <= 64 ? bits : nil
    }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> UInt64? {
      guard let bits = width(state.bound(field, before: position)), let value = state.readBits(bits) else { return nil }
      state.bind(value, at: position)
      return value
    }

    @inlinable
    public static func write(_ value: UInt64, _ state: inout StaticBuildState) {
      if let bits = width(state.bound(field)) {
        if bits < 64 && value >> UInt64(bits) != 0 {
          state.reject("\(value) does not fit in \(bits) bits")
        } else {
          state.append(value, bits: bits)
        }
      } else {
        state.reject("the size field (segment \(field)) gives no width of 0...64 bits")
      }
      state.bind(value)
    }
  }

  /// A binary of `(value of segment field + add) × unit` bits, which must be whole bytes
  /// starting on a byte boundary (`Payload:Len/binary` is `BytesSizedBy<i, 0, 8>`, IPv4's
  /// `Options:(IHL - 5)/binary-unit:32` is `BytesSizedBy<i, -5, 32>`). A negative size does
  /// not match. Matching gives the byte range in the input (no copy).
  public struct BytesSizedBy<let field: Int, let add: Int, let unit: Int>: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { -1 }

    /// The size in bits for a size field of `size`, or -1 when it is negative, has no size
    /// field, or overflows. (Only the constant bound: the input's length is checked by
    /// `readBytes`, so a size field known to be small costs no test here.)
    @inlinable @inline(__always)
    static func bitCount(_ size: UInt64?) -> Int {
      guard let size, unit >= 1, unit <= 256, size <= UInt64(Int.max) else { return -1 }
      // Both are at most Int.max, so the sum wraps only above Int.max: to a negative number.
      let units = Int(size) &+ add
      guard units >= 0 && units <= Int.max / unit else { return -1 }
      return units &* unit
    }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> Range<Int>? {
      guard let range = state.readBytes(bits: bitCount(state.bound(field, before: position))) else { return nil }
      state.bindNothing(at: position)
      return range
    }

    @inlinable
    public static func write(_ value: [UInt8], _ state: inout StaticBuildState) {
      let bits = bitCount(state.bound(field))
      if bits >= 0 && bits == value.count &* 8 {
        state.append(bytes: value)
      } else {
        state.reject("\(value.count) bytes do not match the size given by segment \(field)")
      }
      state.bindNothing()
    }
  }

  /// The rest of the input, from a byte boundary (`Rest/binary`); only last in a pattern.
  public struct Rest: StaticSegment {
    @inlinable public init() {}
    @inlinable public static var staticBits: Int { -1 }

    @inlinable @inline(__always)
    public static func read(_ state: inout StaticMatchState, at position: Int) -> Range<Int>? {
      guard let range = state.readRest() else { return nil }
      state.bindNothing(at: position)
      return range
    }

    @inlinable
    public static func write(_ value: [UInt8], _ state: inout StaticBuildState) {
      state.append(bytes: value)
      state.bindNothing()
    }
  }
}
