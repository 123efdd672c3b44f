// Taking a socket this process was given rather than made: a descriptor inherited from
// its parent (systemd's socket activation, a supervisor's shared listener) or received
// over a Unix socket (SCM_RIGHTS, DescriptorPassing.swift). The descriptor becomes an
// ordinary Otter socket owned by the calling process, read on the schedulers' epoll like
// any other; the socket owns the descriptor from then on.
import COtterSys
import Glibc

extension Context {
  /// Wraps `descriptor`, an open stream socket this process was given — a TCP or Unix
  /// connection or listener — as a socket owned by this process. The descriptor is made
  /// non-blocking and close-on-exec, and belongs to the socket from then on: closing the
  /// socket (or this process ending) closes it. A TCP connection gets TCP_NODELAY, as an
  /// accepted one does.
  ///
  /// To keep a descriptor of one's own (a listener inherited once, adopted again after a
  /// restart), adopt a duplicate (`Socket.duplicate`).
  ///
  /// Throws `.wrongKind` for a descriptor that is not a stream socket of a kind Otter
  /// serves (TCP over IPv4 or IPv6, or Unix), `.system` for one that is not open.
  public func adoptSocket(_ descriptor: Int32) throws(SocketError) -> Socket {
    var domain: Int32 = 0
    var stream: Int32 = 0
    var listening: Int32 = 0
    let described = otter_socket_describe(descriptor, &domain, &stream, &listening)
    if described == -ENOTSOCK { throw .wrongKind }
    if described < 0 { throw .system("adopt descriptor \(descriptor)", errno: -described) }
    guard stream != 0 else { throw .wrongKind }
    let kind: Socket.Kind
    switch domain {
    case AF_INET, AF_INET6: kind = listening != 0 ? .tcpListener : .tcp
    case AF_UNIX: kind = listening != 0 ? .unixListener : .unix
    default: throw .wrongKind
    }
    let prepared = otter_descriptor_prepare(descriptor)
    if prepared < 0 { throw .system("adopt descriptor \(descriptor)", errno: -prepared) }
    if kind == .tcp { _ = otter_tcp_nodelay(descriptor) }
    return Socket(fd: descriptor, kind: kind, owner: process, node: process.node)
  }
}

extension Socket {
  /// A close-on-exec duplicate of this socket's descriptor, the caller's to close: to
  /// pass the connection to another OS process (`sendMessage(_:descriptors:on:)`) while
  /// this socket keeps it. Throws `.closed`, `.system`.
  public func duplicateDescriptor() throws(SocketError) -> Int32 { try duplicateDescriptorLocked() }

  /// A close-on-exec duplicate of `descriptor` (numbered 3 or above), for adopting a
  /// socket while keeping the original open. Throws `.system` (the descriptor is not
  /// open, or the process has too many).
  public static func duplicate(_ descriptor: Int32) throws(SocketError) -> Int32 {
    let d = otter_descriptor_duplicate(descriptor)
    if d < 0 { throw .system("dup \(descriptor)", errno: -d) }
    return d
  }
}
