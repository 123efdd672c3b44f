// The client side of the control protocol: what `observer` (and tests, and scripts
// written in Swift) use to talk to a node. Plain blocking socket calls with a time
// limit on every exchange — it runs in its own OS process, on its own thread, never on
// a node's scheduler.
import Actors
import Glibc

/// Why a control request did not get an answer.
public enum ControlClientError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No socket file at the path.
  case noSocket(String)
  /// The socket belongs to someone else (the kernel refused, or the node did).
  case permissionDenied(path: String, detail: String)
  /// A socket file with no node behind it (the node died without cleaning up).
  case refused(String)
  /// A system call failed.
  case system(String, errno: Int32)
  /// No answer in time.
  case timeout(Duration)
  /// The node closed the connection.
  case closed
  /// The node answered something that is not a response of this protocol.
  case malformedReply(String)
  /// The node answered with an error.
  case remote(ControlError)

  public var description: String {
    switch self {
    case .noSocket(let path): return "no control socket at \(path) (is the node running?)"
    case .permissionDenied(let path, let detail): return "permission denied: \(path): \(detail)"
    case .refused(let path): return "no node is listening at \(path) (a stale socket file?)"
    case .system(let what, let e): return "\(what): \(String(cString: strerror(e)))"
    case .timeout(let d): return "no answer from the node within \(d)"
    case .closed: return "the node closed the connection"
    case .malformedReply(let why): return "malformed reply from the node: \(why)"
    case .remote(let e): return "the node answered: \(e)"
    }
  }
}

extension ControlClientError {
  /// The exit status a command reports it with (sysexits.h): 77 permission denied,
  /// 69 no node there, 75 no answer in time, 1 anything else.
  public var exitStatus: Int32 {
    switch self {
    case .permissionDenied: return 77
    case .noSocket, .refused: return 69
    case .timeout: return 75
    default: return 1
    }
  }
}

/// A connection to a node's control endpoint. Not thread-safe: one user at a time.
public final class ControlClient {
  /// The socket's path.
  public let path: String
  /// How long one request may take.
  public var timeout: Duration
  private var fd: Int32
  private var buffer: [UInt8] = []
  private var nextID: Int64 = 1

  /// Connects to the endpoint at `path`.
  public init(path: String, timeout: Duration = .seconds(10)) throws(ControlClientError) {
    self.path = path
    self.timeout = timeout
    fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw .system("socket", errno: errno) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      Glibc.close(fd)
      throw .system("connect \(path) (path too long for a Unix socket)", errno: ENAMETOOLONG)
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if rc != 0 {
      let e = errno
      Glibc.close(fd)
      fd = -1
      switch e {
      case ENOENT: throw .noSocket(path)
      case EACCES, EPERM: throw .permissionDenied(path: path, detail: ControlClient.ownership(of: path))
      case ECONNREFUSED: throw .refused(path)
      default: throw .system("connect \(path)", errno: e)
      }
    }
  }

  deinit { close() }

  /// Closes the connection (further requests fail with `.closed`).
  public func close() {
    if fd >= 0 { Glibc.close(fd) }
    fd = -1
  }

  // MARK: - Requests

  /// Sends `op` with `parameters` and returns the result. A node's error reply throws
  /// `.remote` (`.permissionDenied` for a refusal).
  public func request(_ op: ControlProtocol.Op, _ parameters: [(key: String, value: JSON)] = []) throws(ControlClientError) -> JSON {
    let id = nextID
    nextID += 1
    let request = JSON.object(
      [(key: "v", value: .int(Int64(ControlProtocol.version))), (key: "id", value: .int(id)), (key: "op", value: .string(op.rawValue))]
        + parameters)
    return try result(of: exchange(request.bytes), id: id)
  }

  /// Sends an operation the node's application added (`name`, such as chatd's
  /// `handoff`) with `parameters` and returns the result, as `request` does.
  public func request(operation name: String, _ parameters: [(key: String, value: JSON)] = []) throws(ControlClientError) -> JSON {
    let id = nextID
    nextID += 1
    let request = JSON.object(
      [(key: "v", value: .int(Int64(ControlProtocol.version))), (key: "id", value: .int(id)), (key: "op", value: .string(name))]
        + parameters)
    return try result(of: exchange(request.bytes), id: id)
  }

  /// The result in the response line `reply` to request `id` (a node's error throws).
  private func result(of reply: [UInt8], id: Int64) throws(ControlClientError) -> JSON {
    let json: JSON
    do {
      json = try JSON.parse(reply)
    } catch {
      throw .malformedReply(error.description)
    }
    guard case .object = json, let ok = json["ok"]?.boolValue else {
      throw .malformedReply("no \"ok\" in \(String(describing: json).prefix(200))")
    }
    if !ok {
      let error: ControlError
      do {
        error = try ControlError(json: json["error"] ?? .null)
      } catch {
        throw .malformedReply(error.message)
      }
      if error.code == .permissionDenied { throw .permissionDenied(path: path, detail: error.message) }
      throw .remote(error)
    }
    if let answered = json["id"], answered != .int(id) {
      throw .malformedReply("reply to request \(answered), expected \(id)")
    }
    return json["result"] ?? .null
  }

  /// Writes one line (a newline is added) and reads one line back: the raw exchange,
  /// for tests and for `observer --raw`.
  public func exchange(_ line: [UInt8]) throws(ControlClientError) -> [UInt8] {
    guard fd >= 0 else { throw .closed }
    do {
      try writeAll(line + [0x0A])
    } catch .closed {
      // A node that refuses a connection says why, then closes; the request may find
      // the connection closed already. What it said is the answer.
      if let said = try? readLine() { return said }
      throw .closed
    }
    return try readLine()
  }

  /// Who the node is.
  public func hello() throws(ControlClientError) -> JSON { try request(.hello) }

  public func stats() throws(ControlClientError) -> SystemSummary {
    try decode(request(.stats)) { (j) throws(ControlError) in try SystemSummary(json: j) }
  }

  public func top(sort: TopSort = .reductions, limit: Int = 50, offset: Int = 0) throws(ControlClientError) -> TopPage {
    let result = try request(
      .top, [(key: "sort", value: .string(sort.rawValue)), (key: "limit", value: .number(limit)), (key: "offset", value: .number(offset))])
    return try decode(result) { (j) throws(ControlError) in try TopPage(json: j) }
  }

  public func tree(childLimit: Int = 100, timeout: Duration = .seconds(1)) throws(ControlClientError) -> SupervisionTree {
    let result = try request(.tree, ControlClient.treeParameters(childLimit, timeout))
    return try decode(result) { (j) throws(ControlError) in try SupervisionTree(json: j) }
  }

  /// A snapshot: the system header, and the parts asked for.
  public func snapshot(
    top: (sort: TopSort, limit: Int, offset: Int)? = nil, tree: (childLimit: Int, timeout: Duration)? = (100, .seconds(1)),
    processes: Bool = true, sockets: Bool = true
  ) throws(ControlClientError) -> Snapshot {
    try decode(snapshotJSON(top: top, tree: tree, processes: processes, sockets: sockets)) { (j) throws(ControlError) in
      try Snapshot(json: j)
    }
  }

  /// `snapshot` as the node sent it (what `observer --json` prints).
  public func snapshotJSON(
    top: (sort: TopSort, limit: Int, offset: Int)? = nil, tree: (childLimit: Int, timeout: Duration)? = (100, .seconds(1)),
    processes: Bool = true, sockets: Bool = true
  ) throws(ControlClientError) -> JSON {
    var parameters: [(key: String, value: JSON)] = []
    if let top {
      parameters.append(
        (key: "top", value: .fields(["sort": .string(top.sort.rawValue), "limit": .number(top.limit), "offset": .number(top.offset)])))
    }
    parameters.append((key: "tree", value: tree.map { .object(ControlClient.treeParameters($0.childLimit, $0.timeout)) } ?? .bool(false)))
    parameters.append((key: "processes", value: .bool(processes)))
    parameters.append((key: "sockets", value: .bool(sockets)))
    return try request(.snapshot, parameters)
  }

  /// One process in full. `messages`: how many queued messages to list (nil: the node's
  /// default, 20; the parameter is left out, so a node that predates it still answers).
  public func process(_ pid: ProcessID, stateTimeout: Duration = .seconds(1), messages: Int? = nil) throws(ControlClientError)
    -> ProcessDetail
  {
    var parameters: [(key: String, value: JSON)] = [
      (key: "pid", value: pid.json), (key: "state_timeout_ms", value: .number(ControlClient.milliseconds(stateTimeout))),
    ]
    if let messages { parameters.append((key: "messages", value: .number(messages))) }
    let result = try request(.process, parameters)
    return try decode(result) { (j) throws(ControlError) in try ProcessDetail(json: j) }
  }

  /// Sends `pid` an exit signal (`kill` unless told otherwise).
  public func kill(_ pid: ProcessID, reason: String = "kill") throws(ControlClientError) {
    _ = try request(.kill, [(key: "pid", value: pid.json), (key: "reason", value: .string(reason))])
  }

  /// Has the static supervisor `supervisor` stop its child `child` and start it again
  /// (the `restart` operation). Returns once the node has checked the request; the
  /// restart goes on there (the tree shows the new pid, a failure is logged).
  public func restart(supervisor: ProcessID, child: String) throws(ControlClientError) {
    _ = try request(.restart, [(key: "supervisor", value: supervisor.json), (key: "child", value: .string(child))])
  }

  /// Sends each of `pids` an exit signal with one write: the node reads the requests
  /// together and serves them in order, so the signals leave within microseconds of
  /// each other, where one request after another leaves a round trip between them (for
  /// making processes die together). One entry per pid, in order: nil if the signal
  /// was sent, else the node's error (`no_such_process`...).
  public func kill(_ pids: [ProcessID], reason: String = "kill") throws(ControlClientError) -> [ControlError?] {
    guard fd >= 0 else { throw .closed }
    let first = nextID
    nextID += Int64(pids.count)
    var lines: [UInt8] = []
    for (i, pid) in pids.enumerated() {
      let request = JSON.object([
        (key: "v", value: .int(Int64(ControlProtocol.version))), (key: "id", value: .int(first + Int64(i))),
        (key: "op", value: .string(ControlProtocol.Op.kill.rawValue)), (key: "pid", value: pid.json),
        (key: "reason", value: .string(reason)),
      ])
      lines += request.bytes + [0x0A]
    }
    try writeAll(lines)
    var out: [ControlError?] = []
    for i in pids.indices {
      do {
        _ = try result(of: readLine(), id: first + Int64(i))
        out.append(nil)
      } catch .remote(let e) {
        out.append(e)
      }
    }
    return out
  }

  /// Where the node's memory is. A node that predates the operation answers
  /// `.remote(unknown_op)`.
  public func memory() throws(ControlClientError) -> MemoryBreakdown {
    try decode(request(.memory)) { (j) throws(ControlError) in try MemoryBreakdown(json: j) }
  }

  public func sockets() throws(ControlClientError) -> [SocketRow] {
    let result = try request(.sockets)
    return try decode(result) { (j) throws(ControlError) in
      try Fields(j, "sockets").array("sockets") { (s) throws(ControlError) in try SocketRow(json: s) }
    }
  }

  // MARK: - Helpers

  private func decode<T>(_ json: JSON, _ make: (JSON) throws(ControlError) -> T) throws(ControlClientError) -> T {
    do {
      return try make(json)
    } catch {
      throw .malformedReply(error.message)
    }
  }

  private static func treeParameters(_ childLimit: Int, _ timeout: Duration) -> [(key: String, value: JSON)] {
    [(key: "child_limit", value: .number(childLimit)), (key: "timeout_ms", value: .number(milliseconds(timeout)))]
  }

  private static func milliseconds(_ d: Duration) -> Int {
    let (s, a) = d.components
    return max(1, Int(s) * 1000 + Int(a / 1_000_000_000_000_000))
  }

  private func deadline() -> UInt64 { MonotonicClock.nanoseconds() &+ UInt64(ControlClient.milliseconds(timeout)) * 1_000_000 }

  /// Waits until `fd` is ready for `events`, or the deadline.
  private func wait(_ events: Int16, until deadline: UInt64) throws(ControlClientError) {
    while true {
      let t = MonotonicClock.nanoseconds()
      guard t < deadline else { throw .timeout(timeout) }
      var p = pollfd(fd: fd, events: events, revents: 0)
      let ms = Int32(min(UInt64(Int32.max), (deadline - t) / 1_000_000 + 1))
      let n = poll(&p, 1, ms)
      if n > 0 { return }
      if n < 0 && errno != EINTR { throw .system("poll", errno: errno) }
    }
  }

  private func writeAll(_ bytes: [UInt8]) throws(ControlClientError) {
    let end = deadline()
    var done = 0
    while done < bytes.count {
      try wait(Int16(POLLOUT), until: end)
      let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
      if n > 0 {
        done += n
      } else if n < 0 && errno != EINTR && errno != EAGAIN {
        if errno == EPIPE || errno == ECONNRESET { throw .closed }
        throw .system("send", errno: errno)
      }
    }
  }

  private func readLine() throws(ControlClientError) -> [UInt8] {
    let end = deadline()
    var scanned = 0
    while true {
      if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
        let line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        return line
      }
      scanned = buffer.count
      try wait(Int16(POLLIN), until: end)
      var chunk = [UInt8](repeating: 0, count: 256 * 1024)
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n > 0 {
        buffer.append(contentsOf: chunk[..<n])
      } else if n == 0 {
        throw .closed
      } else if errno != EINTR && errno != EAGAIN {
        if errno == ECONNRESET { throw .closed }
        throw .system("recv", errno: errno)
      }
    }
  }

  /// Who owns the socket file (or the directory that hides it), for a permission error
  /// people can act on.
  static func ownership(of path: String) -> String {
    var st = stat()
    let me = geteuid()
    if stat(path, &st) == 0 {
      let mode = String(st.st_mode & 0o777, radix: 8)
      return "the socket belongs to uid \(st.st_uid) with mode 0\(mode) and this is uid \(me); run observer as uid \(st.st_uid)"
    }
    // The socket cannot even be looked at: a directory on the way is closed to us.
    var directory = path
    while let slash = directory.lastIndex(of: "/"), slash != directory.startIndex {
      directory = String(directory[..<slash])
      if stat(directory, &st) == 0 {
        let mode = String(st.st_mode & 0o777, radix: 8)
        return
          "its directory \(directory) belongs to uid \(st.st_uid) with mode 0\(mode) and this is uid \(me); run observer as uid \(st.st_uid)"
      }
    }
    return "cannot read its owner: \(String(cString: strerror(errno)))"
  }
}
