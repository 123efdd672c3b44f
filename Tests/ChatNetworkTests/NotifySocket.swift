// A service manager's end of sd_notify, for tests: a Unix datagram socket (a path in a
// scratch directory, or a name in the abstract namespace) whose name a test puts in a
// chatd's NOTIFY_SOCKET, and reads what chatd tells it, one datagram at a time, each
// wait bounded. The test owns the socket; it is closed (and its file removed) on deinit.
import Foundation
import Glibc
import OtterTestSupport

/// The receiving end of sd_notify.
final class NotifySocket {
  /// What goes in NOTIFY_SOCKET: the path, or `@name`.
  let name: String
  private let fd: Int32
  private let directory: String?

  /// A socket at a path in a scratch directory, or (`abstract`) in the abstract namespace.
  init(abstract: Bool = false) throws {
    fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket: errno \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes: [UInt8]
    if abstract {
      name = "@otter-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      directory = nil
      bytes = Array(name.utf8)
      bytes[0] = 0
    } else {
      let dir = temporaryDirectory("notify")
      directory = dir
      name = dir + "/notify.sock"
      bytes = Array(name.utf8) + [0]
    }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw TestError("bind \(name): errno \(errno)") }
  }

  deinit {
    close(fd)
    if let directory { removeDirectory(directory) }
  }

  /// The next datagram's assignments (`KEY` → value), waiting at most `seconds`; nil if
  /// none came.
  func next(within seconds: Double) -> [String: String]? {
    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&poller, 1, Int32(seconds * 1000)) == 1 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 65536)
    let n = recv(fd, &buffer, buffer.count, 0)
    guard n > 0 else { return nil }
    var fields: [String: String] = [:]
    for line in String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return fields
  }

  /// Reads datagrams until one has `key` (within `seconds` in all); the datagrams read
  /// before it are dropped. Throws, naming `key` and what came, if none did.
  @discardableResult
  func expect(_ key: String, where check: (String) -> Bool = { _ in true }, within seconds: Double = 30) throws -> [String: String] {
    let deadline = Date().addingTimeInterval(seconds)
    var seen: [[String: String]] = []
    while Date() < deadline {
      guard let fields = next(within: deadline.timeIntervalSinceNow) else { break }
      if let value = fields[key], check(value) { return fields }
      seen.append(fields)
    }
    throw TestError("no notification with \(key) within \(seconds) s (got \(seen))")
  }
}
