// How a test wants its redis-server: TCP or a Unix socket, a password, an ACL user,
// cluster mode, extra arguments. A value the test builds; RedisServer turns it into
// command-line arguments that keep every file the server writes inside its own
// temporary directory.

extension RedisServer {
  /// An ACL user made at startup with every permission (`on >password ~* &* +@all`).
  public struct ACLUser: Sendable, Hashable {
    /// The user name (`AUTH name password`).
    public var name: String
    /// Its password.
    public var password: String

    /// A user `name` with `password`.
    public init(name: String, password: String) {
      self.name = name
      self.password = password
    }
  }

  /// What a `RedisServer` is started with.
  public struct Configuration: Sendable {
    /// Listen on a Unix socket in the server's temporary directory instead of TCP (port 0).
    public var unixSocket: Bool
    /// `requirepass`: the default user's password.
    public var password: String?
    /// An extra ACL user.
    public var user: ACLUser?
    /// `cluster-enabled yes`, the node's configuration file in its temporary directory.
    /// The TCP port is then chosen so that it and the cluster bus port (port + 10000) are
    /// both free.
    public var clusterEnabled: Bool
    /// `cluster-node-timeout` (cluster mode only): how long a node may not answer before
    /// the others count it as failing.
    public var clusterNodeTimeout: Duration
    /// The TCP port; nil picks a free one (and picks again if another process takes it
    /// before the server binds it).
    public var port: Int?
    /// More `--name value` arguments, after the fixture's own (so they can override them).
    public var extraArguments: [String]

    /// A configuration; the defaults are a plain server on a free TCP port.
    public init(
      unixSocket: Bool = false, password: String? = nil, user: ACLUser? = nil, clusterEnabled: Bool = false,
      clusterNodeTimeout: Duration = .seconds(5), port: Int? = nil, extraArguments: [String] = []
    ) {
      self.unixSocket = unixSocket
      self.password = password
      self.user = user
      self.clusterEnabled = clusterEnabled
      self.clusterNodeTimeout = clusterNodeTimeout
      self.port = port
      self.extraArguments = extraArguments
    }

    /// redis-server's arguments for a server on `port` (0 with `socketPath`) whose files
    /// all live in `directory`.
    func arguments(port: Int, socketPath: String?, directory: String) -> [String] {
      var args = [
        "--port", "\(port)", "--bind", "127.0.0.1", "--daemonize", "no", "--dir", directory,
        "--logfile", "\(directory)/redis.log", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes",
        "--databases", "16",
      ]
      if let socketPath { args += ["--unixsocket", socketPath, "--unixsocketperm", "700"] }
      if let password { args += ["--requirepass", password] }
      if let user { args += ["--user", user.name, "on", ">\(user.password)", "~*", "&*", "+@all"] }
      if clusterEnabled {
        args += [
          "--cluster-enabled", "yes", "--cluster-config-file", "\(directory)/nodes.conf",
          "--cluster-node-timeout", "\(max(1, clusterNodeTimeout.clampedMilliseconds))",
        ]
      }
      return args + extraArguments
    }
  }
}
