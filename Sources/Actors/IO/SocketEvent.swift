// What a socket tells its owner, and the options that shape it.

/// An event of a socket, delivered to its owner as the system message
/// `.io(socket, event)` (Erlang's `{tcp, Socket, Data}`, `{tcp_closed, Socket}`, ...).
public enum SocketEvent: Sendable {
  /// Data: one frame with line or length framing, else what one read returned.
  case data([UInt8])
  /// A listener accepted this connection; the receiver owns it (hand it on with
  /// `transfer`).
  case accepted(Socket)
  /// The socket was transferred to this process, which owns it now (and must activate
  /// it to read). The first event a connection process gets in the acceptor pattern.
  case owned
  /// The peer closed its side (end of file). Writing may still work until the owner
  /// closes the socket.
  case closed
  /// The socket failed (reset, overflow, ...) and is closed. (Boxed: it keeps the event,
  /// and so every mailbox entry, small.)
  indirect case error(SocketError)
  /// A line or frame longer than the limit was discarded (the socket goes on with the
  /// next line; for length framing the socket is closed with `.error(.frameTooLong)`).
  case frameTooLong(Int)
  /// The write queue went back under its low watermark, or the socket closed: sent to
  /// the processes waiting in `write` (not necessarily the owner).
  case writable
  /// An outgoing connection completed (internal to `connect`).
  case connected
}

/// How incoming bytes are cut into `.data` events.
public enum Framing: Sendable, Equatable {
  /// What each read returns, as is.
  case raw
  /// Lines ending in `\n` (a `\r` before it is dropped too), delivered without the
  /// terminator. A line longer than `maxLength` bytes, terminator included, is
  /// discarded and reported with `.frameTooLong` (IRC: 512).
  case line(maxLength: Int)
  /// Frames preceded by their length, big-endian, on `headerBytes` (1, 2 or 4) bytes;
  /// longer than `maxLength` closes the socket.
  case lengthPrefixed(headerBytes: Int, maxLength: Int)
}

/// When the owner gets `.data` events.
public enum ActiveMode: Sendable, Equatable {
  /// Not reading.
  case passive
  /// Deliver what the next read brings, then stop until activated again (flow control:
  /// the owner asks for more when it is ready).
  case once
  /// Deliver continuously.
  case always
}

/// What happens when a socket's write queue goes over its high watermark (a peer that
/// does not read as fast as it is written to).
public enum OverflowPolicy: Sendable, Equatable {
  /// Close the socket; the owner gets `.error(.overflow)`.
  case close
  /// Drop what does not fit; `send` returns `.dropped`.
  case drop
  /// Queue anyway; `write` (async) waits for `.writable` before returning. `send` still
  /// queues: the caller watches `queuedBytes` itself.
  case wait
}

/// What `send` did with the bytes.
public enum SendResult: Sendable, Equatable {
  /// Written to the kernel at once.
  case sent
  /// Partly or wholly queued, to be written when the socket is writable.
  case queued
  /// Held back to be written together with other sends (`SendCoalescing`).
  case held
  /// Dropped by the `.drop` overflow policy.
  case dropped
  /// The socket is closed (or was just closed by the `.close` overflow policy).
  case closed
}

/// A socket failure.
public enum SocketError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A system call failed.
  case system(String, errno: Int32)
  /// The connection was reset by the peer.
  case reset
  /// The write queue went over its high watermark (overflow policy `.close`).
  case overflow(queued: Int)
  /// A length-prefixed frame was longer than allowed.
  case frameTooLong(Int)
  /// The socket is closed.
  case closed
  /// Only the owning process may do this.
  case notOwner
  /// The operation does not apply to this kind of socket.
  case wrongKind
  /// Connecting took too long.
  case timeout
  /// An address could not be parsed.
  case badAddress(String)
  /// An option or argument that cannot work.
  case invalidArgument(String)
  /// A message's descriptors could not be passed (DescriptorPassing.swift): why.
  case descriptors(String)
  /// The socket's security layer failed (`SocketSecurity`: a TLS handshake that could
  /// not complete, a record that did not authenticate, the peer's alert): why, as the
  /// layer said it.
  case security(String)

  public var description: String {
    switch self {
    case .system(let op, let e): return SystemError(op, errno: e).description
    case .reset: return "connection reset by peer"
    case .overflow(let q): return "write queue overflow (\(q) bytes queued)"
    case .frameTooLong(let n): return "frame too long (\(n) bytes)"
    case .closed: return "socket closed"
    case .notOwner: return "not the socket's owner"
    case .wrongKind: return "not possible on this kind of socket"
    case .timeout: return "timed out"
    case .badAddress(let a): return "bad address: \(a)"
    case .invalidArgument(let what): return "invalid argument: \(what)"
    case .descriptors(let why): return "descriptors lost: \(why)"
    case .security(let why): return why
    }
  }
}
