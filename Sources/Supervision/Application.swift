// An application: a root supervisor on a node, stopped gracefully on SIGTERM or SIGINT
// (every child's terminate runs, supervisors stop their trees right to left), with an
// exit status that says whether it ended in order. It logs on the node's logger why it
// stops and how long stopping took — a root that gave up at `.critical`. SIGHUP, if
// asked for, runs the `onHangup` action (a daemon reopens its log file) on the signal
// watcher's thread, never in the signal handler.
import Actors
import COtterSys
import GenServer
import Glibc
import Synchronization

/// Runs a supervision tree as a program.
///
/// ```swift
/// let app = try await Application.start(Supervisor(children: [...]))
/// exit(await app.run())      // returns on SIGTERM/SIGINT or when the root ends
/// ```
public final class Application: Sendable {
  /// How the application ended.
  public enum Ending: Sendable, Equatable {
    /// A signal asked it to stop.
    case signal(Int32)
    /// The root supervisor ended by itself with this reason.
    case rootExited(ExitReason)
    /// `stop()` was called.
    case requested
  }

  public let node: Node
  public let root: GenServerRef<Supervisor>
  /// The root's registered name, or "application": how the log names it.
  public let name: String
  /// What SIGHUP does, if anything.
  private let onHangup: (@Sendable () -> Void)?
  /// When it started (monotonic nanoseconds), for the uptime its stop reports.
  private let startedAt = MonotonicClock.nanoseconds()
  private let ended = Mutex<(ending: Ending?, waiter: CheckedContinuation<Ending, Never>?)>((nil, nil))
  /// The pipe a signal handler writes SIGTERM/SIGINT to (see otter_signal_watch_open).
  private let signalPipe: Int32

  private init(node: Node, root: GenServerRef<Supervisor>, name: String, onHangup: (@Sendable () -> Void)?, signalPipe: Int32) {
    self.node = node
    self.root = root
    self.name = name
    self.onHangup = onHangup
    self.signalPipe = signalPipe
  }

  /// Starts `root` (named `name` if given) on `node` (a new node with one scheduler per
  /// core if nil) and starts listening for SIGTERM and SIGINT.
  /// - Parameters:
  ///   - root: the root supervisor.
  ///   - name: the root's registered name, also the application's name in the log.
  ///   - node: where to run it (a new node if nil).
  ///   - onHangup: if given, SIGHUP no longer ends the program but runs this (on a
  ///     thread of its own, not in the signal handler): reopen log files there
  ///     (`LogOutput.reopen`), as logrotate expects.
  public static func start(
    _ root: Supervisor, name: String? = nil, on node: Node? = nil, onHangup: (@Sendable () -> Void)? = nil
  ) async throws -> Application {
    let node = try node ?? Node()
    guard let ref = try await node.start(root, name: name) else {
      throw StartError.failed(.custom("the root supervisor ignored its start"))
    }
    let pipe = otter_signal_watch_open_with(onHangup == nil ? 0 : 1)
    if pipe < 0 { throw SystemError("signal watch", errno: errno) }
    let app = Application(node: node, root: ref, name: name ?? "application", onHangup: onHangup, signalPipe: pipe)
    // A small thread waits for signal bytes; it ends when the pipe is closed.
    startSignalWatcher(app, pipe)
    // A watcher process reports the root's own end.
    node.spawn(Never.self, options: SpawnOptions(label: "application watcher")) { ctx in
      let ref = ctx.monitor(ref.pid)
      let reason = try await ctx.receive { message -> ExitReason? in
        if case .down(let r, _, let why) = message, r == ref { return why }
        return nil
      }
      if let reason { app.finish(.rootExited(reason)) }
    }
    return app
  }

  private static func startSignalWatcher(_ app: Application, _ pipe: Int32) {
    // `@unchecked Sendable`: immutable, and handed to exactly one new thread, which
    // takes ownership.
    final class Box: @unchecked Sendable {
      let app: Application
      let pipe: Int32
      init(_ app: Application, _ pipe: Int32) {
        self.app = app
        self.pipe = pipe
      }
    }
    let raw = Unmanaged.passRetained(Box(app, pipe)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(
      &tid, nil,
      { arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        var byte: UInt8 = 0
        while true {
          let n = read(box.pipe, &byte, 1)
          if n == 1 && Int32(byte) == SIGHUP {
            box.app.onHangup?()
          } else if n == 1 {
            box.app.finish(.signal(Int32(byte)))
          } else if n < 0 && errno == EINTR {
            continue
          } else {
            break
          }
        }
        close(box.pipe)
        return nil
      }, raw)
    if rc == 0 { pthread_detach(tid) } else { Unmanaged<Box>.fromOpaque(raw).release() }
  }

  private func finish(_ ending: Ending) {
    let waiter = ended.withLock { state -> CheckedContinuation<Ending, Never>? in
      guard state.ending == nil else { return nil }
      state.ending = ending
      let w = state.waiter
      state.waiter = nil
      return w
    }
    waiter?.resume(returning: ending)
  }

  /// Waits until a signal, `stop()`, or the root's own end.
  public func waitForEnding() async -> Ending {
    await withCheckedContinuation { (c: CheckedContinuation<Ending, Never>) in
      let now: Ending? = ended.withLock { state in
        if let e = state.ending { return e }
        state.waiter = c
        return nil
      }
      if let now { c.resume(returning: now) }
    }
  }

  /// Asks the application to stop (as a signal would).
  public func stop() { finish(.requested) }

  /// The exit status `run` returns when the tree did not stop within its shutdown
  /// timeout (75, EX_TEMPFAIL in sysexits.h, as the observer's "no answer in time").
  public static let shutdownTimedOutStatus: Int32 = 75

  /// Runs until the application ends, stops it gracefully and shuts the node down, all
  /// within `shutdownTimeout`: what has not stopped by then is killed. Returns the
  /// process exit status: 0 if it ended in order, 1 if the root supervisor gave up
  /// (restart intensity exceeded) or crashed, `shutdownTimedOutStatus` if the stop took
  /// longer than `shutdownTimeout`. `afterTree` runs once the tree has stopped and before
  /// the node does (to leave a cluster while the node can still talk, say), within the
  /// same budget.
  public func run(shutdownTimeout: Duration = .seconds(30), afterTree: (@Sendable () async -> Void)? = nil) async -> Int32 {
    let ending = await waitForEnding()
    let deadline = ContinuousClock.now + shutdownTimeout
    let stopping = MonotonicClock.nanoseconds()
    logEnding(ending, at: stopping)
    var status: Int32 = 0
    switch ending {
    case .signal, .requested:
      // Stopping the root runs every child's terminate, right to left, tree by tree.
      do {
        try await node.stop(root, reason: .shutdown, timeout: .after(shutdownTimeout))
      } catch {
        switch error {
        case .noproc: break
        case .timeout: status = Application.shutdownTimedOutStatus
        default: status = 1
        }
      }
    case .rootExited(let reason):
      if case .shutdownWith(Supervisor.gaveUp) = reason { status = 1 }
      if !reason.isOrderly { status = 1 }
    }
    if let afterTree { await afterTree() }
    // The rest of the budget for processes outside the tree (after a timeout, a moment:
    // the node then kills what is left).
    node.shutdown(timeout: max(ContinuousClock.now.duration(to: deadline), .milliseconds(100)))
    otter_signal_watch_close(signalPipe)
    let took = Double(MonotonicClock.nanoseconds() &- stopping) / 1e9
    node.logger.notice(
      "application \(name) stopped in \(Application.seconds(took)), exit status \(status)",
      metadata: ["application": .string(name), "stop_s": .stringConvertible(took), "exit_status": .stringConvertible(Int(status))])
    return status
  }

  /// Says why the application stops: at `.notice` for a signal or `stop()`, at
  /// `.critical` when the root supervisor ended by itself (it gave up: its supervisor
  /// report, just before, names the child that failed).
  private func logEnding(_ ending: Ending, at now: UInt64) {
    let up = Double(now &- startedAt) / 1e9
    var metadata: Logger.Metadata = ["application": .string(name), "uptime_s": .stringConvertible(up)]
    switch ending {
    case .signal(let number):
      metadata["signal"] = .stringConvertible(Int(number))
      node.logger.notice(
        "application \(name) stopping: \(Application.signalName(number)) received, after \(Application.seconds(up)) up", metadata: metadata)
    case .requested:
      node.logger.notice("application \(name) stopping: asked to stop, after \(Application.seconds(up)) up", metadata: metadata)
    case .rootExited(let reason):
      metadata["reason"] = .string(reason.description)
      let why =
        reason == .shutdownWith(Supervisor.gaveUp)
        ? "its root supervisor gave up: its children failed more often than its restart intensity allows"
        : "its root supervisor exited: \(reason)"
      let level: Logger.Level = reason.isOrderly && reason != .shutdownWith(Supervisor.gaveUp) ? .notice : .critical
      node.logger.log(level: level, "application \(name) stopping: \(why), after \(Application.seconds(up)) up", metadata: metadata)
    }
  }

  static func signalName(_ number: Int32) -> String {
    switch number {
    case SIGTERM: return "SIGTERM"
    case SIGINT: return "SIGINT"
    case SIGHUP: return "SIGHUP"
    default: return "signal \(number)"
    }
  }

  /// `12.3s`, `45ms`.
  static func seconds(_ s: Double) -> String {
    s < 1 ? "\(Int((s * 1000).rounded()))ms" : "\((s * 10).rounded() / 10)s"
  }
}
