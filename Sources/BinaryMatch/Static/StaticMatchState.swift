// `StaticMatchState`: what a static pattern carries while it matches — the input, the bit
// offset and the integers bound so far (for sizes taken from earlier fields).
//
// All of it is a local value of the specialized `match`, so after inlining the optimizer keeps
// it in registers: the offset of every segment before the first variable-size one is a
// constant, and the "does it fit" test of those segments is folded into one length check.
//
// A read gives nil when its segment does not fit, and every pattern returns at the first nil:
// once inlined that is a branch out of the match, so the code after a read sees only inputs
// where it fit — the offset stays one known value instead of "advanced, or not if it failed",
// and later checks fold with it. (Typed throws would read better but cost a runtime call per
// throw, `swift_willThrowTyped`.) It is written to stay small before the optimizer folds it,
// too: Swift's inliner stops inlining into a function of about 400 basic blocks,
// `@inline(__always)` or not, counting a callee's blocks before constants fold them. So a
// segment's position is a constant argument (a counter in the state would reach the slot
// switch as a merge of failure paths, which does not fold), and the bit reader's rare path
// (inputs under 8 bytes) is a call.

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
  @usableFromInline var slots: Slots = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

  @inlinable @inline(__always)
  init(_ input: UnsafeRawBufferPointer, prefixBytes: Int) {
    // An empty buffer may have no base address; nothing is read from it then (every read
    // checks its end against byteCount, which is 0).
    base = input.baseAddress ?? UnsafeRawPointer(bitPattern: 0x10)!
    byteCount = input.count
    self.prefixBytes = prefixBytes
  }

  /// Whether the segments read so far cover the whole input.
  @inlinable @inline(__always)
  var atEnd: Bool { offset == byteCount &* 8 }

  /// Records the value of the segment at `position` (for sizes of later segments).
  @inlinable @inline(__always)
  mutating func bind(_ value: UInt64, at position: Int) {
    Self.store(value, at: position, in: &slots)
  }

  /// Marks the segment at `position` as one whose value cannot be a size.
  @inlinable @inline(__always)
  mutating func bindNothing(at position: Int) { bind(UInt64.max, at: position) }

  /// The value bound by segment `field`, or nil when that is not a segment before `position`
  /// within the slot capacity (then the match fails).
  @inlinable @inline(__always)
  func bound(_ field: Int, before position: Int) -> UInt64? {
    guard field >= 0, field < position, field < Self.slotCapacity else { return nil }
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

  /// Reads `count` (0...64) bits at the offset as an unsigned integer and moves past them;
  /// nil when they are not all in the input or `count` is out of range.
  @inlinable @inline(__always)
  mutating func readBits(_ count: Int) -> UInt64? {
    guard count > 0 else { return count == 0 ? 0 : nil }
    guard count <= 64 else { return nil }
    let at = offset
    let end = at &+ count
    if end <= prefixBytes &* 8 {
      offset = end
      return Self.prefixLoad(base, limit: prefixBytes, bitOffset: at, count: count)
    }
    // Past the fixed prefix (a field sized by another, or after one): one 8-byte load from the
    // field's first byte when the input has those bytes (which also proves the field is in
    // the input); near the end, the load moved back to end at the input's end; a call for
    // inputs under 8 bytes.
    let byte = at &>> 3
    let shift = at & 7
    if byte &+ 8 <= byteCount && shift &+ count <= 64 {
      offset = end
      let word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
      return (word &<< UInt64(truncatingIfNeeded: shift)) &>> UInt64(truncatingIfNeeded: 64 &- count)
    }
    guard end <= byteCount &* 8 else { return nil }
    offset = end
    if byteCount >= 8 {
      return loadBitsWide(base, byteCount: byteCount, bitOffset: at, count: count) &>> UInt64(truncatingIfNeeded: 64 &- count)
    }
    return loadValueOutOfLine(base, byteCount: byteCount, bitOffset: at, count: count)
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

  /// Moves past `bits` bits; false when they are not all in the input.
  @inlinable @inline(__always)
  mutating func skip(_ bits: Int) -> Bool {
    // Inside the fixed prefix (constant offset and width) this folds to nothing.
    if bits >= 0 && bits <= prefixBytes &* 8 &- offset {
      offset &+= bits
      return true
    }
    guard bits >= 0, bits <= byteCount &* 8 &- offset else { return false }
    offset &+= bits
    return true
  }

  /// Takes `bits` bits of binary at the offset, which must be a whole number of bytes starting
  /// on a byte boundary inside the input; gives its byte range, or nil.
  @inlinable @inline(__always)
  mutating func readBytes(bits: Int) -> Range<Int>? {
    let at = offset
    guard bits >= 0, (bits | at) & 7 == 0, bits <= byteCount &* 8 &- at else { return nil }
    offset = at &+ bits
    // bits >= 0 was checked: the bounds are in order.
    return Range(uncheckedBounds: (at &>> 3, (at &+ bits) &>> 3))
  }

  /// Takes the rest of the input as a binary, which must start on a byte boundary; gives its
  /// byte range, or nil. Every read keeps the offset inside the input, so only the boundary is
  /// checked, and the match is then known to cover the whole input.
  @inlinable @inline(__always)
  mutating func readRest() -> Range<Int>? {
    let at = offset
    guard at & 7 == 0 else { return nil }
    offset = byteCount &* 8
    // at <= byteCount * 8: the bounds are in order.
    return Range(uncheckedBounds: (at &>> 3, byteCount))
  }
}
