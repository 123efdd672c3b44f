// Example decoder: the IPv4 header of RFC 791 §3.1 in one pattern, options included:
//
//   4:4, IHL:4, DSCP:6, ECN:2, TotalLength:16, Identification:16, Flags:3, FragmentOffset:13,
//   TTL:8, Protocol:8, HeaderChecksum:16, Source:32, Destination:32,
//   Options:(IHL - 5)/binary-unit:32, Payload/binary
//
// The version is a literal, so anything but IPv4 does not match; `(IHL - 5)` words of options
// is a size computed from a field bound earlier (an IHL below 5 makes it negative: no match).
import BinaryMatch

/// A decoded IPv4 header (RFC 791 §3.1).
public struct IPv4Header: Equatable, Sendable {
  /// Header length in 32-bit words (5...15).
  public var ihl: UInt8
  /// Differentiated services code point (RFC 2474).
  public var dscp: UInt8
  /// Explicit congestion notification (RFC 3168).
  public var ecn: UInt8
  /// Length of header and data in bytes.
  public var totalLength: UInt16
  /// Identifies the fragments of one datagram.
  public var identification: UInt16
  /// Bit 0 reserved, bit 1 don't fragment (2), bit 2 more fragments (1).
  public var flags: UInt8
  /// This fragment's position in the datagram, in 8-byte units.
  public var fragmentOffset: UInt16
  /// Time to live: hops left.
  public var ttl: UInt8
  /// The payload's protocol number (6 TCP, 17 UDP).
  public var `protocol`: UInt8
  /// The header's Internet checksum, as stored.
  public var headerChecksum: UInt16
  /// Source address: its four bytes read big-endian.
  public var source: UInt32
  /// Destination address: its four bytes read big-endian.
  public var destination: UInt32

  /// A header; the defaults are a header without options, TTL 64.
  public init(
    ihl: UInt8 = 5, dscp: UInt8 = 0, ecn: UInt8 = 0, totalLength: UInt16, identification: UInt16 = 0,
    flags: UInt8 = 0, fragmentOffset: UInt16 = 0, ttl: UInt8 = 64, protocol: UInt8,
    headerChecksum: UInt16 = 0, source: UInt32, destination: UInt32
  ) {
    self.ihl = ihl
    self.dscp = dscp
    self.ecn = ecn
    self.totalLength = totalLength
    self.identification = identification
    self.flags = flags
    self.fragmentOffset = fragmentOffset
    self.ttl = ttl
    self.protocol = `protocol`
    self.headerChecksum = headerChecksum
    self.source = source
    self.destination = destination
  }
}

/// A packet's header and where its options and payload are (byte offsets into the input).
public struct IPv4Packet: Equatable, Sendable {
  /// The decoded header.
  public var header: IPv4Header
  /// Where the options are (empty when IHL is 5).
  public var options: Range<Int>
  /// Everything after the header (the data, and any link-layer padding after `totalLength`).
  public var payload: Range<Int>

  /// A packet from its parts.
  public init(header: IPv4Header, options: Range<Int>, payload: Range<Int>) {
    self.header = header
    self.options = options
    self.payload = payload
  }
}

/// Decodes and encodes IPv4 headers with one BinaryMatch pattern. Create one and reuse it.
public struct IPv4Codec: Sendable {
  @usableFromInline let pattern: BitPattern
  @usableFromInline let ihl: Field<UInt8>
  @usableFromInline let dscp: Field<UInt8>
  @usableFromInline let ecn: Field<UInt8>
  @usableFromInline let totalLength: Field<UInt16>
  @usableFromInline let identification: Field<UInt16>
  @usableFromInline let flags: Field<UInt8>
  @usableFromInline let fragmentOffset: Field<UInt16>
  @usableFromInline let ttl: Field<UInt8>
  @usableFromInline let proto: Field<UInt8>
  @usableFromInline let checksum: Field<UInt16>
  @usableFromInline let source: Field<UInt32>
  @usableFromInline let destination: Field<UInt32>
  @usableFromInline let options: Field<UnsafeRawBufferPointer>
  @usableFromInline let payload: Field<UnsafeRawBufferPointer>

  /// The pattern text, for documentation and tests.
  public static let patternText = """
    4:4, IHL:4, DSCP:6, ECN:2, TotalLength:16, Identification:16, Flags:3, FragmentOffset:13, \
    TTL:8, Protocol:8, HeaderChecksum:16, Source:32, Destination:32, \
    Options:(IHL - 5)/binary-unit:32, Payload/binary
    """

  /// Compiles the pattern (once; reuse the codec).
  public init() {
    // A constant pattern checked by the tests; it cannot fail to compile.
    do {
      pattern = try BitPattern(Self.patternText)
      ihl = try pattern.field("IHL")
      dscp = try pattern.field("DSCP")
      ecn = try pattern.field("ECN")
      totalLength = try pattern.field("TotalLength")
      identification = try pattern.field("Identification")
      flags = try pattern.field("Flags")
      fragmentOffset = try pattern.field("FragmentOffset")
      ttl = try pattern.field("TTL")
      proto = try pattern.field("Protocol")
      checksum = try pattern.field("HeaderChecksum")
      source = try pattern.field("Source")
      destination = try pattern.field("Destination")
      options = try pattern.field("Options")
      payload = try pattern.field("Payload")
    } catch {
      fatalError("IPv4 pattern failed to compile: \(error)")
    }
  }

  /// Decodes the header at the start of `bytes`; nil unless it is a well-formed IPv4 header
  /// (version 4, IHL at least 5 and all its options present). The checksum is not verified
  /// here; see `IPv4Codec.checksum(_:)`.
  @inlinable @inline(__always)
  public func decode(_ bytes: UnsafeRawBufferPointer) -> IPv4Packet? {
    var m = BitMatch()
    guard pattern.match(bytes, into: &m) else { return nil }
    let header = IPv4Header(
      ihl: m[ihl], dscp: m[dscp], ecn: m[ecn], totalLength: m[totalLength], identification: m[identification],
      flags: m[flags], fragmentOffset: m[fragmentOffset], ttl: m[ttl], protocol: m[proto],
      headerChecksum: m[checksum], source: m[source], destination: m[destination])
    return IPv4Packet(header: header, options: m.byteRange(of: options), payload: m.byteRange(of: payload))
  }

  /// Decodes the header at the start of `bytes`.
  @inlinable
  public func decode(_ bytes: [UInt8]) -> IPv4Packet? { bytes.withUnsafeBytes { decode($0) } }

  /// The bytes of a packet. `header.ihl` is derived from the options (which must be whole
  /// 32-bit words); the checksum is computed when `computeChecksum` is true, else
  /// `header.headerChecksum` is used as given.
  public func encode(_ header: IPv4Header, options: [UInt8] = [], payload: [UInt8] = [], computeChecksum: Bool = true) throws(BitBuildError)
    -> [UInt8]
  {
    var values: [String: BitValue] = [
      "DSCP": BitValue(header.dscp), "ECN": BitValue(header.ecn), "TotalLength": BitValue(header.totalLength),
      "Identification": BitValue(header.identification), "Flags": BitValue(header.flags),
      "FragmentOffset": BitValue(header.fragmentOffset), "TTL": BitValue(header.ttl), "Protocol": BitValue(header.protocol),
      "HeaderChecksum": BitValue(computeChecksum ? 0 : header.headerChecksum), "Source": BitValue(header.source),
      "Destination": BitValue(header.destination), "Options": .bytes(options), "Payload": .bytes(payload),
    ]
    var bytes = try pattern.build(values)
    if computeChecksum {
      let headerLength = 20 + options.count
      values["HeaderChecksum"] = BitValue(Self.checksum(bytes[0..<headerLength]))
      bytes = try pattern.build(values)
    }
    return bytes
  }

  /// The Internet checksum (RFC 1071) of `header`: the ones' complement of the ones'
  /// complement sum of its 16-bit words. A header with a correct checksum field sums to 0.
  public static func checksum<Bytes: Collection<UInt8>>(_ header: Bytes) -> UInt16 {
    var sum: UInt32 = 0
    var high = true
    var word: UInt32 = 0
    for byte in header {
      if high { word = UInt32(byte) << 8 } else { sum += word | UInt32(byte) }
      high.toggle()
    }
    if !high { sum += word }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
  }
}
