// Transportable for the standard types messages are made of.

extension Bool: Transportable {
  public func encode(to e: inout WireEncoder) { e.writeVarint(self ? 1 : 0) }
  public init(from d: inout WireDecoder) throws {
    switch try d.readVarint() {
    case 0: self = false
    case 1: self = true
    case let v: throw WireError.invalid("boolean \(v)")
    }
  }
}

extension UInt64: Transportable {
  public func encode(to e: inout WireEncoder) { e.writeVarint(self) }
  public init(from d: inout WireDecoder) throws { self = try d.readVarint() }
}

extension Int64: Transportable {
  /// Zigzag: small negative numbers stay small.
  public func encode(to e: inout WireEncoder) { e.writeVarint(UInt64(bitPattern: (self << 1) ^ (self >> 63))) }
  public init(from d: inout WireDecoder) throws {
    let z = try d.readVarint()
    self = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
  }
}

extension Int: Transportable {
  public func encode(to e: inout WireEncoder) { Int64(self).encode(to: &e) }
  public init(from d: inout WireDecoder) throws { self = Int(try Int64(from: &d)) }
}

extension Double: Transportable {
  public func encode(to e: inout WireEncoder) {
    var bits = bitPattern.bigEndian
    withUnsafeBytes(of: &bits) { e.bytes.append(contentsOf: $0) }
  }
  public init(from d: inout WireDecoder) throws {
    guard d.offset + 8 <= d.bytes.count else { throw WireError.truncated("double") }
    var bits: UInt64 = 0
    for i in 0..<8 { bits = bits << 8 | UInt64(d.bytes[d.offset + i]) }
    d.offset += 8
    self = Double(bitPattern: bits)
  }
}

extension String: Transportable {
  public func encode(to e: inout WireEncoder) { e.writeBytes(utf8) }
  public init(from d: inout WireDecoder) throws { self = String(decoding: try d.readBytes(), as: UTF8.self) }
}

extension Array: Transportable where Element: Transportable {
  public func encode(to e: inout WireEncoder) {
    if let bytes = self as? [UInt8] {
      e.writeBytes(bytes)
      return
    }
    e.writeVarint(UInt64(count))
    for x in self { x.encode(to: &e) }
  }
  public init(from d: inout WireDecoder) throws {
    if Element.self == UInt8.self {
      let raw: [UInt8] = try d.readRaw()
      self = raw as! [Element]
      return
    }
    let n = try d.readVarint()
    // Each element takes a byte at least: a count cannot claim more than is left.
    guard n <= UInt64(d.bytes.count - d.offset) else { throw WireError.truncated("array of \(n)") }
    self = []
    reserveCapacity(Int(n))
    for _ in 0..<n { append(try Element(from: &d)) }
  }
}

extension UInt8: Transportable {
  public func encode(to e: inout WireEncoder) { e.bytes.append(self) }
  public init(from d: inout WireDecoder) throws {
    guard d.offset < d.bytes.count else { throw WireError.truncated("byte") }
    self = d.bytes[d.offset]
    d.offset += 1
  }
}

extension Optional: Transportable where Wrapped: Transportable {
  public func encode(to e: inout WireEncoder) {
    switch self {
    case .none: e.writeVarint(0)
    case .some(let w):
      e.writeVarint(1)
      w.encode(to: &e)
    }
  }
  public init(from d: inout WireDecoder) throws {
    switch try d.readVarint() {
    case 0: self = .none
    case 1: self = .some(try Wrapped(from: &d))
    case let t: throw WireError.unknownTag(t, in: "Optional")
    }
  }
}

extension Dictionary: Transportable where Key: Transportable, Value: Transportable {
  public func encode(to e: inout WireEncoder) {
    e.writeVarint(UInt64(count))
    for (k, v) in self {
      k.encode(to: &e)
      v.encode(to: &e)
    }
  }
  public init(from d: inout WireDecoder) throws {
    let n = try d.readVarint()
    guard n <= UInt64(d.bytes.count - d.offset) else { throw WireError.truncated("dictionary of \(n)") }
    self = [:]
    for _ in 0..<n { self[try Key(from: &d)] = try Value(from: &d) }
  }
}
