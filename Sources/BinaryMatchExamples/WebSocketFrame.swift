// Example decoder: the WebSocket frame header of RFC 6455 §5.2, all three length forms and the
// masking key, written as three bit-syntax clauses the way an Erlang programmer would:
//
//   Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7,               Key:Mask/unit:32, Payload:Len/binary, Rest/binary
//   Fin:1, Rsv:3, Opcode:4, Mask:1, 126:7, Len:16,       Key:Mask/unit:32, ...
//   Fin:1, Rsv:3, Opcode:4, Mask:1, 127:7, 0:1, Len:63,  Key:Mask/unit:32, ...
//
// `Key:Mask/unit:32` is a 32-bit key when the mask bit is 1 and nothing when it is 0. The
// guards Erlang would write (`when Len < 126`, minimal length encodings) are plain Swift.
import BinaryMatch

/// A decoded WebSocket frame header (RFC 6455 §5.2).
public struct WebSocketFrameHeader: Equatable, Sendable {
  /// FIN: this is the final fragment of a message.
  public var fin: Bool
  /// RSV1-3, for extensions (0 without one).
  public var rsv: UInt8
  /// 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
  public var opcode: UInt8
  /// The masking key (client-to-server frames), or nil.
  public var maskKey: UInt32?
  /// The payload length in bytes.
  public var payloadLength: UInt64

  /// A header; the defaults are a final, unmasked frame without extensions.
  public init(fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, maskKey: UInt32? = nil, payloadLength: UInt64) {
    self.fin = fin
    self.rsv = rsv
    self.opcode = opcode
    self.maskKey = maskKey
    self.payloadLength = payloadLength
  }
}

/// A frame found at the start of a buffer: its header, where its payload is, and where the
/// next frame starts (byte offsets into the buffer that was decoded).
public struct WebSocketFrame: Equatable, Sendable {
  /// The decoded header.
  public var header: WebSocketFrameHeader
  /// The (still masked, if `header.maskKey` is set) payload bytes.
  public var payload: Range<Int>
  /// The length of the header: 2 to 14 bytes.
  public var headerLength: Int { payload.lowerBound }
  /// Where the bytes after this frame start.
  public var end: Int { payload.upperBound }

  /// A frame from its header and payload range.
  public init(header: WebSocketFrameHeader, payload: Range<Int>) {
    self.header = header
    self.payload = payload
  }
}

/// Decodes and encodes WebSocket frames with BinaryMatch patterns. Create one and reuse it.
public struct WebSocketFrameCodec: Sendable {
  /// One clause: a pattern and its typed fields.
  @usableFromInline
  struct Clause: Sendable {
    @usableFromInline let pattern: BitPattern
    @usableFromInline let fin: Field<Bool>
    @usableFromInline let rsv: Field<UInt8>
    @usableFromInline let opcode: Field<UInt8>
    @usableFromInline let mask: Field<Bool>
    @usableFromInline let length: Field<UInt64>
    @usableFromInline let key: Field<UInt64>
    @usableFromInline let payload: Field<UnsafeRawBufferPointer>

    init(_ lengthSegments: String) throws(BitPatternError) {
      pattern = try BitPattern("Fin:1, Rsv:3, Opcode:4, Mask:1, \(lengthSegments), Key:Mask/unit:32, Payload:Len/binary, Rest/binary")
      fin = try pattern.field("Fin")
      rsv = try pattern.field("Rsv")
      opcode = try pattern.field("Opcode")
      mask = try pattern.field("Mask")
      length = try pattern.field("Len")
      key = try pattern.field("Key")
      payload = try pattern.field("Payload")
    }

    @inlinable @inline(__always)
    func frame(_ m: inout BitMatch) -> WebSocketFrame {
      let header = WebSocketFrameHeader(
        fin: m[fin], rsv: m[rsv], opcode: m[opcode],
        maskKey: m[mask] ? UInt32(truncatingIfNeeded: m[key]) : nil, payloadLength: m[length])
      let bits = m.bitRange(of: payload)
      return WebSocketFrame(header: header, payload: (bits.lowerBound >> 3)..<(bits.upperBound >> 3))
    }
  }

  @usableFromInline let short: Clause
  @usableFromInline let medium: Clause
  @usableFromInline let long: Clause

  /// Compiles the three clauses (once; reuse the codec).
  public init() {
    // The patterns are constants checked by the tests; they cannot fail to compile.
    do {
      short = try Clause("Len:7")
      medium = try Clause("126:7, Len:16")
      long = try Clause("127:7, 0:1, Len:63")
    } catch {
      fatalError("WebSocket patterns failed to compile: \(error)")
    }
  }

  /// Decodes the frame at the start of `bytes` (more bytes may follow: the next frame).
  /// Returns nil when the bytes do not hold a complete, valid frame: too short, a length not
  /// in its minimal form (§5.2 "the minimal number of bytes MUST be used"), or the 64-bit
  /// length's most significant bit set.
  @inlinable @inline(__always)
  public func decode(_ bytes: UnsafeRawBufferPointer) -> WebSocketFrame? {
    // Erlang would write three function clauses with guards; here the clauses are tried in
    // turn, reusing one match, and the guards are Swift conditions.
    var m = BitMatch()
    if short.pattern.match(bytes, into: &m) {
      let length = m[short.length]
      if length < 126 { return short.frame(&m) }
      // As Erlang's match compiler would: the clauses differ in the 7-bit length, so once it
      // is known only one other clause can match (126: medium, 127: long).
      if length == 126 {
        return medium.pattern.match(bytes, into: &m) && m[medium.length] >= 126 ? medium.frame(&m) : nil
      }
      return long.pattern.match(bytes, into: &m) && m[long.length] > 0xFFFF ? long.frame(&m) : nil
    }
    if medium.pattern.match(bytes, into: &m), m[medium.length] >= 126 { return medium.frame(&m) }
    if long.pattern.match(bytes, into: &m), m[long.length] > 0xFFFF { return long.frame(&m) }
    return nil
  }

  /// Decodes the frame at the start of `bytes`.
  @inlinable
  public func decode(_ bytes: [UInt8]) -> WebSocketFrame? {
    bytes.withUnsafeBytes { decode($0) }
  }

  /// The bytes of a frame: header (in the shortest length form) then `payload` as given
  /// (mask it first with `WebSocketFrameCodec.mask` when `header.maskKey` is set).
  /// `header.payloadLength` is ignored; the payload's count is used.
  public func encode(_ header: WebSocketFrameHeader, payload: [UInt8]) throws(BitBuildError) -> [UInt8] {
    let clause = payload.count < 126 ? short : payload.count <= 0xFFFF ? medium : long
    return try clause.pattern.build([
      "Fin": header.fin ? 1 : 0, "Rsv": BitValue(header.rsv), "Opcode": BitValue(header.opcode),
      "Mask": header.maskKey == nil ? 0 : 1, "Key": BitValue(header.maskKey ?? 0), "Payload": .bytes(payload),
      "Rest": [],
    ])
  }

  /// XORs `bytes` with the masking key (RFC 6455 §5.3); masking twice restores the bytes.
  public static func mask<Bytes: Collection<UInt8>>(_ bytes: Bytes, key: UInt32) -> [UInt8] {
    let k = [UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)]
    return bytes.enumerated().map { $0.element ^ k[$0.offset & 3] }
  }
}
