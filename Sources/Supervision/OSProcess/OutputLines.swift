// Cuts an OS child's output (a pipe read in chunks of up to 64 KiB) into lines for the
// logger. A line longer than the limit is logged in pieces of the limit's size (marked
// as cut), so no line holds more memory than that; a last line without a newline is
// given when the pipe closes. Owned by the child's owner process (one per stream).

struct OutputLines {
  let maxLength: Int
  /// The start of a line whose end has not come yet (less than `maxLength` bytes).
  private var partial: [UInt8] = []
  /// The line being read was already cut (its next piece is a continuation).
  private var cutting = false

  init(maxLength: Int) { self.maxLength = max(1, maxLength) }

  /// A line, or a piece of a long one.
  struct Line: Equatable {
    var text: String
    /// A piece of a line longer than the limit.
    var cut: Bool
  }

  /// The complete lines (and pieces) in `chunk`, in order.
  mutating func feed(_ chunk: [UInt8]) -> [Line] {
    var out: [Line] = []
    var start = 0
    while start < chunk.count {
      guard let newline = chunk[start...].firstIndex(of: 0x0A) else {
        append(chunk[start...], &out)
        break
      }
      append(chunk[start..<newline], &out)
      var line = partial
      if line.last == 0x0D { line.removeLast() }
      if !line.isEmpty || !cutting { out.append(Line(text: String(decoding: line, as: UTF8.self), cut: cutting)) }
      partial = []
      cutting = false
      start = newline + 1
    }
    return out
  }

  /// What is left when the stream ends: a last line that had no newline.
  mutating func finish() -> Line? {
    defer {
      partial = []
      cutting = false
    }
    guard !partial.isEmpty else { return nil }
    return Line(text: String(decoding: partial, as: UTF8.self), cut: cutting)
  }

  /// Adds `bytes` to the partial line, giving out full pieces as it reaches the limit.
  private mutating func append(_ bytes: ArraySlice<UInt8>, _ out: inout [Line]) {
    var rest = bytes
    while partial.count + rest.count > maxLength {
      let take = maxLength - partial.count
      partial.append(contentsOf: rest.prefix(take))
      rest = rest.dropFirst(take)
      out.append(Line(text: String(decoding: partial, as: UTF8.self), cut: true))
      partial = []
      cutting = true
    }
    partial.append(contentsOf: rest)
  }
}
