// `Bitstring`: Erlang's bitstring — a run of bits whose length need not be a multiple of 8.
//
// It is the value type for `/bitstring` segments, for inputs and outputs that are not whole
// bytes (`<<X:1, Y:6>>` is 7 bits), and the buffer the builder appends to. Sub-bitstrings are
// views that share the parent's storage, like Erlang's sub binaries.

/// A sequence of bits, stored in bytes, most significant bit first (Erlang's bitstring).
///
/// A `Bitstring` whose `bitCount` is a multiple of 8 is what Erlang calls a binary. Slicing
/// (`self[bits: range]`) shares storage: no bytes are copied, even at offsets inside a byte.
/// Equality and hashing look only at the bits in range.
public struct Bitstring: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
  /// The bytes holding the bits; the first bit is `bitOffset` bits into `storage.first`.
  @usableFromInline var storage: ArraySlice<UInt8>
  /// 0...7: where the first bit sits in the first byte of `storage`.
  @usableFromInline var bitOffset: Int
  /// The number of bits.
  public private(set) var bitCount: Int

  /// The empty bitstring.
  public init() {
    storage = []
    bitOffset = 0
    bitCount = 0
  }

  /// A binary holding `bytes` (8 bits each).
  public init<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
    storage = ArraySlice(bytes)
    bitOffset = 0
    bitCount = storage.count * 8
  }

  /// A binary viewing `bytes` without copying them.
  public init(_ bytes: ArraySlice<UInt8>) {
    storage = bytes
    bitOffset = 0
    bitCount = bytes.count * 8
  }

  /// The first `bitCount` bits of `bytes`, or nil when `bytes` holds fewer bits.
  /// Bits of the last byte past `bitCount` are ignored.
  public init?(bytes: [UInt8], bitCount: Int) {
    guard bitCount >= 0, bitCount <= bytes.count * 8 else { return nil }
    storage = bytes[0..<((bitCount + 7) / 8)]
    bitOffset = 0
    self.bitCount = bitCount
  }

  @usableFromInline
  init(storage: ArraySlice<UInt8>, bitOffset: Int, bitCount: Int) {
    self.storage = storage
    self.bitOffset = bitOffset
    self.bitCount = bitCount
  }

  public init(arrayLiteral elements: UInt8...) { self.init(elements) }

  /// `(bitCount + 7) / 8`: Erlang's `byte_size`.
  public var byteCount: Int { (bitCount + 7) >> 3 }

  /// Whether the length is a whole number of bytes (Erlang's `is_binary`).
  public var isBinary: Bool { bitCount & 7 == 0 }

  /// The bits as bytes, the last byte padded with zero bits. Copies unless the bits already
  /// start on a byte boundary and fill whole bytes.
  public var bytes: [UInt8] {
    if bitOffset == 0 && bitCount == storage.count * 8 { return Array(storage) }
    var out = [UInt8](repeating: 0, count: byteCount)
    withUnsafeBits { base, byteCount, start in
      var i = 0
      while i < out.count {
        let take = min(8, bitCount - i * 8)
        out[i] = UInt8(truncatingIfNeeded: loadBits(base, byteCount: byteCount, bitOffset: start + i * 8, count: take) >> 56)
        i += 1
      }
    }
    if bitCount & 7 != 0 { out[out.count - 1] &= ~(0xFF >> UInt8(bitCount & 7)) }
    return out
  }

  /// The bit at `index` (0 is the first, most significant bit).
  public func bit(at index: Int) -> Bool {
    precondition(index >= 0 && index < bitCount, "bit index \(index) out of range 0..<\(bitCount)")
    return withUnsafeBits { base, byteCount, start in
      loadBits(base, byteCount: byteCount, bitOffset: start + index, count: 1) >> 63 == 1
    }
  }

  /// The bits in `range` (bit indices), sharing storage with `self`.
  public subscript(bits range: Range<Int>) -> Bitstring {
    precondition(range.lowerBound >= 0 && range.upperBound <= bitCount, "bit range \(range) out of range 0..<\(bitCount)")
    let absolute = bitOffset + range.lowerBound
    let first = storage.startIndex + absolute >> 3
    let last = storage.startIndex + (absolute + range.count + 7) >> 3
    return Bitstring(storage: storage[first..<max(first, last)], bitOffset: absolute & 7, bitCount: range.count)
  }

  /// Calls `body` with the bytes, their count, and the bit offset of the first bit.
  @inlinable
  func withUnsafeBits<R>(_ body: (UnsafeRawPointer, Int, Int) throws -> R) rethrows -> R {
    try storage.withUnsafeBytes { raw in
      // An empty buffer may have no address; nothing is read from it then.
      let base = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 0x10)!
      return try body(base, raw.count, bitOffset)
    }
  }

  // MARK: - Appending (the builder's output buffer)

  /// Appends the low `count` bits (0...64) of `value`, most significant first.
  mutating func appendBits(_ value: UInt64, count: Int) {
    guard count > 0 else { return }
    if bitOffset != 0 { self = Bitstring(storage: ArraySlice(bytes), bitOffset: 0, bitCount: bitCount) }
    // Drop bytes past the last used one (a view may carry some) so appends land right after.
    let used = byteCount
    if storage.count > used { storage = storage[storage.startIndex..<(storage.startIndex + used)] }
    var remaining = count
    var free = used * 8 - bitCount  // unused low bits in the last byte
    let data = count == 64 ? value : value & ((1 << UInt64(count)) - 1)
    if free > 0 {
      // A view may carry stray bits after its end; clear them before filling.
      storage[storage.endIndex - 1] &= ~UInt8(truncatingIfNeeded: (1 << free) - 1)
      let take = min(free, remaining)
      let chunk = UInt8(truncatingIfNeeded: data >> UInt64(remaining - take)) & UInt8(truncatingIfNeeded: (1 << take) - 1)
      storage[storage.endIndex - 1] |= chunk << UInt8(free - take)
      remaining -= take
      free -= take
    }
    while remaining >= 8 {
      remaining -= 8
      storage.append(UInt8(truncatingIfNeeded: data >> UInt64(remaining)))
    }
    if remaining > 0 {
      storage.append(UInt8(truncatingIfNeeded: data << UInt64(8 - remaining)))
    }
    bitCount += count
  }

  /// Appends the bits of `other`.
  public mutating func append(_ other: Bitstring) {
    if bitOffset == 0 && isBinary && other.bitOffset == 0 && other.isBinary {
      storage = storage[storage.startIndex..<(storage.startIndex + byteCount)]
      storage.append(contentsOf: other.storage.prefix(other.byteCount))
      bitCount += other.bitCount
      return
    }
    var done = 0
    other.withUnsafeBits { base, byteCount, start in
      while done < other.bitCount {
        let take = min(64, other.bitCount - done)
        let chunk = loadValue(base, byteCount: byteCount, bitOffset: start + done, count: take)
        appendBits(chunk, count: take)
        done += take
      }
    }
  }

  // MARK: - Equality, hashing, printing

  public static func == (a: Bitstring, b: Bitstring) -> Bool {
    guard a.bitCount == b.bitCount else { return false }
    if a.bitOffset == 0 && b.bitOffset == 0 && a.isBinary {
      return a.storage.prefix(a.byteCount).elementsEqual(b.storage.prefix(b.byteCount))
    }
    return a.withUnsafeBits { pa, ca, sa in
      b.withUnsafeBits { pb, cb, sb in
        var done = 0
        while done < a.bitCount {
          let take = min(64, a.bitCount - done)
          let x = loadValue(pa, byteCount: ca, bitOffset: sa + done, count: take)
          let y = loadValue(pb, byteCount: cb, bitOffset: sb + done, count: take)
          if x != y { return false }
          done += take
        }
        return true
      }
    }
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(bitCount)
    withUnsafeBits { base, byteCount, start in
      var done = 0
      while done < bitCount {
        let take = min(64, bitCount - done)
        hasher.combine(loadValue(base, byteCount: byteCount, bitOffset: start + done, count: take))
        done += take
      }
    }
  }

  /// Erlang's notation: `<<1,2,3:3>>` (a trailing partial byte is shown as `value:bits`).
  public var description: String {
    let all = bytes
    var parts = all.prefix(bitCount / 8).map { String($0) }
    if bitCount & 7 != 0 {
      let rest = bitCount & 7
      parts.append("\(all[all.count - 1] >> UInt8(8 - rest)):\(rest)")
    }
    return "<<" + parts.joined(separator: ",") + ">>"
  }
}
