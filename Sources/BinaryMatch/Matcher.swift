// The matcher: runs a compiled program over raw bytes in one forward pass.
//
// It reads through `UnsafeRawPointer` but never outside the buffer: a block first checks that
// all its bits lie before `end` and reads each word with one 8-byte load only when the buffer
// holds all such loads read (else it reads the same bits byte by byte), every other operation
// checks its own bits,
// sizes are computed with overflow checks (or proven unable to overflow), and a failure
// anywhere returns -1 (no match) — matching cannot trap. The only memory written is the
// result's inline slots; nothing is allocated.

/// Runs a plan from bit `start`. Returns the bit position after the last segment, or -1
/// when the input does not match. Binary offsets are stored relative to `origin`.
///
/// What common headers are made of — blocks of words, binaries, big-endian integers sized by
/// a field, a tail — runs inline here; the rest goes through `runSegment`.
@inlinable @inline(__always)
func runPlan(
  _ plan: Plan, base: UnsafeRawPointer, byteCount: Int, origin: Int, start: Int, end: Int,
  slots: UnsafeMutablePointer<UInt64>
) -> Int {
  var pos = start
  var op = UnsafePointer(plan.ops)
  let last = op + plan.opCount
  while op < last {
    switch op.pointee.code {
    case .block:
      let fixedBits = op.pointee.offset
      guard fixedBits <= end &- pos else { return -1 }
      let wordsEnd = op + 1 + Int(truncatingIfNeeded: op.pointee.words)
      guard loadWords(op, end: wordsEnd, base: base, byteCount: byteCount, at: pos, slots: slots)
      else { return -1 }
      let extras = Int(truncatingIfNeeded: op.pointee.extras)
      if extras > 0 {
        guard
          runExtras(
            wordsEnd, count: extras, steps: plan.steps, base: base, byteCount: byteCount, origin: origin,
            blockStart: pos, end: end, slots: slots)
        else { return -1 }
      }
      pos &+= fixedBits
      op = wordsEnd + extras

    case .binary:
      let n = segmentBits(op, steps: plan.steps, slots: slots)
      guard UInt(bitPattern: n) <= UInt(bitPattern: end &- pos) else { return -1 }
      let dest = Int(op.pointee.dest)
      slots[dest] = UInt64(truncatingIfNeeded: pos &- origin)
      slots[dest &+ 1] = UInt64(truncatingIfNeeded: n)
      pos &+= n
      op += 1

    case .integer where op.pointee.flags & ~(Op.signed | Op.smallAffine) == 0:
      // Big-endian, no literal or repeat to compare: read and store.
      let n = segmentBits(op, steps: plan.steps, slots: slots)
      guard UInt(bitPattern: n) <= 64, n <= end &- pos else { return -1 }
      var v = loadValue(base, byteCount: byteCount, bitOffset: pos, count: n)
      if op.pointee.flags & Op.signed != 0 && n > 0 { v = signExtend(v, count: n) }
      slots[Int(op.pointee.dest)] = v
      pos &+= n
      op += 1

    case .tail:
      let n = end &- pos
      let mask = Int(truncatingIfNeeded: op.pointee.k0)
      guard mask >= 0 ? n & mask == 0 : n % Int(truncatingIfNeeded: op.pointee.bits) == 0 else { return -1 }
      let dest = Int(op.pointee.dest)
      slots[dest] = UInt64(truncatingIfNeeded: pos &- origin)
      slots[dest &+ 1] = UInt64(truncatingIfNeeded: n)
      pos = end
      op += 1

    default:
      pos = runSegment(op, at: pos, steps: plan.steps, base: base, byteCount: byteCount, origin: origin, end: end, slots: slots)
      if pos < 0 { return -1 }
      op += 1
    }
  }
  return pos
}

/// `runPlan` as a call: what `Program.run` uses for plans without a fast form, so that the
/// operation walker is not inlined (unused) next to every fast plan's caller.
@usableFromInline @inline(never)
func runPlanOutOfLine(
  _ plan: Plan, base: UnsafeRawPointer, byteCount: Int, origin: Int, start: Int, end: Int,
  slots: UnsafeMutablePointer<UInt64>
) -> Int {
  runPlan(plan, base: base, byteCount: byteCount, origin: origin, start: start, end: end, slots: slots)
}

/// Loads a block's words, the block starting at bit `at`; false when a literal differs.
/// The caller has checked that the whole block lies inside the input.
@inlinable @inline(__always)
func loadWords(
  _ block: UnsafePointer<Op>, end last: UnsafePointer<Op>, base: UnsafeRawPointer, byteCount: Int, at: Int,
  slots: UnsafeMutablePointer<UInt64>
) -> Bool {
  var w = block + 1
  let byte = at &>> 3
  if _fastPath(at & 7 == block.pointee.alignment && byteCount &- byte >= block.pointee.span) {
    // The block starts where its loads expect and the buffer holds all they read: each word
    // is one 8-byte load at a constant byte and a constant shift.
    let p = base + byte
    while w < last {
      let raw = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: w.pointee.loadAt), as: UInt64.self))
      let word = raw &<< UInt64(truncatingIfNeeded: w.pointee.loadShift)
      guard word & w.pointee.mask == w.pointee.literal else { return false }
      slots[Int(w.pointee.dest)] = word
      w += 1
    }
  } else {
    // Started elsewhere in a byte (a bitstring), or a short buffer: the same bits, read
    // without touching memory past the buffer.
    while w < last {
      let word = loadBits(base, byteCount: byteCount, bitOffset: at &+ w.pointee.offset, count: Int(truncatingIfNeeded: w.pointee.bits))
      guard word & w.pointee.mask == w.pointee.literal else { return false }
      slots[Int(w.pointee.dest)] = word
      w += 1
    }
  }
  return true
}

/// Runs a block's other operations (checks, floats, binaries, integers that are not part of a
/// word), each at its offset from `blockStart`; false when one fails.
@usableFromInline
func runExtras(
  _ first: UnsafePointer<Op>, count: Int, steps: UnsafePointer<SizeStep>, base: UnsafeRawPointer, byteCount: Int,
  origin: Int, blockStart: Int, end: Int, slots: UnsafeMutablePointer<UInt64>
) -> Bool {
  for i in 0..<count {
    let op = first + i
    let at = blockStart &+ op.pointee.offset
    if runSegment(op, at: at, steps: steps, base: base, byteCount: byteCount, origin: origin, end: end, slots: slots) < 0 {
      return false
    }
  }
  return true
}

/// Runs one operation other than a block or a word at bit `pos`: the position after it, or -1.
@usableFromInline
func runSegment(
  _ op: UnsafePointer<Op>, at pos: Int, steps: UnsafePointer<SizeStep>, base: UnsafeRawPointer, byteCount: Int,
  origin: Int, end: Int, slots: UnsafeMutablePointer<UInt64>
) -> Int {
  let flags = op.pointee.flags
  let dest = Int(op.pointee.dest)
  switch op.pointee.code {
  case .check:
    return op.pointee.sizeField.hasSameValue(as: op.pointee.other, slots) ? pos : -1

  case .integer:
    let n = segmentBits(op, steps: steps, slots: slots)
    guard UInt(bitPattern: n) <= 64, n <= end &- pos else { return -1 }
    var v = loadValue(base, byteCount: byteCount, bitOffset: pos, count: n)
    if flags & Op.little != 0 { v = streamToLittle(v, count: n) }
    if flags & Op.signed != 0 && n > 0 { v = signExtend(v, count: n) }
    if flags & Op.literal != 0 && v != op.pointee.literal { return -1 }
    if flags & Op.repeats != 0 {
      let other = op.pointee.other
      let sameSign = (flags & Op.signed != 0) == (other.flags & FieldRef.signed != 0)
      guard v == other.value(slots) && (sameSign || v >> 63 == 0) else { return -1 }
    }
    slots[dest] = v
    return pos &+ n

  case .float:
    let n = segmentBits(op, steps: steps, slots: slots)
    guard n == 64 || n == 32 || n == 16, n <= end &- pos else { return -1 }
    var v = loadValue(base, byteCount: byteCount, bitOffset: pos, count: n)
    if flags & Op.little != 0 { v = streamToLittle(v, count: n) }
    let value: Double
    switch n {
    case 64: value = Double(bitPattern: v)
    case 32: value = Double(Float(bitPattern: UInt32(truncatingIfNeeded: v)))
    default: value = doubleFromHalf(UInt16(truncatingIfNeeded: v))
    }
    guard value.isFinite else { return -1 }
    if flags & Op.literal != 0 && value != Double(bitPattern: op.pointee.literal) { return -1 }
    slots[dest] = value.bitPattern
    return pos &+ n

  case .binary:
    let n = segmentBits(op, steps: steps, slots: slots)
    guard UInt(bitPattern: n) <= UInt(bitPattern: end &- pos) else { return -1 }
    slots[dest] = UInt64(truncatingIfNeeded: pos &- origin)
    slots[dest &+ 1] = UInt64(truncatingIfNeeded: n)
    return pos &+ n

  case .tail:
    let n = end &- pos
    let mask = Int(truncatingIfNeeded: op.pointee.k0)
    guard mask >= 0 ? n & mask == 0 : n % Int(truncatingIfNeeded: op.pointee.bits) == 0 else { return -1 }
    slots[dest] = UInt64(truncatingIfNeeded: pos &- origin)
    slots[dest &+ 1] = UInt64(truncatingIfNeeded: n)
    return end

  case .utf8, .utf16, .utf32:
    let (scalar, n) = decodeUTF(
      op.pointee.code, little: flags & Op.little != 0,
      base: base, byteCount: byteCount, pos: pos, available: end &- pos)
    guard n > 0 else { return -1 }
    slots[dest] = UInt64(scalar)
    return pos &+ n

  case .block, .word:
    return -1  // handled by `runPlan`; never dispatched here
  }
}

/// The width in bits of a segment, or a negative number when its size expression fails.
@inlinable @inline(__always)
func segmentBits(_ op: UnsafePointer<Op>, steps: UnsafePointer<SizeStep>, slots: UnsafeMutablePointer<UInt64>) -> Int {
  switch op.pointee.sizeKind {
  case .fixed:
    return Int(truncatingIfNeeded: op.pointee.bits)
  case .affine:
    if op.pointee.flags & Op.smallAffine != 0 {
      // Proven not to overflow when the pattern was compiled; a negative result fails later.
      let v = Int64(bitPattern: op.pointee.sizeField.value(slots))
      return Int(truncatingIfNeeded: v &* op.pointee.k1 &+ op.pointee.k0)
    }
    guard let v = op.pointee.sizeField.signedValue(slots) else { return -1 }
    let (product, o1) = v.multipliedReportingOverflow(by: op.pointee.k1)
    let (sum, o2) = product.addingReportingOverflow(op.pointee.k0)
    return o1 || o2 || sum < 0 ? -1 : Int(truncatingIfNeeded: sum)
  case .program:
    guard let v = evaluateSize(steps + Int(truncatingIfNeeded: op.pointee.k1), count: Int(truncatingIfNeeded: op.pointee.k0), slots: slots)
    else { return -1 }
    let (bits, overflow) = v.multipliedReportingOverflow(by: Int64(op.pointee.unit))
    return overflow || bits < 0 ? -1 : Int(truncatingIfNeeded: bits)
  }
}

/// Decodes one character; returns the scalar and the bits it took, or (0, 0) when the bits
/// there are not a valid, shortest-form encoding of a Unicode scalar.
@usableFromInline
func decodeUTF(_ code: Op.Code, little: Bool, base: UnsafeRawPointer, byteCount: Int, pos: Int, available: Int) -> (UInt32, Int) {
  switch code {
  case .utf8:
    guard available >= 8 else { return (0, 0) }
    let word = loadBits(base, byteCount: byteCount, bitOffset: pos, count: min(available, 32))
    let b0 = UInt32(truncatingIfNeeded: word >> 56)
    func byte(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: word >> UInt64(56 - 8 * i)) & 0xFF }
    let length: Int
    var scalar: UInt32
    if b0 < 0x80 {
      return (b0, 8)
    } else if b0 & 0xE0 == 0xC0 {
      length = 2
      scalar = b0 & 0x1F
    } else if b0 & 0xF0 == 0xE0 {
      length = 3
      scalar = b0 & 0x0F
    } else if b0 & 0xF8 == 0xF0 {
      length = 4
      scalar = b0 & 0x07
    } else {
      return (0, 0)
    }
    guard available >= 8 * length else { return (0, 0) }
    for i in 1..<length {
      let b = byte(i)
      guard b & 0xC0 == 0x80 else { return (0, 0) }
      scalar = scalar << 6 | (b & 0x3F)
    }
    let shortest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
    guard scalar >= shortest, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return (0, 0) }
    return (scalar, 8 * length)

  case .utf16:
    guard available >= 16 else { return (0, 0) }
    func unit(_ at: Int) -> UInt32 {
      let u = UInt16(truncatingIfNeeded: loadValue(base, byteCount: byteCount, bitOffset: at, count: 16))
      return UInt32(little ? u.byteSwapped : u)
    }
    let first = unit(pos)
    if first < 0xD800 || first > 0xDFFF { return (first, 16) }
    guard first <= 0xDBFF, available >= 32 else { return (0, 0) }
    let second = unit(pos + 16)
    guard (0xDC00...0xDFFF).contains(second) else { return (0, 0) }
    return (0x10000 + ((first - 0xD800) << 10 | (second - 0xDC00)), 32)

  default:
    guard available >= 32 else { return (0, 0) }
    let v = UInt32(truncatingIfNeeded: loadValue(base, byteCount: byteCount, bitOffset: pos, count: 32))
    let scalar = little ? v.byteSwapped : v
    guard scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return (0, 0) }
    return (scalar, 32)
  }
}

/// A stand-in address for empty buffers; never read, because every read is bounds-checked
/// against a length of zero first.
@inlinable
var emptyBufferAddress: UnsafeRawPointer { UnsafeRawPointer(bitPattern: 0x10).unsafelyUnwrapped }

extension Program {
  /// Matches the bits `start ..< end` of a buffer as a whole, into `result`.
  @inlinable @inline(__always)
  final func run(into result: inout BitMatch, base: UnsafeRawPointer, byteCount: Int, origin: Int, start: Int, end: Int) -> Bool {
    let stop = withUnsafeMutableBytes(of: &result.slots) { raw in
      let slots = raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self)
      if let fast {
        return runFastPlan(fast, base: base, byteCount: byteCount, origin: origin, start: start, end: end, slots: slots)
      }
      // Build-only patterns never match; they have no fast plan, so only this path checks.
      if buildOnly { return -1 }
      return runPlanOutOfLine(plan, base: base, byteCount: byteCount, origin: origin, start: start, end: end, slots: slots)
    }
    guard stop == end else { return false }
    result.start = start &- origin
    result.end = end &- origin
    return true
  }
}

extension BitPattern {
  /// Matches the whole of `bytes` and, when they match, calls `body` with the match and
  /// returns its result; nil when the bytes do not match (too short, too long, a literal or
  /// a check that fails). Never traps, whatever the bytes.
  ///
  /// This is the fast form: nothing is allocated or copied, and with the closure inlined a
  /// decode costs about what hand-written shifts do.
  /// ```swift
  /// let opcode = header.match(frame) { m in m[opcodeField] }
  /// ```
  /// Binary fields are offsets into `bytes`: `m[field, in: bytes]` is a view, not a copy.
  @inlinable @inline(__always)
  public func match<R>(_ bytes: UnsafeRawBufferPointer, _ body: (inout BitMatch) throws -> R) rethrows -> R? {
    var m = BitMatch()
    guard match(bytes, into: &m) else { return nil }
    return try body(&m)
  }

  /// Matches the whole of `bytes`; see `match(_:_:)` on `UnsafeRawBufferPointer`.
  @inlinable @inline(__always)
  public func match<R>(_ bytes: [UInt8], _ body: (inout BitMatch) throws -> R) rethrows -> R? {
    try bytes.withUnsafeBytes { try match($0, body) }
  }

  /// Matches the whole of `bytes`; offsets in the match count from `bytes.startIndex`.
  @inlinable @inline(__always)
  public func match<R>(_ bytes: ArraySlice<UInt8>, _ body: (inout BitMatch) throws -> R) rethrows -> R? {
    try bytes.withUnsafeBytes { try match($0, body) }
  }

  /// Matches the whole of `bytes` into `match` (reused across calls); false when they do not
  /// match, and `match` then holds nothing meaningful.
  @inlinable @inline(__always)
  public func match(_ bytes: UnsafeRawBufferPointer, into match: inout BitMatch) -> Bool {
    program.run(
      into: &match, base: bytes.baseAddress ?? emptyBufferAddress, byteCount: bytes.count,
      origin: 0, start: 0, end: bytes.count &* 8)
  }

  /// Matches the whole of `bytes`: the match, or nil when the bytes do not match.
  /// Keep it in a `var` to read fields (`if var m = pattern.match(bytes) { m[field] }`).
  @inlinable
  public func match(_ bytes: UnsafeRawBufferPointer) -> BitMatch? {
    var m = BitMatch()
    return match(bytes, into: &m) ? m : nil
  }

  /// Matches the whole of `bytes`: the match, or nil.
  @inlinable
  public func match(_ bytes: [UInt8]) -> BitMatch? {
    bytes.withUnsafeBytes { match($0) }
  }

  /// Matches the whole of `bytes`: the match (offsets count from `bytes.startIndex`), or nil.
  @inlinable
  public func match(_ bytes: ArraySlice<UInt8>) -> BitMatch? {
    bytes.withUnsafeBytes { match($0) }
  }

  /// Matches a bitstring (its length need not be whole bytes): the match, or nil.
  public func match(_ bits: Bitstring) -> BitMatch? {
    bits.withUnsafeBits { base, byteCount, start in
      var m = BitMatch()
      return program.run(into: &m, base: base, byteCount: byteCount, origin: start, start: start, end: start + bits.bitCount) ? m : nil
    }
  }

  /// Matches `bits` with the operation plan even when the pattern has a fast plan, so tests
  /// can check that both give the same.
  func matchByOperations(_ bits: Bitstring) -> BitMatch? {
    bits.withUnsafeBits { base, byteCount, start in
      var m = BitMatch()
      let end = start + bits.bitCount
      let stop = withUnsafeMutableBytes(of: &m.slots) { raw in
        runPlan(
          program.plan, base: base, byteCount: byteCount, origin: start, start: start, end: end,
          slots: raw.baseAddress!.assumingMemoryBound(to: UInt64.self))
      }
      guard stop == end, !program.buildOnly else { return nil }
      m.start = 0
      m.end = bits.bitCount
      return m
    }
  }

  /// Whether `bytes` match, for `switch` and `if case`: `case pattern: ...`.
  public static func ~= (pattern: BitPattern, bytes: [UInt8]) -> Bool { pattern.match(bytes) != nil }
}
