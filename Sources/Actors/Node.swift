// A node: the schedulers, the process table and the name registry — one Erlang VM.
// Several nodes may live in one OS process (tests start one each); pids are unique
// within their node.
import COtterSys
import Glibc
import Synchronization

/// A running Otter node.
///
/// ```swift
/// let node = try Node()                 // one scheduler thread per core
/// let echo = node.spawn(String.self, state: ()) { _, message, _ in
///     if case .message(let text) = message { print(text) }
///     return .continue
/// }
/// echo.send("hello")
/// node.shutdown()
/// ```
// `@unchecked Sendable`: `schedulers` and `system` are written only during init, before
// any thread starts; everything else is immutable or itself thread-safe.
public final class Node: @unchecked Sendable {

  /// Scheduler threads.
  public var schedulerCount: Int { schedulers.count }
  /// RLIMIT_NOFILE after the node raised it to the hard limit (what sockets can use).
  public let fileDescriptorLimit: Int
  /// Name shown by introspection.
  public let name: String
  /// Where the node's crash, supervisor and progress reports go, and what its
  /// applications log (labelled with the node's name unless given).
  public let logger: Logger

  @usableFromInline private(set) var schedulers: [Scheduler] = []
  let table = ProcessTable()
  let registry = Registry()
  /// What processes report of the memory they hold (MemoryReporter.swift).
  let memoryReporters = MemoryReporters()
  private let processIDs = Atomic<UInt64>(0)
  private let refIDs = Atomic<UInt64>(1)
  private let spawnCursor = Atomic<Int>(0)
  private let stopState = Atomic<Int>(0)  // 0 running, 1 stopping, 2 stopped
  let startedAt = monotonicNanos()
  private let socketIDs = Atomic<UInt64>(1)
  /// Socket bytes moved by threads that are not schedulers (SocketTotals.swift).
  let offSchedulerTraffic = SocketTraffic()
  /// Schedulers sleeping in epoll (a hint for handing them work).
  let sleepingSchedulers = Atomic<Int>(0)
  /// The pseudo-process `<0.0.0>`: sender of signals that come from outside any process,
  /// and parent of processes spawned from outside.
  @usableFromInline private(set) var system: ProcessCore!

  /// Starts a node with `schedulers` threads (default: the `OTTER_SCHEDULERS`
  /// environment variable if set, else one per CPU this process may use).
  /// Also raises this OS process's open-file limit to its hard limit.
  /// - Parameters:
  ///   - schedulers: scheduler threads (default: `OTTER_SCHEDULERS`, else one per CPU).
  ///   - name: the node's name, shown by introspection and the observer.
  ///   - logger: where reports go; default `Logger(label: name)`, whose handler
  ///     `LoggingSystem` chooses.
  ///   - busyWait: how long a scheduler with nothing to do keeps looking for work
  ///     before it sleeps in the kernel, at most (Erlang's `+sbwt`): work that comes
  ///     meanwhile is taken without a wake-up, at the price of the CPU spent looking.
  ///     Default: the `OTTER_BUSY_WAIT_US` environment variable (microseconds) if set,
  ///     else 50 µs; zero: sleep at once.
  public init(schedulers: Int? = nil, name: String = "otter", logger: Logger? = nil, busyWait: Duration? = nil) throws {
    let fromEnvironment = getenv("OTTER_SCHEDULERS").flatMap { Int(String(cString: $0)) }
    let n = max(1, schedulers ?? fromEnvironment ?? Int(otter_cpu_count()))
    let busyWaitVariable = getenv("OTTER_BUSY_WAIT_US").map { String(cString: $0) }
    let spinLimit = Node.spinLimit(busyWait, environment: busyWaitVariable)
    self.name = name
    self.logger = logger ?? Logger(label: name)
    if busyWait == nil, let text = busyWaitVariable, spinLimit == Scheduler.spinNanos, text != String(Scheduler.spinNanos / 1000) {
      self.logger.warning(
        "OTTER_BUSY_WAIT_US=\(text) is not a number of microseconds from 0 to 1000000: schedulers spin up to \(Scheduler.spinNanos / 1000) µs"
      )
    }
    let limit = otter_raise_nofile_limit()
    self.fileDescriptorLimit = limit > 0 ? Int(limit) : 1024
    var made: [Scheduler] = []
    for i in 0..<n { made.append(try Scheduler(index: i, node: self, spinLimit: spinLimit)) }
    self.schedulers = made
    system = SystemProcess(node: self, home: made[0])
    for (i, s) in made.enumerated() {
      do {
        try s.start()
      } catch {
        for started in made[..<i] {
          started.stopRequested.store(true, ordering: .releasing)
          started.wake()
          started.join()
        }
        throw error
      }
    }
  }

  deinit {
    if stopState.load(ordering: .relaxed) != 2 { stopSchedulers() }
  }

  // MARK: - Identity

  @usableFromInline func nextProcessID() -> UInt64 { processIDs.wrappingAdd(1, ordering: .relaxed).oldValue }

  /// A new unique reference.
  public func makeRef() -> Ref { Ref(id: refIDs.wrappingAdd(1, ordering: .relaxed).oldValue) }

  /// The pid that signals sent from outside any process come from (`<0.0.0>`).
  public var systemPid: Pid { Pid(system) }

  // MARK: - Placement

  /// Where a new process starts: the calling scheduler, or round-robin from outside.
  @usableFromInline func placement() -> Scheduler {
    if let s = Scheduler.current, s.node === self { return s }
    let i = spawnCursor.wrappingAdd(1, ordering: .relaxed).oldValue
    return schedulers[abs(i) % schedulers.count]
  }

  /// The scheduler whose epoll gets a new socket: the one polling the fewest (the
  /// calling thread's on a tie). The thread that polls a socket reads it and wakes its
  /// owner there, so this spreads connections' work over the cores; registering every
  /// socket with the acceptor's scheduler would put all of it on one thread.
  func pollerPlacement() -> Scheduler {
    var best = Scheduler.current.flatMap { $0.node === self ? $0 : nil } ?? placement()
    var fewest = best.ioSourceCount.load(ordering: .relaxed)
    for s in schedulers {
      let n = s.ioSourceCount.load(ordering: .relaxed)
      if n < fewest {
        best = s
        fewest = n
      }
    }
    return best
  }

  func nextSocketID() -> UInt64 { socketIDs.wrappingAdd(1, ordering: .relaxed).oldValue }

  func schedulerOwning(_ poller: Poller) -> Scheduler? { schedulers.first { $0.poller === poller } }

  /// A scheduler other than `s` that is asleep, if any.
  func sleepingPeer(of s: Scheduler) -> Scheduler? {
    for peer in schedulers where peer !== s && peer.sleeping.load(ordering: .relaxed) { return peer }
    return nil
  }

  /// The timer service for timers set from the calling thread.
  @usableFromInline var timerHost: TimerService { placement().timers }

  /// Publishes a newly built process: into the table, and onto a run queue if it has
  /// something to do at once.
  @usableFromInline func publish(_ p: ProcessCore, runnable: Bool) {
    table.insert(p)
    if runnable { p.enqueueRunnable() }
  }

  // MARK: - Names

  /// Registers `pid` under `name` (Erlang's `register/2`). Throws if the name is taken,
  /// the process already has a name, or it is not alive.
  public func register(_ name: String, _ pid: Pid) throws(ProcessError) {
    try registry.register(name, pid.core)
  }

  /// Removes a registered name.
  public func unregister(_ name: String) throws(ProcessError) { try registry.unregister(name) }

  /// The process registered under `name`, if any.
  public func whereis(_ name: String) -> Pid? { registry.whereis(name).map(Pid.init) }

  /// The typed address of the process registered under `name`, if it takes `M` messages.
  public func whereis<M: Sendable>(_ name: String, as type: M.Type) -> Address<M>? {
    (registry.whereis(name) as? Process<M>).map(Address.init)
  }

  /// The typed address of the process registered under `name`, for a request: throws
  /// `CallError.noproc` if no process has the name, `.wrongType` (naming both message
  /// types) if the one that has it takes other messages than `M`.
  public func lookup<M: Sendable>(_ name: String, as type: M.Type) throws(CallError) -> Address<M> {
    guard let core = registry.whereis(name) else { throw .noproc }
    guard let process = core as? Process<M> else {
      throw .wrongType(name: name, registered: core.messageTypeName, expected: "\(M.self)")
    }
    return Address(process)
  }

  /// All registered names.
  public func registered() -> [String: Pid] { registry.all().mapValues(Pid.init) }

  /// Sends to a registered process. Throws if no process has the name, or if it does not
  /// take `M` messages (Erlang's `badarg`).
  public func send<M: Sendable>(to name: String, _ message: M) throws(ProcessError) {
    guard let core = registry.whereis(name) else { throw .notRegistered(name) }
    guard let p = core as? Process<M> else { throw .wrongMessageType(name: name, expected: "\(M.self)") }
    p.deliver(message)
  }

  /// Sends an exit signal to `pid` from outside any process (from `<0.0.0>`).
  public func exit(_ pid: Pid, reason: ExitReason) {
    ProcessCore.sendExit(to: pid.core, from: system, reason: reason)
  }

  // MARK: - Running code in a process from outside

  /// Runs `body` in a new process and returns what it returns. For tests and for `main`.
  /// Throws `ProcessExit` if the process ended without returning (killed, or an exit
  /// signal), or what `body` threw.
  public func run<M: Sendable, R: Sendable>(
    _ type: M.Type, label: String? = nil, _ body: @escaping @Sendable (Context<M>) async throws -> R
  ) async throws -> R {
    let result = Locked<Result<R, any Error>?>(nil)
    let reason: ExitReason = await withCheckedContinuation { (c: CheckedContinuation<ExitReason, Never>) in
      let p = BodyProcess<M>(node: self, parent: systemPid, home: placement()) { ctx in
        do {
          let r = try await body(ctx)
          result.withLock { $0 = .success(r) }
        } catch let exit as ProcessExit {
          throw exit
        } catch {
          result.withLock { $0 = .failure(error) }
          throw error
        }
      }
      p.label = ProcessLabel(label)
      p.completion = { reason in c.resume(returning: reason) }
      publish(p, runnable: true)
    }
    switch result.withLock({ $0 }) {
    case .success(let r): return r
    case .failure(let e): throw e
    case nil: throw ProcessExit(reason: reason)
    }
  }

  /// `run` for a process that takes no messages of its own.
  public func run<R: Sendable>(label: String? = nil, _ body: @escaping @Sendable (Context<Never>) async throws -> R) async throws -> R {
    try await run(Never.self, label: label, body)
  }

  // MARK: - Shutdown

  /// Whether `shutdown` has been called.
  public var isStopping: Bool { stopState.load(ordering: .relaxed) != 0 }

  /// Stops the node: every top-level process gets an exit signal `shutdown` (supervisors
  /// stop their trees in order), then every remaining process one; what is still alive
  /// after `timeout` is killed. Then the scheduler threads end and are joined.
  ///
  /// Call it from outside the node's processes. Called from inside one, it only starts
  /// the shutdown and returns (a thread cannot join itself).
  public func shutdown(timeout: Duration = .seconds(5)) {
    guard stopState.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
      waitStopped()
      return
    }
    let insideNode = Scheduler.current?.node === self
    let deadline = monotonicNanos() &+ timeout.clampedNanoseconds
    let topLevel = table.all().filter { $0.parent == nil || $0.parent?.core === system || !($0.parent?.isAlive ?? false) }
    for p in topLevel { exit(Pid(p), reason: .shutdown) }
    if insideNode {
      // Cannot wait here; finish from a helper thread.
      let node = self
      Thread.detach { node.finishShutdown(deadline: deadline) }
      return
    }
    finishShutdown(deadline: deadline)
  }

  private func finishShutdown(deadline: UInt64) {
    let graceEnd = min(deadline, monotonicNanos() &+ (deadline &- monotonicNanos()) / 2)
    waitForEmptyTable(until: graceEnd)
    if table.count > 0 {
      for p in table.all() { exit(Pid(p), reason: .shutdown) }
      waitForEmptyTable(until: deadline)
    }
    while table.count > 0 {
      if getenv("OTTER_DEBUG_SHUTDOWN") != nil {
        for p in table.all().prefix(5) {
          let st = p.lock.withLock { (p.runState, p.inboundCountLocked, p.waitKind) }
          print("left:", Pid(p), st, type(of: p))
        }
      }
      for p in table.all() { exit(Pid(p), reason: .kill) }
      waitForEmptyTable(until: monotonicNanos() &+ 200_000_000)
    }
    stopSchedulers()
  }

  private func waitForEmptyTable(until deadline: UInt64) {
    while table.count > 0 && monotonicNanos() < deadline { usleep(500) }
  }

  private func stopSchedulers() {
    for s in schedulers {
      s.stopRequested.store(true, ordering: .sequentiallyConsistent)
      s.wake()
    }
    for s in schedulers { s.join() }
    for s in schedulers { s.poller.closeDescriptors() }
    stopState.store(2, ordering: .releasing)
  }

  private func waitStopped() {
    if Scheduler.current?.node === self { return }
    while stopState.load(ordering: .acquiring) != 2 { usleep(500) }
  }
}

/// `<0.0.0>`: never runs, drops what is sent to it.
// `@unchecked Sendable`: adds no state to ProcessCore (see there).
final class SystemProcess: ProcessCore, @unchecked Sendable {
  init(node: Node, home: Scheduler) {
    super.init(
      node: node, parent: nil, home: home, startsRunnable: false, runner: .sync({ _, _ in .idle }),
      control: { _, op in
        switch op {
        case .pushSignal: return .accepted(true)
        case .drainAtExit: return .signals([])
        case .release: return .done
        case .describe: return .text(nil)
        case .peek: return .mailbox(MailboxPeek(messages: [], inBatch: 0, total: 0))
        }
      })
  }
}

/// A detached OS thread for the rare blocking job (finishing a shutdown started inside
/// the node).
enum Thread {
  static func detach(_ body: @escaping @Sendable () -> Void) {
    // @unchecked Sendable: handed to exactly one new thread, which takes ownership.
    final class Box: @unchecked Sendable {
      let body: @Sendable () -> Void
      init(_ b: @escaping @Sendable () -> Void) { body = b }
    }
    let raw = Unmanaged.passRetained(Box(body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(
      &tid, nil,
      { arg in
        let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        b.body()
        return nil
      }, raw)
    if rc == 0 {
      pthread_detach(tid)
    } else {
      Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
    }
  }
}

extension Node {
  /// A scheduler's longest spin in nanoseconds: `busyWait` if given, else the
  /// environment's microseconds (`OTTER_BUSY_WAIT_US`; a value that is not a whole
  /// number of microseconds up to one second is ignored, with the default kept), else
  /// `Scheduler.spinNanos`.
  static func spinLimit(_ busyWait: Duration?, environment: String?) -> UInt64 {
    if let busyWait {
      let (seconds, attoseconds) = busyWait.components
      guard seconds >= 0, attoseconds >= 0 else { return 0 }
      return seconds >= 1 ? 1_000_000_000 : UInt64(attoseconds / 1_000_000_000)
    }
    if let text = environment, let micros = UInt64(text), micros <= 1_000_000 { return micros * 1000 }
    return Scheduler.spinNanos
  }
}
