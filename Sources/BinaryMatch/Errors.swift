// The three ways BinaryMatch reports a problem, each with a message a user can act on.
//
// Matching itself never throws: a binary that does not fit a pattern is `nil`. Errors are for
// a pattern that cannot be compiled, values that cannot be built, and the strict generators.

/// A malformed pattern, found when the pattern is created.
///
/// `column` is 1-based and counts characters of the pattern text; `description` shows the
/// pattern with a caret under that column.
public struct BitPatternError: Error, Equatable, Sendable, CustomStringConvertible {
  /// 1-based character position in the pattern text.
  public let column: Int
  /// What is wrong, e.g. "unknown type specifier 'bianry'".
  public let message: String
  /// The pattern text.
  public let pattern: String

  public var description: String {
    let caret = String(repeating: " ", count: max(0, column - 1)) + "^"
    return "bit pattern error at column \(column): \(message)\n  \(pattern)\n  \(caret)"
  }
}

/// Values that cannot be built into a pattern: a missing or unknown field, a value that does
/// not fit its segment, a binary of the wrong size, a float a segment cannot hold.
public struct BitBuildError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The field concerned, when there is one.
  public let field: String?
  /// 1-based column of the segment in the pattern text (0 when not about one segment).
  public let column: Int
  /// What is wrong.
  public let message: String

  /// An error for a value a codec refuses before it builds (a codec written on BinaryMatch
  /// reports its own checks as the builder reports its).
  public init(field: String?, column: Int, message: String) {
    self.field = field
    self.column = column
    self.message = message
  }

  public var description: String {
    let segment = column > 0 ? " (segment at column \(column))" : ""
    if let field { return "cannot build \(field)\(segment): \(message)" }
    return "cannot build\(segment): \(message)"
  }
}

/// A strict generator met input that does not match its pattern, or zipped generators ran out
/// at different times (Erlang's `badmatch` and `bad_generators`).
public struct BitMatchError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Bit offset into the input where matching stopped.
  public let bitOffset: Int
  /// What is wrong.
  public let message: String

  /// An error for input a codec refuses at `bitOffset` (a codec written on BinaryMatch
  /// reports its own checks as the strict generators report theirs).
  public init(bitOffset: Int, message: String) {
    self.bitOffset = bitOffset
    self.message = message
  }

  public var description: String { "bit match error at bit \(bitOffset): \(message)" }
}
