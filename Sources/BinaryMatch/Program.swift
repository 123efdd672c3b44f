// The compiled form of a pattern: a flat array of match operations, built once.
//
// Adjacent fixed-width integer segments (and fixed-size skips and literals) are fused into one
// `group` operation that loads up to 64 bits with a single read, checks every literal in it
// with one mask-and-compare, and stores the raw word. Fields are not extracted while matching:
// a `Field` handle knows which bits of which stored word are its value, so reading a field is
// a shift or two, and a pattern like the IPv4 header is three loads. Everything else (sizes
// taken from fields, floats, binaries, utf) is one operation per segment. A `Plan` lays the
// operations out for the matcher: leading groups, middle operations, final tail.

/// One step of the matcher. Plain data, so a program is an array the matcher walks by pointer.
@usableFromInline
struct Op: Sendable {
  @usableFromInline enum Code: UInt8, Sendable {
    /// Load `bits` (1...64) bits; fail unless `word & mask == literal`; store the word in `dest`.
    case group
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

  @usableFromInline static let noSlot: UInt8 = 0xFF
  @usableFromInline static let signed: UInt8 = 1
  @usableFromInline static let little: UInt8 = 2
  @usableFromInline static let literal: UInt8 = 4
  @usableFromInline static let repeats: UInt8 = 8

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
  @usableFromInline var dest: UInt8 = Op.noSlot
  @usableFromInline var sizeKind: SizeKind = .fixed
  @usableFromInline var bits: Int32 = 0
  @usableFromInline var unit: Int32 = 1
  @usableFromInline var sizeField = FieldRef()
  @usableFromInline var other = FieldRef()
  @usableFromInline var k1: Int64 = 0
  @usableFromInline var k0: Int64 = 0
  @usableFromInline var mask: UInt64 = 0
  @usableFromInline var literal: UInt64 = 0

  init(_ code: Code) { self.code = code }
}

/// A program laid out for the matcher: the leading groups (one bounds check covers them all),
/// the operations after them, and a final tail binary handled without dispatch.
/// The buffers are owned by the `Program` that made the plan.
@usableFromInline
struct Plan {
  @usableFromInline let prefix: UnsafeMutablePointer<Op>
  @usableFromInline let prefixCount: Int
  @usableFromInline let prefixBits: Int
  @usableFromInline let ops: UnsafeMutablePointer<Op>
  @usableFromInline let opCount: Int
  @usableFromInline let steps: UnsafeMutablePointer<SizeStep>
  @usableFromInline let hasTail: Bool
  @usableFromInline let tailUnit: Int
  /// unit - 1 for a power-of-two unit, else -1.
  @usableFromInline let tailUnitMask: Int
  @usableFromInline let tailDest: UInt8

  init(_ all: [Op], steps: [SizeStep]) {
    var ops = all[...]
    let prefixOps = ops.prefix { $0.code == .group }
    ops = ops.dropFirst(prefixOps.count)
    if let last = ops.last, last.code == .tail {
      hasTail = true
      tailUnit = Int(last.bits)
      tailUnitMask = Int(last.k0)
      tailDest = last.dest
      ops = ops.dropLast()
    } else {
      hasTail = false
      tailUnit = 1
      tailUnitMask = 0
      tailDest = Op.noSlot
    }
    prefixCount = prefixOps.count
    prefixBits = prefixOps.reduce(0) { $0 + Int($1.bits) }
    prefix = .allocate(capacity: max(1, prefixCount))
    prefix.initialize(from: Array(prefixOps), count: prefixCount)
    opCount = ops.count
    self.ops = .allocate(capacity: max(1, opCount))
    self.ops.initialize(from: Array(ops), count: opCount)
    self.steps = .allocate(capacity: max(1, steps.count))
    self.steps.initialize(from: steps, count: steps.count)
  }

  func deallocate() {
    prefix.deallocate()
    ops.deallocate()
    steps.deallocate()
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
// @unchecked Sendable: the operation and size-step buffers are allocated and filled in `init`,
// only read afterwards, and freed in `deinit`; every other property is an immutable `let` of a
// Sendable type. Nothing is ever written after initialisation, so sharing across threads is safe.
@usableFromInline
final class Program: @unchecked Sendable {
  /// How to match.
  @usableFromInline let plan: Plan
  /// The same with literal checks, repeat checks and float validation removed: what Erlang's
  /// relaxed generators use to skip an element that does not match.
  @usableFromInline let skeleton: Plan

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

    var compiler = Compiler(text: text, segments: segments)
    var compiled = Compiled()
    var skeletonOps: [Op] = []
    if !buildOnly {
      compiled = try compiler.compile(skeleton: false)
      var again = Compiler(text: text, segments: segments)
      skeletonOps = try again.compile(skeleton: true).ops
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
    skeleton = Plan(skeletonOps, steps: compiled.steps)
  }

  deinit {
    plan.deallocate()
    skeleton.deallocate()
  }
}

/// The compiler's output.
struct Compiled {
  var ops: [Op] = []
  var steps: [SizeStep] = []
  var fields: [String: FieldInfo] = [:]
}

/// Segments → operations, with group fusion and slot assignment.
struct Compiler {
  let text: String
  let segments: [Segment]

  private var out = Compiled()
  private var slotCount = 0
  /// Whether the bit offset modulo 8 is known here, and its value.
  private var alignmentKnown = true
  private var offsetModulo8 = 0

  /// The group being filled: its width so far, literal mask and value, and its members.
  private var groupBits = 0
  private var groupMask: UInt64 = 0
  private var groupLiteral: UInt64 = 0
  private var groupMembers: [(segment: Segment, offset: Int, width: Int, aligned: Bool)] = []

  init(text: String, segments: [Segment]) {
    self.text = text
    self.segments = segments
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

  mutating func compile(skeleton: Bool) throws(BitPatternError) -> Compiled {
    for s in segments {
      let aligned = alignmentKnown && offsetModulo8 == 0
      if let width = fusableWidth(s, skeleton: skeleton) {
        if groupBits + width > 64 { try flushGroup(skeleton: skeleton) }
        addToGroup(s, width: width, aligned: aligned, skeleton: skeleton)
      } else {
        try flushGroup(skeleton: skeleton)
        try emit(s, aligned: aligned, skeleton: skeleton)
      }
      advanceAlignment(over: s)
    }
    try flushGroup(skeleton: skeleton)
    return out
  }

  // MARK: - Groups

  /// The width of a segment that can join a group, or nil.
  private func fusableWidth(_ s: Segment, skeleton: Bool) -> Int? {
    guard case .fixed(let width) = s.size, width >= 1, width <= 64 else { return nil }
    switch s.type {
    case .integer:
      return !s.isLittle || width % 8 == 0 || width < 8 ? width : nil
    case .binary, .bitstring:
      return s.value == .skip ? width : nil
    case .float:
      // Floats are validated (NaN and infinities never match) unless only skipping over them.
      return skeleton ? width : nil
    default:
      return nil
    }
  }

  private mutating func addToGroup(_ s: Segment, width: Int, aligned: Bool, skeleton: Bool) {
    let shift = UInt64(64 - groupBits - width)
    if case .literal(let bits) = s.value, !skeleton {
      let ones: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
      let stream = s.isLittle && width % 8 == 0 ? littleToStream(bits & ones, count: width) : bits & ones
      groupMask |= ones << shift
      groupLiteral |= stream << shift
    }
    groupMembers.append((s, groupBits, width, aligned))
    groupBits += width
  }

  private mutating func flushGroup(skeleton: Bool) throws(BitPatternError) {
    guard groupBits > 0 else { return }
    var op = Op(.group)
    op.bits = Int32(groupBits)
    op.mask = groupMask
    op.literal = groupLiteral
    var checks: [Op] = []
    let needsSlot = groupMembers.contains { $0.segment.name != nil }
    if needsSlot {
      let slot = try allocateSlots(1, column: groupMembers[0].segment.column)
      op.dest = slot
      for m in groupMembers {
        guard let name = m.segment.name else { continue }
        var flags: UInt8 = 0
        if m.segment.isSigned { flags |= FieldRef.signed }
        if m.segment.isLittle && m.width % 8 == 0 && m.width > 8 { flags |= FieldRef.swap }
        let ref = FieldRef(slot: slot, shiftLeft: UInt8(m.offset), shiftRight: UInt8(64 - m.width), flags: flags)
        if case .repeatOf = m.segment.value {
          if !skeleton {
            var check = Op(.check)
            check.sizeField = ref
            check.other = out.fields[name]!.ref
            checks.append(check)
          }
        } else {
          out.fields[name] = FieldInfo(name: name, column: m.segment.column, shape: shape(of: m.segment, aligned: m.aligned), ref: ref)
        }
      }
    }
    out.ops.append(op)
    out.ops += checks
    groupBits = 0
    groupMask = 0
    groupLiteral = 0
    groupMembers = []
  }

  // MARK: - Other segments

  private mutating func emit(_ s: Segment, aligned: Bool, skeleton: Bool) throws(BitPatternError) {
    var op: Op
    var slotsNeeded = 1
    switch s.type {
    case .integer:
      // A skipped integer is just bits to step over, whatever its width (Erlang's `_:100`).
      op = Op(s.value == .skip ? .binary : .integer)
    case .float: op = Op(skeleton ? .binary : .float)
    case .binary, .bitstring:
      op = Op(s.size == .rest ? .tail : .binary)
      slotsNeeded = 2
    case .utf8: op = Op(.utf8)
    case .utf16: op = Op(.utf16)
    case .utf32: op = Op(.utf32)
    }
    if skeleton && s.type == .float { slotsNeeded = 2 }
    if s.isSigned { op.flags |= Op.signed }
    if s.isLittle { op.flags |= Op.little }

    switch s.size {
    case .fixed(let bits): op.bits = Int32(bits)
    case .dynamic(let expression): try setSize(&op, expression, unit: s.unit, column: s.column)
    case .rest:
      op.bits = Int32(s.unit)
      op.k0 = s.unit & (s.unit - 1) == 0 ? Int64(s.unit - 1) : -1
    case .utf: break
    }

    switch s.value {
    case .bind(let name):
      let slot = try allocateSlots(slotsNeeded, column: s.column)
      op.dest = slot
      // Values stored whole are already sign-extended; the flag tells size arithmetic so.
      let flags: UInt8 = s.type == .integer && s.isSigned ? FieldRef.signed : 0
      out.fields[name] = FieldInfo(name: name, column: s.column, shape: shape(of: s, aligned: aligned), ref: FieldRef(slot: slot, flags: flags))
    case .skip:
      break
    case .literal(let bits):
      if !skeleton { op.flags |= Op.literal }
      op.literal = bits
    case .literalFloat(let value):
      if !skeleton { op.flags |= Op.literal }
      op.literal = value.bitPattern
    case .repeatOf(let name):
      if !skeleton {
        op.flags |= Op.repeats
        op.other = out.fields[name]!.ref
      }
    }
    out.ops.append(op)
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
      throw error("the pattern needs more than \(BitMatch.slotCapacity) result slots (each run of fixed-size integers up to 64 bits takes one, every other field one, each binary two); split it into two patterns", column)
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
    case .fixed(let bits): width = bits; wholeBytes = bits % 8 == 0
    case .dynamic, .rest: width = nil; wholeBytes = s.unit % 8 == 0
    case .utf: width = nil; wholeBytes = true
    }
    return FieldShape(type: s.type, isSigned: s.isSigned, bitWidth: width, isByteAligned: aligned, isWholeBytes: wholeBytes)
  }
}
