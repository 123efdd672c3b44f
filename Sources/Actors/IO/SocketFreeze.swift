// Freezing a connection while another OS process takes it over: this process passes a
// duplicate of the descriptor (DescriptorPassing.swift) and, until the other says it
// has the session, neither process may read or write, or bytes would interleave or be
// read by the wrong one. A frozen socket does no I/O with the kernel: it has left its
// scheduler's epoll, reads nothing, and queues — in order, whatever the watermarks —
// what anyone sends to it. The handing side then takes what was queued and ships it to
// the taking side, whose socket was frozen too and is thawed with those bytes first.
//
// Owner: the socket's owner freezes and thaws; what is queued is behind the socket's
// lock, like any write.
import Glibc

extension Context {
  /// Stops all I/O on `socket` (which this process owns) with the kernel: nothing more
  /// is read, nothing more is written — what is sent to it from now on is queued after
  /// what was queued already. Returns the bytes read from the kernel but not yet cut
  /// into a frame (the start of a line), which the socket forgets.
  ///
  /// Events already delivered to this process stay in its mailbox. Throws `.notOwner`,
  /// `.closed`.
  public func freeze(_ socket: Socket) throws(SocketError) -> [UInt8] {
    try socket.freeze(by: process)
  }

  /// Resumes I/O on a frozen `socket`: `prepending` is written first, then what was
  /// sent to it while it was frozen; `unframedInput` (what `freeze` returned, on this
  /// socket or on the one this connection came from) goes before the next bytes read.
  /// The socket is passive afterwards: activate it to read. Throws `.notOwner`, `.closed`.
  public func thaw(_ socket: Socket, prepending: [UInt8] = [], unframedInput: [UInt8] = []) throws(SocketError) {
    try socket.thaw(prepending: prepending, unframedInput: unframedInput, by: process)
  }
}

extension Socket {
  /// On a frozen socket, what was sent to it and not written, taken out in order (the
  /// socket stays frozen and keeps queuing); empty otherwise.
  public func takeFrozenOutput() -> [UInt8] { takeQueued() }
}
