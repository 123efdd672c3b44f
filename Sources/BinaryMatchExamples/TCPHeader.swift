// Example decoder: the TCP header of RFC 9293 §3.1 in one pattern, options included:
//
//   SourcePort:16, DestinationPort:16, SequenceNumber:32, AcknowledgmentNumber:32,
//   DataOffset:4, Reserved:3, Flags:9, Window:16, Checksum:16, UrgentPointer:16,
//   Options:(DataOffset - 5)/binary-unit:32, Payload/binary
//
// Flags:9 holds NS (RFC 3540, now reserved) then CWR ECE URG ACK PSH RST SYN FIN.
import BinaryMatch

/// The nine TCP flag bits, FIN being the lowest.
public struct TCPFlags: OptionSet, Hashable, Sendable {
  /// The nine bits, FIN lowest.
  public let rawValue: UInt16
  /// The flags whose bits are set in `rawValue`.
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  /// No more data from the sender.
  public static let fin = TCPFlags(rawValue: 1 << 0)
  /// Synchronise sequence numbers.
  public static let syn = TCPFlags(rawValue: 1 << 1)
  /// Reset the connection.
  public static let rst = TCPFlags(rawValue: 1 << 2)
  /// Push buffered data to the application.
  public static let psh = TCPFlags(rawValue: 1 << 3)
  /// The acknowledgment number is significant.
  public static let ack = TCPFlags(rawValue: 1 << 4)
  /// The urgent pointer is significant.
  public static let urg = TCPFlags(rawValue: 1 << 5)
  /// ECN-Echo (RFC 3168).
  public static let ece = TCPFlags(rawValue: 1 << 6)
  /// Congestion window reduced (RFC 3168).
  public static let cwr = TCPFlags(rawValue: 1 << 7)
  /// ECN nonce (RFC 3540, historic; now reserved).
  public static let ns = TCPFlags(rawValue: 1 << 8)
}

/// A decoded TCP header.
public struct TCPHeader: Equatable, Sendable {
  /// The sender's port.
  public var sourcePort: UInt16
  /// The receiver's port.
  public var destinationPort: UInt16
  /// The first data byte's sequence number.
  public var sequenceNumber: UInt32
  /// The next sequence number the sender expects.
  public var acknowledgmentNumber: UInt32
  /// Header length in 32-bit words (5...15).
  public var dataOffset: UInt8
  /// The three reserved bits (0).
  public var reserved: UInt8
  /// The control bits.
  public var flags: TCPFlags
  /// The receive window, in bytes (before scaling).
  public var window: UInt16
  /// The checksum, as stored.
  public var checksum: UInt16
  /// Offset of the end of urgent data, when `flags` has `.urg`.
  public var urgentPointer: UInt16

  /// A header; the defaults are a header without options, window 65535.
  public init(
    sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32 = 0, acknowledgmentNumber: UInt32 = 0,
    dataOffset: UInt8 = 5, reserved: UInt8 = 0, flags: TCPFlags = [], window: UInt16 = 65535,
    checksum: UInt16 = 0, urgentPointer: UInt16 = 0
  ) {
    self.sourcePort = sourcePort
    self.destinationPort = destinationPort
    self.sequenceNumber = sequenceNumber
    self.acknowledgmentNumber = acknowledgmentNumber
    self.dataOffset = dataOffset
    self.reserved = reserved
    self.flags = flags
    self.window = window
    self.checksum = checksum
    self.urgentPointer = urgentPointer
  }
}

/// A segment's header and where its options and payload are (byte offsets into the input).
public struct TCPSegment: Equatable, Sendable {
  /// The decoded header.
  public var header: TCPHeader
  /// Where the options are (empty when the data offset is 5).
  public var options: Range<Int>
  /// Where the data is: everything after the header.
  public var payload: Range<Int>

  @usableFromInline init(header: TCPHeader, options: Range<Int>, payload: Range<Int>) {
    self.header = header
    self.options = options
    self.payload = payload
  }
}

/// Decodes and encodes TCP headers with one BinaryMatch pattern. Create one and reuse it.
public struct TCPCodec: Sendable {
  @usableFromInline let pattern: BitPattern
  @usableFromInline let sourcePort: Field<UInt16>
  @usableFromInline let destinationPort: Field<UInt16>
  @usableFromInline let sequenceNumber: Field<UInt32>
  @usableFromInline let acknowledgmentNumber: Field<UInt32>
  @usableFromInline let dataOffset: Field<UInt8>
  @usableFromInline let reserved: Field<UInt8>
  @usableFromInline let flags: Field<UInt16>
  @usableFromInline let window: Field<UInt16>
  @usableFromInline let checksum: Field<UInt16>
  @usableFromInline let urgentPointer: Field<UInt16>
  @usableFromInline let options: Field<UnsafeRawBufferPointer>
  @usableFromInline let payload: Field<UnsafeRawBufferPointer>

  /// The pattern text, for documentation and tests.
  public static let patternText = """
    SourcePort:16, DestinationPort:16, SequenceNumber:32, AcknowledgmentNumber:32, \
    DataOffset:4, Reserved:3, Flags:9, Window:16, Checksum:16, UrgentPointer:16, \
    Options:(DataOffset - 5)/binary-unit:32, Payload/binary
    """

  /// Compiles the pattern (once; reuse the codec).
  public init() {
    // A constant pattern checked by the tests; it cannot fail to compile.
    do {
      pattern = try BitPattern(Self.patternText)
      sourcePort = try pattern.field("SourcePort")
      destinationPort = try pattern.field("DestinationPort")
      sequenceNumber = try pattern.field("SequenceNumber")
      acknowledgmentNumber = try pattern.field("AcknowledgmentNumber")
      dataOffset = try pattern.field("DataOffset")
      reserved = try pattern.field("Reserved")
      flags = try pattern.field("Flags")
      window = try pattern.field("Window")
      checksum = try pattern.field("Checksum")
      urgentPointer = try pattern.field("UrgentPointer")
      options = try pattern.field("Options")
      payload = try pattern.field("Payload")
    } catch {
      fatalError("TCP pattern failed to compile: \(error)")
    }
  }

  /// Decodes the header at the start of `bytes` (a TCP segment); nil unless the data offset
  /// is at least 5 and all options are present.
  @inlinable @inline(__always)
  public func decode(_ bytes: UnsafeRawBufferPointer) -> TCPSegment? {
    var m = BitMatch()
    guard pattern.match(bytes, into: &m) else { return nil }
    let header = TCPHeader(
      sourcePort: m[sourcePort], destinationPort: m[destinationPort], sequenceNumber: m[sequenceNumber],
      acknowledgmentNumber: m[acknowledgmentNumber], dataOffset: m[dataOffset], reserved: m[reserved],
      flags: TCPFlags(rawValue: m[flags]), window: m[window], checksum: m[checksum], urgentPointer: m[urgentPointer])
    return TCPSegment(header: header, options: m.byteRange(of: options), payload: m.byteRange(of: payload))
  }

  /// Decodes the header at the start of `bytes`.
  @inlinable
  public func decode(_ bytes: [UInt8]) -> TCPSegment? { bytes.withUnsafeBytes { decode($0) } }

  /// The bytes of a segment; `header.dataOffset` is derived from the options (whole 32-bit
  /// words). The checksum is written as given (it covers an IP pseudo-header this codec does
  /// not see).
  public func encode(_ header: TCPHeader, options: [UInt8] = [], payload: [UInt8] = []) throws(BitBuildError) -> [UInt8] {
    try pattern.build([
      "SourcePort": BitValue(header.sourcePort), "DestinationPort": BitValue(header.destinationPort),
      "SequenceNumber": BitValue(header.sequenceNumber), "AcknowledgmentNumber": BitValue(header.acknowledgmentNumber),
      "Reserved": BitValue(header.reserved), "Flags": BitValue(header.flags.rawValue), "Window": BitValue(header.window),
      "Checksum": BitValue(header.checksum), "UrgentPointer": BitValue(header.urgentPointer),
      "Options": .bytes(options), "Payload": .bytes(payload),
    ])
  }
}
