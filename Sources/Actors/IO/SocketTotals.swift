// The node's sockets in total: how many are open, of which kind, the bytes waiting in
// their write queues, and the bytes every socket ever read or wrote — closed ones
// included, so the two byte figures only grow (what a metrics scraper turns into rates).
//
// Writers: a socket's reads and writes are counted by the thread that does them, on its
// own scheduler's `bytesReceived`/`bytesSent` (so two cores never write the same cache
// line per syscall), or, from a thread that is no scheduler of this node, on the node's
// `offSchedulerTraffic`. Readers add the counters up; nothing is reset.
import Synchronization

/// Socket bytes counted for a node by threads that are not its schedulers.
final class SocketTraffic: Sendable {
  let received = Atomic<UInt64>(0)
  let sent = Atomic<UInt64>(0)
}

/// The node's sockets in total (`Node.socketTotals()`).
public struct SocketTotals: Sendable {
  /// Open TCP connections.
  public let tcp: Int
  /// Open Unix stream connections.
  public let unix: Int
  /// Open TCP listeners.
  public let tcpListeners: Int
  /// Open Unix listeners.
  public let unixListeners: Int
  /// Bytes waiting in the open sockets' write queues (the kernel did not take them yet).
  public let queuedBytes: Int
  /// Bytes read from every socket of the node since it started, closed ones included.
  public let bytesReceived: UInt64
  /// Bytes written to every socket of the node since it started, closed ones included.
  public let bytesSent: UInt64

  /// Every open socket, listeners included.
  public var open: Int { tcp + unix + tcpListeners + unixListeners }
}

extension Node {
  /// The node's sockets in total. Reads each open socket's kind and queue length (one
  /// atomic each, no lock, no address lookup) and the per-scheduler byte counters; stops
  /// no scheduler.
  public func socketTotals() -> SocketTotals {
    // Bytes first: a socket that closes meanwhile is already in them.
    var received = offSchedulerTraffic.received.load(ordering: .relaxed)
    var sent = offSchedulerTraffic.sent.load(ordering: .relaxed)
    for s in schedulers {
      received &+= s.bytesReceived.load(ordering: .relaxed)
      sent &+= s.bytesSent.load(ordering: .relaxed)
    }
    var counts: [Socket.Kind: Int] = [:]
    var queued = 0
    for socket in openSockets() {
      counts[socket.kind, default: 0] += 1
      queued += socket.pendingBytes
    }
    return SocketTotals(
      tcp: counts[.tcp] ?? 0, unix: counts[.unix] ?? 0, tcpListeners: counts[.tcpListener] ?? 0,
      unixListeners: counts[.unixListener] ?? 0, queuedBytes: queued, bytesReceived: received, bytesSent: sent)
  }

  /// Counts `n` bytes read from one of this node's sockets by the calling thread.
  @inline(__always) func countReceived(_ n: Int) {
    guard n > 0 else { return }
    if let s = Scheduler.current, s.node === self {
      s.bytesReceived.add(UInt64(n), ordering: .relaxed)
    } else {
      offSchedulerTraffic.received.add(UInt64(n), ordering: .relaxed)
    }
  }

  /// Counts `n` bytes written to one of this node's sockets by the calling thread.
  @inline(__always) func countSent(_ n: Int) {
    guard n > 0 else { return }
    if let s = Scheduler.current, s.node === self {
      s.bytesSent.add(UInt64(n), ordering: .relaxed)
    } else {
      offSchedulerTraffic.sent.add(UInt64(n), ordering: .relaxed)
    }
  }
}
