// Telling a service manager how chatd is doing: systemd's `sd_notify` protocol, which
// chatd's own master speaks too. The manager names a Unix datagram socket in the
// environment (`NOTIFY_SOCKET`: a path, or `@name` for a socket in the abstract
// namespace); each notification is one datagram of newline-separated `KEY=VALUE`
// assignments (sd_notify(3)). chatd sends:
//
//   READY=1, MAINPID=<pid>, STATUS=...   once it really serves (ChatServer.start: the
//                                        listeners open and, in a network, the network
//                                        joined), so `Type=notify` units and supervisors
//                                        start what depends on it only then;
//   STATUS=...                           when that changes (Redis unreachable: degraded;
//                                        back; a hand-off under way);
//   STOPPING=1, STATUS=...               when a graceful stop begins.
//
// Sending never blocks and never fails chatd: a manager that is gone or slow loses a
// datagram, which is what sd_notify does too (the first failure is logged).
//
// Owner: immutable but for the once-only warning flag; any process may send.
import Actors
import Glibc
import Synchronization

/// Sends sd_notify datagrams to the socket a service manager named.
final class ServiceNotifier: Sendable {
  /// Where the datagrams go, as given (`/run/...` or `@abstract`).
  let socketName: String
  private let logger: Logger
  private let warned = Atomic<Bool>(false)

  /// A notifier for `socketName` (the value of `NOTIFY_SOCKET`); nil when there is none
  /// to notify (unset or empty).
  init?(socketName: String?, logger: Logger) {
    guard let socketName, !socketName.isEmpty else { return nil }
    self.socketName = socketName
    self.logger = logger
  }

  /// Ready: chatd serves now. `status` says how (the unit's status line).
  func ready(status: String) {
    send(["READY=1", "MAINPID=\(getpid())", "STATUS=" + Self.oneLine(status)])
  }

  /// A new status line (what `systemctl status` shows).
  func status(_ text: String) { send(["STATUS=" + Self.oneLine(text)]) }

  /// A graceful stop has begun.
  func stopping(status: String) { send(["STOPPING=1", "STATUS=" + Self.oneLine(status)]) }

  /// A value may not hold a newline: it would start another assignment.
  static func oneLine(_ text: String) -> String {
    String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
  }

  /// Sends one datagram of `assignments`, one per line.
  func send(_ assignments: [String]) {
    let payload = Array(assignments.joined(separator: "\n").utf8)
    if let problem = Self.send(payload, to: socketName), !warned.exchange(true, ordering: .relaxed) {
      logger.warning(
        "cannot notify the service manager at NOTIFY_SOCKET=\(socketName): \(problem) (further failures are not logged)",
        metadata: ["notify_socket": .string(socketName)])
    }
  }

  /// Sends `payload` as one datagram to the Unix socket `name` (a path, or `@` and a name
  /// in the abstract namespace). Nil when sent, else what went wrong.
  static func send(_ payload: [UInt8], to name: String) -> String? {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(name.utf8)
    let abstract = bytes.first == UInt8(ascii: "@")
    if abstract { bytes[0] = 0 }
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    let fits = bytes.count < capacity
    let named = bytes.count > (abstract ? 1 : 0)
    guard fits, named, abstract || bytes.first == UInt8(ascii: "/") else {
      return "not a Unix socket path or @abstract name"
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
    // A path is NUL-terminated; an abstract name is exactly its bytes (no NUL counted).
    let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return String(cString: strerror(errno)) }
    defer { close(fd) }
    let sent = payload.withUnsafeBytes { buffer in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), $0, length)
        }
      }
    }
    return sent == payload.count ? nil : String(cString: strerror(errno))
  }
}
