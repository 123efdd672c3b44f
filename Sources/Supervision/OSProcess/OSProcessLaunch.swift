// From an `OSProcessSpec` to a `SpawnPlan`: the spec checked (each problem a sentence),
// the executable found, the environment made (this process's, less its own systemd
// variables, plus the spec's, NOTIFY_SOCKET and LISTEN_*), and the descriptor table laid
// out (stdin from /dev/null, stdout and stderr as asked, listeners from 3, the rest at
// their numbers). Pure functions, run by the owner process before it asks for a spawn.
import Glibc

enum OSProcessLaunch {
  /// Variables of this process that describe *its* relation with its own service manager
  /// and must not leak into a child, which gets its own.
  static let privateVariables: Set<String> = ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]

  /// Checks what can be checked before anything is made.
  static func validate(_ spec: OSProcessSpec) throws(OSProcessError) {
    if spec.executable.isEmpty { throw .invalidSpec("the executable is empty") }
    if spec.shutdownTimeout < .zero { throw .invalidSpec("the shutdown timeout is negative") }
    if case .notify(let timeout) = spec.readiness, timeout <= .zero {
      throw .invalidSpec("the readiness timeout must be more than zero")
    }
    if spec.maxLineLength < 1 { throw .invalidSpec("the longest line must be at least 1 byte, not \(spec.maxLineLength)") }
    if !(1..<65).contains(spec.stopSignal) || spec.stopSignal == SIGSTOP {
      throw .invalidSpec("\(spec.stopSignal) cannot be a stop signal")
    }
    if let limit = spec.memoryLimit {
      if limit.bytes == 0 { throw .invalidSpec("a memory limit of 0 bytes") }
      if limit.interval <= .zero { throw .invalidSpec("the memory check interval must be more than zero") }
    }
    if spec.environment.keys.contains(where: { $0.isEmpty || $0.contains("=") }) {
      throw .invalidSpec("environment variable names must be non-empty and without '='")
    }
    var numbers = Set<Int32>()
    for (i, listener) in spec.listeners.enumerated() {
      if listener.fd < 0 { throw .invalidSpec("listener \(i) has no descriptor (\(listener.fd))") }
      if listener.name.contains(":") { throw .invalidSpec("listener name \"\(listener.name)\" contains ':'") }
      numbers.insert(Int32(3 + i))
    }
    for d in spec.descriptors {
      if d.fd < 0 { throw .invalidSpec("descriptor \(d.fd) to pass as \(d.number)") }
      if d.number < 3 { throw .invalidSpec("descriptor number \(d.number) is standard input, output or error") }
      if !numbers.insert(d.number).inserted {
        throw .invalidSpec("descriptor number \(d.number) is given twice (listeners take 3…\(2 + spec.listeners.count))")
      }
    }
  }

  /// The executable as an absolute path: a path is taken from the current directory, a
  /// bare name looked up in `PATH` (the child's if the spec sets one).
  static func resolve(_ spec: OSProcessSpec) throws(OSProcessError) -> String {
    let name = spec.executable
    if name.contains("/") {
      let path = name.hasPrefix("/") ? name : currentDirectory() + "/" + name
      if access(path, X_OK) != 0 { throw .executable("cannot execute \(path): \(String(cString: strerror(errno)))") }
      return path
    }
    let search =
      spec.environment["PATH"] ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in search.split(separator: ":", omittingEmptySubsequences: true) {
      let path = "\(dir)/\(name)"
      var st = stat()
      if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(path, X_OK) == 0 {
        return path.hasPrefix("/") ? path : currentDirectory() + "/" + path
      }
    }
    throw .executable("no program named \(name) in PATH (\(search))")
  }

  /// The child's environment as `NAME=value` strings.
  static func environment(_ spec: OSProcessSpec, notifyPath: String?) -> [String] {
    var names: [String] = []
    var values: [String: String] = [:]
    func set(_ name: String, _ value: String) {
      if values.updateValue(value, forKey: name) == nil { names.append(name) }
    }
    if spec.inheritsEnvironment {
      var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
      while let e = entry, let c = e.pointee {
        let text = String(cString: c)
        if let eq = text.firstIndex(of: "=") {
          let name = String(text[..<eq])
          if !privateVariables.contains(name) { set(name, String(text[text.index(after: eq)...])) }
        }
        entry = e + 1
      }
    }
    for name in spec.environment.keys.sorted() { set(name, spec.environment[name]!) }
    if let notifyPath { set("NOTIFY_SOCKET", notifyPath) }
    if !spec.listeners.isEmpty {
      set("LISTEN_FDS", String(spec.listeners.count))
      set("LISTEN_FDNAMES", spec.listeners.map(\.name).joined(separator: ":"))
    }
    return names.map { "\($0)=\(values[$0]!)" }
  }

  /// The whole plan. `stdoutPipe` and `stderrPipe` are the write ends made for `.log`
  /// (the plan closes them once spawned).
  static func plan(
    _ spec: OSProcessSpec, path: String, notifyPath: String?, stdoutPipe: Int32?, stderrPipe: Int32?
  ) -> SpawnPlan {
    var descriptors: [(source: Int32, target: Int32)] = []
    var nullTargets: [Int32] = [0]
    func output(_ destination: OutputDestination, pipe: Int32?, number: Int32) {
      switch destination {
      case .log: if let pipe { descriptors.append((pipe, number)) } else { nullTargets.append(number) }
      case .inherit: descriptors.append((number, number))
      case .discard: nullTargets.append(number)
      }
    }
    output(spec.stdout, pipe: stdoutPipe, number: 1)
    output(spec.stderr, pipe: stderrPipe, number: 2)
    for (i, listener) in spec.listeners.enumerated() { descriptors.append((listener.fd, Int32(3 + i))) }
    for d in spec.descriptors { descriptors.append((d.fd, d.number)) }
    return SpawnPlan(
      path: path, arguments: [spec.executable] + spec.arguments, environment: environment(spec, notifyPath: notifyPath),
      listenPID: !spec.listeners.isEmpty, directory: spec.workingDirectory, descriptors: descriptors, nullTargets: nullTargets,
      closeAfter: [stdoutPipe, stderrPipe].compactMap { $0 })
  }

  private static func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return "." }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
