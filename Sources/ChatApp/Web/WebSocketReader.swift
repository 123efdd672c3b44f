// The receiving half of a WebSocket connection: bytes in, messages and control frames
// out. It keeps what has not made a whole frame yet, joins fragments into messages,
// unmasks, and enforces the rules above the frame header: continuation order, the
// maximum message size, UTF-8 in text messages and close reasons, valid close codes.
// The first violation ends reading with the close code to answer it with.

extension WebSocket {
  /// What the peer sent, in order.
  enum Event: Equatable, Sendable {
    /// A complete data message (fragments joined, unmasked). Text is valid UTF-8.
    case message(Opcode, [UInt8])
    case ping([UInt8])
    case pong([UInt8])
    /// A close frame: its code (nil when it had no payload) and reason. Reading stops.
    case close(CloseCode?, String)
    /// The peer broke the protocol: close with this code. Reading stops.
    case failure(Failure)
  }

  /// The stream decoder of one connection.
  struct Reader: Sendable {
    /// The largest message (all fragments together) accepted; larger closes with 1009.
    let maxMessageSize: Int
    /// Whether frames must be masked (true on a server).
    let requireMask: Bool
    /// Bytes received and not yet consumed, from `offset` on.
    private var buffer: [UInt8] = []
    private var offset = 0
    /// A fragmented message being collected.
    private var fragments: [UInt8] = []
    private var fragmentedOpcode: Opcode?
    /// Set after a close frame or a failure: nothing more is read.
    private(set) var finished = false
    /// Set when the peer's close frame was read (the closing handshake is theirs).
    private(set) var receivedClose = false

    init(maxMessageSize: Int, requireMask: Bool = true, pending: [UInt8] = []) {
      self.maxMessageSize = maxMessageSize
      self.requireMask = requireMask
      self.buffer = pending
    }

    /// Bytes waiting for the rest of their frame.
    var bufferedCount: Int { buffer.count - offset }

    /// Adds `bytes` and returns every event they complete.
    mutating func feed(_ bytes: [UInt8]) -> [Event] {
      guard !finished else { return [] }
      if offset == buffer.count {
        buffer = bytes
        offset = 0
      } else {
        if offset > 0 {
          buffer.removeFirst(offset)
          offset = 0
        }
        buffer += bytes
      }
      var events: [Event] = []
      while !finished, let event = next() { events.append(event) }
      if offset == buffer.count {
        buffer = []
        offset = 0
      }
      return events
    }

    /// The next event from the buffer, or nil when it needs more bytes.
    private mutating func next() -> Event? {
      while true {
        let decoded = buffer.withUnsafeBytes { raw in
          Codec.shared.decodeHeader(UnsafeRawBufferPointer(rebasing: raw[offset...]), requireMask: requireMask)
        }
        let header: Header
        let headerLength: Int
        switch decoded {
        case .incomplete: return nil
        case .failure(let f): return fail(f)
        case .header(let h, let n):
          header = h
          headerLength = n
        }
        // Opcode is known valid here: the codec checked it.
        let opcode = Opcode(rawValue: header.opcode) ?? .continuation
        // Refuse what is too large before waiting for it.
        if !opcode.isControl {
          let total = UInt64(fragments.count) + header.payloadLength
          if total > UInt64(maxMessageSize) {
            return fail(Failure(.messageTooBig, "message of \(total) bytes or more (at most \(maxMessageSize))"))
          }
        }
        let length = Int(header.payloadLength)
        guard buffer.count - offset - headerLength >= length else { return nil }
        let start = offset + headerLength
        var payload = Array(buffer[start..<(start + length)])
        offset = start + length
        if let key = header.maskKey { Codec.unmask(&payload, key: key) }

        switch opcode {
        case .ping: return .ping(payload)
        case .pong: return .pong(payload)
        case .close: return closeFrame(payload)
        case .text, .binary:
          if fragmentedOpcode != nil {
            return fail(Failure(.protocolError, "a new \(opcode) message before the fragmented one ended"))
          }
          if header.fin { return complete(opcode, payload) }
          fragmentedOpcode = opcode
          fragments = payload
        case .continuation:
          guard let first = fragmentedOpcode else {
            return fail(Failure(.protocolError, "a continuation frame with no message to continue"))
          }
          fragments += payload
          if header.fin {
            let message = fragments
            fragments = []
            fragmentedOpcode = nil
            return complete(first, message)
          }
        }
      }
    }

    private mutating func complete(_ opcode: Opcode, _ payload: [UInt8]) -> Event {
      if opcode == .text && !UTF8Validation.isValid(payload) {
        return fail(Failure(.invalidPayload, "a text message that is not valid UTF-8"))
      }
      return .message(opcode, payload)
    }

    /// §5.5.1: an empty payload, or a 2-byte code and a UTF-8 reason.
    private mutating func closeFrame(_ payload: [UInt8]) -> Event {
      if payload.isEmpty {
        finished = true
        receivedClose = true
        return .close(nil, "")
      }
      if payload.count == 1 { return fail(Failure(.protocolError, "a close frame with a 1-byte payload")) }
      let code = CloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
      guard code.isValidOnTheWire else { return fail(Failure(.protocolError, "close code \(code) is not allowed on the wire")) }
      let reason = payload[2...]
      guard UTF8Validation.isValid(reason) else { return fail(Failure(.invalidPayload, "a close reason that is not valid UTF-8")) }
      finished = true
      receivedClose = true
      return .close(code, String(decoding: reason, as: UTF8.self))
    }

    private mutating func fail(_ failure: Failure) -> Event {
      finished = true
      buffer = []
      offset = 0
      fragments = []
      return .failure(failure)
    }
  }
}
