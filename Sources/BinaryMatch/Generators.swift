// Comprehensions: matching a pattern over and over along a binary (Erlang's `<<X>> <= Bin`).
//
// Erlang's binary comprehensions map onto Swift as follows.
// - `[F(X) || <<X:8>> <= Bin]` (relaxed generator): `pattern.matches(in: bin).map { ... }`.
//   An element that does not match but has the pattern's sizes is skipped, and trailing bits
//   too short for the pattern are ignored, exactly as Erlang does.
// - `<<X:8>> <:= Bin` (strict generator, OTP 28): `try pattern.strictMatches(in: bin)`, which
//   throws `BitMatchError` unless the input splits exactly into matching elements.
// - `P <= A && Q <= B` (zip generator, OTP 28): `try zipMatches(p.matches(in: a), q.matches(in: b))`,
//   which throws when the generators have different lengths (`bad_generators`).
// - `<< <<(X*2)>> || ... >>` (building a binary): call `build(_:appendingTo:)` once per
//   element on one `Bitstring`; filters are plain `where` clauses or `if`s.

/// The successive matches of a pattern along an input: the first at its start, each next one
/// where the previous ended. Offsets in each `BitMatch` count from the start of the whole
/// input, so `match[field, in: input]` takes the same input for every element.
public struct BitMatches: Sequence, Sendable {
  let program: Program
  let input: Bitstring

  init(program: Program, input: Bitstring) {
    self.program = program
    self.input = input
  }

  public func makeIterator() -> Iterator { Iterator(program: program, input: input) }

  /// Walks the matches; `bitOffset` says where the next one would start, so a stream decoder
  /// knows which bits are left over when iteration ends.
  public struct Iterator: IteratorProtocol, Sendable {
    let program: Program
    let input: Bitstring
    /// Bits consumed so far, from the start of the input.
    public private(set) var bitOffset = 0

    init(program: Program, input: Bitstring) {
      self.program = program
      self.input = input
    }

    public mutating func next() -> BitMatch? {
      while true {
        switch step() {
        case .matched(let m): return m
        case .skipped: continue
        case .exhausted, .stuck: return nil
        }
      }
    }

    enum Step {
      case matched(BitMatch)
      case skipped
      case exhausted
      case stuck
    }

    /// One element: a match, an element skipped (it has the pattern's sizes but not its
    /// values), the end of the input, or leftover bits that fit no element.
    mutating func step() -> Step {
      if bitOffset == input.bitCount { return .exhausted }
      let offset = bitOffset
      let (matched, skipTo) = input.withUnsafeBits { base, byteCount, origin -> (BitMatch?, Int) in
        let start = origin + offset
        let end = origin + input.bitCount
        var m = BitMatch()
        let stop = withUnsafeMutableBytes(of: &m.slots) { raw in
          runPlan(
            program.plan, base: base, byteCount: byteCount, origin: origin, start: start, end: end,
            slots: raw.baseAddress!.assumingMemoryBound(to: UInt64.self))
        }
        if stop > start {
          m.start = offset
          m.end = stop - origin
          return (m, stop - origin)
        }
        if stop == start { return (nil, -1) }  // an empty element would repeat forever
        var scratch = BitMatch()
        let skip = withUnsafeMutableBytes(of: &scratch.slots) { raw in
          runPlan(
            program.skeleton, base: base, byteCount: byteCount, origin: origin, start: start, end: end,
            slots: raw.baseAddress!.assumingMemoryBound(to: UInt64.self))
        }
        return (nil, skip > start ? skip - origin : -1)
      }
      if let m = matched {
        bitOffset = skipTo
        return .matched(m)
      }
      if skipTo > 0 {
        bitOffset = skipTo
        return .skipped
      }
      return .stuck
    }
  }
}

extension BitPattern {
  /// Matches the pattern repeatedly along `input` (Erlang's relaxed generator `<= `): elements
  /// that do not match are skipped, trailing bits too short for an element are ignored.
  public func matches(in input: Bitstring) -> BitMatches { BitMatches(program: program, input: input) }

  /// See `matches(in: Bitstring)`.
  public func matches(in input: [UInt8]) -> BitMatches { matches(in: Bitstring(input[...])) }

  /// See `matches(in: Bitstring)`.
  public func matches(in input: ArraySlice<UInt8>) -> BitMatches { matches(in: Bitstring(input)) }

  /// Erlang's strict generator (`<:=`, OTP 28): the input must split exactly into elements
  /// that all match. Checks the whole input first (one pass), then returns the matches.
  public func strictMatches(in input: Bitstring) throws(BitMatchError) -> BitMatches {
    let all = matches(in: input)
    var it = all.makeIterator()
    while true {
      let at = it.bitOffset
      switch it.step() {
      case .matched: continue
      case .exhausted: return all
      case .skipped: throw BitMatchError(bitOffset: at, message: "the element here does not match \(program.text)")
      case .stuck:
        throw BitMatchError(bitOffset: at, message: "\(input.bitCount - at) bits are left over that do not match \(program.text)")
      }
    }
  }

  /// See `strictMatches(in: Bitstring)`.
  public func strictMatches(in input: [UInt8]) throws(BitMatchError) -> BitMatches { try strictMatches(in: Bitstring(input[...])) }

  /// See `strictMatches(in: Bitstring)`.
  public func strictMatches(in input: ArraySlice<UInt8>) throws(BitMatchError) -> BitMatches { try strictMatches(in: Bitstring(input)) }
}

/// Erlang's zip generator (`P <= A && Q <= B`, OTP 28): pairs the n-th element of each
/// sequence. A round where either element is skipped (does not match) is skipped as a whole;
/// when one runs out before the other, this throws (Erlang's `bad_generators`).
public func zipMatches(_ first: BitMatches, _ second: BitMatches) throws(BitMatchError) -> [(BitMatch, BitMatch)] {
  var a = first.makeIterator()
  var b = second.makeIterator()
  var out: [(BitMatch, BitMatch)] = []
  while true {
    let atA = a.bitOffset
    let atB = b.bitOffset
    let x = a.step()
    let y = b.step()
    switch (x, y) {
    case (.matched(let m), .matched(let n)):
      out.append((m, n))
    case (.exhausted, .exhausted), (.stuck, .stuck), (.exhausted, .stuck), (.stuck, .exhausted):
      return out
    case (.exhausted, _), (.stuck, _):
      throw BitMatchError(
        bitOffset: atB, message: "the first generator ended after \(out.count) elements but the second goes on (bad_generators)")
    case (_, .exhausted), (_, .stuck):
      throw BitMatchError(bitOffset: atA, message: "the second generator ended but the first goes on (bad_generators)")
    default:
      continue  // one side skipped an element: skip the round
    }
  }
}
