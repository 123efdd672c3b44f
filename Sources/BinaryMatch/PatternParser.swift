// The parser for Erlang's bit syntax notation: text in, a list of raw segments out.
//
// It only reads the notation — `Value:Size/Type-Specifiers` joined by commas, optionally inside
// `<< >>` — and records the column of everything it reads. Whether the segments make sense
// together (types, sizes, names) is decided by `Segment.swift`.

/// A segment's value as written: a name, `_`, or a literal.
enum ParsedValue: Equatable {
  case name(String)
  case skip
  case integer(magnitude: UInt64, negative: Bool)
  case float(Double)
  case string([Unicode.Scalar])
}

/// One type specifier as written (`binary`, `little`, `unit:16`, ...).
struct ParsedSpecifier {
  var name: String
  var unit: Int?
  var column: Int
}

/// A segment as written, before validation.
struct ParsedSegment {
  var column: Int
  var value: ParsedValue
  /// nil when no `:Size` was written.
  var size: SizeExpression?
  var sizeColumn: Int
  var specifiers: [ParsedSpecifier]
}

/// Reads the notation. Columns are 1-based positions in `Unicode.Scalar`s of the text.
struct PatternParser {
  private let text: String
  private let chars: [Unicode.Scalar]
  private var index = 0

  init(_ text: String) {
    self.text = text
    self.chars = Array(text.unicodeScalars)
  }

  func error(_ message: String, at position: Int) -> BitPatternError {
    BitPatternError(column: position + 1, message: message, pattern: text)
  }

  mutating func parse() throws(BitPatternError) -> [ParsedSegment] {
    skipSpace()
    let bracketed = lookingAt("<<")
    if bracketed {
      index += 2
      skipSpace()
    }
    var segments: [ParsedSegment] = []
    if bracketed && lookingAt(">>") {
      index += 2
    } else if !bracketed && index == chars.count {
      // The empty pattern matches (and builds) the empty binary.
    } else {
      while true {
        segments.append(try parseSegment())
        skipSpace()
        if peek == "," {
          index += 1
          skipSpace()
          continue
        }
        if bracketed {
          guard lookingAt(">>") else { throw error("expected ',' or '>>' after a segment", at: index) }
          index += 2
        }
        break
      }
    }
    skipSpace()
    if index < chars.count {
      if lookingAt("<<") { throw error("binary patterns cannot be nested; match the inner binary with a second pattern", at: index) }
      if bracketed { throw error("unexpected text after '>>'", at: index) }
      throw error("expected ',' between segments", at: index)
    }
    return segments
  }

  // MARK: - Segments

  private mutating func parseSegment() throws(BitPatternError) -> ParsedSegment {
    let start = index
    let value = try parseValue()
    skipSpace()
    var size: SizeExpression?
    var sizeColumn = 0
    if peek == ":" {
      index += 1
      skipSpace()
      sizeColumn = index + 1
      size = try parseSize()
      skipSpace()
    }
    var specifiers: [ParsedSpecifier] = []
    if peek == "/" {
      index += 1
      repeat {
        skipSpace()
        specifiers.append(try parseSpecifier())
        skipSpace()
      } while consume("-")
    }
    return ParsedSegment(column: start + 1, value: value, size: size, sizeColumn: sizeColumn, specifiers: specifiers)
  }

  private mutating func parseValue() throws(BitPatternError) -> ParsedValue {
    guard let c = peek else { throw error("expected a segment (a name, '_' or a literal)", at: index) }
    if lookingAt("<<") {
      throw error("binary patterns cannot be nested; match the inner binary with a second pattern", at: index)
    }
    if c == "(" {
      throw error("a segment value must be a name, '_' or a literal; compute expressions in Swift and pass the result by name", at: index)
    }
    if c == "\"" { return .string(try parseString()) }
    if c == "$" {
      let (v, _) = try parseCharLiteral()
      return .integer(magnitude: UInt64(v.value), negative: false)
    }
    if c == "-" || c == "+" || isDigit(c) {
      let start = index
      var negative = false
      if c == "-" || c == "+" {
        negative = c == "-"
        index += 1
        skipSpace()
      }
      guard let d = peek, isDigit(d) || d == "$" else { throw error("expected a number after '\(c)'", at: start) }
      if d == "$" {
        let (v, _) = try parseCharLiteral()
        return .integer(magnitude: UInt64(v.value), negative: negative && v.value != 0)
      }
      switch try parseNumber() {
      case .integer(let magnitude): return .integer(magnitude: magnitude, negative: negative && magnitude != 0)
      case .float(let value): return .float(negative ? -value : value)
      }
    }
    if isNameStart(c) {
      let name = readName()
      if name == "_" { return .skip }
      return .name(name)
    }
    throw error("expected a segment (a name, '_' or a literal), found '\(c)'", at: index)
  }

  private mutating func parseSize() throws(BitPatternError) -> SizeExpression {
    guard let c = peek else { throw error("expected a size after ':'", at: index) }
    let start = index
    if isDigit(c) {
      guard case .integer(let magnitude) = try parseNumber() else { throw error("a size must be an integer", at: start) }
      guard magnitude <= UInt64(Int32.max) else { throw error("size \(magnitude) is too large", at: start) }
      return .constant(Int64(magnitude))
    }
    if isNameStart(c) {
      let name = readName()
      if name == "_" { throw error("'_' cannot be a size", at: start) }
      return .variable(name, column: start + 1)
    }
    if c == "(" {
      index += 1
      let e = try parseExpression()
      skipSpace()
      guard consume(")") else { throw error("expected ')' to close the size expression", at: index) }
      return e
    }
    if c == "-" { throw error("a size cannot be negative", at: index) }
    throw error("expected a size: an integer, a name bound earlier, or a parenthesised expression", at: index)
  }

  private mutating func parseSpecifier() throws(BitPatternError) -> ParsedSpecifier {
    let start = index
    guard let c = peek, isNameStart(c) else { throw error("expected a type specifier after '/' or '-'", at: index) }
    let name = readName()
    if name == "unit" {
      skipSpace()
      guard consume(":") else { throw error("expected ':' after 'unit' (as in unit:8)", at: index) }
      skipSpace()
      let unitStart = index
      guard let d = peek, isDigit(d), case .integer(let unit) = try parseNumber() else {
        throw error("expected an integer 1..256 after 'unit:'", at: unitStart)
      }
      guard unit >= 1 && unit <= 256 else { throw error("unit must be 1..256, not \(unit)", at: unitStart) }
      return ParsedSpecifier(name: name, unit: Int(unit), column: start + 1)
    }
    return ParsedSpecifier(name: name, unit: nil, column: start + 1)
  }

  // MARK: - Size expressions (Erlang guard arithmetic)

  private mutating func parseExpression() throws(BitPatternError) -> SizeExpression {
    var left = try parseTerm()
    while true {
      skipSpace()
      let op: SizeOperator
      if consume("+") {
        op = .add
      } else if peek == "-" && !lookingAt("->") {
        index += 1
        op = .subtract
      } else if let word = peekWord(),
        let o = [("bor", SizeOperator.or), ("bxor", .xor), ("bsl", .shiftLeft), ("bsr", .shiftRight)].first(where: { $0.0 == word })?.1
      {
        index += word.unicodeScalars.count
        op = o
      } else {
        return left
      }
      left = .binary(op, left, try parseTerm())
    }
  }

  private mutating func parseTerm() throws(BitPatternError) -> SizeExpression {
    var left = try parseUnary()
    while true {
      skipSpace()
      let op: SizeOperator
      if consume("*") {
        op = .multiply
      } else if peek == "/" {
        throw error("'/' is float division; use 'div' for sizes", at: index)
      } else if let word = peekWord(),
        let o = [("div", SizeOperator.divide), ("rem", .remainder), ("band", .and)].first(where: { $0.0 == word })?.1
      {
        index += word.unicodeScalars.count
        op = o
      } else {
        return left
      }
      left = .binary(op, left, try parseUnary())
    }
  }

  private mutating func parseUnary() throws(BitPatternError) -> SizeExpression {
    skipSpace()
    if consume("-") { return .negate(try parseUnary()) }
    if consume("+") { return try parseUnary() }
    if peekWord() == "bnot" {
      index += 4
      return .not(try parseUnary())
    }
    guard let c = peek else { throw error("expected an operand", at: index) }
    let start = index
    if isDigit(c) {
      guard case .integer(let magnitude) = try parseNumber() else { throw error("sizes are integers; floats are not allowed", at: start) }
      guard magnitude <= UInt64(Int64.max) else { throw error("integer \(magnitude) is too large", at: start) }
      return .constant(Int64(magnitude))
    }
    if c == "$" {
      let (v, _) = try parseCharLiteral()
      return .constant(Int64(v.value))
    }
    if isNameStart(c) {
      let name = readName()
      if name == "_" { throw error("'_' cannot be used in a size", at: start) }
      if ["div", "rem", "band", "bor", "bxor", "bsl", "bsr", "bnot"].contains(name) {
        throw error("operator '\(name)' needs an operand before it", at: start)
      }
      return .variable(name, column: start + 1)
    }
    if c == "(" {
      index += 1
      let e = try parseExpression()
      skipSpace()
      guard consume(")") else { throw error("expected ')'", at: index) }
      return e
    }
    throw error("expected an integer, a name or '(' in the size expression", at: index)
  }

  // MARK: - Literals

  private enum Number {
    case integer(UInt64)
    case float(Double)
  }

  /// Erlang numbers: `42`, `1_000`, `16#FF`, `2#1010`, `1.5`, `2.0e-3`.
  private mutating func parseNumber() throws(BitPatternError) -> Number {
    let start = index
    var digits = readDigits(base: 10)
    if peek == "#" {
      guard let base = Int(digits), base >= 2 && base <= 36 else { throw error("base must be 2..36 in Base#Digits", at: start) }
      index += 1
      let bodyStart = index
      let body = readDigits(base: base)
      guard !body.isEmpty else { throw error("expected base-\(base) digits after '#'", at: bodyStart) }
      guard let v = UInt64(body, radix: base) else { throw error("integer literal is too large (at most 64 bits)", at: start) }
      return .integer(v)
    }
    if peek == ".", index + 1 < chars.count, isDigit(chars[index + 1]) {
      index += 1
      digits += "." + readDigits(base: 10)
      if let e = peek, e == "e" || e == "E" {
        index += 1
        digits += "e"
        if let s = peek, s == "-" || s == "+" {
          digits.unicodeScalars.append(s)
          index += 1
        }
        let exponent = readDigits(base: 10)
        guard !exponent.isEmpty else { throw error("expected exponent digits", at: index) }
        digits += exponent
      }
      guard let v = Double(digits), v.isFinite else { throw error("float literal out of range", at: start) }
      return .float(v)
    }
    guard let v = UInt64(digits) else { throw error("integer literal is too large (at most 64 bits)", at: start) }
    return .integer(v)
  }

  private mutating func readDigits(base: Int) -> String {
    var s = ""
    while let c = peek {
      if c == "_", !s.isEmpty, index + 1 < chars.count, digitValue(chars[index + 1]).map({ $0 < base }) == true {
        index += 1
        continue
      }
      guard let d = digitValue(c), d < base else { break }
      s.unicodeScalars.append(c)
      index += 1
    }
    return s
  }

  private mutating func parseString() throws(BitPatternError) -> [Unicode.Scalar] {
    let start = index
    index += 1
    var out: [Unicode.Scalar] = []
    while true {
      guard let c = peek else { throw error("unterminated string literal", at: start) }
      index += 1
      if c == "\"" { return out }
      if c == "\\" { out.append(try parseEscape()) } else { out.append(c) }
    }
  }

  private mutating func parseCharLiteral() throws(BitPatternError) -> (Unicode.Scalar, Int) {
    let start = index
    index += 1  // '$'
    guard let c = peek else { throw error("expected a character after '$'", at: start) }
    index += 1
    if c == "\\" { return (try parseEscape(), start) }
    return (c, start)
  }

  /// Erlang escapes: \n \t \r \s \b \f \v \e \d \0..\777 (octal) \xHH \x{H..} \^a and \<char>.
  private mutating func parseEscape() throws(BitPatternError) -> Unicode.Scalar {
    let start = index - 1
    guard let c = peek else { throw error("unfinished escape sequence", at: start) }
    index += 1
    switch c {
    case "n": return "\n"
    case "t": return "\t"
    case "r": return "\r"
    case "s": return " "
    case "b": return "\u{08}"
    case "f": return "\u{0C}"
    case "v": return "\u{0B}"
    case "e": return "\u{1B}"
    case "d": return "\u{7F}"
    case "^":
      guard let ctl = peek, ctl.isASCII else { throw error("expected a letter after '\\^'", at: start) }
      index += 1
      return Unicode.Scalar(UInt8(ctl.value & 0x1F))
    case "x":
      var hex = ""
      if consume("{") {
        while let h = peek, h != "}" {
          hex.unicodeScalars.append(h)
          index += 1
        }
        guard consume("}") else { throw error("expected '}' to close \\x{...}", at: start) }
      } else {
        for _ in 0..<2 {
          if let h = peek, digitValue(h).map({ $0 < 16 }) == true {
            hex.unicodeScalars.append(h)
            index += 1
          }
        }
      }
      guard let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else { throw error("invalid \\x escape", at: start) }
      return scalar
    case "0"..."7":
      var v = c.value - 48
      for _ in 0..<2 {
        if let o = peek, ("0"..."7").contains(o) {
          v = v * 8 + o.value - 48
          index += 1
        }
      }
      return Unicode.Scalar(v)!
    default:
      return c
    }
  }

  // MARK: - Characters

  private var peek: Unicode.Scalar? { index < chars.count ? chars[index] : nil }

  private func lookingAt(_ s: String) -> Bool {
    var i = index
    for c in s.unicodeScalars {
      guard i < chars.count, chars[i] == c else { return false }
      i += 1
    }
    return true
  }

  private mutating func consume(_ c: Unicode.Scalar) -> Bool {
    guard peek == c else { return false }
    index += 1
    return true
  }

  private mutating func skipSpace() {
    while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
  }

  /// The identifier at the cursor, without consuming it.
  private func peekWord() -> String? {
    var i = index
    var s = ""
    while i < chars.count, isNameChar(chars[i]) {
      s.unicodeScalars.append(chars[i])
      i += 1
    }
    return s.isEmpty ? nil : s
  }

  private mutating func readName() -> String {
    var s = ""
    while let c = peek, isNameChar(c) {
      s.unicodeScalars.append(c)
      index += 1
    }
    return s
  }

  private func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
  private func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
  private func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || isDigit(c) || c == "@" }

  private func digitValue(_ c: Unicode.Scalar) -> Int? {
    switch c {
    case "0"..."9": return Int(c.value - 48)
    case "a"..."z": return Int(c.value - 97 + 10)
    case "A"..."Z": return Int(c.value - 65 + 10)
    default: return nil
    }
  }
}
