// Passing open descriptors between OS processes over a Unix stream socket (SCM_RIGHTS):
// how one process hands another a connected client socket, a listener, a file. Each
// message is its bytes and the descriptors sent with them; on the wire
//
//   [length: 4 bytes, big-endian][descriptor count: 1 byte][data]
//
// with the descriptors attached (as ancillary data) to the frame's first bytes. The
// kernel delivers them with those bytes and never later, so by the time a frame is
// complete its descriptors are in the socket's inbox, in the order their frames were
// sent: a frame takes the next `count` of them. The socket is an ordinary Otter socket
// — non-blocking, read by its scheduler's epoll, owned by one process —, read with
// recvmsg instead of read once it carries descriptors.
//
// Nothing leaks: descriptors that arrived and were not taken are closed with the
// socket (or when its owner ends); a message the kernel had to cut short (more
// descriptors than a message may carry: MSG_CTRUNC) closes the socket with an error
// that says so, and whatever of it did arrive. Descriptors a caller takes are its own.
//
// Owner: the socket's lock guards its inbox (written by the thread that reads the
// socket, taken by its owner).
import COtterSys
import Glibc

/// A message received over a Unix socket that carries descriptors.
public struct DescriptorMessage: Sendable {
  /// The message's bytes (may be empty).
  public var data: [UInt8]
  /// The descriptors sent with it, now open in this process (close-on-exec), in the
  /// order they were sent. The receiver owns them: adopt or close each.
  public var descriptors: [Int32]
}

extension Socket {
  /// The most descriptors one message may carry.
  public static let maximumDescriptorsPerMessage = 64
}

extension Context {
  /// Makes `socket`, a connected Unix stream socket this process owns, carry messages
  /// with descriptors (`sendMessage`, `receiveMessage`) — on both ends. A message's data
  /// may be at most `maximumMessageBytes` (as the receiver set it): a longer one closes
  /// the socket at the receiver (`.frameTooLong`).
  ///
  /// Only `sendMessage` may write to such a socket: plain `send` would break its framing.
  /// Throws `.wrongKind` for a socket that is not a Unix connection, `.notOwner`.
  public func carryDescriptors(on socket: Socket, maximumMessageBytes: Int = 1 << 24) throws(SocketError) {
    guard socket.ownerPid == pid else { throw .notOwner }
    guard maximumMessageBytes >= 0 && maximumMessageBytes < Int(Int32.max) else {
      throw .invalidArgument("a message's size limit must be 0 to \(Int32.max - 1) bytes, not \(maximumMessageBytes)")
    }
    try socket.enableDescriptorPassing(maximumFrame: maximumMessageBytes + 1)
  }

  /// Sends one message: `data` and, attached to it, `descriptors` (the receiver gets
  /// its own copies; this process keeps and still owns these). Waits — this process,
  /// not its thread — while what was sent before is still queued, or the kernel takes
  /// nothing. Any process may send, a whole message at a time.
  ///
  /// Throws `.invalidArgument` for more than `Socket.maximumDescriptorsPerMessage`
  /// descriptors, `.closed` if the socket is or gets closed, the socket's error.
  public func sendMessage(_ data: [UInt8], descriptors: [Int32] = [], on socket: Socket) async throws {
    guard descriptors.count <= Socket.maximumDescriptorsPerMessage else {
      throw SocketError.invalidArgument(
        "\(descriptors.count) descriptors in one message; at most \(Socket.maximumDescriptorsPerMessage)")
    }
    let length = data.count + 1
    var frame: [UInt8] = []
    frame.reserveCapacity(length + 4)
    for shift in [24, 16, 8, 0] { frame.append(UInt8(truncatingIfNeeded: length >> shift)) }
    frame.append(UInt8(descriptors.count))
    frame += data
    while try !socket.sendDescriptors(frame, descriptors, waiter: process) {
      _ = try await receive { message -> Bool? in
        guard case .io(let s, .writable) = message, s === socket else { return nil }
        return true
      }
    }
  }

  /// Waits for the next message on `socket` (which this process owns); nil when the
  /// peer has closed. Throws the socket's error — `.descriptors` when a message's
  /// descriptors did not all arrive (the socket is closed, and what arrived of them) —,
  /// `.frameTooLong` for a message over the limit, `SocketError.timeout`.
  public func receiveMessage(on socket: Socket, timeout: Timeout = .infinity) async throws -> DescriptorMessage? {
    let frame: [UInt8]
    do {
      guard let f = try await read(socket, timeout: timeout) else { return nil }
      frame = f
    } catch SocketError.frameTooLong(let n) {
      throw SocketError.frameTooLong(n - 1)
    }
    guard let count = frame.first else {
      socket.close()
      throw SocketError.descriptors("an empty frame (no descriptor count): not a message of this protocol")
    }
    guard let descriptors = socket.takeDescriptors(Int(count)) else {
      socket.close()
      throw SocketError.descriptors("a message carried \(count) descriptors that did not arrive")
    }
    return DescriptorMessage(data: Array(frame.dropFirst()), descriptors: descriptors)
  }
}

/// What a socket that carries descriptors holds besides the bytes: descriptors that have
/// arrived and are not yet taken, and whether a sender waits for the kernel to take
/// bytes again. Guarded by its socket's lock.
final class DescriptorInbox {
  private var arrived: [Int32] = []
  /// A message with descriptors could not be written (the kernel's buffer was full
  /// with nothing of ours queued): EPOLLOUT is wanted to tell its sender.
  var wantsWritable = false

  enum Received {
    /// Bytes read (0: end of file, negative: errno is set).
    case read(Int)
    case failed(SocketError)
  }

  /// Reads what is there with recvmsg, keeping the descriptors that came with it.
  func receive(_ fd: Int32, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Received {
    var fds = [Int32](repeating: -1, count: Socket.maximumDescriptorsPerMessage)
    var count: Int32 = 0
    var truncated: Int32 = 0
    let n = fds.withUnsafeMutableBufferPointer { out in
      otter_receive_descriptors(
        fd, buffer.baseAddress, buffer.count, out.baseAddress, Int32(out.count), &count, &truncated)
    }
    if truncated != 0 {
      for i in 0..<Int(count) { close(fds[i]) }
      return .failed(
        .descriptors(
          "the peer sent more descriptors with one message than the \(Socket.maximumDescriptorsPerMessage) a message may carry (the kernel dropped the rest)"
        ))
    }
    arrived += fds.prefix(Int(count))
    if n < 0 {
      errno = Int32(-n)
      return .read(-1)
    }
    return .read(n)
  }

  /// The next `count` descriptors, or nil if fewer have arrived.
  func take(_ count: Int) -> [Int32]? {
    guard arrived.count >= count else { return nil }
    let taken = Array(arrived.prefix(count))
    arrived.removeFirst(count)
    return taken
  }

  /// Closes every descriptor not taken (the socket is closing).
  func closeAll() {
    for fd in arrived { close(fd) }
    arrived = []
  }
}
