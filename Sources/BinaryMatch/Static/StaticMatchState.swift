// `StaticMatchState`: what a static pattern carries while it matches — the input, the bit
// offset, the integers bound so far (for sizes taken from earlier fields), and whether the
// input still fits.
//
// All of it is a local value of the specialized `match`, so after inlining the optimizer keeps
// it in registers: the offset of every segment before the first variable-size one is a
// constant, and the "does it fit" test of those segments is folded into one length check.

/// The state of one static match. Made and consumed by `StaticBitPattern.match`; segment
/// types read through it.
public struct StaticMatchState {
  /// Up to this many integer fields can be named as the size of a later segment.
  public static let slotCapacity = 16

  @usableFromInline typealias Slots = (
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
  )

  @usableFromInline let base: UnsafeRawPointer
  @usableFromInline let byteCount: Int
  /// Bytes known to be present (checked once before the first segment): the fixed prefix.
  @usableFromInline let prefixBytes: Int
  /// Bits from the start of the input.
  @usableFromInline var offset: Int = 0
  /// The position of the next segment in the pattern.
  @usableFromInline var index: Int = 0
  @usableFromInline var fits = true
  @usableFromInline var slots: Slots = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

  @inlinable @inline(__always)
  init(_ input: UnsafeRawBufferPointer, prefixBytes: Int) {
    // An empty buffer may have no base address; nothing is read from it then (every read
    // checks its end against byteCount, which is 0).
    base = input.baseAddress ?? UnsafeRawPointer(bitPattern: 0x10)!
    byteCount = input.count
    self.prefixBytes = prefixBytes
  }

  /// Whether every segment fit and the pattern covered the whole input.
  @inlinable @inline(__always)
  var matched: Bool { fits && offset == byteCount &* 8 }

  @inlinable @inline(__always)
  mutating func fail() { fits = false }

  /// Records the value of the segment at `index` (for sizes of later segments) and moves on.
  @inlinable @inline(__always)
  mutating func bind(_ value: UInt64) {
    Self.store(value, at: index, in: &slots)
    index &+= 1
  }

  /// The value bound by segment `field`, or nil when that is not an earlier segment within
  /// the slot capacity (then the match fails).
  @inlinable @inline(__always)
  func bound(_ field: Int) -> UInt64? {
    guard field >= 0, field < index, field < Self.slotCapacity else { return nil }
    return Self.load(field, from: slots)
  }

  // Slots are chosen by a switch, not by pointer arithmetic: the index is a constant in a
  // specialized match, so the switch folds away and the slots stay in registers (a pointer
  // into a local would also cost a stack protector).
  @inlinable @inline(__always)
  static func store(_ value: UInt64, at i: Int, in slots: inout Slots) {
    switch i {
    case 0: slots.0 = value
    case 1: slots.1 = value
    case 2: slots.2 = value
    case 3: slots.3 = value
    case 4: slots.4 = value
    case 5: slots.5 = value
    case 6: slots.6 = value
    case 7: slots.7 = value
    case 8: slots.8 = value
    case 9: slots.9 = value
    case 10: slots.10 = value
    case 11: slots.11 = value
    case 12: slots.12 = value
    case 13: slots.13 = value
    case 14: slots.14 = value
    case 15: slots.15 = value
    default: break
    }
  }

  @inlinable @inline(__always)
  static func load(_ i: Int, from slots: Slots) -> UInt64 {
    switch i {
    case 0: slots.0
    case 1: slots.1
    case 2: slots.2
    case 3: slots.3
    case 4: slots.4
    case 5: slots.5
    case 6: slots.6
    case 7: slots.7
    case 8: slots.8
    case 9: slots.9
    case 10: slots.10
    case 11: slots.11
    case 12: slots.12
    case 13: slots.13
    case 14: slots.14
    default: slots.15
    }
  }

  /// Marks the segment at `index` as one whose value cannot be a size, and moves on.
  @inlinable @inline(__always)
  mutating func bindNothing() { bind(UInt64.max) }

  /// Reads `count` (0...64) bits at the offset as an unsigned integer and moves past them; past
  /// the end of the input it fails and gives 0.
  @inlinable @inline(__always)
  mutating func readBits(_ count: Int) -> UInt64 {
    guard count > 0 else {
      if count < 0 { fail() }
      return 0
    }
    guard count <= 64 else {
      fail()
      return 0
    }
    let at = offset
    let end = at &+ count
    if end <= prefixBytes &* 8 {
      offset = end
      return Self.prefixLoad(base, limit: prefixBytes, bitOffset: at, count: count)
    }
    guard end <= byteCount &* 8 else {
      fail()
      return 0
    }
    offset = end
    // Past the fixed prefix (a field sized by another, or after one): one load when the
    // input has the bytes for it, the general bit reader only near the end of the input.
    let byte = at &>> 3
    let shift = at & 7
    if byte &+ 8 <= byteCount && shift &+ count <= 64 {
      let word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
      return (word &<< UInt64(truncatingIfNeeded: shift)) &>> UInt64(truncatingIfNeeded: 64 &- count)
    }
    if byte &+ 4 <= byteCount && shift &+ count <= 32 {
      let word = UInt64(UInt32(bigEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt32.self)))
      return (word &<< UInt64(truncatingIfNeeded: 32 &+ shift)) &>> UInt64(truncatingIfNeeded: 64 &- count)
    }
    return loadValue(base, byteCount: byteCount, bitOffset: at, count: count)
  }

  /// `count` bits at `bitOffset` inside the first `limit` bytes (which are known present).
  /// With constant arguments this is one unaligned 8-byte load and two shifts; loads are made
  /// at 4-byte steps where they can be, so neighbouring fields share a load.
  @inlinable @inline(__always)
  static func prefixLoad(_ base: UnsafeRawPointer, limit: Int, bitOffset: Int, count: Int) -> UInt64 {
    guard limit >= 8 else { return loadValue(base, byteCount: limit, bitOffset: bitOffset, count: count) }
    let byte = bitOffset &>> 3
    // A field of at most 33 bits starting in a 4-byte group fits the 8 bytes from the group's
    // start; a wider one is loaded from its own first byte (plus one byte when it spans 9).
    let at = count <= 33 ? min(byte & ~3, limit &- 8) : min(byte, limit &- 8)
    let shift = (bitOffset &- at &* 8)
    var word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) &<< UInt64(truncatingIfNeeded: shift)
    if shift &+ count > 64 {
      // Only for a field wider than 56 bits not starting on a byte; then at == byte, the
      // shift is below 8, and byte + 8 < limit.
      word |= UInt64(base.load(fromByteOffset: at &+ 8, as: UInt8.self)) &>> UInt64(truncatingIfNeeded: 8 &- shift)
    }
    return word &>> UInt64(truncatingIfNeeded: 64 &- count)
  }

  /// Moves past `bits` bits, failing when they are not all in the input.
  @inlinable @inline(__always)
  mutating func skip(_ bits: Int) {
    guard bits >= 0, bits <= byteCount &* 8 &- offset else {
      fail()
      return
    }
    offset &+= bits
  }

  /// Takes `bits` bits of binary at the offset, which must be a whole number of bytes starting
  /// on a byte boundary inside the input; gives its byte range (empty on failure).
  @inlinable @inline(__always)
  mutating func readBytes(bits: Int) -> Range<Int> {
    let at = offset
    guard bits >= 0, bits & 7 == 0, at & 7 == 0, bits <= byteCount &* 8 &- at else {
      fail()
      return 0..<0
    }
    offset = at &+ bits
    // bits >= 0 was checked: the bounds are in order.
    return Range(uncheckedBounds: (at &>> 3, (at &+ bits) &>> 3))
  }
}
