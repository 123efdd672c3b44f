// What an OS process child is: the program and how it runs (arguments, environment,
// directory, descriptors it inherits), when it counts as started, how it is stopped, where
// its output goes and how much memory it may keep. A plain value; `ChildSpec.osProcess`
// turns it into a child of a supervisor, run by an owner process (OSProcessOwner.swift).
import Actors
import Glibc

/// An OS process run as a supervised child (Erlang's port, pm2's app).
///
/// ```swift
/// var worker = OSProcessSpec("/usr/local/bin/chatd", arguments: ["--port", "0"])
/// worker.readiness = .notify(timeout: .seconds(10))  // started once it sends READY=1
/// worker.listeners = [InheritedListener(fd: ircListener, name: "irc")]  // fd 3, LISTEN_FDS=1
/// let child = ChildSpec.osProcess(id: "worker-1", worker)
/// ```
public struct OSProcessSpec: Sendable {
  /// The program: a path (relative ones are taken from this process's working directory),
  /// or a name looked up in `PATH`.
  public var executable: String
  public var arguments: [String]
  /// Variables added to the environment (or replacing inherited ones of the same name).
  public var environment: [String: String]
  /// Whether the child starts from this process's environment (less `NOTIFY_SOCKET` and
  /// `LISTEN_*`, which are this process's own business) before `environment` is applied.
  public var inheritsEnvironment: Bool
  /// The child's working directory (nil: this process's).
  public var workingDirectory: String?
  /// Listening sockets handed over as systemd's socket activation does: the child gets
  /// them as descriptors 3, 4, … in this order, with `LISTEN_FDS`, `LISTEN_PID` and
  /// `LISTEN_FDNAMES` set. The descriptors stay this process's: keep them open for as long
  /// as the child may be started or restarted.
  public var listeners: [InheritedListener]
  /// Other descriptors of this process, at the numbers given in the child (above 2 and
  /// the listeners'). Every descriptor not listed here is closed in the child.
  public var descriptors: [PassedDescriptor]
  /// When the child counts as started.
  public var readiness: Readiness
  /// What asks the child to stop (`SIGTERM` by default).
  public var stopSignal: Int32
  /// How long the child has to end after `stopSignal` before it gets `SIGKILL`.
  public var shutdownTimeout: Duration
  /// A run shorter than this is a crash even if the child exited with status 0, and does
  /// not reset the restart backoff (pm2's `min_uptime`).
  public var minUptime: Duration
  /// Where the child's standard output and error go.
  public var stdout: OutputDestination
  public var stderr: OutputDestination
  /// Longest line logged whole (bytes); a longer one is logged in pieces of this size.
  public var maxLineLength: Int
  /// An optional ceiling on the child's resident memory.
  public var memoryLimit: MemoryLimit?

  /// - Parameters:
  ///   - executable: a path, or a name looked up in `PATH`.
  ///   - arguments: the arguments after the program's name.
  ///   - environment: variables added to the inherited environment.
  public init(_ executable: String, arguments: [String] = [], environment: [String: String] = [:]) {
    self.executable = executable
    self.arguments = arguments
    self.environment = environment
    self.inheritsEnvironment = true
    self.workingDirectory = nil
    self.listeners = []
    self.descriptors = []
    self.readiness = .spawned
    self.stopSignal = SIGTERM
    self.shutdownTimeout = .seconds(5)
    self.minUptime = .seconds(1)
    self.stdout = .log(.info)
    self.stderr = .log(.warning)
    self.maxLineLength = 4096
    self.memoryLimit = nil
  }
}

/// When an OS process child counts as started — what `startChild` and the start of its
/// later siblings wait for.
public enum Readiness: Sendable, Equatable {
  /// As soon as it runs (its program was executed).
  case spawned
  /// When it says so with systemd's `sd_notify` protocol: it finds a Unix datagram socket
  /// in `NOTIFY_SOCKET` and sends `READY=1` there. Not ready within `timeout` (counted
  /// from the spawn; `EXTEND_TIMEOUT_USEC=` extends it) is a failed start: the process is
  /// killed.
  case notify(timeout: Duration)
}

/// Where an OS process child's standard output or error goes.
public enum OutputDestination: Sendable, Equatable {
  /// Read line by line (on the scheduler's epoll) into the node's logger at this level,
  /// with the child's id, OS pid and stream in the metadata.
  case log(Logger.Level)
  /// The supervising process's own descriptor (1 or 2): the child writes there directly.
  case inherit
  /// `/dev/null`.
  case discard
}

/// A ceiling on an OS process child's resident set: a child above `bytes` at every check
/// for `duration` is stopped (its stop signal, then `SIGKILL`) and ends with a reason
/// that names the limit, so its supervisor restarts it as it would after a crash.
public struct MemoryLimit: Sendable, Equatable {
  public var bytes: UInt64
  /// How long it must stay above the limit (a short peak is allowed).
  public var duration: Duration
  /// How often the resident set is read (/proc/PID/stat).
  public var interval: Duration

  public init(bytes: UInt64, for duration: Duration = .seconds(10), checkEvery interval: Duration = .seconds(1)) {
    self.bytes = bytes
    self.duration = duration
    self.interval = interval
  }

  /// A limit in mebibytes.
  public static func megabytes(_ mb: UInt64, for duration: Duration = .seconds(10), checkEvery interval: Duration = .seconds(1))
    -> MemoryLimit
  {
    MemoryLimit(bytes: mb << 20, for: duration, checkEvery: interval)
  }
}

/// A listening socket of this process handed to an OS process child (systemd's socket
/// activation: the child finds it from descriptor 3 on, counted by `LISTEN_FDS`).
public struct InheritedListener: Sendable, Equatable {
  /// The descriptor in this process (it stays open here).
  public var fd: Int32
  /// Its name in `LISTEN_FDNAMES` (systemd's default is "unknown").
  public var name: String

  public init(fd: Int32, name: String = "unknown") {
    self.fd = fd
    self.name = name
  }
}

/// A descriptor of this process given to an OS process child under another number.
public struct PassedDescriptor: Sendable, Equatable {
  /// The descriptor in this process (it stays open here).
  public var fd: Int32
  /// Its number in the child.
  public var number: Int32

  public init(fd: Int32, as number: Int32) {
    self.fd = fd
    self.number = number
  }
}
