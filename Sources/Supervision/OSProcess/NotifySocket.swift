// systemd's readiness protocol (sd_notify), the receiving side: a Unix datagram socket
// per child in a private directory (mode 0700, so only this user can send to it), whose
// path the child finds in NOTIFY_SOCKET; each datagram is newline-separated KEY=VALUE
// assignments (READY=1, STATUS=…, STOPPING=1, MAINPID=…, EXTEND_TIMEOUT_USEC=…).
// The socket is read by the child's owner process on the scheduler's epoll; the
// directory is removed by the owner's exit hook (`remove`, idempotent). A supervising
// process killed outright leaves its directories behind: they are named after its pid,
// and the first notify socket made by a later process sweeps those of dead processes.
import Actors
import COtterSys
import Glibc
import Synchronization

/// A child's notify socket: its directory, path and descriptor.
final class NotifySocket: Sendable {
  let directory: String
  let path: String
  /// The bound socket; the owner adopts it (it is closed with the owner's sockets).
  let fd: Int32
  private let removed = Atomic<Bool>(false)
  /// The sweep of stale directories runs once per OS process.
  private static let swept = Atomic<Bool>(false)

  private init(directory: String, path: String, fd: Int32) {
    self.directory = directory
    self.path = path
    self.fd = fd
  }

  /// Makes a private directory under `$OTTER_RUNTIME_DIR` (else /tmp) and binds a
  /// datagram socket in it.
  static func make() throws(OSProcessError) -> NotifySocket {
    let base = getenv("OTTER_RUNTIME_DIR").map { String(cString: $0) } ?? "/tmp"
    if !swept.exchange(true, ordering: .relaxed) { sweep(base) }
    var template = Array("\(base)/otter-notify-\(getpid())-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw .setup("cannot make a directory for the notify socket under \(base): \(String(cString: strerror(errno)))")
    }
    let directory = String(cString: made)
    let path = directory + "/notify"
    let fd = otter_unix_datagram_bind(path)
    if fd < 0 {
      rmdir(directory)
      throw .setup("cannot bind the notify socket \(path): \(String(cString: strerror(-fd)))")
    }
    return NotifySocket(directory: directory, path: path, fd: fd)
  }

  /// Removes the directories (ours: same user) that processes now gone left in `base`.
  private static func sweep(_ base: String) {
    guard let dir = opendir(base) else { return }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      let parts = name.split(separator: "-")
      guard name.hasPrefix("otter-notify-"), parts.count == 4, let pid = Int32(parts[2]), pid != getpid() else { continue }
      guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
      let path = "\(base)/\(name)"
      var st = stat()
      guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid() else { continue }
      unlink(path + "/notify")
      rmdir(path)
    }
  }

  /// Removes the socket file and its directory (the descriptor is the owner's to close).
  func remove() {
    if removed.exchange(true, ordering: .acquiringAndReleasing) { return }
    unlink(path)
    rmdir(directory)
  }
}

/// One sd_notify datagram, the assignments Otter acts on.
struct NotifyMessage: Equatable {
  var ready = false
  var stopping = false
  var reloading = false
  var status: String?
  var mainPid: Int32?
  /// EXTEND_TIMEOUT_USEC: the start may take this much longer from now.
  var extendTimeout: Duration?

  /// Reads `datagram`; unknown assignments (WATCHDOG=1, ERRNO=…, FDSTORE=1, …) are ignored.
  init(_ datagram: [UInt8]) {
    for line in datagram.split(separator: 0x0A) {
      guard let eq = line.firstIndex(of: 0x3D) else { continue }
      let key = String(decoding: line[line.startIndex..<eq], as: UTF8.self)
      let value = String(decoding: line[(eq + 1)...], as: UTF8.self)
      switch key {
      case "READY": ready = value == "1"
      case "STOPPING": stopping = value == "1"
      case "RELOADING": reloading = value == "1"
      case "STATUS": status = value
      case "MAINPID": mainPid = Int32(value)
      case "EXTEND_TIMEOUT_USEC": extendTimeout = UInt64(value).map { .microseconds(Int64(min($0, UInt64(Int64.max)))) }
      default: continue
      }
    }
  }
}
