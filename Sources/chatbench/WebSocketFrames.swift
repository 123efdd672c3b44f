// chatbench's WebSocket frames (RFC 6455 §5), client side and written for low cost per
// copy (the load tool must not be the bottleneck): outgoing IRC lines become masked text
// frames, one per line; incoming bytes are cut into the server's (unmasked) frames by
// index, so a text message reaches the line handling as a slice of the read buffer,
// without a copy. chatd's codec (Sources/ChatApp/Web) is the server's side, written with
// BinaryMatch; the tests check each side against the other.

/// The masking keys of one client: xorshift64*, seeded per client. RFC 6455 §10.3 asks
/// for unpredictable keys to protect proxies from cache poisoning by hostile scripts;
/// a benchmark on loopback only needs them to vary (the server must unmask them).
struct MaskKeys {
  private var state: UInt64

  init(seed: UInt64) { state = seed == 0 ? 0x2545_F491_4F6C_DD1D : seed }

  static func step(_ x0: UInt64) -> UInt64 {
    var x = x0
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    return x &* 0x2545_F491_4F6C_DD1D
  }

  mutating func next() -> UInt32 {
    state = MaskKeys.step(state)
    return UInt32(truncatingIfNeeded: state >> 32)
  }
}

enum WebSocketFrames {
  static let text: UInt8 = 0x1
  static let continuation: UInt8 = 0x0
  static let binary: UInt8 = 0x2
  static let close: UInt8 = 0x8
  static let ping: UInt8 = 0x9
  static let pong: UInt8 = 0xA

  /// Appends one final frame (FIN set), masked with `key`: header in the shortest length
  /// form, the key, then the payload XORed with it (octet i with key octet i mod 4).
  static func append(_ opcode: UInt8, _ payload: UnsafeBufferPointer<UInt8>, key: UInt32, to out: inout [UInt8]) {
    let n = payload.count
    out.append(0x80 | opcode)
    if n < 126 {
      out.append(0x80 | UInt8(n))
    } else if n <= 0xFFFF {
      out.append(0x80 | 126)
      out.append(UInt8(n >> 8))
      out.append(UInt8(truncatingIfNeeded: n))
    } else {
      out.append(0x80 | 127)
      for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(n) >> UInt64(shift))) }
    }
    let k = (UInt8(key >> 24), UInt8(truncatingIfNeeded: key >> 16), UInt8(truncatingIfNeeded: key >> 8), UInt8(truncatingIfNeeded: key))
    out.append(k.0)
    out.append(k.1)
    out.append(k.2)
    out.append(k.3)
    var i = 0
    while i + 4 <= n {
      out.append(payload[i] ^ k.0)
      out.append(payload[i + 1] ^ k.1)
      out.append(payload[i + 2] ^ k.2)
      out.append(payload[i + 3] ^ k.3)
      i += 4
    }
    if i < n { out.append(payload[i] ^ k.0) }
    if i + 1 < n { out.append(payload[i + 1] ^ k.1) }
    if i + 2 < n { out.append(payload[i + 2] ^ k.2) }
  }

  /// One masked text frame per line of `lines` (lines end in LF, a CR before it is
  /// dropped; the line terminator is not sent — one IRC line per message).
  static func textFrames(_ lines: [UInt8], keys: inout MaskKeys) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(lines.count + 16)
    lines.withUnsafeBufferPointer { b in
      var start = 0
      var i = 0
      while i <= b.count {
        if i == b.count || b[i] == 0x0A {
          var end = i
          if end > start && b[end - 1] == 0x0D { end -= 1 }
          if end > start { append(text, UnsafeBufferPointer(rebasing: b[start..<end]), key: keys.next(), to: &out) }
          start = i + 1
        }
        i += 1
      }
    }
    return out
  }

  /// One masked control frame (pong, close) with `payload`.
  static func control(_ opcode: UInt8, _ payload: [UInt8], keys: inout MaskKeys) -> [UInt8] {
    var out: [UInt8] = []
    payload.withUnsafeBufferPointer { append(opcode, $0, key: keys.next(), to: &out) }
    return out
  }
}

/// The server's frames as they arrive: bytes in, frames out, by position in the buffer.
struct WebSocketStream {
  /// What the next bytes hold.
  enum Item: Equatable {
    /// A whole unfragmented text or binary message: its payload is `buffer[range]`.
    case message(Range<Int>)
    /// A message that came in fragments, joined.
    case joined([UInt8])
    case ping([UInt8])
    case pong
    /// A close frame and its code (nil when it had none).
    case close(UInt16?)
    /// The server broke the protocol (a masked frame, a bad opcode, ...).
    case failure(String)
  }

  /// The largest message accepted (a server sending larger ones is broken).
  let maxMessage: Int
  private(set) var buffer: [UInt8] = []
  private var offset = 0
  private var fragments: [UInt8]?

  init(maxMessage: Int) { self.maxMessage = maxMessage }

  /// Adds bytes read from the socket. Call `next()` until nil after each.
  mutating func append(_ bytes: [UInt8]) {
    if offset == buffer.count {
      buffer = bytes  // the common case: nothing left over, no copy
      offset = 0
    } else {
      if offset > 0 {
        buffer.removeFirst(offset)
        offset = 0
      }
      buffer += bytes
    }
  }

  /// The next complete item, or nil when more bytes are needed.
  mutating func next() -> Item? {
    while true {
      let available = buffer.count - offset
      guard available >= 2 else { return nil }
      let b0 = buffer[offset]
      let b1 = buffer[offset + 1]
      let fin = b0 & 0x80 != 0
      let opcode = b0 & 0x0F
      if b0 & 0x70 != 0 { return .failure("reserved bits set in a server frame") }
      if b1 & 0x80 != 0 { return .failure("masked frame from the server") }
      var length = Int(b1 & 0x7F)
      var headerLength = 2
      if length == 126 {
        guard available >= 4 else { return nil }
        length = Int(buffer[offset + 2]) << 8 | Int(buffer[offset + 3])
        headerLength = 4
      } else if length == 127 {
        guard available >= 10 else { return nil }
        var l: UInt64 = 0
        for i in 2..<10 { l = l << 8 | UInt64(buffer[offset + i]) }
        guard l <= UInt64(maxMessage) else { return .failure("frame of \(l) bytes (at most \(maxMessage))") }
        length = Int(l)
        headerLength = 10
      }
      guard length <= maxMessage else { return .failure("frame of \(length) bytes (at most \(maxMessage))") }
      guard available >= headerLength + length else { return nil }
      let start = offset + headerLength
      let range = start..<(start + length)
      offset = range.upperBound
      switch opcode {
      case WebSocketFrames.text, WebSocketFrames.binary:
        if fragments != nil { return .failure("a new message before the fragmented one ended") }
        if fin { return .message(range) }
        fragments = Array(buffer[range])
      case WebSocketFrames.continuation:
        guard var f = fragments else { return .failure("a continuation frame with no message to continue") }
        f += buffer[range]
        guard f.count <= maxMessage else { return .failure("message of \(f.count) bytes (at most \(maxMessage))") }
        if fin {
          fragments = nil
          return .joined(f)
        }
        fragments = f
      case WebSocketFrames.ping:
        return .ping(Array(buffer[range]))
      case WebSocketFrames.pong:
        return .pong
      case WebSocketFrames.close:
        return .close(length >= 2 ? UInt16(buffer[range.lowerBound]) << 8 | UInt16(buffer[range.lowerBound + 1]) : nil)
      default:
        return .failure("reserved opcode \(opcode)")
      }
    }
  }
}
