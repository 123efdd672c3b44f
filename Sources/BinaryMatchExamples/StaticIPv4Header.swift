// Example decoder: the IPv4 header of RFC 791 §3.1 as one static pattern — the same pattern as
// `IPv4Codec.patternText`, written as types:
//
//   4:4, IHL:4, DSCP:6, ECN:2, TotalLength:16, Identification:16, Flags:3, FragmentOffset:13,
//   TTL:8, Protocol:8, HeaderChecksum:16, Source:32, Destination:32,
//   Options:(IHL - 5)/binary-unit:32, Payload/binary
//
// IHL is segment 1, so the options are `BytesSizedBy<1, -5, 32>`.
import BinaryMatch

/// IPv4 headers decoded and encoded with a static pattern (`StaticBitPattern`): the same
/// results as `IPv4Codec`, at the speed of hand-written shifts.
public enum StaticIPv4Header {
  /// The pattern, segment for segment as `IPv4Codec.patternText`.
  @usableFromInline typealias Pattern = BitLayout15<
    Seg.Lit<4, 4>, Seg.U<4>, Seg.U<6>, Seg.U<2>, Seg.U<16>, Seg.U<16>, Seg.U<3>, Seg.U<13>,
    Seg.U<8>, Seg.U<8>, Seg.U<16>, Seg.U<32>, Seg.U<32>, Seg.BytesSizedBy<1, -5, 32>, Seg.Rest
  >

  /// Decodes the header at the start of `bytes`, with the same rules and results as
  /// `IPv4Codec.decode`: nil unless version 4, IHL at least 5 and all options present.
  @inlinable @inline(__always)
  public static func decode(_ bytes: UnsafeRawBufferPointer) -> IPv4Packet? {
    guard
      let (_, ihl, dscp, ecn, length, id, flags, fragment, ttl, proto, checksum, source, destination, options, payload) = Pattern.match(
        bytes)
    else { return nil }
    let header = IPv4Header(
      ihl: UInt8(truncatingIfNeeded: ihl), dscp: UInt8(truncatingIfNeeded: dscp), ecn: UInt8(truncatingIfNeeded: ecn),
      totalLength: UInt16(truncatingIfNeeded: length), identification: UInt16(truncatingIfNeeded: id),
      flags: UInt8(truncatingIfNeeded: flags), fragmentOffset: UInt16(truncatingIfNeeded: fragment),
      ttl: UInt8(truncatingIfNeeded: ttl), protocol: UInt8(truncatingIfNeeded: proto),
      headerChecksum: UInt16(truncatingIfNeeded: checksum), source: UInt32(truncatingIfNeeded: source),
      destination: UInt32(truncatingIfNeeded: destination))
    return IPv4Packet(header: header, options: options, payload: payload)
  }

  /// Decodes the header at the start of `bytes`.
  @inlinable
  public static func decode(_ bytes: [UInt8]) -> IPv4Packet? { bytes.withUnsafeBytes { decode($0) } }

  /// The bytes of a packet, as `IPv4Codec.encode` makes them: IHL from the options (whole
  /// 32-bit words), the checksum computed when `computeChecksum` is true.
  public static func encode(_ header: IPv4Header, options: [UInt8] = [], payload: [UInt8] = [], computeChecksum: Bool = true)
    throws(BitBuildError) -> [UInt8]
  {
    guard options.count % 4 == 0, options.count <= 40 else {
      throw BitBuildError(field: "Options", column: 0, message: "\(options.count) bytes of options; IPv4 takes 0 to 40, in 4-byte words")
    }
    let ihl = UInt64(5 + options.count / 4)
    func build(_ checksum: UInt16) throws(BitBuildError) -> [UInt8] {
      try Pattern.build(
        (
          (), ihl, UInt64(header.dscp), UInt64(header.ecn), UInt64(header.totalLength), UInt64(header.identification),
          UInt64(header.flags), UInt64(header.fragmentOffset), UInt64(header.ttl), UInt64(header.protocol),
          UInt64(checksum), UInt64(header.source), UInt64(header.destination), options, payload
        ))
    }
    var bytes = try build(computeChecksum ? 0 : header.headerChecksum)
    if computeChecksum {
      bytes = try build(IPv4Codec.checksum(bytes[0..<(20 + options.count)]))
    }
    return bytes
  }
}
