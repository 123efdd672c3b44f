// The owner of one OS process (Erlang's port and its connected process in one): an Otter
// process linked to its supervisor that starts the OS process, watches it, and ends with
// its exit as the reason — so the supervisor restarts it like any child.
//
// Everything it watches is on the scheduler's epoll, as sockets it owns: the pidfd (the
// OS process ended), the pipes of stdout and stderr (lines into the logger), the notify
// socket (READY=1 and the rest of sd_notify). No thread waits for it: the spawn runs on
// the spawner thread and comes back as a message; every wait is a timer message.
//
//   spawning ──spawned──▶ starting ──READY=1──▶ running ──EXIT from supervisor──▶ stopping
//      │                     │ (start timeout:        │ (memory ceiling: the same) │ stop signal, then
//      │ spawn failed        │  SIGKILL)              │                            │ SIGKILL at the timeout
//      ▼                     ▼                        ▼                            ▼
//   ends: start failed    ─────────────── pidfd readable: reaped ──▶ exited ──pipes drained──▶ ends
//
// It traps exits, so its supervisor's `shutdown` arrives as a message and becomes the stop
// signal; if it is killed outright instead, its exit hook kills the OS process (and its
// process group) and has the spawner thread reap it. A start that fails unlinks from the
// supervisor first, so `startChild` gets an error and no EXIT (as a GenServer's does).
//
// State: all of it is this process's own (`OSProcessOwner`), except what it shares
// through its `OSProcessHandle` (pid, pidfd, notify status) and `StartHandshake`.
import Actors
import COtterSys
import Glibc
import Synchronization

/// What an owner is sent: the spawn's outcome and its own timers.
enum OwnerMessage: Sendable {
  /// The spawner thread's answer: the OS pid (the handle has the pidfd), or why not.
  case spawned(Result<Int32, SpawnFailure>)
  case startTimeout
  case killTimeout
  case checkMemory
  /// The OS process has ended but a pipe is still open (a descendant holds it): stop
  /// waiting for the rest of its output.
  case drainTimeout
  /// The pidfd said the process ended but waitid did not have it yet: try again.
  case retryReap
}

/// How a start ended, told to the starter.
enum StartOutcome: Sendable {
  case started(osPid: Int32)
  case failed(ExitReason)
}

/// The start handshake's reply, given once: by the owner when the OS process is ready,
/// or by its exit hook with the reason it ended for (so `startChild` returns only once a
/// failed owner is gone).
final class StartHandshake: Sendable {
  private let reply: ReplyTo<StartOutcome>
  private let done = Atomic<Bool>(false)

  init(_ reply: ReplyTo<StartOutcome>) { self.reply = reply }

  func succeed(osPid: Int32) {
    if !done.exchange(true, ordering: .acquiringAndReleasing) { reply.reply(.started(osPid: osPid)) }
  }

  func fail(_ reason: ExitReason) {
    if !done.exchange(true, ordering: .acquiringAndReleasing) { reply.reply(.failed(reason)) }
  }
}

/// One output stream of the child being read into the logger.
struct OutputStream {
  let socket: Socket
  let name: String
  let level: Logger.Level
  var lines: OutputLines
  var open = true
}

struct OSProcessOwner {
  enum Phase {
    case spawning, starting, running, stopping, exited
  }

  /// Why the owner is stopping the OS process (nil: it ended by itself).
  enum StopCause {
    /// The supervisor (or whoever the parent is) sent an exit signal.
    case parent(ExitReason)
    case memory(String)
    case startTimeout(Duration)
  }

  let id: String
  let spec: OSProcessSpec
  let path: String
  let parent: Pid
  let handle: OSProcessHandle
  let handshake: StartHandshake

  var phase = Phase.spawning
  var ready = false
  /// READY=1 came before the spawner's answer did (the child runs, and its datagram
  /// reaches this process, as soon as it is cloned: the two arrive in either order).
  var readyBeforeSpawned = false
  var stop: StopCause?
  /// SIGKILL after the stop signal's timeout.
  var killedAfterTimeout = false
  /// SIGKILL at once because it was told to stop before it served (nothing to lose).
  var killedBeforeServing = false
  var exit: OSExit?
  var exitWatch: Socket?
  var notify: Socket?
  var stdout: OutputStream?
  var stderr: OutputStream?
  var startTimer: TimerRef?
  var killTimer: TimerRef?
  var startTimeout: Duration?
  var overLimitSince: UInt64?

  // MARK: - Starting

  /// The start handler: sockets made and adopted, the spawn asked for.
  mutating func begin(_ ctx: Context<OwnerMessage>) -> Next {
    let handle = handle
    let handshake = handshake
    let me = ctx.pid
    OSProcessDirectory.shared.enter(me, handle)
    ctx.onExit { reason in
      handle.ownerEnded()
      OSProcessDirectory.shared.leave(me)
      handshake.fail(reason)
    }
    var writeEnds: [Int32] = []
    do throws(OSProcessError) {
      var notifyPath: String?
      if case .notify(let timeout) = spec.readiness {
        let socket = try NotifySocket.make()
        handle.setNotifySocket(socket)
        notifyPath = socket.path
        notify = try adopt(socket.fd, .datagram, .always, ctx)
        startTimeout = timeout
      }
      var pipes: [Int32?] = [nil, nil]
      for (n, destination) in [spec.stdout, spec.stderr].enumerated() {
        guard case .log(let level) = destination else { continue }
        var fds: [Int32] = [-1, -1]
        let e = otter_pipe(&fds)
        if e != 0 { throw .setup("cannot make a pipe for the child's output: \(String(cString: strerror(-e)))") }
        writeEnds.append(fds[1])
        pipes[n] = fds[1]
        let stream = OutputStream(
          socket: try adopt(fds[0], .pipe, .once, ctx), name: n == 0 ? "stdout" : "stderr", level: level,
          lines: OutputLines(maxLength: spec.maxLineLength))
        if n == 0 { stdout = stream } else { stderr = stream }
      }
      let plan = OSProcessLaunch.plan(spec, path: path, notifyPath: notifyPath, stdoutPipe: pipes[0], stderrPipe: pipes[1])
      writeEnds = []  // the plan closes them now
      let address = ctx.address
      Spawner.shared.spawn(plan) { result in
        switch result {
        case .success(let child):
          if handle.attach(child, at: MonotonicClock.nanoseconds()) {
            address.send(.spawned(.success(child.pid)))
          } else {
            // The owner ended while the spawn ran: its child goes too.
            _ = otter_pidfd_signal(child.pidfd, SIGKILL)
            _ = otter_signal_group(child.pid, SIGKILL)
            Spawner.shared.reap(child.pidfd)
          }
        case .failure(let failure):
          address.send(.spawned(.failure(failure)))
        }
      }
    } catch {
      for fd in writeEnds { close(fd) }
      return failStart(.custom(error.description), ctx)
    }
    if let startTimeout { startTimer = ctx.startTimer(startTimeout, .startTimeout) }
    return .continue
  }

  private func adopt(_ fd: Int32, _ kind: Socket.Kind, _ mode: ActiveMode, _ ctx: Context<OwnerMessage>) throws(OSProcessError) -> Socket {
    do {
      let socket = try ctx.adopt(descriptor: fd, kind: kind)
      try ctx.activate(socket, mode)
      return socket
    } catch {
      throw .setup("cannot watch descriptor \(fd): \(error)")
    }
  }

  /// Ends a start that did not work: unlinked from the supervisor first, so that it
  /// hears of it from the handshake (the exit hook) and gets no EXIT.
  private func failStart(_ reason: ExitReason, _ ctx: Context<OwnerMessage>) -> Next {
    ctx.unlink(parent)
    return .stop(reason)
  }

  // MARK: - Messages

  mutating func handle(_ message: Message<OwnerMessage>, _ ctx: Context<OwnerMessage>) -> Next {
    switch message {
    case .message(.spawned(.success(let osPid))):
      return spawned(osPid, ctx)
    case .message(.spawned(.failure(let failure))):
      return failStart(.custom(failure.description), ctx)
    case .timer(_, .startTimeout):
      guard let startTimeout, phase == .starting || phase == .spawning else { return .continue }
      stop = .startTimeout(startTimeout)
      if phase == .starting {
        // (While spawning, `spawned` kills it as soon as it runs.)
        phase = .stopping
        handle.killAll()
      }
      return .continue
    case .timer(_, .killTimeout):
      guard phase == .stopping else { return .continue }
      killedAfterTimeout = true
      handle.killAll()
      return .continue
    case .timer(_, .checkMemory):
      return checkMemory(ctx)
    case .timer(_, .drainTimeout):
      return phase == .exited ? finish(ctx) : .continue
    case .timer(_, .retryReap):
      guard let exit = handle.reap() else {
        ctx.startTimer(.milliseconds(10), .retryReap)
        return .continue
      }
      return exited(exit, ctx)
    case .exit(let from, let reason) where from == parent:
      return parentExited(reason, ctx)
    case .io(let socket, let event):
      return io(socket, event, ctx)
    default:
      return .continue
    }
  }

  private mutating func spawned(_ osPid: Int32, _ ctx: Context<OwnerMessage>) -> Next {
    do throws(OSProcessError) {
      guard let watch = handle.watchDescriptor() else { throw .setup("the child's pidfd is gone") }
      exitWatch = try adopt(watch, .processDescriptor, .once, ctx)
    } catch {
      handle.killAll()
      stop = stop ?? .parent(.custom(error.description))
      phase = .stopping
      return .continue
    }
    if stop != nil {
      // Told to stop (or timed out) while the spawn ran: it never served, so no grace.
      phase = .stopping
      killedBeforeServing = true
      handle.killAll()
      return .continue
    }
    if case .spawned = spec.readiness {
      becomeReady(osPid, ctx)
    } else if readyBeforeSpawned {
      becomeReady(osPid, ctx)
    } else {
      phase = .starting
    }
    return .continue
  }

  private mutating func becomeReady(_ osPid: Int32, _ ctx: Context<OwnerMessage>) {
    phase = .running
    ready = true
    if let startTimer { ctx.cancelTimer(startTimer) }
    startTimer = nil
    handle.markReady()
    handshake.succeed(osPid: osPid)
    if let limit = spec.memoryLimit { ctx.startTimer(limit.interval, .checkMemory) }
  }

  private mutating func parentExited(_ reason: ExitReason, _ ctx: Context<OwnerMessage>) -> Next {
    switch phase {
    case .spawning:
      stop = .parent(reason)
    case .starting:
      stop = .parent(reason)
      phase = .stopping
      killedBeforeServing = true
      handle.killAll()
    case .running:
      stop = .parent(reason)
      requestStop(ctx)
    case .stopping, .exited:
      // Already on its way out (a memory stop, or it ended): end as the parent asks.
      if case .startTimeout = stop {} else { stop = .parent(reason) }
    }
    return .continue
  }

  /// The stop signal, and SIGKILL at the shutdown timeout.
  private mutating func requestStop(_ ctx: Context<OwnerMessage>) {
    phase = .stopping
    if spec.shutdownTimeout <= .zero {
      killedAfterTimeout = true
      handle.killAll()
      return
    }
    handle.signal(spec.stopSignal)
    killTimer = ctx.startTimer(spec.shutdownTimeout, .killTimeout)
  }

  private mutating func checkMemory(_ ctx: Context<OwnerMessage>) -> Next {
    guard phase == .running, let limit = spec.memoryLimit else { return .continue }
    let now = MonotonicClock.nanoseconds()
    if let rss = handle.residentBytes(), rss > limit.bytes {
      let since = overLimitSince ?? now
      overLimitSince = since
      if now &- since >= limit.duration.clampedNanoseconds {
        let text =
          "memory limit: resident \(megabytes(rss)) stayed above the limit of \(megabytes(limit.bytes)) for \(OSExit.text(limit.duration))"
        ctx.node.logger.warning(
          "OS process \(id) (pid \(handle.pid)) uses \(megabytes(rss)), above its limit of \(megabytes(limit.bytes)) for \(OSExit.text(limit.duration)): stopping it",
          metadata: [
            "child": .string(id), "os_pid": .stringConvertible(handle.pid), "rss_bytes": .stringConvertible(rss),
            "limit_bytes": .stringConvertible(limit.bytes),
          ], source: "OSProcess")
        stop = .memory(text)
        requestStop(ctx)
        return .continue
      }
    } else {
      overLimitSince = nil
    }
    ctx.startTimer(limit.interval, .checkMemory)
    return .continue
  }

  // MARK: - Descriptors

  private mutating func io(_ socket: Socket, _ event: SocketEvent, _ ctx: Context<OwnerMessage>) -> Next {
    if socket === exitWatch {
      guard case .closed = event else { return .continue }
      guard let exit = handle.reap() else {
        ctx.startTimer(.milliseconds(10), .retryReap)
        return .continue
      }
      return exited(exit, ctx)
    }
    if socket === notify {
      if case .data(let bytes) = event { noted(NotifyMessage(bytes), ctx) }
      return .continue
    }
    if stdout?.socket === socket {
      output(&stdout!, event, ctx)
    } else if stderr?.socket === socket {
      output(&stderr!, event, ctx)
    } else {
      return .continue
    }
    if phase == .exited && !(stdout?.open ?? false) && !(stderr?.open ?? false) { return finish(ctx) }
    return .continue
  }

  private mutating func noted(_ message: NotifyMessage, _ ctx: Context<OwnerMessage>) {
    handle.note(message)
    if phase == .spawning && message.ready { readyBeforeSpawned = true }
    guard phase == .starting else { return }
    if message.ready {
      becomeReady(handle.pid, ctx)
    } else if let more = message.extendTimeout {
      if let startTimer { ctx.cancelTimer(startTimer) }
      startTimeout = (startTimeout ?? .zero) + more
      startTimer = ctx.startTimer(more, .startTimeout)
    }
  }

  private func output(_ stream: inout OutputStream, _ event: SocketEvent, _ ctx: Context<OwnerMessage>) {
    switch event {
    case .data(let bytes):
      // Below the logger's level the lines are not even cut: read and dropped.
      if ctx.node.logger.isLogging(stream.level) {
        for line in stream.lines.feed(bytes) { log(line, stream, ctx) }
      }
      try? ctx.activate(stream.socket, .once)
    case .closed, .error:
      if let last = stream.lines.finish() { log(last, stream, ctx) }
      stream.open = false
      stream.socket.close()
    default:
      break
    }
  }

  private func log(_ line: OutputLines.Line, _ stream: OutputStream, _ ctx: Context<OwnerMessage>) {
    let pid = handle.pid
    ctx.node.logger.log(
      level: stream.level, "\(line.text)",
      metadata: line.cut
        ? ["child": .string(id), "os_pid": .stringConvertible(pid), "stream": .string(stream.name), "cut": "true"]
        : ["child": .string(id), "os_pid": .stringConvertible(pid), "stream": .string(stream.name)],
      source: "OSProcess")
  }

  // MARK: - Ending

  private mutating func exited(_ exit: OSExit, _ ctx: Context<OwnerMessage>) -> Next {
    self.exit = exit
    phase = .exited
    if let startTimer { ctx.cancelTimer(startTimer) }
    if let killTimer { ctx.cancelTimer(killTimer) }
    if stdout?.open ?? false || stderr?.open ?? false {
      // What it wrote last is still in the pipes: read it first (briefly, since a
      // descendant that escaped its group could hold them open).
      ctx.startTimer(.milliseconds(200), .drainTimeout)
      return .continue
    }
    return finish(ctx)
  }

  /// The owner's exit reason, once the OS process is reaped and its output read.
  private mutating func finish(_ ctx: Context<OwnerMessage>) -> Next {
    for stream in [stdout, stderr].compactMap({ $0 }) where stream.open {
      var s = stream
      if let last = s.lines.finish() { log(last, s, ctx) }
    }
    let exit = self.exit ?? .unknown
    let uptime = Duration.nanoseconds(Int64(MonotonicClock.nanoseconds() &- handle.spawnedAt))
    let signal = OSExit.signalName(spec.stopSignal)
    switch stop {
    case .startTimeout(let timeout):
      return failStart(.custom("did not send READY=1 within \(OSExit.text(timeout)); killed"), ctx)
    case .memory(let text):
      return .stop(.custom(text))
    case .parent(let reason):
      if killedBeforeServing || exit.isCleanStop(after: spec.stopSignal) { return .stop(reason) }
      if killedAfterTimeout {
        if spec.shutdownTimeout <= .zero { return .stop(reason) }
        return .stop(.custom("killed by SIGKILL: still running \(OSExit.text(spec.shutdownTimeout)) after \(signal)"))
      }
      return .stop(.custom("\(exit) after \(signal)"))
    case nil:
      if !ready { return failStart(.custom("\(exit) before it was ready"), ctx) }
      return .stop(exit.reason(uptime: uptime, minUptime: spec.minUptime))
    }
  }

  /// What the observer's process view says of the owner.
  static func describe(_ owner: OSProcessOwner) -> String {
    let pid = owner.handle.pid
    return "OS process \(owner.path) " + (pid > 0 ? "pid \(pid) " : "") + "\(owner.phase)"
      + (owner.exit.map { ", \($0)" } ?? "")
  }
}

private func megabytes(_ bytes: UInt64) -> String {
  let mb = Double(bytes) / 1_048_576
  return mb >= 10 ? "\(Int(mb.rounded())) MB" : "\(Double(Int(mb * 10)) / 10) MB"
}
