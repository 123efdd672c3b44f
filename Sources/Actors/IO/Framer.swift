// Cuts a byte stream into frames (lines, length-prefixed frames). Runs on the scheduler
// thread that reads the socket, under the socket's lock.

struct Framer {
  // (This order packs the fields: 34 bytes.)
  /// Bytes of an incomplete frame.
  private var partial: [UInt8] = []
  private var discarded = 0
  var framing: Framing
  /// Discarding the rest of an over-long line.
  private var discarding = false

  init(_ framing: Framing) { self.framing = framing }

  enum Output {
    case frame([UInt8])
    case tooLong(Int)
    /// Unrecoverable (length framing): the socket must close.
    case fatal(Int)
  }

  /// Takes the bytes of the incomplete frame (a connection handed to another process
  /// takes them along); the framer starts afresh.
  mutating func takePartial() -> [UInt8] {
    defer {
      partial = []
      discarding = false
      discarded = 0
    }
    return discarding ? [] : partial
  }

  /// Puts back bytes of an incomplete frame, before anything fed from now on.
  mutating func restorePartial(_ bytes: [UInt8]) { partial = bytes + partial }

  /// Feeds `bytes`; returns the complete frames and errors, in order.
  mutating func feed(_ bytes: UnsafeRawBufferPointer, into out: inout [Output]) {
    switch framing {
    case .raw:
      out.append(.frame(Array(bytes.bindMemory(to: UInt8.self))))
    case .line(let maxLength):
      feedLines(bytes.bindMemory(to: UInt8.self), maxLength: maxLength, &out)
    case .lengthPrefixed(let headerBytes, let maxLength):
      partial.append(contentsOf: bytes.bindMemory(to: UInt8.self))
      feedLengths(headerBytes: headerBytes, maxLength: maxLength, &out)
    }
  }

  private mutating func feedLines(_ bytes: UnsafeBufferPointer<UInt8>, maxLength: Int, _ out: inout [Output]) {
    var start = 0
    let n = bytes.count
    while start < n {
      // Find the next newline.
      var i = start
      while i < n && bytes[i] != 0x0A { i += 1 }
      if i == n {
        // No terminator in the rest: keep it, unless the line is already too long.
        if discarding {
          discarded += n - start
        } else if partial.count + (n - start) >= maxLength {
          discarding = true
          discarded = partial.count + (n - start)
          partial = []
        } else {
          partial.append(contentsOf: bytes[start..<n])
        }
        return
      }
      // A complete line: partial + bytes[start..<i].
      if discarding {
        out.append(.tooLong(discarded + (i - start) + 1))
        discarding = false
        discarded = 0
      } else {
        let length = partial.count + (i - start) + 1
        if length > maxLength {
          out.append(.tooLong(length))
          partial = []
        } else {
          var line: [UInt8]
          if partial.isEmpty {
            line = Array(bytes[start..<i])
          } else {
            line = partial
            line.append(contentsOf: bytes[start..<i])
            partial = []
          }
          if line.last == 0x0D { line.removeLast() }
          out.append(.frame(line))
        }
      }
      start = i + 1
    }
  }

  private mutating func feedLengths(headerBytes: Int, maxLength: Int, _ out: inout [Output]) {
    var offset = 0
    while partial.count - offset >= headerBytes {
      var length = 0
      for k in 0..<headerBytes { length = length << 8 | Int(partial[offset + k]) }
      if length > maxLength {
        out.append(.fatal(length))
        partial = []
        return
      }
      guard partial.count - offset - headerBytes >= length else { break }
      let start = offset + headerBytes
      out.append(.frame(Array(partial[start..<(start + length)])))
      offset = start + length
    }
    if offset > 0 { partial = Array(partial[offset...]) }
  }
}

extension Framer {
  /// Bytes allocated for the unfinished frame (0 once it is complete).
  var partialCapacity: Int { partial.capacity }
}
