// Typed handles to a pattern's fields, and the types a field can be read as.
//
// A `Field<Value>` is obtained once from a pattern (`pattern.field("Len", as: UInt16.self)`),
// which checks that the segment can be read as `Value` (an 16-bit unsigned integer fits a
// `UInt16`, a 7-bit one too, a signed one does not). Reading it from a match is then a couple
// of shifts: matching stores whole 64-bit words of fixed-size fields, and the handle knows
// where its bits sit in the word.

/// What a segment holds: Erlang's segment types (`bytes` and `bits` are spelled `binary` and
/// `bitstring` here).
public enum SegmentType: String, Sendable, CustomStringConvertible {
  case integer, float, binary, bitstring, utf8, utf16, utf32
  public var description: String { rawValue }
}

/// What a pattern says about a field: the facts that decide which Swift types can hold it.
public struct FieldShape: Sendable, Equatable, CustomStringConvertible {
  /// The segment's type.
  public let type: SegmentType
  /// Whether an integer segment is signed.
  public let isSigned: Bool
  /// The width in bits when the pattern fixes it; nil when it depends on the input
  /// (integers and floats are never wider than 64 bits).
  public let bitWidth: Int?
  /// Whether the field starts on a byte boundary of the input, whatever the input.
  public let isByteAligned: Bool
  /// Whether the field's length is a whole number of bytes, whatever the input.
  public let isWholeBytes: Bool

  public var description: String {
    let width = bitWidth.map { "\($0)-bit" } ?? "variable-size"
    let sign = type == .integer ? (isSigned ? " signed" : " unsigned") : ""
    return "a \(width)\(sign) \(type) segment"
  }
}

/// Where a field's value lives in a match: a slot, and for fields packed into a 64-bit word,
/// the shifts that extract it.
@usableFromInline
struct FieldRef: Sendable, Hashable {
  @usableFromInline static let signed: UInt8 = 1
  @usableFromInline static let swap: UInt8 = 2

  @usableFromInline var slot: UInt8
  @usableFromInline var shiftLeft: UInt8
  @usableFromInline var shiftRight: UInt8
  @usableFromInline var flags: UInt8

  init(slot: UInt8 = 0, shiftLeft: UInt8 = 0, shiftRight: UInt8 = 0, flags: UInt8 = 0) {
    self.slot = slot
    self.shiftLeft = shiftLeft
    self.shiftRight = shiftRight
    self.flags = flags
  }

  /// The value of an unsigned big-endian field (`flags == 0`) from its raw slot word.
  @inlinable @inline(__always)
  func unsignedValue(_ raw: UInt64) -> UInt64 {
    (raw &<< UInt64(truncatingIfNeeded: shiftLeft)) &>> UInt64(truncatingIfNeeded: shiftRight)
  }

  /// The field's value from the raw slot word: zero- or sign-extended to 64 bits.
  @inlinable @inline(__always)
  func decode(_ raw: UInt64) -> UInt64 {
    // Most fields are unsigned big-endian: two shifts.
    if _fastPath(flags == 0) { return unsignedValue(raw) }
    return decodeSignedOrSwapped(raw &<< UInt64(truncatingIfNeeded: shiftLeft))
  }

  @inlinable
  func decodeSignedOrSwapped(_ shifted: UInt64) -> UInt64 {
    var v = shifted
    if flags & FieldRef.swap != 0 { v = (v &>> UInt64(truncatingIfNeeded: shiftRight)).byteSwapped }
    if flags & FieldRef.signed != 0 {
      return UInt64(bitPattern: Int64(bitPattern: v) &>> Int64(truncatingIfNeeded: shiftRight))
    }
    return v &>> UInt64(truncatingIfNeeded: shiftRight)
  }

  @inlinable @inline(__always)
  func value(_ slots: UnsafePointer<UInt64>) -> UInt64 { decode(slots[Int(slot)]) }

  /// Whether two integer fields hold the same integer (a name used twice). Compared as
  /// Erlang does: a signed -1 is not the unsigned 2^64 - 1 its 64 bits also spell.
  @inlinable
  func hasSameValue(as other: FieldRef, _ slots: UnsafePointer<UInt64>) -> Bool {
    let a = value(slots)
    let sameSign = (flags & FieldRef.signed != 0) == (other.flags & FieldRef.signed != 0)
    return a == other.value(slots) && (sameSign || a >> 63 == 0)
  }

  /// The value as `Int64`, or nil for an unsigned value above `Int64.max`.
  @inlinable @inline(__always)
  func signedValue(_ slots: UnsafePointer<UInt64>) -> Int64? {
    let v = value(slots)
    if flags & FieldRef.signed != 0 || v >> 63 == 0 { return Int64(bitPattern: v) }
    return nil
  }
}

/// A typed handle to one named field of a `BitPattern`, read from a `BitMatch` with
/// `match[field]` (or `match[field, in: input]` for binaries).
///
/// Create it once, next to the pattern (`try pattern.field("Len", as: UInt16.self)`); it is
/// four bytes, and reading it costs a few shifts. It is only meaningful for matches of the
/// pattern that made it.
public struct Field<Value: BitFieldValue>: Sendable, Hashable {
  @usableFromInline let ref: FieldRef

  init(ref: FieldRef) { self.ref = ref }
}

/// A Swift type a field can be read as. BinaryMatch provides the conformances: the fixed-width
/// integers, `Bool` (1-bit unsigned fields), `Double` and `Float`, `Unicode.Scalar` (utf
/// segments), and for binaries `ArraySlice<UInt8>`, `UnsafeRawBufferPointer` and `Bitstring`.
public protocol BitFieldValue {
  /// Why a field of this shape cannot be read as `Self`, or nil when it can.
  static func unreadableReason(_ shape: FieldShape) -> String?
}

extension BitFieldValue where Self: FixedWidthInteger {
  public static func unreadableReason(_ shape: FieldShape) -> String? {
    let typeName = "\(Self.self)"
    switch shape.type {
    case .utf8, .utf16, .utf32:
      return bitWidth >= 21 + (isSigned ? 1 : 0) ? nil : "\(typeName) cannot hold every code point; use UInt32 or Unicode.Scalar"
    case .integer:
      let width = shape.bitWidth ?? 64
      if shape.isSigned {
        guard isSigned else {
          return "the field is signed; read it as a signed type such as Int\(Swift.max(8, width.roundedUpToPowerOfTwo))"
        }
        return bitWidth >= width ? nil : "the field is \(width) bits wide; \(typeName) holds \(bitWidth)"
      }
      let needed = isSigned ? width + 1 : width
      if bitWidth >= needed { return nil }
      if shape.bitWidth == nil {
        return
          "the field's width depends on the input (up to 64 bits); read it as \(isSigned ? "Int64 only if it is declared signed" : "UInt64")"
      }
      return "the field is \(width) bits wide\(isSigned ? " and unsigned" : ""); \(typeName) holds \(isSigned ? bitWidth - 1 : bitWidth)"
    default:
      return "the field is \(shape); read it as \(shape.type == .float ? "Double" : "ArraySlice<UInt8> or Bitstring")"
    }
  }
}

extension Int {
  fileprivate var roundedUpToPowerOfTwo: Int {
    var p = 1
    while p < self { p <<= 1 }
    return p
  }
}

extension UInt8: BitFieldValue {}
extension UInt16: BitFieldValue {}
extension UInt32: BitFieldValue {}
extension UInt64: BitFieldValue {}
extension UInt: BitFieldValue {}
extension Int8: BitFieldValue {}
extension Int16: BitFieldValue {}
extension Int32: BitFieldValue {}
extension Int64: BitFieldValue {}
extension Int: BitFieldValue {}

extension Bool: BitFieldValue {
  public static func unreadableReason(_ shape: FieldShape) -> String? {
    shape.type == .integer && !shape.isSigned && shape.bitWidth == 1
      ? nil : "Bool reads 1-bit unsigned integer fields; the field is \(shape)"
  }
}

extension Double: BitFieldValue {
  public static func unreadableReason(_ shape: FieldShape) -> String? {
    shape.type == .float ? nil : "Double reads float fields; the field is \(shape)"
  }
}

extension Float: BitFieldValue {
  public static func unreadableReason(_ shape: FieldShape) -> String? {
    guard shape.type == .float else { return "Float reads float fields; the field is \(shape)" }
    guard let w = shape.bitWidth, w <= 32 else { return "the field may be a 64-bit float; read it as Double" }
    return nil
  }
}

extension Unicode.Scalar: BitFieldValue {
  public static func unreadableReason(_ shape: FieldShape) -> String? {
    [.utf8, .utf16, .utf32].contains(shape.type) ? nil : "Unicode.Scalar reads utf8/utf16/utf32 fields; the field is \(shape)"
  }
}

/// Binary fields read as byte views need whole bytes at a byte boundary.
private func byteViewReason(_ shape: FieldShape, _ typeName: String) -> String? {
  guard shape.type == .binary || shape.type == .bitstring else { return "\(typeName) reads binary fields; the field is \(shape)" }
  guard shape.isByteAligned else { return "the field may start inside a byte; read it as Bitstring" }
  guard shape.isWholeBytes else { return "the field may not be a whole number of bytes; read it as Bitstring" }
  return nil
}

extension ArraySlice: BitFieldValue where Element == UInt8 {
  public static func unreadableReason(_ shape: FieldShape) -> String? { byteViewReason(shape, "ArraySlice<UInt8>") }
}

extension UnsafeRawBufferPointer: BitFieldValue {
  public static func unreadableReason(_ shape: FieldShape) -> String? { byteViewReason(shape, "UnsafeRawBufferPointer") }
}

extension Bitstring: BitFieldValue {
  public static func unreadableReason(_ shape: FieldShape) -> String? {
    shape.type == .binary || shape.type == .bitstring ? nil : "Bitstring reads binary and bitstring fields; the field is \(shape)"
  }
}
