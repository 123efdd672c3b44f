// Turns the bytes a connection reads into RESPValues. Owned by one connection process
// (not shared), which alone feeds it and takes replies from it.
//
// Incremental: no byte is parsed twice. Aggregates being filled wait on a stack, a bulk
// string whose payload has not all arrived waits as a pending length, and the beginning of
// a token split across reads waits in `tail`. Zero copy where it can be: each read is
// parsed in place, and bulk strings are slices of it. Only a token split across reads is
// copied (its beginning when the read ends, then the bytes that complete it).

/// An incremental RESP2/RESP3 decoder: `feed` what was read, then take replies with
/// `next()` until it returns nil (more bytes needed).
///
/// ```swift
/// var decoder = RESPDecoder()
/// decoder.feed(bytesRead)
/// while let reply = try decoder.next() { handle(reply) }
/// ```
public struct RESPDecoder: Sendable {
  /// Bounds on what one reply may claim, so a broken or hostile stream cannot make the
  /// client allocate without end.
  public struct Limits: Sendable, Equatable {
    /// Longest bulk string (Redis's own `proto-max-bulk-len` default: 512 MiB).
    public var maxBulkLength: Int = 512 << 20
    /// Most elements in one array, map, set or push.
    public var maxAggregateCount: Int = 1 << 28
    /// Deepest nesting of aggregates.
    public var maxDepth: Int = 128
    /// Longest line of a simple string, error, number or header.
    public var maxLineLength: Int = 64 << 10
    /// The defaults above.
    public init() {}
  }

  /// The limits this decoder enforces.
  public let limits: Limits
  /// The read being parsed in place: what `feed` was given (or, if `feed` came again
  /// before `next()` had taken everything, the rest joined to the new bytes).
  private var buffer: [UInt8] = []
  /// The next unparsed byte of `buffer`.
  private var offset = 0
  /// The stream positions of `buffer[0]` and of the first byte of the reply in progress.
  private var bufferStart = 0
  private var replyStart = 0
  /// The beginning of a token the last read ended in: a line (its type byte first), or
  /// part of the payload of `pendingBulk`. Empty when no token is split.
  private var tail: [UInt8] = []
  /// A bulk string (type, length) whose header is read and whose payload is not.
  private var pendingBulk: (type: UInt8, length: Int)?
  /// The aggregates being filled, outermost first.
  private var stack: [RESPFrame] = []
  /// Top-level attributes read for the reply in progress.
  private var pendingAttributes: [RESPPair]?
  /// The error the stream failed with: every later `next()` throws it again.
  private var failure: RESPError?

  /// The attributes (RESP3 `|`) sent before the reply `next()` last returned, if any.
  /// (Attributes inside an aggregate are read and dropped.)
  public private(set) var attributes: [RESPPair]?

  /// A decoder with `limits` (Redis's own defaults if not given).
  public init(limits: Limits = Limits()) { self.limits = limits }

  /// Bytes received and not yet returned as replies (the reply in progress included).
  public var bufferedBytes: Int { bufferStart + buffer.count - replyStart }

  /// Adds bytes read from the connection. They are parsed in place, not copied (unless
  /// `next()` has not yet taken all that was fed before: then the rest and these are joined).
  public mutating func feed(_ bytes: [UInt8]) {
    if offset == buffer.count {
      bufferStart += buffer.count
      buffer = bytes
    } else {
      // `next()` has not taken everything fed before: keep the rest ahead of the new bytes.
      var joined: [UInt8] = []
      joined.reserveCapacity(buffer.count - offset + bytes.count)
      joined.append(contentsOf: buffer[offset...])
      joined.append(contentsOf: bytes)
      bufferStart += offset
      buffer = joined
    }
    offset = 0
  }

  /// The next complete reply, or nil if more bytes are needed. After a thrown error the
  /// stream cannot be trusted: close the connection (every later call throws it again).
  public mutating func next() throws(RESPError) -> RESPValue? {
    if let failure { throw failure }
    do throws(RESPError) {
      var reply: RESPValue? = nil
      if !tail.isEmpty {
        guard let token = try stitch() else { return nil }
        reply = try accept(token, presentBytes: buffer.count - offset)
      }
      if reply == nil { reply = try decodeInPlace() }
      if offset == buffer.count {
        // All parsed: let go of the read (its bulk strings keep it alive as they need).
        bufferStart += buffer.count
        buffer = []
        offset = 0
      }
      return reply
    } catch {
      failure = error
      throw error
    }
  }

  /// Parses tokens in `buffer` from `offset` until a reply is complete, or the bytes end
  /// (then the beginning of the token they end in goes to `tail`).
  private mutating func decodeInPlace() throws(RESPError) -> RESPValue? {
    let storage = buffer
    return try storage.withUnsafeBufferPointer { (p) throws(RESPError) -> RESPValue? in
      let reader = RESPTokenReader(bytes: p, storage: storage, limits: limits)
      var cursor = offset
      while true {
        let token: RESPToken?
        if let pending = pendingBulk {
          token = try reader.bulk(type: pending.type, length: pending.length, &cursor)
          if token != nil { pendingBulk = nil }
        } else {
          token = try reader.token(&cursor)
        }
        guard let token else { break }
        offset = cursor
        if stack.isEmpty, case .value(let v) = token { return finish(v) }
        if let reply = try accept(token, presentBytes: p.count - cursor) { return reply }
      }
      tail.append(contentsOf: storage[offset...])
      offset = storage.count
      return nil
    }
  }

  /// Completes the token begun in `tail` with bytes from `buffer`: the token, or nil if
  /// the read ends first (then all of it has gone to `tail`).
  private mutating func stitch() throws(RESPError) -> RESPToken? {
    let available = buffer.count - offset
    if let pending = pendingBulk {
      let take = Swift.min(pending.length + 2 - tail.count, available)
      tail.append(contentsOf: buffer[offset..<(offset + take)])
      offset += take
      guard tail.count == pending.length + 2 else { return nil }
      let whole = tail
      tail = []
      var cursor = 0
      let token = try whole.withUnsafeBufferPointer { (p) throws(RESPError) -> RESPToken? in
        try RESPTokenReader(bytes: p, storage: whole, limits: limits)
          .bulk(type: pending.type, length: pending.length, &cursor)
      }
      pendingBulk = nil
      return token
    }
    // A line: take the new bytes up to its CR and the byte after (a tail can only hold a
    // CR as its last byte), checking the length as the old bytes were checked.
    let take: Int
    let complete: Bool
    if tail.last == 13 {
      take = Swift.min(1, available)
      complete = take == 1
    } else {
      let cr = buffer[offset...].firstIndex(of: 13)
      let lineBytes = tail.count - 1 + ((cr ?? buffer.count) - offset)
      if lineBytes > limits.maxLineLength { throw .tooLarge("a line over \(limits.maxLineLength) bytes") }
      if let cr, cr + 1 < buffer.count {
        take = cr + 2 - offset
        complete = true
      } else {
        take = available
        complete = false
      }
    }
    tail.append(contentsOf: buffer[offset..<(offset + take)])
    offset += take
    guard complete else { return nil }
    let whole = tail
    tail = []
    var cursor = 0
    return try whole.withUnsafeBufferPointer { (p) throws(RESPError) -> RESPToken? in
      try RESPTokenReader(bytes: p, storage: whole, limits: limits).token(&cursor)
    }
  }

  /// Takes one token into the reply in progress; the reply when this token completes it.
  /// `presentBytes` is what the current read holds after the token (bounds reservations).
  @inline(__always)
  private mutating func accept(_ token: consuming RESPToken, presentBytes: Int) throws(RESPError) -> RESPValue? {
    switch consume token {
    case .value(let v):
      return deliver(v)
    case .bulkHeader(let type, let length):
      pendingBulk = (type, length)
      return nil
    case .aggregateHeader(let type, let count):
      if count > Int.max / 2 { throw .tooLarge("an aggregate of \(count) elements") }
      let frame = RESPFrame(type: type, count: count, presentBytes: presentBytes)
      if count == 0 { return deliver(frame: frame) }
      // Its elements would sit deeper than the limit (checked before they are read, so
      // a stream of `*1` headers stops here, whatever its depth).
      if stack.count >= limits.maxDepth { throw .tooLarge("nesting deeper than \(limits.maxDepth)") }
      stack.append(frame)
      return nil
    }
  }

  /// Adds a finished value to the aggregate it belongs to, closing every aggregate it
  /// completes; the reply if the outermost one (or a lone value) is done.
  @inline(__always)
  private mutating func deliver(_ value: RESPValue) -> RESPValue? {
    guard !stack.isEmpty else { return finish(value) }
    guard stack[stack.count - 1].add(value) else { return nil }
    return deliver(frame: stack.removeLast())
  }

  /// A finished aggregate (already off the stack): added to its parent, kept as the next
  /// reply's attributes, or dropped (an attribute inside an aggregate).
  private mutating func deliver(frame: RESPFrame) -> RESPValue? {
    var frame = frame
    while true {
      if frame.type == UInt8(ascii: "|") {
        if stack.isEmpty { pendingAttributes = (pendingAttributes ?? []) + frame.pairs }
        return nil
      }
      guard !stack.isEmpty else { return finish(frame.value) }
      guard stack[stack.count - 1].add(frame.value) else { return nil }
      frame = stack.removeLast()
    }
  }

  /// A whole reply: hands over its attributes and starts the next reply here.
  @inline(__always)
  private mutating func finish(_ reply: RESPValue) -> RESPValue {
    if attributes != nil || pendingAttributes != nil {
      attributes = pendingAttributes
      pendingAttributes = nil
    }
    replyStart = bufferStart + offset
    return reply
  }

  /// The element slots the partial aggregates hold reserved, and the bytes kept for a
  /// split token: what tests check a header cannot inflate.
  var reservedCapacity: (elements: Int, bytes: Int) {
    (stack.reduce(0) { $0 + $1.reservedCapacity }, tail.capacity)
  }
}
