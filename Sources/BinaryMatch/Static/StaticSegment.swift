// `StaticSegment`: one segment of a pattern whose shape is part of its type.
//
// The runtime `BitPattern` learns a layout when its text is compiled, so each field read
// looks up an offset and a width. A static pattern spells the same layout in types
// (`Seg.U<4>`, `Seg.Lit<4, 4>`, `Seg.Rest`, ...), so once the generic code is specialized for
// a pattern every offset, width and mask is a constant and the reads fold to the loads and
// shifts a person would write. The segment types are in StaticSegments.swift; the patterns
// that combine them in StaticLayouts.swift.

/// One segment of a static bit pattern: a type whose width (or the rule for its width) is
/// known at compile time. The segment types are in the `Seg` namespace; a pattern is a
/// `BitLayoutN` of them (see `StaticBitPattern`).
public protocol StaticSegment {
  /// What matching the segment gives: `UInt64` for an unsigned integer, `Int64` signed, `Bool`
  /// for a flag, `Range<Int>` (byte offsets into the input) for a binary, `Void` for a literal
  /// or a skipped field.
  associatedtype Value
  /// What building the segment takes: like `Value`, but bytes (`[UInt8]`) for a binary.
  associatedtype BuildValue

  /// The width in bits when it is fixed, or -1 when it depends on the input (a size taken
  /// from an earlier field, the rest of the input).
  static var staticBits: Int { get }

  /// Reads the segment at the state's offset and moves past it; nil on input that does not
  /// fit, and never reads outside the input. `position` is the segment's 0-based place in the
  /// pattern (a constant in every `BitLayoutN`): where its value is kept for segments sized
  /// by it.
  static func read(_ state: inout StaticMatchState, at position: Int) -> Value?

  /// Appends the segment for `value`; a value that does not fit records an error in the state.
  static func write(_ value: BuildValue, _ state: inout StaticBuildState)
}
