// New connections at a steady rate beside a chaos run, as users arriving while workers
// are replaced: each one connects, registers (NICK, USER, until 001) and quits. Every
// failure is counted by kind — refused (nothing accepted), reset or closed before the
// welcome, no welcome in time — since a reload that keeps its listeners must refuse or
// drop none. Plain blocking sockets on threads of its own, so the chatbench node's
// schedulers are not involved.
import Foundation
import Glibc
import Synchronization

final class ConnectLoop: Sendable {
  struct Counts: Sendable, Equatable {
    var ok = 0
    var refused = 0
    var reset = 0
    var timedOut = 0
    var examples: [String] = []
    var failed: Int { refused + reset + timedOut }
  }

  private let host: String
  private let port: Int
  private let rate: Double
  private let threads: Int
  private let stopping = Atomic<Bool>(false)
  private let finished = DispatchGroup()
  private let state = Mutex<Counts>(Counts())

  init(host: String, port: Int, rate: Double) {
    self.host = host
    self.port = port
    self.rate = rate
    // A connection takes a few milliseconds: a thread per 50 a second keeps the pace.
    threads = max(1, min(16, Int((rate / 50).rounded(.up))))
  }

  var counts: Counts { state.withLock { $0 } }

  func start() {
    let period = Double(threads) / rate
    for t in 0..<threads {
      finished.enter()
      let thread = Thread { [self] in
        defer { finished.leave() }
        var n = 0
        var next = Date().addingTimeInterval(period * Double(t) / Double(threads))
        while !stopping.load(ordering: .relaxed) {
          let wait = next.timeIntervalSinceNow
          if wait > 0 {
            usleep(useconds_t(min(wait, 0.05) * 1e6))
            continue
          }
          next = next.addingTimeInterval(period)
          n += 1
          let outcome = once(nick: "cl\(t)x\(n)")
          state.withLock { c in
            switch outcome {
            case .ok: c.ok += 1
            case .refused(let why):
              c.refused += 1
              if c.examples.count < 5 { c.examples.append(why) }
            case .reset(let why):
              c.reset += 1
              if c.examples.count < 5 { c.examples.append(why) }
            case .timedOut(let why):
              c.timedOut += 1
              if c.examples.count < 5 { c.examples.append(why) }
            }
          }
        }
      }
      thread.name = "connect loop \(t)"
      thread.start()
    }
  }

  func stop() {
    stopping.store(true, ordering: .relaxed)
    finished.wait()
  }

  private enum Outcome {
    case ok
    case refused(String)
    case reset(String)
    case timedOut(String)
  }

  private func once(nick: String) -> Outcome {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return .refused("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, host, &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if connected != 0 {
      let e = errno
      return e == ETIMEDOUT || e == EINPROGRESS ? .timedOut("connect timed out") : .refused("connect: \(String(cString: strerror(e)))")
    }
    let hello = Array("NICK \(nick)\r\nUSER \(nick) 0 * :connect loop\r\n".utf8)
    guard send(fd, hello, hello.count, Int32(MSG_NOSIGNAL)) == hello.count else {
      return .reset("send: \(String(cString: strerror(errno)))")
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
      let n = recv(fd, &buffer, buffer.count, 0)
      if n > 0 {
        received += buffer[0..<n]
        if let text = String(bytes: received, encoding: .utf8), text.contains(" 001 ") {
          let quit = Array("QUIT :bye\r\n".utf8)
          _ = send(fd, quit, quit.count, Int32(MSG_NOSIGNAL))
          return .ok
        }
        continue
      }
      if n == 0 { return .reset("closed before the welcome: \(String(decoding: received.suffix(200), as: UTF8.self))") }
      if errno == EAGAIN || errno == EWOULDBLOCK { return .timedOut("no welcome within 5 s") }
      if errno == EINTR { continue }
      return .reset("recv: \(String(cString: strerror(errno)))")
    }
    return .timedOut("no welcome within 5 s")
  }
}
