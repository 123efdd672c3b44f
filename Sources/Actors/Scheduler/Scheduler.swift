// A scheduler: one OS thread with its own run queue, job queue, timers and epoll loop.
//
// Processes on the run queue are run in one of two ways:
//  - processes whose code is synchronous (handler processes with a sync handler) are
//    called straight from the thread loop: a message hop is a function call;
//  - processes whose code may suspend are run inside a *dispatcher*: a long-lived Swift
//    Task that pops processes and awaits their code. A handler that does not actually
//    suspend costs an async call, not a Task switch.
// The scheduler is also the TaskExecutor of those Tasks: a process suspended inside
// its code (receive, call, sleep) is resumed as a job on this thread.
//
// When a dispatcher's Task gets suspended inside a process, that Task now belongs to
// the process; the thread loop notices (`dispatching` is still set when the job
// returns) and uses another dispatcher from a small pool, so no thread ever waits for a
// process. A dispatcher whose run queue is empty while Swift jobs are queued (a caller
// its last slice answered) runs them itself and goes on with what they make runnable,
// so calls to an async handler go back to back without handing the thread to the loop
// and back (`runJobsNested`). See docs/ARCHITECTURE.md.
import COtterSys
import Glibc
import Synchronization

@usableFromInline
// `@unchecked Sendable`: the fields under "thread" are touched only by this scheduler's
// thread (every Task that runs here runs on that thread); the fields under "shared" are
// atomics or behind `inbox`'s mutex.
final class Scheduler: TaskExecutor, @unchecked Sendable {
  /// Messages a process handles (or receives it does) before others get the thread.
  @usableFromInline static let budget = 200
  /// A turn of the run queue runs every process queued when it began, and at least this
  /// many slices while there is work (so a chain of single wake-ups does not go around
  /// the whole loop each time).
  static let minimumTurn = 64
  /// A turn also ends after this long, whatever is still queued: wake-ups keep arriving
  /// while it runs (timers and I/O, served first), and the jobs of Swift Tasks — body
  /// processes, callers waiting for a reply — run only between turns.
  static let turnNanos: UInt64 = 4_000_000
  /// How far CLOCK_MONOTONIC_COARSE may lag behind CLOCK_MONOTONIC (one 4 ms tick, plus
  /// margin).
  static let coarseSlack: UInt64 = 8_000_000
  /// How long an idle scheduler looks for work before it sleeps in epoll, at most.
  static let spinNanos: UInt64 = 50_000
  /// ... and at least, after spins that found nothing (`spinBudget`).
  static let minimumSpinNanos: UInt64 = 3_000
  /// Spare dispatcher Tasks kept per scheduler.
  static let sparePool = 8

  let index: Int
  unowned(unsafe) let node: Node
  let poller: Poller
  @exclusivity(unchecked) @usableFromInline var timers: TimerService!

  // thread
  @exclusivity(unchecked) var runQueue = Ring<ProcessCore>()
  /// Processes woken by a timer or by I/O readiness: served before the run queue.
  @exclusivity(unchecked) var urgentQueue = Ring<ProcessCore>()
  /// How long this scheduler spins before it sleeps: halved after a spin that found no
  /// work, doubled after one that did (between `minimumSpinNanos` and `spinNanos`). A
  /// server whose work comes every millisecond or so (a chat node under load) found it
  /// in 5 % of its spins and burnt the rest; a ping-pong finds it in nearly every one.
  /// Written by this scheduler's thread only; atomic so that tests may read it.
  let spinBudget = Atomic<UInt64>(Scheduler.spinNanos)
  /// How many times this scheduler spun before sleeping (tests and introspection).
  let spins = Atomic<UInt64>(0)
  /// When the turn under way gives the thread back (`turnNanos`).
  @exclusivity(unchecked) var turnEnds: UInt64 = 0
  /// Urgent wake-ups the turn under way began with and has not run yet.
  @exclusivity(unchecked) var turnUrgent = 0
  @exclusivity(unchecked) var jobs = Ring<UnownedJob>()
  @exclusivity(unchecked) var activeDispatcher: Dispatcher?
  @exclusivity(unchecked) var dispatching = false
  /// The active dispatcher is running queued jobs itself (`runJobsNested`).
  @exclusivity(unchecked) var runningNestedJobs = false
  @exclusivity(unchecked) var spareDispatchers: [Dispatcher] = []
  @exclusivity(unchecked) var sinceMaintenance = 0
  @exclusivity(unchecked) var lastPoll: UInt64 = 0
  @exclusivity(unchecked) var loopRounds: UInt64 = 0
  @exclusivity(unchecked) var threadRunning = false
  /// Sockets holding sends (`SendCoalescing`): written after each slice and each job,
  /// or when their window ends.
  @exclusivity(unchecked) var held = HeldWrites<Socket>()
  /// Chunk arrays that sockets written on this thread emptied, for the next to queue
  /// more than one chunk (IO/WriteQueue.swift).
  @exclusivity(unchecked) var writeQueueSpares = WriteQueue.Spares()
  /// Scratch list for the sockets due in one pass.
  @exclusivity(unchecked) private var dueSockets: [Socket] = []
  /// The clock as first read during the current slice (0: not read yet); see `sliceNow`.
  @exclusivity(unchecked) private var sliceClock: UInt64 = 0

  // shared
  let inbox = Locked(RemoteInbox())
  let inboxPending = Atomic<Bool>(false)
  let sleeping = Atomic<Bool>(false)
  let load = Atomic<Int>(0)
  let shareRequest = Atomic<Int>(-1)
  let stopRequested = Atomic<Bool>(false)
  let exited = Atomic<Bool>(false)
  // statistics, read by introspection
  let busyNanos = Atomic<UInt64>(0)
  let dispatches = Atomic<UInt64>(0)
  let jobsRun = Atomic<UInt64>(0)
  let dispatcherTasks = Atomic<Int>(0)
  /// Times the thread loop handed its run queue to a dispatcher (resumed or created one).
  let dispatcherStarts = Atomic<UInt64>(0)
  let ioEvents = Atomic<UInt64>(0)
  let ioSourceCount = Atomic<Int>(0)
  /// Bytes this thread read from and wrote to sockets (SocketTotals.swift).
  let bytesReceived = Atomic<UInt64>(0)
  let bytesSent = Atomic<UInt64>(0)

  @exclusivity(unchecked) private var thread: pthread_t?
  /// Where sockets polled by this scheduler are read into (this thread only).
  let readBuffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 65536)
  /// The thread's stack (lowest address, size), recorded by the thread as it starts, for
  /// the memory report (MemoryReport.swift).
  let stackBase = Atomic<UInt>(0)
  let stackSize = Atomic<Int>(0)

  /// The longest this scheduler spins before it sleeps (`Node`'s `busyWait`; zero: it
  /// sleeps as soon as it has nothing to do).
  let spinLimit: UInt64

  init(index: Int, node: Node, spinLimit: UInt64 = Scheduler.spinNanos) throws(SystemError) {
    self.index = index
    self.node = node
    self.spinLimit = spinLimit
    spinBudget.store(spinLimit, ordering: .relaxed)
    self.poller = try Poller()
    self.timers = TimerService(scheduler: self)
  }

  /// The scheduler whose thread is calling, if any.
  @usableFromInline static var current: Scheduler? {
    guard let raw = otter_current_scheduler() else { return nil }
    return Unmanaged<Scheduler>.fromOpaque(raw).takeUnretainedValue()
  }

  // MARK: - Thread

  func start() throws(SystemError) {
    let box = Unmanaged.passRetained(self).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(
      &tid, nil,
      { arg in
        let s = Unmanaged<Scheduler>.fromOpaque(arg!).takeRetainedValue()
        s.threadMain()
        return nil
      }, box)
    if rc != 0 {
      Unmanaged<Scheduler>.fromOpaque(box).release()
      throw SystemError("pthread_create", errno: rc)
    }
    thread = tid
  }

  func join() {
    if let t = thread {
      pthread_join(t, nil)
      thread = nil
    }
  }

  private func threadMain() {
    otter_set_current_scheduler(Unmanaged.passUnretained(self).toOpaque())
    otter_set_thread_name("otter-sched-\(index)")
    var base: UInt = 0
    var size = 0
    otter_current_thread_stack(&base, &size)
    stackSize.store(size, ordering: .relaxed)
    stackBase.store(base, ordering: .releasing)
    threadRunning = true
    var busySince = monotonicNanos()
    while true {
      // One round: Swift jobs, due timers, ready I/O, then the run queue. Every kind
      // of work gets its turn each round, so none can starve the others.
      takeInbox()
      var worked = false
      if !jobs.isEmpty {
        runJobs()
        worked = true
      }
      // The precise clock costs ~25 ns here, the coarse one (4 ms ticks) ~5 ns: read the
      // precise one only when a timer may be due or a poll may be due (every 32 rounds).
      loopRounds &+= 1
      let earliest = min(timers.earliest.load(ordering: .relaxed), held.nextDue)
      let mayBeDue = earliest <= otter_coarse_monotonic_ns() &+ Scheduler.coarseSlack
      let now = (mayBeDue || loopRounds & 31 == 0) ? monotonicNanos() : lastPoll
      if timers.fireDue(now: now) > 0 { worked = true }
      if writeDueSockets(now: now) { worked = true }
      if now &- lastPoll > 200_000 {
        lastPoll = now
        let io = poller.wait(timeoutNanos: 0)
        if io > 0 {
          ioEvents.add(UInt64(io), ordering: .relaxed)
          worked = true
        }
      }
      if !runQueue.isEmpty || !urgentQueue.isEmpty {
        runFromLoop()
        worked = true
      }
      if worked { continue }
      if stopRequested.load(ordering: .acquiring) {
        if finishForStop() { break }
        continue
      }
      // Nothing to do: ask a busy peer for work and spin briefly before sleeping, so
      // work that comes right away is taken without a round trip through the kernel
      // (a sleeping scheduler is woken with an eventfd write, and would otherwise fall
      // asleep again after each single handover).
      askForWork()
      if spinLimit > 0 {
        let budget = spinBudget.load(ordering: .relaxed)
        if spinForWork(until: monotonicNanos() &+ budget) {
          spinBudget.store(min(spinLimit, budget &* 2), ordering: .relaxed)
          continue
        }
        spinBudget.store(max(min(Scheduler.minimumSpinNanos, spinLimit), budget / 2), ordering: .relaxed)
      }
      let stopWorking = monotonicNanos()
      if stopWorking > busySince { busyNanos.add(stopWorking - busySince, ordering: .relaxed) }
      sleeping.store(true, ordering: .sequentiallyConsistent)
      node.sleepingSchedulers.add(1, ordering: .relaxed)
      if inboxPending.load(ordering: .sequentiallyConsistent) || stopRequested.load(ordering: .sequentiallyConsistent) {
        sleeping.store(false, ordering: .relaxed)
        node.sleepingSchedulers.subtract(1, ordering: .relaxed)
        busySince = monotonicNanos()
        continue
      }
      var timeout: Int64 = -1
      let deadline = min(timers.nextDeadline ?? .max, held.nextDue)
      if deadline != .max {
        let t = monotonicNanos()
        timeout = deadline > t ? Int64(deadline - t) : 0
      }
      let io = poller.wait(timeoutNanos: timeout)
      sleeping.store(false, ordering: .relaxed)
      node.sleepingSchedulers.subtract(1, ordering: .relaxed)
      lastPoll = monotonicNanos()
      busySince = lastPoll
      if io > 0 { ioEvents.add(UInt64(io), ordering: .relaxed) }
    }
    threadRunning = false
    exited.store(true, ordering: .releasing)
    otter_set_current_scheduler(nil)
  }

  /// Polls the inbox, and this scheduler's sockets, until `deadline`; true if work
  /// arrived. (Sockets too: a reply that lands on a socket while the scheduler spins
  /// would otherwise wait for the spin to end — up to 50 µs per hop, which was most of
  /// a round trip between two nodes.)
  private func spinForWork(until deadline: UInt64) -> Bool {
    spins.add(1, ordering: .relaxed)
    var i = 0
    while true {
      if inboxPending.load(ordering: .relaxed) || stopRequested.load(ordering: .relaxed) { return true }
      i &+= 1
      if i & 63 == 0 {
        if monotonicNanos() >= deadline { return false }
        let now = monotonicNanos()
        if timers.fireDue(now: now) > 0 || now >= held.nextDue { return true }
        if i & 255 == 0, ioSourceCount.load(ordering: .relaxed) > 0 {
          let io = poller.wait(timeoutNanos: 0)
          if io > 0 {
            ioEvents.add(UInt64(io), ordering: .relaxed)
            lastPoll = now
            return true
          }
        }
        if i & 1023 == 0 { askForWork() }
      }
    }
  }

  /// On stop: lets spare dispatchers end. True when nothing is left to run.
  private func finishForStop() -> Bool {
    if !spareDispatchers.isEmpty {
      let spares = spareDispatchers
      spareDispatchers = []
      for d in spares { d.resume(false) }
      return false
    }
    return jobs.isEmpty && runQueue.isEmpty && urgentQueue.isEmpty
  }

  private func runJobs() {
    let batch = jobs.count
    var n = batch
    let executor = asUnownedTaskExecutor()
    while n > 0, let job = jobs.popFirst() {
      n -= 1
      job.runSynchronously(on: executor)
      flushHeldSockets()
      if dispatching {
        // The active dispatcher's Task was suspended inside a process: it now belongs
        // to that process. The run queue needs another dispatcher.
        dispatching = false
        activeDispatcher = nil
      }
    }
    jobsRun.add(UInt64(batch - n), ordering: .relaxed)
  }

  /// Moves work other threads handed to this scheduler into the local queues.
  @inline(__always) func takeInbox() {
    guard inboxPending.load(ordering: .acquiring) else { return }
    inboxPending.store(false, ordering: .sequentiallyConsistent)
    let (processes, newJobs) = inbox.withLock { box -> ([ProcessCore], [UnownedJob]) in
      let taken = (box.processes, box.jobs)
      box.processes = []
      box.jobs = []
      return taken
    }
    for p in processes { runQueue.append(p) }
    for j in newJobs { jobs.append(j) }
    publishLoad()
  }

  /// Runs one turn of the run queue straight on the thread: every process that was
  /// queued when the turn began gets one slice (at least `minimumTurn` while there is
  /// work); processes requeued meanwhile may wait for the next turn, after the jobs.
  /// Stops early at an async process, which needs a dispatcher Task.
  private func runFromLoop() {
    var n = 0
    var round = startTurn()
    while let (p, fromUrgent) = next(round: &round) {
      publishLoad()
      guard case .sync(let run) = p.runner else {
        // The dispatcher takes the turn over from here, this process first.
        if fromUrgent {
          urgentQueue.prepend(p)
          turnUrgent += 1
        } else {
          runQueue.prepend(p)
          round += 1
        }
        if activeDispatcher == nil { startDispatcher() }
        break
      }
      p.home = self
      settle(p, run(p, Scheduler.budget))
      flushHeldSockets()
      n += 1
      if shareRequest.load(ordering: .relaxed) >= 0 { shareWork() }
      if n & 31 == 0 && maintenance() { break }
    }
    publishLoad()
    dispatches.add(UInt64(n), ordering: .relaxed)
  }

  /// Starts a turn: the urgent wake-ups queued now go first, then every process in the
  /// run queue now (at least `minimumTurn` slices while there is work). Returns the
  /// run-queue part; `turnUrgent` holds the urgent part.
  @inline(__always) private func startTurn() -> Int {
    turnUrgent = urgentQueue.count
    turnEnds = monotonicNanos() &+ Scheduler.turnNanos
    return max(runQueue.count, Scheduler.minimumTurn)
  }

  /// The next process to run while the turn lasts: the urgent wake-ups it began with,
  /// then the run queue; wake-ups that came during the turn (urgent ones too) only when
  /// the run queue is empty and the turn has slices left. So a steady stream of urgent
  /// wake-ups cannot take the run queue's turn nor hold the turn open — and with it the
  /// Swift jobs, which run between turns: body processes and Tasks waiting for replies.
  @inline(__always) private func next(round: inout Int) -> (ProcessCore, Bool)? {
    if turnUrgent > 0, let p = urgentQueue.popFirst() {
      turnUrgent -= 1
      return (p, true)
    }
    guard round > 0 else { return nil }
    round -= 1
    if let p = runQueue.popFirst() { return (p, false) }
    if let p = urgentQueue.popFirst() { return (p, true) }
    round += 1
    return nil
  }

  /// Makes the queue length visible to peers looking for work.
  @inline(__always) func publishLoad() { load.store(runQueue.count &+ urgentQueue.count, ordering: .relaxed) }

  @inline(__always) private func settle(_ p: ProcessCore, _ outcome: RunOutcome) {
    if case .requeue = outcome { enqueueLocal(p) }
  }

  // MARK: - Dispatchers

  private func startDispatcher() {
    dispatcherStarts.add(1, ordering: .relaxed)
    if let d = spareDispatchers.popLast() {
      activeDispatcher = d
      d.resume(true)
    } else {
      let d = Dispatcher()
      activeDispatcher = d
      dispatcherTasks.add(1, ordering: .relaxed)
      Task(executorPreference: self) {
        await self.dispatchLoop(d)
        self.dispatcherTasks.subtract(1, ordering: .relaxed)
      }
    }
  }

  /// The body of a dispatcher Task. Runs on this scheduler's thread only. Like the thread
  /// loop it works in rounds: every process queued at the start of a round gets one
  /// slice, then the thread goes back to the loop so jobs, timers and I/O get theirs.
  private func dispatchLoop(_ me: Dispatcher) async {
    while true {
      var n = 0
      var round = startTurn()
      var demoted = false
      slices: while true {
        guard let (p, _) = next(round: &round) else {
          // Nothing queued, but Swift jobs are (typically the Task of a process this round
          // woke, such as a caller whose request was just answered): run them here, and
          // go on with whatever they make runnable, instead of giving the thread back to
          // the loop and being resumed again for it (a Task switch each way).
          if round > 0 && !jobs.isEmpty && !runningNestedJobs && activeDispatcher === me {
            let ran = runJobsNested(limit: round)
            round -= ran
            let overTime = (n & 31) + ran >= 32 && maintenance()
            n += ran
            if overTime { break }
            continue
          }
          break
        }
        publishLoad()
        p.home = self
        n += 1
        switch p.runner {
        case .sync(let run):
          settle(p, run(p, Scheduler.budget))
          flushHeldSockets()
        case .async(let run):
          dispatching = true
          let outcome = await run(p, Scheduler.budget)
          flushHeldSockets()
          if activeDispatcher === me {
            dispatching = false
            settle(p, outcome)
          } else {
            // Demoted while `p` was suspended; its slice is finished now.
            settle(p, outcome)
            if activeDispatcher != nil || runQueue.isEmpty || !jobs.isEmpty {
              demoted = true
              break slices
            }
            activeDispatcher = me
          }
        }
        if shareRequest.load(ordering: .relaxed) >= 0 { shareWork() }
        if n & 31 == 0 && maintenance() { break }
      }
      dispatches.add(UInt64(n), ordering: .relaxed)
      if demoted {
        // Parked here, outside the loop, so that the parked Task's frame does not hold
        // the last process it ran (a spare can wait for a long time: that process, dead
        // or idle, would stay allocated with everything it holds).
        if !(await retire(me)) { return }
        continue
      }
      publishLoad()
      // Give the thread back to the loop (which runs jobs, polls, or sleeps).
      if activeDispatcher === me { activeDispatcher = nil }
      dispatching = false
      if !(await retire(me)) { return }
    }
  }

  /// Runs the Swift jobs queued now (at most `limit`) from inside the active dispatcher's
  /// Task, as the thread loop would: each runs until its Task suspends or ends, then
  /// control comes back here (the runtime keeps the outer Task aside meanwhile, as it
  /// does for `Task.immediate`). Jobs queued meanwhile wait for the next turn, as in
  /// `runJobs`. Never done from a job that is itself nested (`runningNestedJobs`), so the
  /// native stack holds at most two jobs; a dispatcher resumed here (one that was lent to
  /// a process, now done with it) is not the active one and retires. Returns how many ran.
  private func runJobsNested(limit: Int) -> Int {
    runningNestedJobs = true
    let executor = asUnownedTaskExecutor()
    let batch = min(jobs.count, limit)
    var ran = 0
    while ran < batch, let job = jobs.popFirst() {
      ran += 1
      job.runSynchronously(on: executor)
      flushHeldSockets()
    }
    runningNestedJobs = false
    jobsRun.add(UInt64(ran), ordering: .relaxed)
    return ran
  }

  /// Parks `me` among the spares until the thread loop needs a dispatcher again.
  /// Returns false when the Task should end (pool full, or the node is stopping).
  private func retire(_ me: Dispatcher) async -> Bool {
    if spareDispatchers.count >= Scheduler.sparePool || stopRequested.load(ordering: .relaxed) { return false }
    return await withUnsafeContinuation { c in
      me.continuation = c
      spareDispatchers.append(me)
    }
  }

  /// Fires due timers and polls I/O while the dispatcher is busy.
  /// True when the turn has run its time (`turnNanos`): the caller ends it.
  @discardableResult private func maintenance() -> Bool {
    let now = monotonicNanos()
    timers.fireDue(now: now)
    writeDueSockets(now: now)
    if now &- lastPoll > 500_000 {
      lastPoll = now
      let io = poller.wait(timeoutNanos: 0)
      if io > 0 { ioEvents.add(UInt64(io), ordering: .relaxed) }
    }
    takeInbox()
    return now >= turnEnds
  }

  // MARK: - Coalesced writes

  /// Writes the sends sockets held back during the run of code that just ended.
  @inline(__always) func flushHeldSockets() {
    sliceClock = 0
    if !held.endOfSlice.isEmpty { flushHeldSocketsNow() }
  }

  /// The monotonic clock, read once per slice: a room writing to a thousand windowed
  /// sockets in one slice reads it once (the slice's own length is the error).
  @inline(__always) func sliceNow() -> UInt64 {
    if sliceClock == 0 { sliceClock = monotonicNanos() }
    return sliceClock
  }

  private func flushHeldSocketsNow() {
    // `flushHeld` sends no bytes of its own through `send`, so the list cannot grow here.
    for socket in held.endOfSlice { socket.flushHeld() }
    held.endOfSlice.removeAll(keepingCapacity: held.endOfSlice.capacity <= 4096)
  }

  /// Writes the sockets whose coalescing window is over. True if there were any.
  @discardableResult
  private func writeDueSockets(now: UInt64) -> Bool {
    guard now >= held.nextDue else { return false }
    held.takeDue(now: now, into: &dueSockets)
    if dueSockets.isEmpty { return false }
    for socket in dueSockets { socket.flushHeld() }
    dueSockets.removeAll(keepingCapacity: dueSockets.capacity <= 4096)
    sliceClock = 0
    return true
  }

  // MARK: - Run queue

  /// Adds a runnable process to this scheduler's queue. This scheduler's thread only.
  ///
  /// `urgent` wake-ups (timers, I/O readiness) go to a queue served before the ordinary
  /// round: they are latency-sensitive, and under load they must not wait behind
  /// throughput work (Go's `runnext` and Linux's wake-up preemption make the same choice).
  /// They cannot starve the run queue: each woken process gets one slice and goes back to
  /// the ordinary queue if it still has work.
  @usableFromInline func enqueueLocal(_ p: ProcessCore, urgent: Bool = false) {
    if urgent {
      urgentQueue.append(p)
      publishLoad()
      return
    }
    // A backlog here while a peer sleeps: give the new work to the peer (and wake it)
    // rather than queueing it behind the backlog.
    if !p.bound && !runQueue.isEmpty && node.sleepingSchedulers.load(ordering: .relaxed) > 0,
      let peer = node.sleepingPeer(of: self)
    {
      p.home = peer
      peer.enqueueRemote(p)
      return
    }
    runQueue.append(p)
    publishLoad()
  }

  /// Adds a runnable process from another thread.
  @usableFromInline func enqueueRemote(_ p: ProcessCore) {
    inbox.withLock { $0.processes.append(p) }
    signalInbox()
  }

  func enqueueRemote(_ ps: [ProcessCore]) {
    inbox.withLock { $0.processes.append(contentsOf: ps) }
    signalInbox()
  }

  private func signalInbox() {
    inboxPending.store(true, ordering: .sequentiallyConsistent)
    wakeIfSleeping()
  }

  func wakeIfSleeping() {
    if sleeping.load(ordering: .sequentiallyConsistent) { poller.wake() }
  }

  /// Wakes the thread whatever it is doing (used to stop).
  func wake() { poller.wake() }

  // MARK: - Work sharing

  /// An idle scheduler asks the busiest peer with a backlog to hand over half of it.
  private func askForWork() {
    var best: Scheduler?
    var bestLoad = 1
    for s in node.schedulers where s !== self {
      let l = s.load.load(ordering: .relaxed)
      if l > bestLoad {
        best = s
        bestLoad = l
      }
    }
    if let victim = best {
      _ = victim.shareRequest.compareExchange(expected: -1, desired: index, ordering: .relaxed)
    }
  }

  /// Answers a peer's request: moves the newer half of the run queue, and half of the
  /// urgent wake-ups, to it.
  private func shareWork() {
    let requester = shareRequest.exchange(-1, ordering: .relaxed)
    guard requester >= 0, requester != index, requester < node.schedulers.count else { return }
    var moved: [ProcessCore] = []
    var keptUrgent: [ProcessCore] = []
    var urgentGive = urgentQueue.count / 2
    while urgentGive > 0, let p = urgentQueue.popFirst() {
      // A bound process stays (`SpawnOptions.scheduler`).
      if p.bound { keptUrgent.append(p) } else { moved.append(p) }
      urgentGive -= 1
    }
    for p in keptUrgent.reversed() { urgentQueue.prepend(p) }
    let give = runQueue.count / 2
    guard give > 0 || !moved.isEmpty else { return }
    var keep: [ProcessCore] = []
    let total = runQueue.count
    for i in 0..<total {
      let p = runQueue.popFirst()!
      if i < total - give || p.bound { keep.append(p) } else { moved.append(p) }
    }
    for p in keep { runQueue.append(p) }
    guard !moved.isEmpty else { return }
    publishLoad()
    let target = node.schedulers[requester]
    for p in moved { p.home = target }
    target.enqueueRemote(moved)
  }

  // MARK: - TaskExecutor

  @usableFromInline func enqueue(_ job: consuming ExecutorJob) {
    let unowned = UnownedJob(job)
    if otter_current_scheduler() == Unmanaged.passUnretained(self).toOpaque() && threadRunning {
      jobs.append(unowned)
    } else {
      inbox.withLock { $0.jobs.append(unowned) }
      signalInbox()
    }
  }
}

/// Work handed to a scheduler by other threads.
struct RemoteInbox {
  var processes: [ProcessCore] = []
  var jobs: [UnownedJob] = []
}

/// A dispatcher Task's parking slot. `@unchecked Sendable`: used only on its scheduler's thread.
final class Dispatcher: @unchecked Sendable {
  @exclusivity(unchecked) var continuation: UnsafeContinuation<Bool, Never>?

  func resume(_ keepGoing: Bool) {
    let c = continuation!
    continuation = nil
    c.resume(returning: keepGoing)
  }
}
