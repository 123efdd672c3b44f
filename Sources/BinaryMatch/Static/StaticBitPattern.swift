// `StaticBitPattern`: a bit pattern whose layout is a type, matched and built by code the
// optimizer specializes into straight-line loads and shifts.
//
// The patterns themselves are the `BitLayout1` ... `BitLayout16` types (StaticLayouts.swift),
// one per number of segments; this file is what they share: `match` and `build`.
//
// Why fixed arities and not a parameter pack (`BitLayout<each S>`)? Both type-check, but
// Swift 6.3 does not specialize pack expansions over a type pack: each segment's read stays
// a call through the pack's witness tables, ~50 ns for the IPv4 header against ~4 ns for
// the same work in plain generics (see the bitmatch benchmark notes in README).

/// A bit pattern whose segments are types, so matching it compiles to the code a person
/// would write by hand. Write one as a `BitLayoutN` type or with `bitLayout { ... }`:
///
/// ```swift
/// // <<4:4, IHL:4, DSCP:6, ECN:2, TotalLength:16, ..., Options:(IHL - 5)/binary-unit:32, Rest/binary>>
/// typealias IPv4 = BitLayout15<
///   Seg.Lit<4, 4>, Seg.U<4>, Seg.U<6>, Seg.U<2>, Seg.U<16>, Seg.U<16>, Seg.U<3>, Seg.U<13>,
///   Seg.U<8>, Seg.U<8>, Seg.U<16>, Seg.U<32>, Seg.U<32>, Seg.BytesSizedBy<1, -5, 32>, Seg.Rest>
/// if let (_, ihl, dscp, _, length, _, _, _, ttl, proto, _, src, dst, options, payload) = IPv4.match(bytes) { ... }
/// let header = try IPv4.build(((), 5, 0, 0, 20, 0, 0, 0, 64, 6, 0, src, dst, [], []))
/// ```
///
/// Matching has the same guarantees as `BitPattern`: it never traps and never reads outside
/// the input, on any input; the whole input must be covered (end with `Seg.Rest` to allow
/// more); binaries come back as byte ranges of the input (slice it: no copy). Segments before
/// the first variable-size one are checked with one length test.
public protocol StaticBitPattern {
  /// The values a match gives, one per segment (`Void` for literals and skips).
  associatedtype Value
  /// The values building takes, one per segment (`[UInt8]` for binaries).
  associatedtype BuildValue

  /// The bits of the segments before the first one whose size is not fixed.
  static var prefixBits: Int { get }
  /// Reads every segment in turn; nil at the first that does not match.
  static func read(_ state: inout StaticMatchState) -> Value?
  /// Writes every segment in turn.
  static func write(_ value: BuildValue, _ state: inout StaticBuildState)
}

extension StaticBitPattern {
  /// The values of `input` when it matches the whole pattern, else nil.
  @inlinable @inline(__always)
  public static func match(_ input: UnsafeRawBufferPointer) -> Value? {
    let prefixBytes = (prefixBits &+ 7) &>> 3
    guard input.count >= prefixBytes else { return nil }
    var state = StaticMatchState(input, prefixBytes: prefixBytes)
    guard let value = read(&state), state.atEnd else { return nil }
    return value
  }

  /// The values of `input` when it matches the whole pattern, else nil. Byte ranges are
  /// offsets into `input`.
  @inlinable
  public static func match(_ input: [UInt8]) -> Value? {
    input.withUnsafeBytes { match($0) }
  }

  /// The values of `input` when it matches the whole pattern, else nil. Byte ranges are
  /// offsets from `input.startIndex` (`input[input.startIndex + r.lowerBound ...]`).
  @inlinable
  public static func match(_ input: ArraySlice<UInt8>) -> Value? {
    input.withUnsafeBytes { match($0) }
  }

  /// The bytes for `value`: every integer must fit its segment, every binary have the size
  /// its segment gives (a size field must agree with its binary), and the total be whole bytes.
  @inlinable
  public static func build(_ value: BuildValue) throws(BitBuildError) -> [UInt8] {
    var state = StaticBuildState(capacity: (max(prefixBits, 0) &+ 7) &>> 3)
    write(value, &state)
    return try state.finished()
  }

  /// Instance spelling of `Self.match(_:)`, for patterns made with `bitLayout { ... }`.
  @inlinable @inline(__always)
  public func match(_ input: UnsafeRawBufferPointer) -> Value? { Self.match(input) }

  /// Instance spelling of `Self.match(_:)`.
  @inlinable
  public func match(_ input: [UInt8]) -> Value? { Self.match(input) }

  /// Instance spelling of `Self.build(_:)`.
  @inlinable
  public func build(_ value: BuildValue) throws(BitBuildError) -> [UInt8] { try Self.build(value) }
}

/// Adds a segment's fixed width to a running prefix, which stops growing at the first segment
/// without one. With constant widths this folds to a constant.
@inlinable @inline(__always)
func extendPrefix(_ prefix: inout Int, _ open: inout Bool, _ bits: Int) {
  guard open else { return }
  if bits < 0 { open = false } else { prefix &+= bits }
}
