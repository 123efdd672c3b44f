// An aggregate being filled while its elements arrive: one entry of RESPDecoder's stack
// of partial replies. Written only by the RESPDecoder that holds it.

/// An array, set, push, map or attribute whose header has been read and whose elements
/// are still coming.
struct RESPFrame {
  /// The type byte: `*`, `~`, `>`, `%` or `|`.
  let type: UInt8
  /// Maps and attributes collect pairs, the others values.
  let isMap: Bool
  /// Elements still to come (for a map, keys and values each count).
  var remaining: Int
  var items: [RESPValue] = []
  var pairs: [RESPPair] = []
  /// A map's key waiting for its value.
  var key: RESPValue? = nil

  /// A frame for `count` elements (`count` pairs for a map), reserving room for no more
  /// of them than `presentBytes` bytes could hold (3 bytes at least each: `_\r\n`), so a
  /// header alone never makes the decoder allocate in proportion to what it claims.
  init(type: UInt8, count: Int, presentBytes: Int) {
    self.type = type
    isMap = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
    let room = Swift.max(0, presentBytes) / 3
    if isMap {
      remaining = count * 2
      pairs.reserveCapacity(Swift.min(count, room / 2))
    } else {
      remaining = count
      items.reserveCapacity(Swift.min(count, room))
    }
  }

  /// Adds the next element; true when it was the last.
  @inline(__always)
  mutating func add(_ value: RESPValue) -> Bool {
    if isMap {
      if let k = key {
        pairs.append(RESPPair(key: k, value: value))
        key = nil
      } else {
        key = value
      }
    } else {
      items.append(value)
    }
    remaining -= 1
    return remaining == 0
  }

  /// The finished aggregate (an attribute comes back as a map).
  var value: RESPValue {
    switch type {
    case UInt8(ascii: "~"): return .set(items)
    case UInt8(ascii: ">"): return .push(items)
    case UInt8(ascii: "%"), UInt8(ascii: "|"): return .map(pairs)
    default: return .array(items)
    }
  }

  /// The element slots this frame holds reserved (for tests of the allocation bound).
  var reservedCapacity: Int { items.capacity + pairs.capacity }
}
