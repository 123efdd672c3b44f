// How `observer` finds a node without being told where: every node that serves a control
// endpoint leaves a pointer file in a per-user directory, `/tmp/otter-<uid>/` (mode 0700;
// `OTTER_RUNTIME_DIR` overrides it), named `<node>.<os pid>.<hash of the socket path>.node`
// and holding one JSON line: {"name", "os_pid", "socket", "protocol"}. A pointer whose OS
// process is gone, or whose socket file is gone, is stale: whoever lists the directory
// removes it. The directory is used only if it belongs to this user and nobody else may
// enter it; anything else is refused (someone could plant pointers to their own socket).
import Glibc

/// A problem with the discovery directory or a pointer file.
public struct DiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Pointer files to live control endpoints.
public enum Discovery {
  /// `$OTTER_RUNTIME_DIR` if set, else `/tmp/otter-<uid>`.
  public static var defaultDirectory: String {
    if let dir = getenv("OTTER_RUNTIME_DIR").map({ String(cString: $0) }), !dir.isEmpty { return dir }
    return "/tmp/otter-\(geteuid())"
  }

  /// A node found in the directory.
  public struct Entry: Sendable, Equatable, CustomStringConvertible {
    /// The node's name (`Node(name:)`).
    public let name: String
    public let osPid: Int
    /// Absolute path of its control socket.
    public let socket: String
    /// The pointer file.
    public let file: String

    public var description: String { "\(name) (pid \(osPid)) \(socket)" }

    /// Seconds since its OS process started (from /proc); nil if it cannot be read.
    public var uptime: Double? { Discovery.uptime(ofProcess: osPid) }
  }

  /// How `--node` names a node: by name, by OS pid, or by the path of its control socket
  /// (two nodes of one name are told apart by the other two).
  public enum Selector: Sendable, Equatable, CustomStringConvertible {
    case name(String)
    case osPid(Int)
    case socket(String)

    /// Digits are an OS pid; anything with a `/` (or ending in `.sock`) is a socket path;
    /// anything else a name.
    public init(_ text: String) {
      if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let pid = Int(text) {
        self = .osPid(pid)
      } else if text.contains("/") || text.hasSuffix(".sock") {
        self = .socket(text)
      } else {
        self = .name(text)
      }
    }

    /// Whether `entry` is the node this names.
    public func matches(_ entry: Entry) -> Bool {
      switch self {
      case .name(let n): return entry.name == n
      case .osPid(let p): return entry.osPid == p
      case .socket(let path): return Discovery.samePath(entry.socket, path)
      }
    }

    public var description: String {
      switch self {
      case .name(let n): return "named \"\(n)\""
      case .osPid(let p): return "with OS pid \(p)"
      case .socket(let s): return "with control socket \(s)"
      }
    }
  }

  /// Makes sure `directory` exists, belongs to this user and is closed to everyone else
  /// (creating it with mode 0700 if it is missing).
  public static func prepare(_ directory: String) throws(DiscoveryError) {
    if mkdir(directory, 0o700) != 0 && errno != EEXIST {
      throw DiscoveryError("cannot create \(directory): \(String(cString: strerror(errno)))")
    }
    var st = stat()
    guard lstat(directory, &st) == 0 else { throw DiscoveryError("cannot read \(directory): \(String(cString: strerror(errno)))") }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { throw DiscoveryError("\(directory) is not a directory") }
    guard st.st_uid == geteuid() else {
      throw DiscoveryError("\(directory) belongs to uid \(st.st_uid), not to this user (uid \(geteuid())); refusing to use it")
    }
    guard st.st_mode & 0o077 == 0 else {
      throw DiscoveryError("\(directory) is open to other users (mode \(String(st.st_mode & 0o777, radix: 8))); it must be 0700")
    }
  }

  /// Leaves a pointer to the endpoint of node `name` at `socket`. Returns the pointer's
  /// path (for `withdraw`).
  public static func announce(name: String, socket: String, in directory: String = defaultDirectory) throws(DiscoveryError) -> String {
    try prepare(directory)
    let absolute = absolutePath(socket)
    let file = "\(directory)/\(safeName(name)).\(getpid()).\(hash(absolute)).node"
    let line =
      JSON.fields([
        "name": .string(name), "os_pid": .number(Int(getpid())), "socket": .string(absolute),
        "protocol": .number(ControlProtocol.version),
      ]).description + "\n"
    let temporary = file + ".tmp"
    unlink(temporary)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw DiscoveryError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
    let bytes = Array(line.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count, rename(temporary, file) == 0 else {
      let why = String(cString: strerror(errno))
      unlink(temporary)
      throw DiscoveryError("cannot write \(file): \(why)")
    }
    return file
  }

  /// Removes a pointer left by `announce`, if it still names `socket`.
  public static func withdraw(_ file: String, socket: String) {
    if let entry = read(file), entry.socket == absolutePath(socket) { unlink(file) }
  }

  /// The nodes with a live pointer in `directory`; stale pointers are removed (and a
  /// stale socket file too if it lies in the directory). Sorted by name, then OS pid.
  public static func liveNodes(in directory: String = defaultDirectory) -> [Entry] {
    guard (try? prepare(directoryIfExists: directory)) != nil, let dir = opendir(directory) else { return [] }
    var names: [String] = []
    while let item = readdir(dir) {
      let name = withUnsafePointer(to: &item.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name.hasSuffix(".node") { names.append(name) }
    }
    closedir(dir)
    var live: [Entry] = []
    for name in names {
      let file = "\(directory)/\(name)"
      guard let entry = read(file) else {
        unlink(file)
        continue
      }
      if isAlive(entry) {
        live.append(entry)
      } else {
        unlink(file)
        if entry.socket.hasPrefix(directory + "/") { unlink(entry.socket) }
      }
    }
    return live.sorted { ($0.name, $0.osPid, $0.socket) < ($1.name, $1.osPid, $1.socket) }
  }

  /// Which node `observer` attaches to when not told.
  public enum Choice: Sendable, Equatable {
    case node(Entry)
    /// No live node (with that name, if one was asked for).
    case none
    /// Several, and nothing to prefer one by.
    case ambiguous([Entry])
  }

  /// Picks among `entries`: the one named `name` if given; else the only one; else the
  /// only one named `preferred` (chatd).
  public static func choose(_ entries: [Entry], name: String? = nil, preferred: String = "chatd") -> Choice {
    choose(entries, selector: name.map(Selector.name), preferred: preferred)
  }

  /// Picks among `entries`: those `selector` matches if given; else the only one; else the
  /// only one named `preferred` (chatd).
  public static func choose(_ entries: [Entry], selector: Selector?, preferred: String = "chatd") -> Choice {
    let candidates = selector.map { s in entries.filter(s.matches) } ?? entries
    if candidates.count == 1 { return .node(candidates[0]) }
    if candidates.isEmpty { return .none }
    if selector == nil {
      let favourite = candidates.filter { $0.name == preferred }
      if favourite.count == 1 { return .node(favourite[0]) }
    }
    return .ambiguous(candidates)
  }

  // MARK: - Helpers

  /// `prepare` without creating: a missing directory is simply empty.
  private static func prepare(directoryIfExists directory: String) throws(DiscoveryError) {
    var st = stat()
    guard lstat(directory, &st) == 0 else { throw DiscoveryError("no directory \(directory)") }
    try prepare(directory)
  }

  static func read(_ file: String) -> Entry? {
    let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    guard n > 0, let json = try? JSON.parse(buffer[..<n]) else { return nil }
    guard let name = json["name"]?.stringValue, let pid = json["os_pid"]?.intValue, let socket = json["socket"]?.stringValue,
      let osPid = Int(exactly: pid)
    else { return nil }
    return Entry(name: name, osPid: osPid, socket: socket, file: file)
  }

  static func isAlive(_ entry: Entry) -> Bool {
    let processAlive = kill(pid_t(entry.osPid), 0) == 0 || errno == EPERM
    var st = stat()
    let socketThere = lstat(entry.socket, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    return processAlive && socketThere
  }

  /// Whether two paths name the same file: compared as absolute paths with symbolic links
  /// resolved (as far as the files exist).
  static func samePath(_ a: String, _ b: String) -> Bool {
    canonicalPath(a) == canonicalPath(b)
  }

  static func canonicalPath(_ path: String) -> String {
    let absolute = absolutePath(path)
    guard let resolved = realpath(absolute, nil) else { return absolute }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// Seconds since OS process `pid` started: its start time in /proc/PID/stat (clock
  /// ticks after boot) against /proc/uptime. Nil if either cannot be read.
  public static func uptime(ofProcess pid: Int) -> Double? {
    guard let stat = readSmallFile("/proc/\(pid)/stat"), let uptime = readSmallFile("/proc/uptime") else { return nil }
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    guard let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // Field 22 (starttime) is the 20th after the name.
    guard fields.count > 19, let ticks = Double(fields[19]), let booted = uptime.split(separator: " ").first.flatMap({ Double($0) })
    else { return nil }
    let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
    guard hz > 0 else { return nil }
    return max(0, booted - ticks / hz)
  }

  private static func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { return nil }
    return String(decoding: buffer[..<n], as: UTF8.self)
  }

  static func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    var cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if !cwd.hasSuffix("/") { cwd += "/" }
    var rest = Substring(path)
    while rest.hasPrefix("./") { rest = rest.dropFirst(2) }
    return cwd + rest
  }

  static func safeName(_ name: String) -> String {
    let cleaned = String(
      name.unicodeScalars.map { c -> Character in
        (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c) || c == "-" || c == "_" ? Character(c) : "_"
      })
    return cleaned.isEmpty ? "node" : String(cleaned.prefix(64))
  }

  /// FNV-1a, 32 bits, as 8 hex digits.
  static func hash(_ text: String) -> String {
    var h: UInt32 = 2_166_136_261
    for b in text.utf8 {
      h ^= UInt32(b)
      h = h &* 16_777_619
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
  }
}
