// The frames nodes exchange on a link: a 4-byte big-endian length (the socket's framing
// cuts them), a kind byte, then fields written with WireEncoder. Built by whoever sends
// (any thread), read by the link process.

enum FrameKind: UInt8 {
  // Handshake
  case hello = 1
  case challenge = 2
  case proof = 3
  case accepted = 4
  // Messages
  /// A message for the exported local process `id`.
  case send = 10
  /// A message for the process registered under a name.
  case sendName = 11
  /// A message carrying a reply slot, for process `id` (delivered as a request).
  case request = 12
  case reply = 13
  case callFailed = 14
  case lookup = 15
  case lookupReply = 16
  // Signals
  case link = 20
  case unlink = 21
  case exit = 22
  case monitor = 23
  case demonitor = 24
  case down = 25
  /// Keepalive (also proves the link works both ways).
  case tick = 30
}

/// The longest frame a link accepts; longer closes the link.
let maxFrameLength = 64 << 20

extension WireEncoder {
  /// Starts a frame: room for its length, then its kind.
  mutating func beginFrame(_ kind: FrameKind) {
    bytes.append(contentsOf: [0, 0, 0, 0, kind.rawValue])
  }

  /// Fills the length in; the bytes are ready to send.
  mutating func finishFrame() -> [UInt8] {
    let n = UInt32(bytes.count - 4)
    bytes[0] = UInt8(n >> 24)
    bytes[1] = UInt8(n >> 16 & 0xFF)
    bytes[2] = UInt8(n >> 8 & 0xFF)
    bytes[3] = UInt8(n & 0xFF)
    return bytes
  }

  mutating func writeRaw(_ b: [UInt8]) { writeBytes(b) }
}

extension WireDecoder {
  mutating func readRaw() throws -> [UInt8] { Array(try readBytes()) }
}
