// Reading flags one at a time, for every chatbench command line (the benchmark's and
// `chatbench chaos`'s): `--flag value` or `--flag=value`, and values checked against
// their range with an error that names the flag.

/// Walks a command line flag by flag.
struct ArgumentCursor {
  private let arguments: [String]
  private var index = 0
  /// The flag being read (without its `=value`).
  private(set) var flag = ""
  private var inlineValue: String?

  init(_ arguments: [String]) { self.arguments = arguments }

  /// The next flag, or nil at the end.
  mutating func next() -> String? {
    guard index < arguments.count else { return nil }
    var arg = arguments[index]
    index += 1
    inlineValue = nil
    if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
      inlineValue = String(arg[arg.index(after: eq)...])
      arg = String(arg[..<eq])
    }
    flag = arg
    return arg
  }

  /// The flag's value: after "=" or the next argument.
  mutating func value() throws(OptionsError) -> String {
    if let v = inlineValue { return v }
    guard index < arguments.count else { throw OptionsError("\(flag) needs a value") }
    index += 1
    return arguments[index - 1]
  }

  mutating func int(_ range: ClosedRange<Int>) throws(OptionsError) -> Int {
    let text = try value()
    guard let v = Int(text), range.contains(v) else {
      throw OptionsError("\(flag) takes a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
    }
    return v
  }

  /// A number in `range`; `open`: the lower bound itself is refused.
  mutating func number(_ range: ClosedRange<Double>, open: Bool = false) throws(OptionsError) -> Double {
    let text = try value()
    guard let v = Double(text), v.isFinite, range.contains(v), !(open && v == range.lowerBound) else {
      let low = open ? "above \(fmtPlain(range.lowerBound))" : "from \(fmtPlain(range.lowerBound))"
      throw OptionsError("\(flag) takes a number \(low) to \(fmtPlain(range.upperBound)), not '\(text)'")
    }
    return v
  }

  /// A flag that takes no value was given one (`--json=x`).
  func noValue() throws(OptionsError) {
    if inlineValue != nil { throw OptionsError("\(flag) takes no value") }
  }
}
