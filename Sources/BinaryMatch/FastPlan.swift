// The straight-line fast path: plans of the shape most headers have, matched without walking
// operations.
//
// A header is usually a block of fixed-size fields, then a few segments sized by those fields
// (an optional key, a payload, options), then the rest. For such a plan the compiler also
// makes a `FastPlan`: the block's word loads and the sized segments in small inline tables,
// run by one function whose branches depend only on the plan (the same way on every match, so
// the processor predicts them) instead of a dispatch per operation. Matching gives exactly
// what `runPlan` gives; the tests compare the two on random patterns and inputs.

/// One word of the leading block: an 8-byte load at a constant byte and shift when the buffer
/// holds the block's span (or the buffer's last bytes in its place, for a block within 8 bytes
/// near the end; see `FastBlockRead`), else the same bits read by `loadBits`.
@usableFromInline
struct FastWord: Sendable {
  @usableFromInline var mask: UInt64 = 0
  @usableFromInline var literal: UInt64 = 0
  /// Bits from the block's start (for `loadBits`).
  @usableFromInline var offset: Int32 = 0
  @usableFromInline var loadAt: Int32 = 0
  @usableFromInline var loadShift: UInt8 = 0
  @usableFromInline var bits: UInt8 = 0
  @usableFromInline var dest: UInt8 = 0

  init() {}

  init(_ op: Op) {
    mask = op.mask
    literal = op.literal
    offset = Int32(op.offset)
    loadAt = op.loadAt
    loadShift = op.loadShift
    bits = UInt8(op.bits)
    dest = op.dest
  }
}

/// A segment after the block: `k1 * field + k0` bits (a fixed size has `k1` 0) of binary,
/// stored as (offset, length), or of big-endian integer, stored as its value.
@usableFromInline
struct FastStep: Sendable {
  @usableFromInline var k1: Int64 = 0
  @usableFromInline var k0: Int64 = 0
  @usableFromInline var field = FieldRef()
  @usableFromInline var isBinary = false
  @usableFromInline var isSigned = false
  /// `k1 * field + k0` cannot overflow (see `Op.smallAffine`), or the size is fixed.
  @usableFromInline var isSmall = false
  @usableFromInline var dest: UInt8 = 0

  init() {}
}

/// A plan of the shape `block, up to 4 sized segments, optional tail`, in inline tables.
@usableFromInline
struct FastPlan: Sendable {
  @usableFromInline static let maxWords = 4
  @usableFromInline static let maxSteps = 4

  @usableFromInline var words: (FastWord, FastWord, FastWord, FastWord)
  @usableFromInline var steps: (FastStep, FastStep, FastStep, FastStep)
  @usableFromInline var blockBits = 0
  @usableFromInline var span = 0
  @usableFromInline var alignment = 0
  @usableFromInline var wordCount = 0
  @usableFromInline var stepCount = 0
  @usableFromInline var hasTail = false
  /// The tail's unit - 1 when it is a power of two, else -1 (then `tailUnit` is used).
  @usableFromInline var tailMask = 0
  @usableFromInline var tailUnit = 1
  @usableFromInline var tailDest: UInt8 = 0

  /// The fast form of `ops`, or nil when they are not of its shape.
  init?(_ ops: [Op]) {
    words = (FastWord(), FastWord(), FastWord(), FastWord())
    steps = (FastStep(), FastStep(), FastStep(), FastStep())
    var i = 0
    if let head = ops.first, head.code == .block {
      guard head.extras == 0, head.words <= FastPlan.maxWords, head.span != Int.max else { return nil }
      blockBits = head.offset
      span = head.span
      alignment = head.alignment
      wordCount = Int(head.words)
      for w in 0..<wordCount {
        let word = FastWord(ops[1 + w])
        switch w {
        case 0: words.0 = word
        case 1: words.1 = word
        case 2: words.2 = word
        default: words.3 = word
        }
      }
      i = 1 + wordCount
    }
    var sized: [FastStep] = []
    while i < ops.count {
      let op = ops[i]
      i += 1
      if op.code == .tail {
        guard i == ops.count else { return nil }
        hasTail = true
        tailMask = Int(op.k0)
        tailUnit = Int(op.bits)
        tailDest = op.dest
        break
      }
      let plainInteger = op.code == .integer && op.flags & ~(Op.signed | Op.smallAffine) == 0
      guard op.code == .binary || plainInteger, op.sizeKind != .program, sized.count < FastPlan.maxSteps else { return nil }
      var step = FastStep()
      step.isBinary = op.code == .binary
      step.isSigned = op.flags & Op.signed != 0
      step.dest = op.dest
      if op.sizeKind == .fixed {
        step.k0 = Int64(op.bits)
        step.isSmall = true
      } else {
        step.field = op.sizeField
        step.k1 = op.k1
        step.k0 = op.k0
        step.isSmall = op.flags & Op.smallAffine != 0
      }
      sized.append(step)
    }
    stepCount = sized.count
    for (k, step) in sized.enumerated() {
      switch k {
      case 0: steps.0 = step
      case 1: steps.1 = step
      case 2: steps.2 = step
      default: steps.3 = step
      }
    }
  }
}

/// Loads word `w` of a fast plan's block from `p`, the block's first byte; stores it and
/// returns its literal bits XOR what the pattern says (0 when they agree), so a block's
/// words are checked with one test at the end.
@inlinable @inline(__always)
func fastWord(_ w: FastWord, _ p: UnsafeRawPointer, slots: UnsafeMutablePointer<UInt64>) -> UInt64 {
  let raw = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: w.loadAt), as: UInt64.self))
  return storeWord(w, raw, slots: slots)
}

/// Shifts `raw` (the 8 bytes word `w`'s load reads) into place and stores it; returns its
/// literal bits XOR the pattern's.
@inlinable @inline(__always)
func storeWord(_ w: FastWord, _ raw: UInt64, slots: UnsafeMutablePointer<UInt64>) -> UInt64 {
  let word = raw &<< UInt64(truncatingIfNeeded: w.loadShift)
  slots[Int(w.dest)] = word
  return (word & w.mask) ^ w.literal
}

/// Runs sized segment `s` at bit `pos`: the position after it, or -1.
@inlinable @inline(__always)
func fastStep(
  _ s: FastStep, at pos: Int, base: UnsafeRawPointer, byteCount: Int, origin: Int, end: Int,
  slots: UnsafeMutablePointer<UInt64>
) -> Int {
  let n: Int
  if _fastPath(s.isSmall) {
    // Proven not to overflow when the pattern was compiled; a negative result fails below.
    n = Int(truncatingIfNeeded: Int64(bitPattern: s.field.value(slots)) &* s.k1 &+ s.k0)
  } else {
    guard let v = s.field.signedValue(slots) else { return -1 }
    let (product, o1) = v.multipliedReportingOverflow(by: s.k1)
    let (sum, o2) = product.addingReportingOverflow(s.k0)
    guard !o1, !o2 else { return -1 }
    n = Int(truncatingIfNeeded: sum)
  }
  guard UInt(bitPattern: n) <= UInt(bitPattern: end &- pos) else { return -1 }
  let dest = Int(s.dest)
  if s.isBinary {
    slots[dest] = UInt64(truncatingIfNeeded: pos &- origin)
    slots[dest &+ 1] = UInt64(truncatingIfNeeded: n)
  } else {
    guard n <= 64 else { return -1 }
    var v = loadValue(base, byteCount: byteCount, bitOffset: pos, count: n)
    if s.isSigned && n > 0 { v = signExtend(v, count: n) }
    slots[dest] = v
  }
  return pos &+ n
}

/// How a fast plan reads its block's words for one match.
@usableFromInline
enum FastBlockRead: Sendable {
  /// Each word with one 8-byte load at a constant byte: the block starts where the loads
  /// expect and the buffer holds the span they read.
  case wide
  /// All words from one read of the buffer's last 1...7 bytes: a block that lies within 8
  /// bytes (span 8, so every load is at byte 0) with fewer than 8 bytes left, such as a
  /// 2-byte WebSocket header followed by a short payload.
  case tail
  /// Each word bit by bit (`loadBits`): a bitstring starting elsewhere inside a byte, or a
  /// longer block near the buffer's end. Also a block without words (nothing to read).
  case bits
}

extension FastPlan {
  /// How `runFastPlan` reads the block of plan `f` starting at bit `pos` of a buffer of
  /// `byteCount` bytes.
  @inlinable @inline(__always)
  static func blockRead(_ f: UnsafePointer<FastPlan>, at pos: Int, byteCount: Int) -> FastBlockRead {
    let aligned = pos & 7 == f.pointee.alignment
    if _fastPath(aligned && byteCount &- (pos &>> 3) >= f.pointee.span) { return .wide }
    return aligned && f.pointee.span == 8 && f.pointee.wordCount > 0 ? .tail : .bits
  }
}

/// Runs a fast plan from bit `start`: the position after its last segment, or -1. The same
/// result as `runPlan` on the plan it was made from.
@inlinable @inline(__always)
func runFastPlan(
  _ f: UnsafePointer<FastPlan>, base: UnsafeRawPointer, byteCount: Int, origin: Int, start: Int, end: Int,
  slots: UnsafeMutablePointer<UInt64>
) -> Int {
  var pos = start
  let blockBits = f.pointee.blockBits
  guard blockBits <= end &- pos else { return -1 }
  let wordCount = f.pointee.wordCount
  let byte = pos &>> 3
  let read = FastPlan.blockRead(f, at: pos, byteCount: byteCount)
  if _fastPath(read == .wide) {
    // Each word is one load at a constant byte; all of them lie inside the checked span.
    let p = base + byte
    var differ: UInt64 = 0
    if wordCount > 0 { differ = fastWord(f.pointee.words.0, p, slots: slots) }
    if wordCount > 1 { differ |= fastWord(f.pointee.words.1, p, slots: slots) }
    if wordCount > 2 { differ |= fastWord(f.pointee.words.2, p, slots: slots) }
    if wordCount > 3 { differ |= fastWord(f.pointee.words.3, p, slots: slots) }
    guard differ == 0 else { return -1 }
  } else if read == .tail {
    // The 1...7 bytes left (at least one, since the block's bits are inside), zero-padded,
    // are what the 8-byte load at byte 0 would have read of them.
    let raw = loadTail(base, byteCount: byteCount, byte: byte)
    var differ = storeWord(f.pointee.words.0, raw, slots: slots)
    if wordCount > 1 { differ |= storeWord(f.pointee.words.1, raw, slots: slots) }
    if wordCount > 2 { differ |= storeWord(f.pointee.words.2, raw, slots: slots) }
    if wordCount > 3 { differ |= storeWord(f.pointee.words.3, raw, slots: slots) }
    guard differ == 0 else { return -1 }
  } else if wordCount > 0 {
    // A bitstring starting inside a byte, or a short buffer: read the same bits safely.
    let words = f.pointee.words
    for i in 0..<wordCount {
      let w = i == 0 ? words.0 : i == 1 ? words.1 : i == 2 ? words.2 : words.3
      let word = loadBits(
        base, byteCount: byteCount, bitOffset: pos &+ Int(truncatingIfNeeded: w.offset), count: Int(truncatingIfNeeded: w.bits))
      guard word & w.mask == w.literal else { return -1 }
      slots[Int(w.dest)] = word
    }
  }
  pos &+= blockBits

  let stepCount = f.pointee.stepCount
  if stepCount > 0 {
    pos = fastStep(f.pointee.steps.0, at: pos, base: base, byteCount: byteCount, origin: origin, end: end, slots: slots)
    if pos < 0 { return -1 }
  }
  if stepCount > 1 {
    pos = fastStep(f.pointee.steps.1, at: pos, base: base, byteCount: byteCount, origin: origin, end: end, slots: slots)
    if pos < 0 { return -1 }
  }
  if stepCount > 2 {
    pos = fastStep(f.pointee.steps.2, at: pos, base: base, byteCount: byteCount, origin: origin, end: end, slots: slots)
    if pos < 0 { return -1 }
  }
  if stepCount > 3 {
    pos = fastStep(f.pointee.steps.3, at: pos, base: base, byteCount: byteCount, origin: origin, end: end, slots: slots)
    if pos < 0 { return -1 }
  }

  if f.pointee.hasTail {
    let n = end &- pos
    let mask = f.pointee.tailMask
    guard mask >= 0 ? n & mask == 0 : n % f.pointee.tailUnit == 0 else { return -1 }
    let dest = Int(f.pointee.tailDest)
    slots[dest] = UInt64(truncatingIfNeeded: pos &- origin)
    slots[dest &+ 1] = UInt64(truncatingIfNeeded: n)
    pos = end
  }
  return pos
}
