// One epoll instance per scheduler, with an eventfd that other threads write to wake
// the scheduler from epoll_wait.
import COtterSys
import Glibc
import Synchronization

/// `@unchecked Sendable`: `events` is used only by the owning scheduler thread; `sources`
/// is guarded by `sourcesLock` (sockets register and close from any thread);
/// `wakePending` and `closed` are atomic; the fds are immutable.
final class Poller: @unchecked Sendable {
  let epollFD: Int32
  let wakeFD: Int32
  private let wakePending = Atomic<Bool>(false)
  /// Set when the descriptors have been given back (`closeDescriptors`).
  private let closed = Atomic<Bool>(false)
  private let events: UnsafeMutablePointer<otter_event_t>
  private let capacity = 256
  /// Registered sockets by id, the epoll data (socket ids start at 1; 0 is the wake
  /// eventfd). The socket's own id, not a token of the poller's: one field less in
  /// every socket, and a table of sockets, not of existentials (8 bytes a slot less).
  private let sourcesLock = Lock()
  @exclusivity(unchecked) private var sources: [UInt64: Socket] = [:]

  init() throws(SystemError) {
    let ep = otter_epoll_create()
    if ep < 0 { throw SystemError.last("epoll_create1") }
    let ev = otter_eventfd()
    if ev < 0 {
      let error = SystemError.last("eventfd")
      close(ep)
      throw error
    }
    if otter_epoll_ctl(ep, 1, ev, UInt32(OTTER_EPOLLIN), 0) != 0 {
      let error = SystemError.last("epoll_ctl(eventfd)")
      close(ep)
      close(ev)
      throw error
    }
    epollFD = ep
    wakeFD = ev
    events = .allocate(capacity: capacity)
  }

  deinit {
    events.deallocate()
    closeDescriptors()
  }

  /// Gives the epoll and eventfd descriptors back once the owning thread has ended (its
  /// node stopped): the node object may outlive its stop for as long as pids to its
  /// processes exist, but its descriptors must not. No effect after the first call.
  func closeDescriptors() {
    if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
    close(epollFD)
    close(wakeFD)
  }

  /// Wakes the owning thread if it sleeps in `wait` (or makes its next wait return).
  /// Any thread. Only the first wake after a wait writes to the eventfd.
  func wake() {
    // A stopped poller's descriptor numbers may belong to someone else by now.
    if closed.load(ordering: .acquiring) { return }
    if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
      _ = otter_eventfd_signal(wakeFD)
    }
  }

  /// Registers `socket`'s fd for `events` (OTTER_EPOLL* flags). Any thread. The
  /// socket's `ready(events:)` is called on this poller's scheduler thread.
  func register(_ socket: Socket, events: UInt32) throws(SystemError) {
    let token = socket.id
    sourcesLock.withLock { sources[token] = socket }
    if otter_epoll_ctl(epollFD, 1, socket.fd, events, token) != 0 {
      let error = SystemError.last("epoll_ctl(ADD)")
      _ = sourcesLock.withLock { sources.removeValue(forKey: token) }
      throw error
    }
  }

  func modify(_ socket: Socket, events: UInt32) throws(SystemError) {
    if otter_epoll_ctl(epollFD, 3, socket.fd, events, socket.id) != 0 { throw SystemError.last("epoll_ctl(MOD)") }
  }

  func deregister(_ socket: Socket) {
    _ = otter_epoll_ctl(epollFD, 2, socket.fd, 0, socket.id)
    _ = sourcesLock.withLock { sources.removeValue(forKey: socket.id) }
  }

  /// Waits up to `timeoutNanos` (-1: forever, 0: poll) and dispatches what fired.
  /// Returns the number of I/O events (wake-ups not counted). Owner thread.
  @discardableResult
  func wait(timeoutNanos: Int64) -> Int {
    let n = otter_epoll_wait(epollFD, events, Int32(capacity), timeoutNanos)
    if n <= 0 { return 0 }
    var io = 0
    for i in 0..<Int(n) {
      let e = events[i]
      if e.data == 0 {
        // Drain first, then re-arm: a wake that lands between the two still writes
        // (or finds the loop awake and about to look at its inbox).
        _ = otter_eventfd_drain(wakeFD)
        wakePending.store(false, ordering: .sequentiallyConsistent)
      } else if let source = sourcesLock.withLock({ sources[e.data] }) {
        io += 1
        source.ready(events: e.events)
      }
    }
    return io
  }

  var sourceCount: Int { sourcesLock.withLock { sources.count } }
}

/// A failed system call, with errno.
public struct SystemError: Error, CustomStringConvertible, Equatable {
  /// What was being done.
  public let operation: String
  public let errno: Int32

  public init(_ operation: String, errno: Int32) {
    self.operation = operation
    self.errno = errno
  }

  static func last(_ operation: String) -> SystemError { SystemError(operation, errno: Glibc.errno) }

  public var description: String {
    "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
  }
}
