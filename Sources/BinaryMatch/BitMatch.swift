// `BitMatch`: the result of a successful match, and the typed ways to read it.
//
// A match is plain inline data — a few 64-bit slots and the matched bit range — so returning
// one allocates nothing and retains nothing. Fixed-size integer fields are decoded on access
// from the words the matcher stored; binaries are (offset, length) pairs, turned into views of
// the input by `match[field, in: input]`, which never copies.

/// The values bound by one successful match.
///
/// Read fields through `Field` handles made once from the pattern. The fast way is the
/// closure form of `match`, which hands you the match in place and returns what you build:
/// ```swift
/// let header = try BitPattern("Fin:1, _:3, Opcode:4, Mask:1, Len:7, Rest/binary")
/// let opcode = try header.field("Opcode", as: UInt8.self)
/// let rest = try header.field("Rest", as: ArraySlice<UInt8>.self)
/// let decoded = header.match(bytes) { m in (m[opcode], m[rest, in: bytes]) }   // (UInt8, ArraySlice<UInt8>)?
/// ```
/// A match can also be kept: `if var m = header.match(bytes) { print(m[opcode]) }`.
///
/// Reading a field is a *mutating* getter, like a `lazy var`: it reads the slot in place.
/// A non-mutating read of a slot chosen at run time makes Swift copy the whole match first,
/// which costs more than the read itself; so hold a match in a `var` (or use the closure
/// form, whose parameter is `inout`).
///
/// Binary fields are positions in the input, not copies: pass the same input you matched.
public struct BitMatch: Sendable {
  /// How many 64-bit slots a match holds. Each run of fixed-size integer fields (up to 64
  /// bits) takes one slot, each other integer, float or utf field one, each binary two. A
  /// pattern that needs more is rejected when it is created.
  public static let slotCapacity = 16

  /// The slots, and two more where the matcher stores what no field reads (a word of
  /// literals, a skipped binary's offset and length), so storing never needs a branch.
  @usableFromInline typealias Slots = (
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
  )

  @usableFromInline var slots: Slots
  @usableFromInline var start: Int
  @usableFromInline var end: Int

  /// An empty match, to be filled by `BitPattern.match(_:into:)`.
  @inlinable @inline(__always)
  public init() {
    slots = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    start = 0
    end = 0
  }

  /// Slot `index`, read in place. Indexes come only from `FieldRef`s the compiler made, all
  /// below `slotCapacity` (a `Field` cannot be made any other way), so the read stays inside.
  @inlinable @inline(__always)
  mutating func slot(_ index: UInt8) -> UInt64 {
    withUnsafeMutableBytes(of: &slots) { $0.load(fromByteOffset: Int(index) &* 8, as: UInt64.self) }
  }

  @inlinable @inline(__always)
  mutating func raw(_ ref: FieldRef) -> UInt64 {
    ref.decode(slot(ref.slot))
  }

  /// The bits of the input this match covers, relative to the start of the input.
  /// For a whole-input match that is all of it; for `matches(in:)` it is one element.
  public var bitRange: Range<Int> { start..<end }

  /// An integer (or utf code point) field.
  @inlinable @inline(__always)
  public subscript<T: FixedWidthInteger & BitFieldValue>(field: Field<T>) -> T {
    mutating get {
      // `field(_:as:)` lets an unsigned type read only unsigned fields, and a type of 8 bits
      // or fewer only fields too narrow to be byte-swapped: for those the handle has no flags
      // and the read is known, when Swift compiles it, to be two shifts with no test.
      if !T.isSigned && T.bitWidth <= 8 { return T(truncatingIfNeeded: field.ref.unsignedValue(slot(field.ref.slot))) }
      return T(truncatingIfNeeded: raw(field.ref))
    }
  }

  /// A 1-bit flag.
  @inlinable @inline(__always)
  public subscript(field: Field<Bool>) -> Bool {
    // A 1-bit unsigned field (see `Bool.unreadableReason`): never signed or swapped.
    mutating get { field.ref.unsignedValue(slot(field.ref.slot)) != 0 }
  }

  /// A float field (16-, 32- or 64-bit).
  @inlinable @inline(__always)
  public subscript(field: Field<Double>) -> Double {
    mutating get { Double(bitPattern: slot(field.ref.slot)) }
  }

  /// A float field of at most 32 bits.
  @inlinable @inline(__always)
  public subscript(field: Field<Float>) -> Float {
    mutating get { Float(Double(bitPattern: slot(field.ref.slot))) }
  }

  /// A utf8/utf16/utf32 field.
  @inlinable @inline(__always)
  public subscript(field: Field<Unicode.Scalar>) -> Unicode.Scalar {
    // The matcher only stores valid scalars; U+FFFD is unreachable but keeps this total.
    mutating get { Unicode.Scalar(UInt32(truncatingIfNeeded: slot(field.ref.slot))) ?? "\u{FFFD}" }
  }

  // MARK: - Binaries

  /// Where a binary or bitstring field lies in the input, in bits from its start.
  @inlinable @inline(__always)
  public mutating func bitRange<T>(of field: Field<T>) -> Range<Int> {
    let offset = Int(truncatingIfNeeded: slot(field.ref.slot))
    let length = Int(truncatingIfNeeded: slot(field.ref.slot &+ 1))
    return offset..<(offset &+ length)
  }

  /// Where a byte-aligned binary field lies in the input, in bytes from its start.
  @inlinable @inline(__always)
  public mutating func byteRange(of field: Field<ArraySlice<UInt8>>) -> Range<Int> {
    let bits = bitRange(of: field)
    return (bits.lowerBound &>> 3)..<(bits.upperBound &>> 3)
  }

  /// Where a byte-aligned binary field lies in the input, in bytes from its start.
  @inlinable @inline(__always)
  public mutating func byteRange(of field: Field<UnsafeRawBufferPointer>) -> Range<Int> {
    let bits = bitRange(of: field)
    return (bits.lowerBound &>> 3)..<(bits.upperBound &>> 3)
  }

  /// A binary field as a view of `input` (the bytes that were matched): no copy.
  @inlinable @inline(__always)
  public subscript(field: Field<ArraySlice<UInt8>>, in input: [UInt8]) -> ArraySlice<UInt8> {
    mutating get { input[byteRange(of: field)] }
  }

  /// A binary field as a view of `input` (the slice that was matched): no copy.
  @inlinable @inline(__always)
  public subscript(field: Field<ArraySlice<UInt8>>, in input: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    mutating get {
      let r = byteRange(of: field)
      return input[(input.startIndex + r.lowerBound)..<(input.startIndex + r.upperBound)]
    }
  }

  /// A binary field as a view of `input` (the buffer that was matched): no copy.
  @inlinable @inline(__always)
  public subscript(field: Field<UnsafeRawBufferPointer>, in input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    mutating get { UnsafeRawBufferPointer(rebasing: input[byteRange(of: field)]) }
  }

  /// A binary or bitstring field as a bitstring sharing `input`'s storage: no copy, even when
  /// the field starts inside a byte.
  public subscript(field: Field<Bitstring>, in input: Bitstring) -> Bitstring {
    mutating get { input[bits: bitRange(of: field)] }
  }

  /// A binary or bitstring field of a byte input, sharing its storage.
  public subscript(field: Field<Bitstring>, in input: [UInt8]) -> Bitstring {
    mutating get { Bitstring(input[...])[bits: bitRange(of: field)] }
  }

  /// A binary or bitstring field of a byte input, sharing its storage.
  public subscript(field: Field<Bitstring>, in input: ArraySlice<UInt8>) -> Bitstring {
    mutating get { Bitstring(input)[bits: bitRange(of: field)] }
  }
}
