// An application: a root supervisor on a node, stopped gracefully on SIGTERM or SIGINT
// (every child's terminate runs, supervisors stop their trees right to left), with an
// exit status that says whether it ended in order.
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
  private let ended = Mutex<(ending: Ending?, waiter: CheckedContinuation<Ending, Never>?)>((nil, nil))
  /// The pipe a signal handler writes SIGTERM/SIGINT to (see otter_signal_watch_open).
  private let signalPipe: Int32

  private init(node: Node, root: GenServerRef<Supervisor>, signalPipe: Int32) {
    self.node = node
    self.root = root
    self.signalPipe = signalPipe
  }

  /// Starts `root` (named `name` if given) on `node` (a new node with one scheduler per
  /// core if nil) and starts listening for SIGTERM and SIGINT.
  public static func start(_ root: Supervisor, name: String? = nil, on node: Node? = nil) async throws -> Application {
    let node = try node ?? Node()
    guard let ref = try await node.start(root, name: name) else {
      throw StartError.failed(.custom("the root supervisor ignored its start"))
    }
    let pipe = otter_signal_watch_open()
    if pipe < 0 { throw SystemError("signal watch", errno: errno) }
    let app = Application(node: node, root: ref, signalPipe: pipe)
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
          if n == 1 {
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
  /// longer than `shutdownTimeout`.
  public func run(shutdownTimeout: Duration = .seconds(30)) async -> Int32 {
    let ending = await waitForEnding()
    let deadline = ContinuousClock.now + shutdownTimeout
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
    // The rest of the budget for processes outside the tree (after a timeout, a moment:
    // the node then kills what is left).
    node.shutdown(timeout: max(ContinuousClock.now.duration(to: deadline), .milliseconds(100)))
    otter_signal_watch_close(signalPipe)
    return status
  }
}
