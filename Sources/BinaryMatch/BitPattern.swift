// `BitPattern`: a pattern in Erlang's bit syntax, compiled once, used to match and to build.
//
// This file is the public face: creating a pattern, and the typed field handles. Matching is
// in Matcher.swift, building in Builder.swift, repeated matching (comprehensions) in
// Generators.swift.

/// A binary pattern in Erlang's bit syntax, compiled once and then used both to match bytes
/// and to build them.
///
/// ```swift
/// let frame = try BitPattern("Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7, Key:Mask/unit:32, Payload:Len/binary")
/// let opcode = try frame.field("Opcode", as: UInt8.self)
/// let payload = try frame.field("Payload", as: ArraySlice<UInt8>.self)
/// // Match and read in one step (nil when the bytes do not match):
/// let decoded = frame.match(bytes) { m in (m[opcode], m[payload, in: bytes]) }
/// // Build with the same pattern (Len is inferred from the payload):
/// let ping = try frame.build(["Fin": 1, "Rsv": 0, "Opcode": 9, "Mask": 0, "Key": 0, "Payload": "hi"])
/// ```
///
/// **Notation.** Segments are `Value`, `Value:Size`, `Value/Specifiers` or
/// `Value:Size/Specifiers`, separated by commas; `<< >>` around them is optional.
/// - Value: a name (`Len`, `payload`; unlike Erlang, lower-case names are names too, since
///   there are no atoms here), `_` to skip, or a literal: an integer (`42`, `-1`, `16#FF`,
///   `2#1010`, `$a`), a float (`1.5`, needs `/float`), or a string (`"GET "`: one 8-bit
///   segment per character, or its UTF encoding with `/utf8`, `/utf16`, `/utf32`).
/// - Size: an integer, a name bound earlier in the pattern, or a parenthesised expression
///   over such names (`(IHL - 5)`, `((Len - 1) * 8)`) with `+ - * div rem band bor bxor bsl
///   bsr bnot`. Bits = size × unit.
/// - Specifiers, joined with `-`: type `integer` (default), `float`, `binary` (= `bytes`),
///   `bitstring` (= `bits`), `utf8`, `utf16`, `utf32`; `signed` / `unsigned` (default);
///   `big` (default) / `little` / `native`; `unit:1..256`.
/// - Defaults: integer 8 bits, float 64 bits, binary and bitstring take the rest of the input
///   (only allowed as the last segment), unit 1 except 8 for binary.
///
/// **Differences from Erlang**, all reported when the pattern is created: integer segments are
/// at most 64 bits (no bignums); a literal must fit its segment (Erlang's construction would
/// silently truncate it); a name may appear twice only for integer segments (the two values
/// must be equal); binary patterns cannot be nested — `<<A, <<B>>/binary>>` is rejected, as in
/// Erlang — match the inner binary with a second pattern instead.
///
/// Patterns are immutable and `Sendable`; create them once (e.g. as `static let`) and share.
public struct BitPattern: Sendable, CustomStringConvertible {
  /// Whether a pattern will be used to match, or only to build.
  public enum Mode: Sendable {
    /// Match and build (Erlang's matching rules: a size-less binary only at the end, sizes
    /// only from fields bound earlier).
    case matchAndBuild
    /// Only build, with Erlang's construction rules: size-less binaries anywhere
    /// (`A/binary, B/bitstring` concatenates), and sizes may name values that are not
    /// segments (passed to `build` as parameters). Matching a build-only pattern returns nil.
    case buildOnly
  }

  @usableFromInline let program: Program

  /// Compiles `text`. Throws `BitPatternError` naming the column of the first problem.
  public init(_ text: String, mode: Mode = .matchAndBuild) throws(BitPatternError) {
    program = try Program(text: text, buildOnly: mode == .buildOnly)
  }

  /// The pattern text.
  public var text: String { program.text }
  public var description: String { "BitPattern(\(program.text))" }

  /// The names the pattern binds, in order.
  public var fieldNames: [String] { program.fieldOrder }

  /// What the pattern says about a field, or nil when it binds no such name.
  public func shape(of name: String) -> FieldShape? { program.fields[name]?.shape }

  /// A typed handle for reading field `name` from matches, checked once here: the field must
  /// exist and fit `type` (a 16-bit unsigned field reads as `UInt16`, `UInt32`, `Int`...;
  /// a signed one only as a signed type; a binary as `ArraySlice<UInt8>` only when it is
  /// always byte-aligned, else as `Bitstring`).
  public func field<T: BitFieldValue>(_ name: String, as type: T.Type = T.self) throws(BitPatternError) -> Field<T> {
    guard let info = program.fields[name] else {
      let known = program.fieldOrder.isEmpty ? "it binds no names" : "its fields are \(program.fieldOrder.joined(separator: ", "))"
      throw BitPatternError(column: 0, message: "the pattern has no field '\(name)'; \(known)", pattern: program.text)
    }
    if let reason = T.unreadableReason(info.shape) {
      throw BitPatternError(column: info.column, message: "field '\(name)' cannot be read as \(T.self): \(reason)", pattern: program.text)
    }
    return Field(ref: info.ref)
  }

  /// Every bound field of `match` by name, as dynamic values (for printing, tests, and
  /// rebuilding with `build(_:)`). `input` must be what was matched; binaries share its storage.
  public func values(of match: BitMatch, in input: Bitstring) -> [String: BitValue] {
    var match = match
    var out: [String: BitValue] = [:]
    for name in program.fieldOrder {
      guard let info = program.fields[name] else { continue }
      let raw = match.raw(info.ref)
      switch info.shape.type {
      case .integer:
        out[name] = info.shape.isSigned ? .int(Int64(bitPattern: raw)) : .uint(raw)
      case .utf8, .utf16, .utf32:
        out[name] = .uint(raw)
      case .float:
        out[name] = .float(Double(bitPattern: match.slot(info.ref.slot)))
      case .binary, .bitstring:
        let offset = Int(truncatingIfNeeded: match.slot(info.ref.slot))
        let length = Int(truncatingIfNeeded: match.slot(info.ref.slot + 1))
        out[name] = .bits(input[bits: offset..<(offset + length)])
      }
    }
    return out
  }

  /// Every bound field of `match` by name; see `values(of:in:)`.
  public func values(of match: BitMatch, in input: [UInt8]) -> [String: BitValue] {
    values(of: match, in: Bitstring(input[...]))
  }

  /// Every bound field of `match` by name; see `values(of:in:)`.
  public func values(of match: BitMatch, in input: ArraySlice<UInt8>) -> [String: BitValue] {
    values(of: match, in: Bitstring(input))
  }
}
