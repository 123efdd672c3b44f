// Example decoder: PNG files (ISO/IEC 15948, "PNG (Portable Network Graphics) Specification")
// as a signature followed by chunks, each `Length:32, Type:4/binary, Data:Length/binary, CRC:32`
// with the CRC-32 of type and data. The chunk list is a strict generator over the bytes after
// the signature (Erlang's `<<...>> <:= Chunks`): trailing garbage is an error, not ignored.
import BinaryMatch

/// One PNG chunk: its four-letter type, where its data is, and whether its CRC is right.
public struct PNGChunk: Equatable, Sendable {
  /// "IHDR", "IDAT", "IEND"...
  public var type: String
  /// The chunk data, as byte offsets into the file.
  public var data: Range<Int>
  /// The CRC stored in the file.
  public var crc: UInt32
  /// Whether `crc` is the CRC-32 of the type and data bytes.
  public var crcIsValid: Bool

  init(type: String, data: Range<Int>, crc: UInt32, crcIsValid: Bool) {
    self.type = type
    self.data = data
    self.crc = crc
    self.crcIsValid = crcIsValid
  }
}

/// Reads and writes PNG chunk streams with BinaryMatch patterns.
public struct PNGCodec: Sendable {
  /// The 8-byte signature: `137, "PNG", 13, 10, 26, 10`.
  static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]

  private let file: BitPattern
  private let chunk: BitPattern
  private let chunks: Field<Bitstring>
  private let length: Field<UInt32>
  private let type: Field<ArraySlice<UInt8>>
  private let data: Field<ArraySlice<UInt8>>
  private let crc: Field<UInt32>

  /// Compiles the patterns (once; reuse the codec).
  public init() {
    // Constant patterns checked by the tests; they cannot fail to compile.
    do {
      file = try BitPattern(#"137, "PNG", 13, 10, 26, 10, Chunks/binary"#)
      chunk = try BitPattern("Length:32, Type:4/binary, Data:Length/binary, CRC:32")
      chunks = try file.field("Chunks")
      length = try chunk.field("Length")
      type = try chunk.field("Type")
      data = try chunk.field("Data")
      crc = try chunk.field("CRC")
    } catch {
      fatalError("PNG patterns failed to compile: \(error)")
    }
  }

  /// The chunks of a PNG file, in order. Throws `BitMatchError` when the signature is wrong
  /// or the bytes after it do not split exactly into chunks. CRCs are checked but a bad one
  /// is reported in `crcIsValid`, not thrown.
  public func chunks(in bytes: [UInt8]) throws(BitMatchError) -> [PNGChunk] {
    guard var f = file.match(bytes) else {
      throw BitMatchError(bitOffset: 0, message: "not a PNG file: the 8-byte signature does not match")
    }
    let body = f[chunks, in: bytes]
    var out: [PNGChunk] = []
    for var m in try chunk.strictMatches(in: body) {
      // Offsets count from the start of `body`, which starts after the 8-byte signature.
      let typeBytes = m[type, in: bytes[8...]]
      let dataBytes = m[data, in: bytes[8...]]
      let stored = m[crc]
      out.append(
        PNGChunk(
          type: String(decoding: typeBytes, as: UTF8.self), data: dataBytes.startIndex..<dataBytes.endIndex,
          crc: stored, crcIsValid: CRC32.checksum(typeBytes, dataBytes) == stored))
    }
    return out
  }

  /// The bytes of one chunk, its length and CRC computed.
  public func encodeChunk(type: String, data: [UInt8]) throws(BitBuildError) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    guard typeBytes.count == 4 else {
      throw BitBuildError(field: "Type", column: 0, message: "a chunk type is 4 ASCII letters, not \"\(type)\"")
    }
    return try chunk.build([
      "Type": .bytes(typeBytes), "Data": .bytes(data), "CRC": BitValue(CRC32.checksum(typeBytes[...], data[...])),
    ])
  }

  /// A PNG file: the signature then the chunks given as (type, data).
  public func encodeFile(_ chunks: [(type: String, data: [UInt8])]) throws(BitBuildError) -> [UInt8] {
    var out = Self.signature
    for c in chunks { out += try encodeChunk(type: c.type, data: c.data) }
    return out
  }
}

/// CRC-32 as used by PNG, zlib and Ethernet (ISO 3309 / ITU-T V.42, reflected, polynomial
/// 0xEDB88320, initial and final XOR 0xFFFFFFFF).
public enum CRC32 {
  private static let table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// The CRC-32 of the concatenation of `parts`.
  public static func checksum(_ parts: ArraySlice<UInt8>...) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for part in parts {
      for byte in part { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    }
    return c ^ 0xFFFF_FFFF
  }
}
