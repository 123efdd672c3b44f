// Bit-level reading and writing: the only code in BinaryMatch that touches raw memory.
//
// Matching reads up to 64 bits at any bit offset with `loadBits`; building appends bits to a
// `Bitstring` with `appendBits`. Erlang's little-endian rule for widths that are not whole
// bytes lives here too, so the matcher and the builder agree on it.

/// Reads `count` bits (1...64) starting `bitOffset` bits into `base`, left-aligned in the result
/// (the first bit read is bit 63). Bits after the requested ones are unspecified.
///
/// The caller guarantees `bitOffset + count <= byteCount * 8`; every byte read lies inside
/// `base ..< base + byteCount`, also near the end of the buffer.
@inlinable @inline(__always)
func loadBits(_ base: UnsafeRawPointer, byteCount: Int, bitOffset: Int, count: Int) -> UInt64 {
  if byteCount >= 8 { return loadBitsWide(base, byteCount: byteCount, bitOffset: bitOffset, count: count) }
  return loadTail(base, byteCount: byteCount, byte: bitOffset &>> 3) &<< UInt64(truncatingIfNeeded: bitOffset & 7)
}

/// `loadBits` for a buffer of at least 8 bytes: one 8-byte read (two for a field of more than
/// 56 bits that does not start on a byte), with the same preconditions.
@inlinable @inline(__always)
func loadBitsWide(_ base: UnsafeRawPointer, byteCount: Int, bitOffset: Int, count: Int) -> UInt64 {
  let byte = bitOffset &>> 3
  let shift = bitOffset & 7
  // Always an 8-byte read, moved back to end at the buffer's end when it would cross it,
  // then shifted into place: no branch on where in the buffer the bits are.
  let last = byteCount &- 8
  let at = byte < last ? byte : last
  var word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
  word &<<= UInt64(truncatingIfNeeded: (byte &- at) &* 8 &+ shift)
  if count > 56 && shift &+ count > 64 {
    // Only possible when 8 whole bytes were not enough, so byte + 8 < byteCount (and at == byte).
    word |= UInt64(base.load(fromByteOffset: byte &+ 8, as: UInt8.self)) &>> UInt64(truncatingIfNeeded: 8 &- shift)
  }
  return word
}

/// The last 1...7 bytes of a buffer, left-aligned, read without touching memory past its end.
@inlinable @inline(__always)
func loadTail(_ base: UnsafeRawPointer, byteCount: Int, byte: Int) -> UInt64 {
  let available = byteCount &- byte
  var word: UInt64 = 0
  var taken = 0
  if available >= 4 {
    word = UInt64(UInt32(bigEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt32.self))) &<< 32
    taken = 4
  }
  if available &- taken >= 2 {
    let half = UInt64(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: byte &+ taken, as: UInt16.self)))
    word |= half &<< UInt64(truncatingIfNeeded: 48 &- 8 &* taken)
    taken &+= 2
  }
  if available &- taken >= 1 {
    let last = UInt64(base.load(fromByteOffset: byte &+ taken, as: UInt8.self))
    word |= last &<< UInt64(truncatingIfNeeded: 56 &- 8 &* taken)
  }
  return word
}

/// Reads `count` bits (0...64) right-aligned, with the same preconditions as `loadBits`.
@inlinable @inline(__always)
func loadValue(_ base: UnsafeRawPointer, byteCount: Int, bitOffset: Int, count: Int) -> UInt64 {
  if count == 0 { return 0 }
  return loadBits(base, byteCount: byteCount, bitOffset: bitOffset, count: count)
    &>> UInt64(truncatingIfNeeded: 64 &- count)
}

/// `loadValue` as a call, not inlined: the rare path (inputs under 8 bytes) of code that
/// should stay small where it is inlined, such as static patterns.
@usableFromInline @inline(never)
func loadValueOutOfLine(_ base: UnsafeRawPointer, byteCount: Int, bitOffset: Int, count: Int) -> UInt64 {
  loadValue(base, byteCount: byteCount, bitOffset: bitOffset, count: count)
}

/// Erlang's little-endian order for an integer of `count` bits (0...64) read in stream order:
/// whole bytes come least significant first, and the trailing `count % 8` bits are the most
/// significant ones (`<<16#123:12/little>>` is `<<16#23, 1:4>>`). The same function converts in
/// both directions only for whole bytes, so `littleToStream` is its inverse.
@inlinable @inline(__always)
func streamToLittle(_ stream: UInt64, count: Int) -> UInt64 {
  let rest = count & 7
  let bytes = count &>> 3
  let high = stream & ((1 &<< UInt64(truncatingIfNeeded: rest)) &- 1)
  if bytes == 0 { return high }
  let full = (stream &>> UInt64(truncatingIfNeeded: rest)).byteSwapped &>> UInt64(truncatingIfNeeded: 64 &- 8 &* bytes)
  return full | (high &<< UInt64(truncatingIfNeeded: 8 &* bytes))
}

/// Inverse of `streamToLittle`: the stream-order bits that encode `value` little-endian.
@inlinable @inline(__always)
func littleToStream(_ value: UInt64, count: Int) -> UInt64 {
  let rest = count & 7
  let bytes = count &>> 3
  if bytes == 0 { return value & ((1 &<< UInt64(truncatingIfNeeded: rest)) &- 1) }
  let low = bytes == 8 ? value : value & ((1 &<< UInt64(truncatingIfNeeded: 8 &* bytes)) &- 1)
  let swapped = low.byteSwapped &>> UInt64(truncatingIfNeeded: 64 &- 8 &* bytes)
  let high = (value &>> UInt64(truncatingIfNeeded: 8 &* bytes)) & ((1 &<< UInt64(truncatingIfNeeded: rest)) &- 1)
  return (swapped &<< UInt64(truncatingIfNeeded: rest)) | high
}

/// Sign-extends the low `count` bits (1...64) of `value`.
@inlinable @inline(__always)
func signExtend(_ value: UInt64, count: Int) -> UInt64 {
  let unused = UInt64(truncatingIfNeeded: 64 &- count)
  return UInt64(bitPattern: Int64(bitPattern: value &<< unused) &>> unused)
}

/// Whether `value` (two's complement when `signed`) fits `count` bits (0...64).
func fits(_ value: Int64, count: Int, signed: Bool) -> Bool {
  if count >= 64 { return signed || value >= 0 }
  if signed {
    if count == 0 { return value == 0 }
    let limit = Int64(1) << (count - 1)
    return value >= -limit && value < limit
  }
  return value >= 0 && (count >= 63 || value < Int64(1) << count)
}

func fits(_ value: UInt64, count: Int, signed: Bool) -> Bool {
  if signed {
    if count == 0 { return value == 0 }
    return count > 64 || value < UInt64(1) << (count - 1)
  }
  return count >= 64 || value < UInt64(1) << count
}

// MARK: - IEEE 754 half precision, done by hand so the library needs no Float16 support.

/// The `Double` a binary16 bit pattern encodes.
@inlinable
func doubleFromHalf(_ bits: UInt16) -> Double {
  let sign: Double = bits & 0x8000 != 0 ? -1 : 1
  let exponent = Int((bits >> 10) & 0x1F)
  let fraction = Double(bits & 0x3FF)
  switch exponent {
  case 0: return sign * fraction * 0x1p-24
  case 31: return fraction == 0 ? sign * .infinity : .nan
  default: return sign * (1 + fraction * 0x1p-10) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
  }
}

/// The binary16 bit pattern nearest to `value` (round to nearest even), or nil when `value`
/// is not finite or too large for binary16.
func halfFromDouble(_ value: Double) -> UInt16? {
  guard value.isFinite else { return nil }
  let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
  let magnitude = abs(value)
  if magnitude == 0 { return sign }
  // Scale to units of the smallest subnormal (2^-24) for subnormals, or to a 10-bit fraction.
  if magnitude < 0x1p-14 {
    let units = (magnitude * 0x1p24).rounded(.toNearestOrEven)
    return sign | UInt16(units)  // units <= 1024; 1024 is the smallest normal, encoded the same way
  }
  let exponent = Int(magnitude.exponent)
  var fraction = ((magnitude / Double(sign: .plus, exponent: exponent, significand: 1) - 1) * 1024)
    .rounded(.toNearestOrEven)
  var biased = exponent + 15
  if fraction == 1024 {
    fraction = 0
    biased += 1
  }
  guard biased < 31 else { return nil }
  return sign | UInt16(biased) << 10 | UInt16(fraction)
}
