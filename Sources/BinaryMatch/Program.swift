// The compiled form of a pattern: a flat array of match operations, built once.
//
// Segments of fixed size are gathered into *blocks*: a run of them between two segments whose
// size depends on the input. A block is checked against the input's length once, and its
// integer fields are fused into *words*: each word is one 64-bit load at a constant offset from
// the block's start, checked against every literal in it with one mask-and-compare and stored
// whole. Fields are not extracted while matching: a `Field` handle knows which bits of which
// stored word are its value, so reading a field is two shifts, and the IPv4 header is one block
// of three loads. Skipped segments cost nothing at all inside a block. Everything else (sizes
// taken from fields, utf, the tail) is one operation of its own.

/// One step of the matcher. Plain data, so a program is an array the matcher walks by pointer.
@usableFromInline
struct Op: Sendable {
  @usableFromInline enum Code: UInt8, Sendable {
    /// `fixedBits` bits of fixed-size segments, checked against the input's length once; the
    /// next `words` operations are its word loads, then `extras` operations of other kinds, all
    /// at `offset` bits from the block's start.
    case block
    /// Load `bits` (1...64) bits at `offset`; fail unless `word & mask == literal`; store the
    /// word in `dest`.
    case word
    /// Fail unless the fields `sizeField` and `other` are equal (a name used twice).
    case check
    /// An integer of `size` bits (0...64): signed/little flags, literal or repeat compare.
    case integer
    /// A float of `size` bits (16/32/64): fails on NaN and infinities, as in Erlang.
    case float
    /// `size` bits of binary; stores (offset, length) in `dest`, `dest + 1`.
    case binary
    /// The rest of the input; its length must be a multiple of `bits` (the unit).
    case tail
    case utf8, utf16, utf32
  }

  /// Where operations that bind nothing store: a slot no field handle can read (and the one
  /// after it, for a binary's length).
  @usableFromInline static let scratch: UInt8 = UInt8(BitMatch.slotCapacity)
  @usableFromInline static let signed: UInt8 = 1
  @usableFromInline static let little: UInt8 = 2
  @usableFromInline static let literal: UInt8 = 4
  @usableFromInline static let repeats: UInt8 = 8
  /// An affine size `k1 * field + k0` that cannot overflow (a field of at most 32 bits, small
  /// constants): computed without overflow checks.
  @usableFromInline static let smallAffine: UInt8 = 16

  @usableFromInline enum SizeKind: UInt8, Sendable {
    /// `bits`.
    case fixed
    /// `k1 * sizeField + k0` bits.
    case affine
    /// `unit ×` the size program `steps[k1 ..< k1 + k0]`.
    case program
  }

  @usableFromInline var code: Code
  @usableFromInline var flags: UInt8 = 0
  @usableFromInline var dest: UInt8 = Op.scratch
  @usableFromInline var sizeKind: SizeKind = .fixed
  @usableFromInline var bits: Int32 = 0
  @usableFromInline var unit: Int32 = 1
  /// A block's word loads and other operations.
  @usableFromInline var words: Int32 = 0
  @usableFromInline var extras: Int32 = 0
  /// Inside a block: bits from the block's start. A block: its total fixed bits.
  @usableFromInline var offset: Int = 0
  /// A block: how many bytes from the one holding its first bit its words' fast loads read,
  /// when the block starts at bit `alignment` of a byte: its own bytes, or 8 when it is shorter.
  @usableFromInline var span: Int = 0
  /// A block: the bit within a byte its fast loads assume it starts at (what the pattern
  /// implies, or 0 when the pattern leaves it open); checked on every match.
  @usableFromInline var alignment: Int = 0
  /// A word's fast load: 8 big-endian bytes at byte `loadAt` of the block, shifted left by
  /// `loadShift` to put the word's first bit at bit 63.
  @usableFromInline var loadAt: Int32 = 0
  @usableFromInline var loadShift: UInt8 = 0
  @usableFromInline var sizeField = FieldRef()
  @usableFromInline var other = FieldRef()
  @usableFromInline var k1: Int64 = 0
  @usableFromInline var k0: Int64 = 0
  @usableFromInline var mask: UInt64 = 0
  @usableFromInline var literal: UInt64 = 0

  init(_ code: Code) { self.code = code }
}

/// A compiled program as the matcher reads it: operations and size programs in buffers owned
/// by the `Program` that made the plan.
@usableFromInline
struct Plan {
  @usableFromInline let ops: UnsafeMutablePointer<Op>
  @usableFromInline let opCount: Int
  @usableFromInline let steps: UnsafeMutablePointer<SizeStep>

  init(_ all: [Op], steps: [SizeStep]) {
    opCount = all.count
    ops = .allocate(capacity: max(1, opCount))
    ops.initialize(from: all, count: opCount)
    self.steps = .allocate(capacity: max(1, steps.count))
    self.steps.initialize(from: steps, count: steps.count)
  }

  func deallocate() {
    ops.deallocate()
    steps.deallocate()
  }

  /// The plan's shape, one line per top-level operation (`block 160 bits, 3 words`, `binary`,
  /// `tail`), for tests and debugging.
  var outline: [String] {
    var lines: [String] = []
    var i = 0
    while i < opCount {
      let op = ops[i]
      if op.code == .block {
        var line = "block \(op.offset) bits, \(op.words) word\(op.words == 1 ? "" : "s")"
        if op.extras > 0 {
          let kinds = (0..<Int(op.extras)).map { "\(ops[i + 1 + Int(op.words) + $0].code)" }
          line += " + " + kinds.joined(separator: ", ")
        }
        lines.append(line)
        i += 1 + Int(op.words) + Int(op.extras)
      } else {
        lines.append("\(op.code)")
        i += 1
      }
    }
    return lines
  }
}

/// What the pattern knows about a named field.
struct FieldInfo {
  var name: String
  var column: Int
  var shape: FieldShape
  var ref: FieldRef
}

/// A compiled pattern. Immutable once created and shared by every copy of its `BitPattern`.
@usableFromInline
// @unchecked Sendable: the operation, size-step and fast-plan buffers are allocated and filled in `init`,
// only read afterwards, and freed in `deinit`; every other property is an immutable `let` of a
// Sendable type. Nothing is ever written after initialisation, so sharing across threads is safe.
final class Program: @unchecked Sendable {
  /// How to match.
  @usableFromInline let plan: Plan
  /// The same with literal checks, repeat checks and float validation removed: what Erlang's
  /// relaxed generators use to skip an element that does not match.
  @usableFromInline let skeleton: Plan
  /// The plan in straight-line form, when it has that shape (see FastPlan.swift).
  @usableFromInline let fast: UnsafeMutablePointer<FastPlan>?

  let text: String
  let segments: [Segment]
  @usableFromInline let buildOnly: Bool
  let fields: [String: FieldInfo]
  /// Bound names in pattern order.
  let fieldOrder: [String]
  /// Names used in sizes but bound by no segment (build-only patterns): build parameters.
  let parameters: Set<String>

  init(text: String, buildOnly: Bool) throws(BitPatternError) {
    var parser = PatternParser(text)
    let parsed = try parser.parse()
    var checker = SegmentChecker(text: text, buildOnly: buildOnly)
    let segments = try checker.check(parsed)

    var compiler = Compiler(text: text, segments: segments, skeleton: false)
    var compiled = Compiled()
    var skeletonPlan = Compiled()
    if !buildOnly {
      compiled = try compiler.compile()
      var again = Compiler(text: text, segments: segments, skeleton: true)
      skeletonPlan = try again.compile()
    } else {
      compiled.fields = compiler.describeFields()
    }

    self.text = text
    self.segments = segments
    self.buildOnly = buildOnly
    self.fields = compiled.fields
    var order: [String] = []
    var parameters = Set<String>()
    for s in segments {
      if case .bind(let n) = s.value { order.append(n) }
    }
    for s in segments {
      if case .dynamic(let e) = s.size {
        for (name, _) in e.variables where compiled.fields[name] == nil { parameters.insert(name) }
      }
    }
    self.fieldOrder = order
    self.parameters = parameters

    plan = Plan(compiled.ops, steps: compiled.steps)
    skeleton = Plan(skeletonPlan.ops, steps: skeletonPlan.steps)
    if !buildOnly, let f = FastPlan(compiled.ops) {
      fast = .allocate(capacity: 1)
      fast!.initialize(to: f)
    } else {
      fast = nil
    }
  }

  deinit {
    plan.deallocate()
    skeleton.deallocate()
    fast?.deallocate()
  }
}

/// The compiler's output.
struct Compiled {
  var ops: [Op] = []
  var steps: [SizeStep] = []
  var fields: [String: FieldInfo] = [:]
}

/// Segments → operations: blocks of fixed-size segments with fused words, slot assignment.
struct Compiler {
  let text: String
  let segments: [Segment]
  /// Compile for skipping only: no literal or repeat checks, no float validation.
  let skeleton: Bool

  private var out = Compiled()
  private var slotCount = 0
  /// Whether the bit offset modulo 8 is known here, and its value.
  private var alignmentKnown = true
  private var offsetModulo8 = 0

  /// A word being filled: where it starts in its block, how far its members reach, its literal
  /// mask and value, and its slot once a member needs one.
  private struct PendingWord {
    var offset: Int
    var bits = 0
    var mask: UInt64 = 0
    var literal: UInt64 = 0
    var slot: UInt8?
  }

  /// The block being filled.
  private struct PendingBlock {
    var bits = 0
    /// The block's first bit modulo 8 that its fast loads assume: what the pattern implies,
    /// or 0 when it leaves it open.
    var alignment: Int
    var words: [Op] = []
    var extras: [Op] = []
    var word: PendingWord?
  }
  private var block: PendingBlock?

  init(text: String, segments: [Segment], skeleton: Bool) {
    self.text = text
    self.segments = segments
    self.skeleton = skeleton
  }

  private func error(_ message: String, _ column: Int) -> BitPatternError {
    BitPatternError(column: column, message: message, pattern: text)
  }

  /// Field descriptions without compiling operations (build-only patterns never match).
  mutating func describeFields() -> [String: FieldInfo] {
    for s in segments {
      if case .bind(let name) = s.value {
        out.fields[name] = FieldInfo(name: name, column: s.column, shape: shape(of: s, aligned: false), ref: FieldRef())
      }
    }
    return out.fields
  }

  mutating func compile() throws(BitPatternError) -> Compiled {
    for s in segments {
      let aligned = alignmentKnown && offsetModulo8 == 0
      if case .fixed(let width) = s.size {
        if block == nil { block = PendingBlock(alignment: alignmentKnown ? offsetModulo8 : 0) }
        try addToBlock(s, width: width, aligned: aligned)
      } else {
        flushBlock()
        try emit(s, aligned: aligned)
      }
      advanceAlignment(over: s)
    }
    flushBlock()
    return out
  }

  // MARK: - Blocks

  /// Whether a fixed-size segment is read as part of a word: a loaded integer of 1...64 bits
  /// whose bits can be taken straight from the stream (big-endian, or little-endian in whole
  /// bytes, which a field handle swaps when read).
  private func isWordMember(_ s: Segment, width: Int) -> Bool {
    guard s.type == .integer, width >= 1, width <= 64 else { return false }
    switch s.value {
    case .skip, .literalFloat: return false
    case .literal, .repeatOf: if skeleton { return false }
    case .bind: break
    }
    return !s.isLittle || width % 8 == 0 || width < 8
  }

  private mutating func addToBlock(_ s: Segment, width: Int, aligned: Bool) throws(BitPatternError) {
    let at = block!.bits
    block!.bits += width
    if isWordMember(s, width: width) {
      // A word is at most 64 bits, and within 8 bytes from its first byte when the block
      // starts where the pattern implies (so one load reads it).
      if let word = block!.word {
        let firstBit = (block!.alignment + word.offset) & 7
        if at + width - word.offset > 64 || firstBit + at + width - word.offset > 64 { flushWord() }
      }
      if block!.word == nil { block!.word = PendingWord(offset: at) }
      let offset = at - block!.word!.offset
      block!.word!.bits = offset + width
      if case .literal(let bits) = s.value {
        let ones: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        let stream = s.isLittle && width % 8 == 0 ? littleToStream(bits & ones, count: width) : bits & ones
        let shift = UInt64(64 - offset - width)
        block!.word!.mask |= ones << shift
        block!.word!.literal |= stream << shift
        return
      }
      if block!.word!.slot == nil { block!.word!.slot = try allocateSlots(1, column: s.column) }
      var flags: UInt8 = 0
      if s.isSigned { flags |= FieldRef.signed }
      if s.isLittle && width % 8 == 0 && width > 8 { flags |= FieldRef.swap }
      let ref = FieldRef(slot: block!.word!.slot!, shiftLeft: UInt8(offset), shiftRight: UInt8(64 - width), flags: flags)
      switch s.value {
      case .bind(let name):
        out.fields[name] = FieldInfo(name: name, column: s.column, shape: shape(of: s, aligned: aligned), ref: ref)
      case .repeatOf(let name):
        // Checks run after every word of the block is loaded.
        var check = Op(.check)
        check.sizeField = ref
        check.other = out.fields[name]!.ref
        block!.extras.append(check)
      default:
        break
      }
      return
    }
    // Everything else in a block is an operation at a fixed offset, or nothing at all.
    var op: Op
    switch s.type {
    case .integer:
      guard s.value != .skip && !(skeleton && s.name == nil) else { return }
      if skeleton, case .repeatOf = s.value { return }
      op = Op(.integer)
    case .float:
      guard !skeleton else { return }
      op = Op(.float)
    case .binary, .bitstring:
      guard case .bind = s.value else { return }
      op = Op(.binary)
    case .utf8, .utf16, .utf32:
      return  // never fixed-size
    }
    op.bits = Int32(width)
    op.offset = at
    try setValue(&op, s, aligned: aligned)
    block!.extras.append(op)
  }

  /// Ends the current word.
  private mutating func flushWord() {
    guard let word = block?.word else { return }
    block!.word = nil
    var op = Op(.word)
    op.offset = word.offset
    op.bits = Int32(word.bits)
    op.mask = word.mask
    op.literal = word.literal
    op.dest = word.slot ?? Op.scratch
    block!.words.append(op)
  }

  private mutating func flushBlock() {
    guard block != nil else { return }
    flushWord()
    let b = block!
    block = nil
    var header = Op(.block)
    header.offset = b.bits
    header.words = Int32(b.words.count)
    header.extras = Int32(b.extras.count)
    // Fast loads: each word is one 8-byte big-endian load at a constant byte of the block,
    // moved back from the word's first byte when it would run past the block's last byte, so
    // every load stays inside the block's bytes (or the first 8, for a shorter block), which
    // one check covers. A word never needs more than 8 bytes from its first one when the
    // block starts at `alignment`: words were cut so, except a single field of up to 64 bits
    // that itself spans 9 bytes; a block with one is always read bit by bit (span `Int.max`).
    var span = max(8, (b.alignment + b.bits + 7) >> 3)
    var words = b.words
    for i in words.indices {
      let firstBit = b.alignment + words[i].offset
      let firstByte = firstBit >> 3
      let loadAt = min(firstByte, span - 8)
      words[i].loadAt = Int32(loadAt)
      words[i].loadShift = UInt8((firstByte - loadAt) * 8 + (firstBit & 7))
      if Int(words[i].loadShift) + Int(words[i].bits) > 64 { span = Int.max }
    }
    header.alignment = b.alignment
    header.span = span
    out.ops.append(header)
    out.ops += words
    out.ops += b.extras
  }

  // MARK: - Segments whose size depends on the input

  private mutating func emit(_ s: Segment, aligned: Bool) throws(BitPatternError) {
    var op: Op
    switch s.type {
    case .integer:
      // A skipped integer is just bits to step over, whatever its width (Erlang's `_:N`).
      op = Op(s.value == .skip || (skeleton && s.name == nil) ? .binary : .integer)
    case .float: op = Op(skeleton ? .binary : .float)
    case .binary, .bitstring: op = Op(s.size == .rest ? .tail : .binary)
    case .utf8: op = Op(.utf8)
    case .utf16: op = Op(.utf16)
    case .utf32: op = Op(.utf32)
    }
    switch s.size {
    case .fixed(let bits): op.bits = Int32(bits)
    case .dynamic(let expression): try setSize(&op, expression, unit: s.unit, column: s.column)
    case .rest:
      op.bits = Int32(s.unit)
      op.k0 = s.unit & (s.unit - 1) == 0 ? Int64(s.unit - 1) : -1
    case .utf: break
    }
    try setValue(&op, s, aligned: aligned)
    out.ops.append(op)
  }

  /// Flags, destination and literal of an operation, and the field it binds.
  private mutating func setValue(_ op: inout Op, _ s: Segment, aligned: Bool) throws(BitPatternError) {
    if s.isSigned { op.flags |= Op.signed }
    if s.isLittle { op.flags |= Op.little }
    let binds = op.code != .binary || s.type == .binary || s.type == .bitstring
    switch s.value {
    case .bind(let name) where binds:
      let slot = try allocateSlots(op.code == .binary || op.code == .tail ? 2 : 1, column: s.column)
      op.dest = slot
      // Values stored whole are already sign-extended; the flag tells size arithmetic so.
      let flags: UInt8 = s.type == .integer && s.isSigned ? FieldRef.signed : 0
      out.fields[name] = FieldInfo(
        name: name, column: s.column, shape: shape(of: s, aligned: aligned), ref: FieldRef(slot: slot, flags: flags))
    case .literal(let bits) where !skeleton:
      op.flags |= Op.literal
      op.literal = bits
    case .literalFloat(let value) where !skeleton:
      op.flags |= Op.literal
      op.literal = value.bitPattern
    case .repeatOf(let name) where !skeleton:
      op.flags |= Op.repeats
      op.other = out.fields[name]!.ref
    default:
      break
    }
  }

  private mutating func setSize(_ op: inout Op, _ expression: SizeExpression, unit: Int, column: Int) throws(BitPatternError) {
    let unit64 = Int64(unit)
    if let a = expression.affine, let name = a.name, let field = out.fields[name] {
      let (k1, o1) = a.k1.multipliedReportingOverflow(by: unit64)
      let (k0, o2) = a.k0.multipliedReportingOverflow(by: unit64)
      if !o1 && !o2 {
        op.sizeKind = .affine
        op.sizeField = field.ref
        op.k1 = k1
        op.k0 = k0
        // |field| < 2^32, |k1| <= 2^30, |k0| <= 2^62: k1 * field + k0 stays below 2^63.
        if let width = field.shape.bitWidth, width <= 32, k1.magnitude <= 1 << 30, k0.magnitude <= 1 << 62 {
          op.flags |= Op.smallAffine
        }
        return
      }
    }
    var steps: [SizeStep] = []
    let depth = expression.compile(into: &steps) { name in out.fields[name]?.ref ?? FieldRef() }
    guard depth <= sizeStackLimit else {
      throw error("size expression is too deeply nested (at most \(sizeStackLimit) pending operands)", column)
    }
    op.sizeKind = .program
    op.unit = Int32(unit)
    op.k1 = Int64(out.steps.count)
    op.k0 = Int64(steps.count)
    out.steps += steps
  }

  private mutating func allocateSlots(_ n: Int, column: Int) throws(BitPatternError) -> UInt8 {
    guard slotCount + n <= BitMatch.slotCapacity else {
      throw error(
        "the pattern needs more than \(BitMatch.slotCapacity) result slots (each run of fixed-size integers up to 64 bits takes one, every other field one, each binary two); split it into two patterns",
        column)
    }
    defer { slotCount += n }
    return UInt8(slotCount)
  }

  // MARK: - Shapes and alignment

  private mutating func advanceAlignment(over s: Segment) {
    switch s.size {
    case .fixed(let bits): offsetModulo8 = (offsetModulo8 + bits) % 8
    case .dynamic: if s.unit % 8 != 0 { alignmentKnown = false }
    case .rest, .utf: break
    }
  }

  private func shape(of s: Segment, aligned: Bool) -> FieldShape {
    let width: Int?
    let wholeBytes: Bool
    switch s.size {
    case .fixed(let bits):
      width = bits
      wholeBytes = bits % 8 == 0
    case .dynamic, .rest:
      width = nil
      wholeBytes = s.unit % 8 == 0
    case .utf:
      width = nil
      wholeBytes = true
    }
    return FieldShape(type: s.type, isSigned: s.isSigned, bitWidth: width, isByteAligned: aligned, isWholeBytes: wholeBytes)
  }
}
