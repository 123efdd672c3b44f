// Segment sizes that depend on values bound earlier: `Payload:Len/binary`, `Opts:((IHL-5)*32)`.
//
// Erlang (OTP 23+) allows a guard expression over bound variables as a size. The matcher needs
// them fast, so a size is compiled into one of three forms: a constant, an affine function of
// one field (`k1 * Field + k0`, which covers almost every protocol), or a small postfix program
// for anything else. Arithmetic that overflows, divides by zero or yields a negative size makes
// the match fail, as a failing guard does in Erlang.

/// Arithmetic allowed in a size: Erlang's integer operators.
enum SizeOperator: Equatable {
  case add, subtract, multiply, divide, remainder, and, or, xor, shiftLeft, shiftRight

  var symbol: String {
    switch self {
    case .add: "+"
    case .subtract: "-"
    case .multiply: "*"
    case .divide: "div"
    case .remainder: "rem"
    case .and: "band"
    case .or: "bor"
    case .xor: "bxor"
    case .shiftLeft: "bsl"
    case .shiftRight: "bsr"
    }
  }

  /// The result, or nil on overflow or division by zero.
  func apply(_ a: Int64, _ b: Int64) -> Int64? {
    switch self {
    case .add:
      let (r, o) = a.addingReportingOverflow(b)
      return o ? nil : r
    case .subtract:
      let (r, o) = a.subtractingReportingOverflow(b)
      return o ? nil : r
    case .multiply:
      let (r, o) = a.multipliedReportingOverflow(by: b)
      return o ? nil : r
    case .divide:
      if b == 0 { return nil }
      let (r, o) = a.dividedReportingOverflow(by: b)
      return o ? nil : r
    case .remainder:
      if b == 0 { return nil }
      let (r, o) = a.remainderReportingOverflow(dividingBy: b)
      return o ? nil : r
    case .and: return a & b
    case .or: return a | b
    case .xor: return a ^ b
    case .shiftLeft: return shiftLeft(a, by: b)
    case .shiftRight: return b == .min ? nil : shiftLeft(a, by: -b)
    }
  }

  private func shiftLeft(_ a: Int64, by b: Int64) -> Int64? {
    if b <= 0 { return b <= -64 ? (a < 0 ? -1 : 0) : a >> -b }
    if a == 0 { return 0 }
    guard b < 63 else { return nil }
    let r = a << b
    return r >> b == a ? r : nil
  }
}

/// A size as written: a tree over integer constants and names.
indirect enum SizeExpression: Equatable {
  case constant(Int64)
  case variable(String, column: Int)
  case negate(SizeExpression)
  case not(SizeExpression)
  case binary(SizeOperator, SizeExpression, SizeExpression)

  /// The names used, in order of appearance, with their columns.
  var variables: [(name: String, column: Int)] {
    switch self {
    case .constant: return []
    case .variable(let name, let column): return [(name, column)]
    case .negate(let e), .not(let e): return e.variables
    case .binary(_, let a, let b): return a.variables + b.variables
    }
  }

  /// The value, given the names' values; nil on a missing name, overflow or division by zero.
  func evaluate(_ lookup: (String) -> Int64?) -> Int64? {
    switch self {
    case .constant(let v): return v
    case .variable(let name, _): return lookup(name)
    case .negate(let e): return e.evaluate(lookup).flatMap { $0 == .min ? nil : -$0 }
    case .not(let e): return e.evaluate(lookup).map { ~$0 }
    case .binary(let op, let a, let b):
      guard let x = a.evaluate(lookup), let y = b.evaluate(lookup) else { return nil }
      return op.apply(x, y)
    }
  }

  /// `k1 * name + k0` when the expression has that shape in a single name (or is constant,
  /// with `name == nil`); nil otherwise.
  var affine: (name: String?, k1: Int64, k0: Int64)? {
    switch self {
    case .constant(let v): return (nil, 0, v)
    case .variable(let name, _): return (name, 1, 0)
    case .negate(let e):
      guard let a = e.affine, a.k1 != .min, a.k0 != .min else { return nil }
      return (a.name, -a.k1, -a.k0)
    case .not: return nil
    case .binary(let op, let l, let r):
      guard let a = l.affine, let b = r.affine else { return nil }
      switch op {
      case .add, .subtract:
        guard a.name == nil || b.name == nil || a.name == b.name,
          let k1 = op.apply(a.k1, b.k1), let k0 = op.apply(a.k0, b.k0)
        else { return nil }
        return (a.name ?? b.name, k1, k0)
      case .multiply:
        if a.name == nil, let k1 = SizeOperator.multiply.apply(a.k0, b.k1), let k0 = SizeOperator.multiply.apply(a.k0, b.k0) {
          return (b.name, k1, k0)
        }
        if b.name == nil, let k1 = SizeOperator.multiply.apply(b.k0, a.k1), let k0 = SizeOperator.multiply.apply(b.k0, a.k0) {
          return (a.name, k1, k0)
        }
        return nil
      default:
        if a.name == nil && b.name == nil, let v = op.apply(a.k0, b.k0) { return (nil, 0, v) }
        return nil
      }
    }
  }

  /// Erlang-like text, for messages.
  var text: String {
    switch self {
    case .constant(let v): return String(v)
    case .variable(let name, _): return name
    case .negate(let e): return "-\(e.text)"
    case .not(let e): return "bnot \(e.text)"
    case .binary(let op, let a, let b): return "(\(a.text) \(op.symbol) \(b.text))"
    }
  }
}

// MARK: - Postfix programs for the matcher

/// One step of a compiled size expression. Operands live on a small stack of `Int64`.
@usableFromInline
struct SizeStep: Sendable {
  @usableFromInline enum Code: UInt8, Sendable {
    case constant, field, negate, not
    case add, subtract, multiply, divide, remainder, and, or, xor, shiftLeft, shiftRight
  }
  @usableFromInline var code: Code
  /// The field read by `.field`.
  @usableFromInline var field: FieldRef
  /// The constant pushed by `.constant`.
  @usableFromInline var constant: Int64

  init(_ code: Code, field: FieldRef = FieldRef(), constant: Int64 = 0) {
    self.code = code
    self.field = field
    self.constant = constant
  }

  static func code(for op: SizeOperator) -> Code {
    switch op {
    case .add: .add
    case .subtract: .subtract
    case .multiply: .multiply
    case .divide: .divide
    case .remainder: .remainder
    case .and: .and
    case .or: .or
    case .xor: .xor
    case .shiftLeft: .shiftLeft
    case .shiftRight: .shiftRight
    }
  }
}

/// The deepest stack a size program may use; deeper expressions are rejected at creation.
let sizeStackLimit = 8

extension SizeExpression {
  /// Appends the postfix form to `steps`; returns the stack depth needed.
  func compile(into steps: inout [SizeStep], resolve: (String) -> FieldRef) -> Int {
    switch self {
    case .constant(let v):
      steps.append(SizeStep(.constant, constant: v))
      return 1
    case .variable(let name, _):
      steps.append(SizeStep(.field, field: resolve(name)))
      return 1
    case .negate(let e):
      let d = e.compile(into: &steps, resolve: resolve)
      steps.append(SizeStep(.negate))
      return d
    case .not(let e):
      let d = e.compile(into: &steps, resolve: resolve)
      steps.append(SizeStep(.not))
      return d
    case .binary(let op, let a, let b):
      let da = a.compile(into: &steps, resolve: resolve)
      let db = b.compile(into: &steps, resolve: resolve)
      steps.append(SizeStep(SizeStep.code(for: op)))
      return max(da, db + 1)
    }
  }
}

/// Runs a size program; nil when the arithmetic fails (overflow, division by zero, a field
/// value beyond `Int64`).
@usableFromInline
func evaluateSize(_ steps: UnsafePointer<SizeStep>, count: Int, slots: UnsafePointer<UInt64>) -> Int64? {
  var stack: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0, 0)
  return withUnsafeMutableBytes(of: &stack) { raw -> Int64? in
    let s = raw.baseAddress!.assumingMemoryBound(to: Int64.self)
    var top = -1
    for i in 0..<count {
      let step = steps[i]
      switch step.code {
      case .constant:
        top &+= 1
        s[top] = step.constant
      case .field:
        guard let v = step.field.signedValue(slots) else { return nil }
        top &+= 1
        s[top] = v
      case .negate:
        guard s[top] != .min else { return nil }
        s[top] = -s[top]
      case .not:
        s[top] = ~s[top]
      default:
        let b = s[top]
        top &-= 1
        let a = s[top]
        let r: (Int64, Bool)
        switch step.code {
        case .add: r = a.addingReportingOverflow(b)
        case .subtract: r = a.subtractingReportingOverflow(b)
        case .multiply: r = a.multipliedReportingOverflow(by: b)
        case .divide: r = b == 0 ? (0, true) : a.dividedReportingOverflow(by: b)
        case .remainder: r = b == 0 ? (0, true) : a.remainderReportingOverflow(dividingBy: b)
        case .and: r = (a & b, false)
        case .or: r = (a | b, false)
        case .xor: r = (a ^ b, false)
        case .shiftLeft, .shiftRight:
          guard let v = (step.code == .shiftLeft ? SizeOperator.shiftLeft : .shiftRight).apply(a, b) else { return nil }
          r = (v, false)
        default: return nil
        }
        if r.1 { return nil }
        s[top] = r.0
      }
    }
    return top == 0 ? s[0] : nil
  }
}
