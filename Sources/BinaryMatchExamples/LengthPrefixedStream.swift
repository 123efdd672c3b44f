// Example decoder: a stream of length-prefixed messages — Erlang's `{packet, 1 | 2 | 4}`
// socket framing, a big-endian length then that many bytes — as a relaxed generator:
//
//   [Body || <<Length:32, Body:Length/binary>> <= Stream]
//
// The generator stops at the first incomplete message; its offset is where the next read
// continues, which is what a stream decoder needs.
import BinaryMatch

/// Splits a byte stream into length-prefixed messages and frames messages for sending.
public struct LengthPrefixedStream: Sendable {
  /// Bytes in the length prefix: 1, 2 or 4.
  let prefixBytes: Int
  private let pattern: BitPattern
  private let body: Field<ArraySlice<UInt8>>

  /// A framing with a `prefixBytes`-byte big-endian length (1, 2 or 4, like Erlang's
  /// `{packet, N}`); nil for other sizes.
  public init?(prefixBytes: Int = 4) {
    guard [1, 2, 4].contains(prefixBytes) else { return nil }
    self.prefixBytes = prefixBytes
    // A pattern built from a checked constant; it cannot fail to compile.
    do {
      pattern = try BitPattern("Length:\(prefixBytes * 8), Body:Length/binary")
      body = try pattern.field("Body")
    } catch {
      fatalError("length-prefix pattern failed to compile: \(error)")
    }
  }

  /// The complete messages at the start of `bytes` (views, not copies), and the bytes left
  /// over: the start of a message whose bytes have not all arrived yet.
  public func split(_ bytes: ArraySlice<UInt8>) -> (messages: [ArraySlice<UInt8>], rest: ArraySlice<UInt8>) {
    var messages: [ArraySlice<UInt8>] = []
    var iterator = pattern.matches(in: bytes).makeIterator()
    while var m = iterator.next() {
      messages.append(m[body, in: bytes])
    }
    let consumed = iterator.bitOffset / 8
    return (messages, bytes[(bytes.startIndex + consumed)...])
  }

  /// The frame for one message: its length, then its bytes. Throws when the message is
  /// too long for the prefix.
  public func frame<Bytes: Sequence<UInt8>>(_ message: Bytes) throws(BitBuildError) -> [UInt8] {
    try pattern.build(["Body": .bytes(message)])
  }
}
