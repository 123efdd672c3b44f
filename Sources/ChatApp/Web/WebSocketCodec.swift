// The frame codec (RFC 6455 §5.2), written with BinaryMatch: three clauses for the three
// length forms, the masking key bound by `Key:Mask/unit:32` (32 bits when the mask bit
// is set, nothing otherwise), the way an Erlang programmer would write it:
//
//   <<Fin:1, Rsv:3, Opcode:4, Mask:1, Len:7,                Key:Mask/unit:32, Rest/binary>>  when Len < 126
//   <<Fin:1, Rsv:3, Opcode:4, Mask:1, 126:7, Len:16,        Key:Mask/unit:32, Rest/binary>>
//   <<Fin:1, Rsv:3, Opcode:4, Mask:1, 127:7, Len:64,        Key:Mask/unit:32, Rest/binary>>
//
// Only the header is matched: the header tells how long the payload is before the
// payload has arrived, so an oversized frame is refused at once rather than buffered.
// The checks a frame must pass (minimal length forms, reserved bits and opcodes, control
// frame rules, masking) live here too, each with the close code it earns.
import BinaryMatch

extension WebSocket {
  /// A frame header.
  struct Header: Equatable, Sendable {
    /// FIN: the last fragment of its message.
    var fin: Bool
    /// RSV1–3 (no extension is negotiated, so they must be 0).
    var rsv: UInt8
    var opcode: UInt8
    /// The masking key (client-to-server frames must have one).
    var maskKey: UInt32?
    var payloadLength: UInt64
  }

  /// A problem with what the peer sent, and the close code it is answered with.
  struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
    let code: CloseCode
    let reason: String
    init(_ code: CloseCode, _ reason: String) {
      self.code = code
      self.reason = reason
    }
    var description: String { "\(reason) (close \(code))" }
  }

  /// What decoding the start of a buffer found.
  enum Decoded: Equatable, Sendable {
    /// A valid header of `headerLength` bytes; the payload follows (maybe not yet).
    case header(Header, headerLength: Int)
    /// Not enough bytes for the header yet.
    case incomplete
    /// The header breaks the protocol.
    case failure(Failure)
  }

  /// The codec's patterns, compiled once. Sendable and immutable: share one.
  struct Codec: Sendable {
    /// One clause of the header match.
    private struct Clause: Sendable {
      let pattern: BitPattern
      let fin: Field<Bool>
      let rsv: Field<UInt8>
      let opcode: Field<UInt8>
      let mask: Field<Bool>
      let length: Field<UInt64>
      let key: Field<UInt64>
      let rest: Field<UnsafeRawBufferPointer>

      init(_ lengthSegments: String) throws {
        pattern = try BitPattern("Fin:1, Rsv:3, Opcode:4, Mask:1, \(lengthSegments), Key:Mask/unit:32, Rest/binary")
        fin = try pattern.field("Fin")
        rsv = try pattern.field("Rsv")
        opcode = try pattern.field("Opcode")
        mask = try pattern.field("Mask")
        length = try pattern.field("Len")
        key = try pattern.field("Key")
        rest = try pattern.field("Rest")
      }

      func header(_ m: inout BitMatch) -> (Header, Int) {
        let header = Header(
          fin: m[fin], rsv: m[rsv], opcode: m[opcode],
          maskKey: m[mask] ? UInt32(truncatingIfNeeded: m[key]) : nil,
          payloadLength: m[length])
        return (header, m.bitRange(of: rest).lowerBound >> 3)
      }
    }

    /// The first two bytes: enough to know which clause applies.
    private let lead: BitPattern
    private let leadLength: Field<UInt8>
    private let short: Clause
    private let medium: Clause
    private let long: Clause
    /// Headers the server writes: unmasked, so no key segment.
    private let outShort: BitPattern
    private let outMedium: BitPattern
    private let outLong: BitPattern
    private let outMasked: BitPattern

    /// The shared codec.
    static let shared = Codec()

    private init() {
      // Constant patterns, checked by the tests: they cannot fail to compile.
      do {
        lead = try BitPattern("_:9, Len:7, _/binary")
        leadLength = try lead.field("Len")
        short = try Clause("Len:7")
        medium = try Clause("126:7, Len:16")
        long = try Clause("127:7, Len:64")
        outShort = try BitPattern("Fin:1, Rsv:3, Opcode:4, 0:1, Len:7")
        outMedium = try BitPattern("Fin:1, Rsv:3, Opcode:4, 0:1, 126:7, Len:16")
        outLong = try BitPattern("Fin:1, Rsv:3, Opcode:4, 0:1, 127:7, Len:64")
        outMasked = try BitPattern("Fin:1, Rsv:3, Opcode:4, 1:1, Len7:7, Len:Width, Key:32", mode: .buildOnly)
      } catch {
        fatalError("WebSocket frame patterns failed to compile: \(error)")
      }
    }

    // MARK: Decoding

    /// Decodes the frame header at the start of `bytes` and checks it (the payload's
    /// own checks — UTF-8, close codes — belong to the reader).
    /// - Parameter requireMask: frames from a client must be masked (§5.1); a client
    ///   decoding the server's frames passes false and gets a failure for masked ones.
    func decodeHeader(_ bytes: UnsafeRawBufferPointer, requireMask: Bool = true) -> Decoded {
      guard let len7 = lead.match(bytes, { m in m[leadLength] }) else { return .incomplete }
      let clause = len7 < 126 ? short : len7 == 126 ? medium : long
      var m = BitMatch()
      // With `Rest/binary` at the end, the only way a clause fails is too few bytes.
      guard clause.pattern.match(bytes, into: &m) else { return .incomplete }
      let (header, headerLength) = clause.header(&m)
      if let failure = check(header, len7: len7, requireMask: requireMask) { return .failure(failure) }
      return .header(header, headerLength: headerLength)
    }

    /// Decodes the frame header at the start of `bytes`.
    func decodeHeader(_ bytes: [UInt8], requireMask: Bool = true) -> Decoded {
      bytes.withUnsafeBytes { decodeHeader($0, requireMask: requireMask) }
    }

    private func check(_ h: Header, len7: UInt8, requireMask: Bool) -> Failure? {
      // §5.2: "the minimal number of bytes MUST be used to encode the length", and the
      // 64-bit form's most significant bit MUST be 0.
      if len7 == 126 && h.payloadLength < 126 {
        return Failure(.protocolError, "16-bit length \(h.payloadLength) should have used the 7-bit form")
      }
      if len7 == 127 && h.payloadLength <= 0xFFFF {
        return Failure(.protocolError, "64-bit length \(h.payloadLength) should have used a shorter form")
      }
      if h.payloadLength >> 63 != 0 { return Failure(.protocolError, "64-bit length with its most significant bit set") }
      if h.rsv != 0 { return Failure(.protocolError, "reserved bits \(h.rsv) set without a negotiated extension") }
      guard let opcode = Opcode(rawValue: h.opcode) else {
        return Failure(.protocolError, "reserved opcode \(h.opcode)")
      }
      if opcode.isControl {
        if !h.fin { return Failure(.protocolError, "fragmented \(opcode) frame") }
        if h.payloadLength > UInt64(maxControlPayload) {
          return Failure(.protocolError, "\(opcode) frame of \(h.payloadLength) bytes (at most 125)")
        }
      }
      if requireMask && h.maskKey == nil { return Failure(.protocolError, "unmasked frame from a client") }
      if !requireMask && h.maskKey != nil { return Failure(.protocolError, "masked frame from a server") }
      return nil
    }

    // MARK: Encoding

    /// A whole frame: header in the shortest length form, then `payload`, masked with
    /// `maskKey` when there is one (a client's frame; the server sends unmasked ones).
    func encode(_ opcode: Opcode, _ payload: some Collection<UInt8>, fin: Bool = true, maskKey: UInt32? = nil) -> [UInt8] {
      var out = header(opcode.rawValue, length: payload.count, fin: fin, maskKey: maskKey)
      out.reserveCapacity(out.count + payload.count)
      if let maskKey {
        out += Codec.mask(payload, key: maskKey)
      } else {
        out.append(contentsOf: payload)
      }
      return out
    }

    /// The header of a frame with `length` bytes of payload. `opcode` is a raw value so
    /// that tests can build frames the protocol forbids.
    func header(_ opcode: UInt8, length: Int, fin: Bool = true, rsv: UInt8 = 0, maskKey: UInt32? = nil) -> [UInt8] {
      let fields: [String: BitValue] = ["Fin": fin ? 1 : 0, "Rsv": BitValue(rsv), "Opcode": BitValue(opcode), "Len": BitValue(length)]
      do {
        if let maskKey {
          let (len7, width): (Int, Int) = length < 126 ? (length, 0) : length <= 0xFFFF ? (126, 16) : (127, 64)
          var masked = fields
          masked["Len7"] = BitValue(len7)
          masked["Width"] = BitValue(width)
          masked["Key"] = BitValue(maskKey)
          if width == 0 { masked["Len"] = 0 }
          return try outMasked.build(masked)
        }
        return try (length < 126 ? outShort : length <= 0xFFFF ? outMedium : outLong).build(fields)
      } catch {
        // Every value here fits its segment by construction (opcode and rsv come from
        // callers that pass 4- and 3-bit values).
        fatalError("WebSocket header did not build: \(error)")
      }
    }

    /// XORs `bytes` with the masking key, octet i with key octet i mod 4 (§5.3);
    /// masking twice gives the bytes back.
    static func mask(_ bytes: some Collection<UInt8>, key: UInt32) -> [UInt8] {
      let k = (UInt8(key >> 24), UInt8(truncatingIfNeeded: key >> 16), UInt8(truncatingIfNeeded: key >> 8), UInt8(truncatingIfNeeded: key))
      var out = [UInt8]()
      out.reserveCapacity(bytes.count)
      var i = 0
      for b in bytes {
        switch i & 3 {
        case 0: out.append(b ^ k.0)
        case 1: out.append(b ^ k.1)
        case 2: out.append(b ^ k.2)
        default: out.append(b ^ k.3)
        }
        i &+= 1
      }
      return out
    }

    /// Unmasks `bytes` in place.
    static func unmask(_ bytes: inout [UInt8], key: UInt32) {
      let k = [UInt8(key >> 24), UInt8(truncatingIfNeeded: key >> 16), UInt8(truncatingIfNeeded: key >> 8), UInt8(truncatingIfNeeded: key)]
      bytes.withUnsafeMutableBufferPointer { buffer in
        for i in buffer.indices { buffer[i] ^= k[i & 3] }
      }
    }
  }
}
