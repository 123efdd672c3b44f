// otter-test-child: the OS process the supervision tests supervise. Its arguments are a
// script of steps run in order, so one binary plays every part a test needs:
//
//   ready                 send READY=1 to $NOTIFY_SOCKET (sd_notify)
//   notify TEXT           send TEXT (e.g. STATUS=busy) to $NOTIFY_SOCKET
//   sleep MS              sleep MS milliseconds
//   exit N                exit with status N
//   raise SIG             die by signal SIG (SEGV, ABRT, KILL, TERM, …; no core file)
//   ignore-term           ignore SIGTERM from now on
//   term-exit N           on SIGTERM, exit with status N
//   print N               write N lines "line 1" … "line N" to stdout
//   stderr TEXT           write TEXT and a newline to stderr
//   long BYTES            write one line of BYTES 'x' to stdout
//   partial TEXT          write TEXT to stdout with no newline
//   grow MB               allocate and touch MB MiB, and keep them
//   fds                   print "fds 0 1 2 …" (its open descriptors) and
//                         "listen FDS PID-MATCHES NAMES" (LISTEN_FDS, whether LISTEN_PID
//                         is its own pid, LISTEN_FDNAMES)
//   serve                 accept one connection on descriptor 3, write "hello from PID"
//   pid                   print "pid PID"
//   spawn-sleeper         start `sleep 1000` (a grandchild) and print "sleeper PID"
//   forever               wait until a signal ends it
//   once PATH             the first run (no file at PATH) makes the file and goes on;
//                         later runs send READY=1 (if NOTIFY_SOCKET is set) and wait
//                         forever: a child that fails once, then serves
//   supervise N           be a supervising node: run N children (this binary, `ready
//                         forever`) under a Supervisor, print "children PID …", then wait
//
// Output is flushed after every step. Glibc only, so it starts fast — except
// `supervise`, which is a whole Otter node.
import Actors
import Glibc
import Supervision

/// Writes all of `text` to `fd` (no stdio buffering: every step's output is out at once).
func emit(_ text: String, to fd: Int32 = 1) {
  var bytes = Array(text.utf8)[...]
  while !bytes.isEmpty {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if n <= 0 { return }
    bytes = bytes.dropFirst(n)
  }
}

func say(_ line: String) { emit(line + "\n") }

func fail(_ why: String) -> Never {
  emit("otter-test-child: \(why)\n", to: 2)
  exit(2)
}

func number(_ text: String) -> Int {
  guard let n = Int(text) else { fail("not a number: \(text)") }
  return n
}

func notify(_ text: String) {
  guard let path = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }) else { fail("no NOTIFY_SOCKET") }
  let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  withUnsafeMutableBytes(of: &address.sun_path) { raw in
    for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
  }
  let sent = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
      text.withCString { sendto(fd, $0, strlen($0), 0, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
  }
  if sent < 0 { fail("sendto \(path): \(String(cString: strerror(errno)))") }
  close(fd)
}

func signalNumber(_ name: String) -> Int32 {
  var bare = name.uppercased()
  if bare.hasPrefix("SIG") { bare.removeFirst(3) }
  switch bare {
  case "SEGV": return SIGSEGV
  case "ABRT": return SIGABRT
  case "KILL": return SIGKILL
  case "TERM": return SIGTERM
  case "INT": return SIGINT
  case "HUP": return SIGHUP
  case "USR1": return SIGUSR1
  case "BUS": return SIGBUS
  default: return Int32(number(name))
  }
}

func openDescriptors() -> [Int32] {
  guard let dir = opendir("/proc/self/fd") else { return [] }
  defer { closedir(dir) }
  let own = dirfd(dir)
  var fds: [Int32] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if let fd = Int32(name), fd != own { fds.append(fd) }
  }
  return fds.sorted()
}

/// The term-exit status (read by the signal handler).
nonisolated(unsafe) var termStatus: Int32 = 0
/// Memory kept by `grow`.
nonisolated(unsafe) var kept: [UnsafeMutableRawPointer] = []

func supervise(_ n: Int) async throws -> Never {
  let node = try Node(schedulers: 1, name: "otter-test-child")
  var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
  let length = readlink("/proc/self/exe", &path, path.count - 1)
  let me = length > 0 ? String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/proc/self/exe"
  var child = OSProcessSpec(me, arguments: ["ready", "forever"])
  child.readiness = .notify(timeout: .seconds(10))
  let children = (1...max(1, n)).map { ChildSpec.osProcess(id: "child-\($0)", child) }
  guard let supervisor = try await node.start(Supervisor(SupervisorFlags(intensity: 10), children: children)) else {
    fail("the supervisor did not start")
  }
  let pids = try await node.whichChildren(supervisor).compactMap { $0.pid.flatMap { OSProcess.status(of: $0)?.osPid } }
  say("children " + pids.map(String.init).joined(separator: " "))
  while true { pause() }
}

func run(_ arguments: [String]) async throws {
  var steps = arguments[...]
  func next(_ step: String) -> String {
    guard let value = steps.popFirst() else { fail("\(step) needs a value") }
    return value
  }
  while let step = steps.popFirst() {
    switch step {
    case "ready": notify("READY=1")
    case "notify": notify(next(step))
    case "sleep": usleep(UInt32(number(next(step))) * 1000)
    case "exit": exit(Int32(number(next(step))))
    case "raise":
      let signal = signalNumber(next(step))
      var none = rlimit(rlim_cur: 0, rlim_max: 0)
      setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
      Glibc.signal(signal, SIG_DFL)
      raise(signal)
      fail("still alive after raise")
    case "ignore-term": signal(SIGTERM, SIG_IGN)
    case "term-exit":
      termStatus = Int32(number(next(step)))
      signal(SIGTERM) { _ in _exit(termStatus) }
    case "print":
      let n = number(next(step))
      var chunk = ""
      for i in 0..<n {
        chunk += "line \(i + 1)\n"
        if chunk.utf8.count > 60_000 {
          emit(chunk)
          chunk = ""
        }
      }
      emit(chunk)
    case "stderr": emit(next(step) + "\n", to: 2)
    case "long": emit(String(repeating: "x", count: number(next(step))) + "\n")
    case "partial": emit(next(step))
    case "grow":
      let bytes = number(next(step)) << 20
      guard let p = malloc(bytes) else { fail("malloc \(bytes)") }
      memset(p, 1, bytes)
      kept.append(p)
    case "fds":
      say("fds " + openDescriptors().map(String.init).joined(separator: " "))
      let fds = getenv("LISTEN_FDS").map { String(cString: $0) } ?? "-"
      let pid = getenv("LISTEN_PID").map { String(cString: $0) }
      let names = getenv("LISTEN_FDNAMES").map { String(cString: $0) } ?? "-"
      say("listen \(fds) \(pid == String(getpid()) ? "own-pid" : (pid ?? "-")) \(names)")
    case "serve":
      var p = pollfd(fd: 3, events: Int16(POLLIN), revents: 0)
      _ = poll(&p, 1, 10_000)
      let c = accept(3, nil, nil)
      if c < 0 { fail("accept on 3: \(String(cString: strerror(errno)))") }
      let text = "hello from \(getpid())\n"
      _ = text.withCString { write(c, $0, strlen($0)) }
      close(c)
    case "pid": say("pid \(getpid())")
    case "spawn-sleeper":
      var child: pid_t = 0
      let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("1000"), nil]
      if posix_spawnp(&child, "sleep", nil, nil, argv, environ) != 0 { fail("cannot start sleep") }
      say("sleeper \(child)")
    case "forever":
      while true { pause() }
    case "once":
      let path = next(step)
      if access(path, F_OK) == 0 {
        if getenv("NOTIFY_SOCKET") != nil { notify("READY=1") }
        while true { pause() }
      }
      let fd = open(path, O_CREAT | O_WRONLY, 0o644)
      if fd < 0 { fail("cannot make \(path)") }
      close(fd)
    case "supervise":
      try await supervise(number(next(step)))
    default:
      fail("unknown step \(step)")
    }
  }
}

try await run(Array(CommandLine.arguments.dropFirst()))
