// `StaticBuildState`: what a static pattern carries while it builds — the bytes so far, the
// integers written so far (to check sizes taken from earlier fields), and the first error.

/// The state of one static build. Made and consumed by `StaticBitPattern.build`; segment
/// types write through it.
public struct StaticBuildState {
  @usableFromInline var bytes: [UInt8] = []
  @usableFromInline var bitCount = 0
  @usableFromInline var index = 0
  @usableFromInline var error: BitBuildError?
  @usableFromInline var slots: StaticMatchState.Slots = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

  @inlinable
  init(capacity: Int) { bytes.reserveCapacity(capacity) }

  /// The bytes built, or the first error; the bits must make whole bytes.
  @usableFromInline
  func finished() throws(BitBuildError) -> [UInt8] {
    if let error { throw error }
    guard bitCount & 7 == 0 else {
      throw BitBuildError(field: nil, column: 0, message: "the segments make \(bitCount) bits, not whole bytes")
    }
    return bytes
  }

  /// Records the first error (naming the segment by its 0-based position).
  @usableFromInline
  mutating func reject(_ message: String) {
    if error == nil { error = BitBuildError(field: "segment \(index)", column: 0, message: message) }
  }

  /// Records the value written by the segment at `index` and moves on.
  @inlinable
  mutating func bind(_ value: UInt64) {
    StaticMatchState.store(value, at: index, in: &slots)
    index &+= 1
  }

  /// Marks the segment at `index` as one whose value cannot be a size, and moves on.
  @inlinable
  mutating func bindNothing() { bind(UInt64.max) }

  /// The value written by segment `field`, or nil when that is not an earlier segment.
  @inlinable
  func bound(_ field: Int) -> UInt64? {
    guard field >= 0, field < index, field < StaticMatchState.slotCapacity else { return nil }
    return StaticMatchState.load(field, from: slots)
  }

  /// Appends the low `count` (0...64) bits of `value`, most significant first.
  @inlinable
  mutating func append(_ value: UInt64, bits count: Int) {
    var remaining = count
    while remaining > 0 {
      let used = bitCount & 7
      if used == 0 { bytes.append(0) }
      let free = 8 &- used
      let take = min(free, remaining)
      let chunk = (value &>> UInt64(remaining &- take)) & ((1 &<< UInt64(take)) &- 1)
      bytes[bytes.count &- 1] |= UInt8(truncatingIfNeeded: chunk &<< UInt64(free &- take))
      remaining &-= take
      bitCount &+= take
    }
  }

  /// Appends whole bytes (at any bit offset).
  @inlinable
  mutating func append(bytes more: [UInt8]) {
    if bitCount & 7 == 0 {
      bytes += more
      bitCount &+= more.count &* 8
    } else {
      for byte in more { append(UInt64(byte), bits: 8) }
    }
  }
}
