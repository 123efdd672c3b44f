// Example decoder: the WebSocket frame header of RFC 6455 §5.2 as static patterns — the same
// three clauses as `WebSocketFrameCodec`, written as types instead of text:
//
//   Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7,              Key:Mask/unit:32, Payload:Len/binary, Rest/binary
//   Fin:1, Rsv:3, Opcode:4, Mask:1, 126:7, Len:16,      Key:Mask/unit:32, ...
//   Fin:1, Rsv:3, Opcode:4, Mask:1, 127:7, 0:1, Len:63, Key:Mask/unit:32, ...
//
// Sizes name earlier segments by position: the mask bit is segment 3, the length 4, 5 or 6.
import BinaryMatch

/// WebSocket frames decoded and encoded with static patterns (`StaticBitPattern`): the same
/// results as `WebSocketFrameCodec`, at the speed of hand-written shifts.
public enum StaticWebSocketFrame {
  /// `Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7, Key:Mask/unit:32, Payload:Len/binary, Rest/binary`
  public typealias Short = BitLayout8<
    Seg.Flag, Seg.U<3>, Seg.U<4>, Seg.Flag, Seg.U<7>, Seg.USizedBy<3, 32>, Seg.BytesSizedBy<4, 0, 8>, Seg.Rest
  >
  /// `Fin:1, Rsv:3, Opcode:4, Mask:1, 126:7, Len:16, Key:Mask/unit:32, Payload:Len/binary, Rest/binary`
  @usableFromInline typealias Medium = BitLayout9<
    Seg.Flag, Seg.U<3>, Seg.U<4>, Seg.Flag, Seg.Lit<7, 126>, Seg.U<16>, Seg.USizedBy<3, 32>,
    Seg.BytesSizedBy<5, 0, 8>, Seg.Rest
  >
  /// `Fin:1, Rsv:3, Opcode:4, Mask:1, 127:7, 0:1, Len:63, Key:Mask/unit:32, Payload:Len/binary, Rest/binary`
  @usableFromInline typealias Long = BitLayout10<
    Seg.Flag, Seg.U<3>, Seg.U<4>, Seg.Flag, Seg.Lit<7, 127>, Seg.Lit<1, 0>, Seg.U<63>, Seg.USizedBy<3, 32>,
    Seg.BytesSizedBy<6, 0, 8>, Seg.Rest
  >

  @inlinable @inline(__always)
  static func frame(_ fin: Bool, _ rsv: UInt64, _ opcode: UInt64, _ mask: Bool, _ length: UInt64, _ key: UInt64, _ payload: Range<Int>)
    -> WebSocketFrame
  {
    let header = WebSocketFrameHeader(
      fin: fin, rsv: UInt8(truncatingIfNeeded: rsv), opcode: UInt8(truncatingIfNeeded: opcode),
      maskKey: mask ? UInt32(truncatingIfNeeded: key) : nil, payloadLength: length)
    return WebSocketFrame(header: header, payload: payload)
  }

  /// Decodes the frame at the start of `bytes`, with the same rules and results as
  /// `WebSocketFrameCodec.decode`: nil when the bytes do not hold a complete, valid frame.
  @inlinable @inline(__always)
  public static func decode(_ bytes: UnsafeRawBufferPointer) -> WebSocketFrame? {
    // As Erlang's match compiler does with the three clauses: look at the 7-bit length they
    // differ in, then run the one clause that can match (its guard, the minimal length form,
    // is a Swift condition). The head's load is the clause's load, so it is made once.
    guard let (_, length7, _) = Head.match(bytes) else { return nil }
    if length7 == 126 { return medium(bytes) }
    if length7 == 127 { return long(bytes) }
    guard let (fin, rsv, opcode, mask, length, key, payload, _) = Short.match(bytes) else { return nil }
    return frame(fin, rsv, opcode, mask, length, key, payload)
  }

  /// `_:9, Len:7, _/binary`: the 7-bit length that picks the clause.
  @usableFromInline typealias Head = BitLayout3<Seg.Skip<9>, Seg.U<7>, Seg.Rest>

  @inlinable @inline(__always)
  static func medium(_ bytes: UnsafeRawBufferPointer) -> WebSocketFrame? {
    guard let (fin, rsv, opcode, mask, _, length, key, payload, _) = Medium.match(bytes), length >= 126 else { return nil }
    return frame(fin, rsv, opcode, mask, length, key, payload)
  }

  @inlinable @inline(__always)
  static func long(_ bytes: UnsafeRawBufferPointer) -> WebSocketFrame? {
    guard let (fin, rsv, opcode, mask, _, _, length, key, payload, _) = Long.match(bytes), length > 0xFFFF else { return nil }
    return frame(fin, rsv, opcode, mask, length, key, payload)
  }

  /// Decodes the frame at the start of `bytes`.
  @inlinable
  public static func decode(_ bytes: [UInt8]) -> WebSocketFrame? { bytes.withUnsafeBytes { decode($0) } }

  /// The bytes of a frame, as `WebSocketFrameCodec.encode` makes them: the header in the
  /// shortest length form, then `payload` as given; `header.payloadLength` is ignored.
  public static func encode(_ header: WebSocketFrameHeader, payload: [UInt8]) throws(BitBuildError) -> [UInt8] {
    let mask = header.maskKey != nil
    let key = UInt64(header.maskKey ?? 0)
    let rsv = UInt64(header.rsv)
    let opcode = UInt64(header.opcode)
    let count = UInt64(payload.count)
    if payload.count < 126 {
      return try Short.build((header.fin, rsv, opcode, mask, count, key, payload, []))
    }
    if payload.count <= 0xFFFF {
      return try Medium.build((header.fin, rsv, opcode, mask, (), count, key, payload, []))
    }
    return try Long.build((header.fin, rsv, opcode, mask, (), (), count, key, payload, []))
  }
}
