// The seam through which a stream socket encrypts what it sends and decrypts what it
// reads: a layer (TLS: `TLSSession` in the TLS target) that the socket runs itself,
// under its lock, on the thread already doing the I/O — the poller's for reads and
// handshakes, the sender's for sends. No thread waits for it and the owner sees
// plaintext frames exactly as from a plain socket; a handshake advances with each read
// the epoll asks for, and the owner is woken only when plaintext arrives.
//
// Owner: the socket calls every method under its lock, one at a time (Socket.swift),
// so a layer's own state has one writer; what a layer lets other threads read (a
// handshake done, a peer's certificate) it publishes and guards itself.

/// What a security layer says after a step.
public enum SecurityStatus: Sendable, Equatable {
  /// Going on (still handshaking, or established).
  case ok
  /// The peer ended the session in order (TLS's close_notify): the owner sees end of
  /// file, as from a plain socket.
  case peerClosed
  /// The session failed (a bad handshake, a forged record, the peer's alert): the socket
  /// writes what the layer gave it (an alert) and closes with
  /// `.error(.security(reason))`.
  case failed(String)
}

/// How a socket's transport ended, told to its security layer.
public enum TransportEnd: Sendable, Equatable {
  /// The peer closed TCP (end of file), whether or not the session ended in order.
  case endOfFile
  /// The peer reset the connection, or it failed.
  case reset
  /// This side closed the socket: the layer frees what it holds.
  case closed
}

/// Encryption of one stream socket's bytes. The socket calls every method under its
/// lock, one at a time, on whichever thread does the I/O, so none may block. The base
/// class passes bytes through unchanged (a seam for tests); TLS overrides every method.
///
/// A socket with a layer cannot be passed to another OS process (SCM_RIGHTS): the
/// session's keys and record sequence numbers live in this process's memory, so a copy
/// of the descriptor alone could neither read nor write the stream.
///
/// `@unchecked Sendable`: the socket serialises every call under its lock; what a
/// subclass lets other threads read it must guard itself.
open class SocketSecurity: @unchecked Sendable {
  public init() {}

  /// Plaintext the socket holds back for a coalesced send, sealed as one record when the
  /// socket writes its held sends (one record per line cost a record's header, tag and
  /// cipher set-up per line, and a reader gets one record per read). Written and read
  /// by the socket only, under its lock.
  final var heldPlaintext: [UInt8] = []

  /// The layer's first words, appended to `wire` (a TLS client's hello; nothing for a
  /// server, which waits for the client). Called once the socket is connected.
  open func start(wire: inout [UInt8]) -> SecurityStatus { .ok }

  /// Bytes read from the peer. Plaintext goes to `plaintext` (as many calls as it
  /// comes in pieces, each buffer valid during its call only); bytes to send back
  /// (handshake messages, alerts, and plaintext sealed once a handshake completes) are
  /// appended to `wire`.
  open func unseal(
    _ input: UnsafeRawBufferPointer, wire: inout [UInt8], plaintext: (UnsafeRawBufferPointer) -> Void
  ) -> SecurityStatus {
    plaintext(input)
    return .ok
  }

  /// Plaintext to send: appended to `wire` sealed, or kept by the layer until its
  /// handshake completes (`unseal` then appends it).
  open func seal(_ plaintext: UnsafeRawBufferPointer, wire: inout [UInt8]) -> SecurityStatus {
    wire.append(contentsOf: plaintext)
    return .ok
  }

  /// This side is ending the session in order: its last words (TLS's close_notify),
  /// appended to `wire`.
  open func finish(wire: inout [UInt8]) {}

  /// The transport ended (possibly more than once: end of file, then the close).
  open func ended(_ how: TransportEnd) {}
}
