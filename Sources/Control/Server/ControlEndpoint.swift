// The control endpoint: a server that owns the Unix listener (mode 0600) and starts one
// connection process per observer (the acceptor pattern), announces itself in the
// discovery directory, and withdraws when it stops. It is an ordinary child for a
// supervision tree (`Control.endpoint`), or starts on its own (`Control.start`).
import Actors
import COtterSys
import GenServer
import Glibc
import Supervision

/// How a control endpoint is set up.
public struct EndpointOptions: Sendable {
  /// The socket's path; nil: `<discovery directory>/<node name>.<os pid>.sock`. A missing
  /// parent directory is created (mode 0700).
  public var path: String?
  /// Where the tree view starts.
  public var root: TreeRoot
  /// Where to leave a pointer for `observer` to find the node; nil: nowhere.
  public var discoveryDirectory: String?
  /// The socket file's mode: owner only by default.
  public var mode: Int32
  /// Operations the application adds to the built-in ones, by name (chatd's `handoff`).
  public var operations: [String: ControlOperation]

  public init(
    path: String? = nil, root: TreeRoot = .automatic, discoveryDirectory: String? = Discovery.defaultDirectory, mode: Int32 = 0o600,
    operations: [String: ControlOperation] = [:]
  ) {
    self.path = path
    self.root = root
    self.discoveryDirectory = discoveryDirectory
    self.mode = mode
    self.operations = operations
  }
}

/// An operation an application adds to its node's control endpoint: the parameters it
/// takes (others are refused, as for the built-in ones) and what it does. It runs in
/// the connection's process, which waits for it; its answer is the response's result,
/// its error the response's error.
public struct ControlOperation: Sendable {
  /// The request fields it takes, besides `v`, `id` and `op`.
  public let parameters: Set<String>
  /// Runs the operation with the request's parameters (a JSON object) on the node.
  public let run: @Sendable (_ parameters: JSON, _ node: Node) async -> Result<JSON, ControlError>

  public init(parameters: Set<String>, _ run: @escaping @Sendable (_ parameters: JSON, _ node: Node) async -> Result<JSON, ControlError>) {
    self.parameters = parameters
    self.run = run
  }
}

/// A running control endpoint.
public struct ControlEndpoint: Sendable {
  /// The endpoint process (the acceptor).
  public let pid: Pid
  /// The socket's path.
  public let path: String
  let ref: GenServerRef<EndpointServer>

  /// Stops the endpoint: its connections close, its socket file and pointer go.
  public func stop(on node: Node) async {
    try? await node.stop(ref, reason: .shutdown, timeout: .seconds(5))
  }
}

/// Serving a node's control endpoint.
public enum Control {
  /// The socket path used when none is given: `<discovery directory>/<name>.<os pid>.sock`.
  public static func defaultSocketPath(for nodeName: String, directory: String = Discovery.defaultDirectory) -> String {
    "\(directory)/\(Discovery.safeName(nodeName)).\(getpid()).sock"
  }

  /// A child spec serving the node's control endpoint, for the application's supervision
  /// tree. With the default `root: .automatic`, the tree view starts at the topmost
  /// supervisor above the endpoint — put it in the root supervisor and the whole
  /// application is drawn.
  ///
  /// ```swift
  /// Supervisor(children: [
  ///   .server(id: "rooms", Rooms()),
  ///   Control.endpoint(path: "./chatd-data/control.sock"),
  /// ])
  /// ```
  public static func endpoint(path: String? = nil, root: TreeRoot = .automatic, id: String = "control") -> ChildSpec {
    endpoint(EndpointOptions(path: path, root: root), id: id)
  }

  /// `endpoint(path:root:id:)` with every option.
  public static func endpoint(_ options: EndpointOptions, id: String = "control") -> ChildSpec {
    ChildSpec(id: id, shutdown: .timeout(.seconds(2))) { ctx in
      try await ctx.startLink(EndpointServer(options: options))?.pid
    }
  }

  /// Starts a control endpoint on `node`, outside any supervision tree. Throws
  /// `StartError.failed(.error(EndpointError))` if the socket cannot be served (a bad
  /// path, another node already listening there, ...).
  public static func start(on node: Node, _ options: EndpointOptions = EndpointOptions()) async throws -> ControlEndpoint {
    guard let ref = try await node.start(EndpointServer(options: options)) else {
      throw StartError.failed(.custom("the control endpoint did not start"))
    }
    let path = try await node.call(ref, .path)
    return ControlEndpoint(pid: ref.pid, path: path, ref: ref)
  }

  /// `start(on:_:)` with a path and a root.
  public static func start(on node: Node, path: String?, root: TreeRoot = .automatic) async throws -> ControlEndpoint {
    try await start(on: node, EndpointOptions(path: path, root: root))
  }
}

/// The acceptor. A `SyncGenServer`: it only ever accepts, spawns and hands over.
public struct EndpointServer: SyncGenServer {
  let options: EndpointOptions

  public struct State {
    var listener: Socket
    var path: String
    var pointer: String?
    var config: EndpointConfig
  }

  public enum Request: Sendable {
    /// The socket's path.
    case path
  }

  public enum Info: Sendable {
    /// Listen again after an accept error (too many open files, ...).
    case rearm
  }

  public func initialize(_ ctx: ServerContext<Self>) throws -> InitResult<Self> {
    ctx.trapExit = true
    ctx.label = "control endpoint"
    let path =
      options.path ?? Control.defaultSocketPath(for: ctx.node.name, directory: options.discoveryDirectory ?? Discovery.defaultDirectory)
    if options.path == nil || options.discoveryDirectory != nil {
      do {
        try Discovery.prepare(options.discoveryDirectory ?? Discovery.defaultDirectory)
      } catch {
        return .stop(.error(EndpointError.discovery(error)))
      }
    }
    if let problem = EndpointServer.prepareParent(of: path) { return .stop(.error(problem)) }
    if let owner = EndpointServer.liveListener(at: path), owner != getpid() {
      return .stop(.error(EndpointError.inUse(path: path, osPid: owner)))
    }
    let listener: Socket
    do {
      listener = try ctx.listen(unix: path, mode: options.mode)
      try ctx.activate(listener, .once)
    } catch {
      return .stop(.error(EndpointError.listen(path: path, error)))
    }
    var pointer: String?
    if let directory = options.discoveryDirectory {
      do {
        pointer = try Discovery.announce(name: ctx.node.name, socket: path, in: directory)
      } catch {
        listener.close()
        return .stop(.error(EndpointError.discovery(error)))
      }
    }
    let config = EndpointConfig(path: path, root: options.root, endpoint: ctx.pid, operations: options.operations)
    return .ok(State(listener: listener, path: path, pointer: pointer, config: config))
  }

  public func handleCall(_ request: Request, from: From<String>, state: inout State, _ ctx: ServerContext<Self>) throws -> CallResult<Self>
  {
    .reply(state.path)
  }

  public func handleInfo(_ message: Message<Info>, state: inout State, _ ctx: ServerContext<Self>) throws -> HandleResult<Self> {
    switch message {
    case .io(let s, .accepted(let connection)) where s == state.listener:
      let config = state.config
      let worker = ctx.spawnLink(ConnectionMessage.self, options: SpawnOptions(label: "control connection")) { c in
        try await Connection.serve(c, config)
      }
      do {
        try ctx.transfer(connection, to: worker.pid)
      } catch {
        connection.close()
      }
      try ctx.activate(state.listener, .once)
    case .io(let s, .error(let e)) where s == state.listener:
      if !state.listener.isOpen { return .stop(.error(e)) }
      ctx.sendAfter(.milliseconds(100), to: ctx.address, .info(.rearm))
    case .message(.rearm):
      try ctx.activate(state.listener, .once)
    default:
      // A connection's end (its EXIT, as this process traps exits) needs nothing.
      break
    }
    return .noreply()
  }

  public func terminate(_ reason: ExitReason, state: inout State, _ ctx: ServerContext<Self>) {
    state.listener.close()
    if let pointer = state.pointer { Discovery.withdraw(pointer, socket: state.path) }
  }

  public func formatStatus(_ state: State) -> String { "serving \(state.path)" }

  /// Creates the socket's directory if it is missing (mode 0700); a problem, or nil.
  static func prepareParent(of path: String) -> EndpointError? {
    guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
    let parent = String(path[..<slash])
    var st = stat()
    if stat(parent, &st) == 0 {
      return (st.st_mode & S_IFMT) == S_IFDIR ? nil : .directory(parent, errno: ENOTDIR)
    }
    if mkdir(parent, 0o700) != 0 && errno != EEXIST {
      return .directory(parent, errno: errno)
    }
    return nil
  }

  /// The OS process listening on the Unix socket at `path`, if one is (a stale socket
  /// file refuses the connection). A quick local connect; the socket is non-blocking.
  static func liveListener(at path: String) -> pid_t? {
    var st = stat()
    guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return nil }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 || errno == EAGAIN else { return nil }
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    guard otter_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return -1 }
    return pid
  }
}
