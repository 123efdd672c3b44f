import Foundation
import OtterTestSupport
import Synchronization
import XCTest

@testable import Actors

/// Scheduler behaviour: fairness, idling, balancing, shutdown.
final class SchedulerTests: XCTestCase {
  func testBusyHandlerCannotStarveAnother() async throws {
    try await withNode(schedulers: 1) { node in
      // A process that always has a message (it sends itself one per message).
      let hog = node.spawn(Int.self, state: 0) { n, _, ctx in
        n += 1
        ctx.address.send(n)
        return .continue
      }
      hog.send(0)
      let answered = Recorder<Duration>()
      let t0 = ContinuousClock.now
      let other = node.spawn(Int.self, state: ()) { _, _, _ in
        answered.add(ContinuousClock.now - t0)
        return .continue
      }
      other.send(1)
      try await eventually(timeout: .seconds(2)) { answered.count == 1 }
      XCTAssertLessThan(answered.all.first ?? .seconds(9), .milliseconds(200))
      node.exit(hog.pid, reason: .kill)
    }
  }

  /// Wake-ups by timers and I/O jump the run queue (the urgent queue), but a steady
  /// stream of them must not hold a round open for ever: body processes (Tasks, run
  /// between rounds) would starve — on a loaded chatd node its Redis connections did, and
  /// the node lost its cluster lease. Here a hundred processes re-arm zero-delay timers
  /// without end while a body process sleeps 10 ms and then calls another body process.
  func testAStreamOfUrgentWakeUpsCannotStarveBodyProcesses() async throws {
    try await withNode(schedulers: 1) { node in
      let rearming = (0..<100).map { _ in
        node.spawn(Int.self, state: 0) { n, _, ctx in
          n += 1
          // A little work per wake-up, as a socket's reader has.
          var x = UInt64(n)
          for _ in 0..<2_000 { x = x &* 6_364_136_223_846_793_005 &+ 1 }
          if x == 42 { ctx.node.logger.debug("unlikely") }
          _ = ctx.sendAfter(.zero, to: ctx.address, n)
          return .continue
        }
      }
      for p in rearming { p.send(0) }
      let echo = node.spawn(ReplyTo<Int>.self) { ctx in
        while true {
          guard let from = try await ctx.next() else { continue }
          from.reply(7)
        }
      }
      // The test's own clock: if the node starves its Tasks, stop the flood after 10 s so
      // the test ends (and fails) instead of hanging.
      let stopper = Task {
        try await Task.sleep(for: .seconds(10))
        for p in rearming { node.exit(p.pid, reason: .kill) }
      }
      let t0 = ContinuousClock.now
      let echoed = try await node.run(Int.self) { ctx -> Int in
        try await ctx.sleep(for: .milliseconds(10))
        return try await ctx.request(echo, timeout: .seconds(10)) { $0 }
      }
      let took = ContinuousClock.now - t0
      stopper.cancel()
      XCTAssertEqual(echoed, 7)
      // Starved, it would take until the flood stops (10 s); a few turns take
      // milliseconds (the bound leaves room for a loaded machine and the sanitizers).
      XCTAssertLessThan(took, .seconds(4), "a 10 ms sleep and one call took \(took) among urgent wake-ups")
      for p in rearming { node.exit(p.pid, reason: .kill) }
      node.exit(echo.pid, reason: .kill)
      try await eventually { rearming.allSatisfy { !$0.pid.isAlive } && !echo.pid.isAlive }
    }
  }

  /// A process bound to a scheduler (`SpawnOptions.scheduler`) runs there only: woken by
  /// processes of the other scheduler, and while that one is busy and asks for work.
  func testABoundProcessRunsOnItsSchedulerOnly() async throws {
    try await withNode(schedulers: 2) { node in
      let seen = Recorder<Int>()
      let bound = node.spawn(Int.self, state: (), options: SpawnOptions(scheduler: 1)) { _, _, _ in
        seen.add(Scheduler.current?.index ?? -1)
        return .continue
      }
      // Senders on both schedulers, busy enough that work sharing happens.
      let senders = (0..<4).map { i in
        node.spawn(Int.self, state: 0, options: SpawnOptions(scheduler: i)) { n, _, ctx in
          n += 1
          bound.send(n)
          var x = UInt64(n)
          for _ in 0..<5_000 { x = x &* 6_364_136_223_846_793_005 &+ 1 }
          if x == 42 { ctx.node.logger.debug("unlikely") }
          if n < 500 { ctx.address.send(n) }
          return .continue
        }
      }
      for s in senders { s.send(0) }
      try await eventually("every send to arrive", timeout: .seconds(20)) { seen.count == 4 * 500 }
      XCTAssertEqual(Set(seen.all), [1], "the bound process ran on scheduler 1 only")
      for s in senders { node.exit(s.pid, reason: .kill) }
      node.exit(bound.pid, reason: .kill)
    }
  }

  /// A scheduler whose spins find nothing (work every few milliseconds) spins less and
  /// less before it sleeps, down to the minimum; spinning after every wake-up would burn
  /// up to 50 µs of CPU each time.
  func testSpinsThatFindNothingGetShorter() async throws {
    try await withNode(schedulers: 1) { node in
      try await sparseWakeUps(node, gap: .milliseconds(3))
      XCTAssertEqual(node.schedulers[0].spinBudget.load(ordering: .relaxed), Scheduler.minimumSpinNanos, "spin after 20 sparse wake-ups")
    }
  }

  /// Sends 20 messages `gap` apart to a process of `node` and waits until all arrived.
  private func sparseWakeUps(_ node: Node, gap: Duration) async throws {
    let got = Recorder<Int>()
    let p = node.spawn(Int.self, state: ()) { _, message, _ in
      if case .message(let n) = message { got.add(n) }
      return .continue
    }
    for i in 0..<20 {
      p.send(i)
      try await Task.sleep(for: gap)
    }
    try await eventually { got.count == 20 }
    node.exit(p.pid, reason: .kill)
  }

  /// `busyWait: .zero` (Erlang's `+sbwt none`): a scheduler with nothing to do sleeps at
  /// once, so sparse work costs no spinning; the default spins first.
  func testNoBusyWaitMeansNoSpinning() async throws {
    for (busyWait, spins) in [(Duration.zero, false), (nil, true)] {
      let node = try Node(schedulers: 1, name: "busy-wait-test", busyWait: busyWait)
      defer { node.shutdown(timeout: .seconds(5)) }
      let scheduler = node.schedulers[0]
      XCTAssertEqual(scheduler.spinLimit, busyWait == nil ? Scheduler.spinNanos : 0)
      try await sparseWakeUps(node, gap: .milliseconds(2))
      XCTAssertEqual(scheduler.spins.load(ordering: .relaxed) > 0, spins, "busy wait \(String(describing: busyWait))")
    }
  }

  func testBusyWaitSettings() {
    XCTAssertEqual(Node.spinLimit(nil, environment: nil), Scheduler.spinNanos)
    XCTAssertEqual(Node.spinLimit(nil, environment: "0"), 0)
    XCTAssertEqual(Node.spinLimit(nil, environment: "200"), 200_000)
    XCTAssertEqual(Node.spinLimit(nil, environment: "fast"), Scheduler.spinNanos, "not a number: the default")
    XCTAssertEqual(Node.spinLimit(nil, environment: "2000000"), Scheduler.spinNanos, "over a second: the default")
    XCTAssertEqual(Node.spinLimit(.microseconds(20), environment: "0"), 20_000, "the argument wins")
    XCTAssertEqual(Node.spinLimit(.seconds(5), environment: nil), 1_000_000_000)
  }

  func testBusyBodyThatYieldsCannotStarveOthersOrTimers() async throws {
    try await withNode(schedulers: 1) { node in
      let spinner = node.spawn(Never.self) { ctx in
        while true { try await ctx.yield() }
      }
      let got = try await node.run(Int.self) { ctx -> Int? in
        ctx.sendAfter(.milliseconds(10), to: ctx.address, 7)
        return try await ctx.next(timeout: .seconds(2))
      }
      XCTAssertEqual(got, 7)
      node.exit(spinner.pid, reason: .kill)
      try await eventually { !spinner.pid.isAlive }
    }
  }

  func testBusyReceiverLoopIsPreemptedAtReceive() async throws {
    try await withNode(schedulers: 1) { node in
      // A body that always finds a message in its mailbox.
      let looper = node.spawn(Int.self) { ctx in
        ctx.address.send(0)
        while let n = try await ctx.next() { ctx.address.send(n + 1) }
      }
      let got = try await node.run(Int.self) { ctx -> Int? in
        ctx.address.send(1)
        return try await ctx.next(timeout: .seconds(2))
      }
      XCTAssertEqual(got, 1)
      node.exit(looper.pid, reason: .kill)
    }
  }

  func testIdleNodeUsesNoCPU() async throws {
    try await withNode { node in
      for _ in 0..<1000 { node.spawn(Int.self, state: ()) { _, _, _ in .continue } }
      try await Task.sleep(for: .milliseconds(50))
      let before = node.stats().schedulers.map(\.busyNanoseconds).reduce(0, +)
      var r0 = rusage()
      getrusage(RUSAGE_SELF.rawValue, &r0)
      try await Task.sleep(for: .milliseconds(500))
      var r1 = rusage()
      getrusage(RUSAGE_SELF.rawValue, &r1)
      let cpu =
        Double(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + Double(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6
        + Double(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + Double(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6
      let after = node.stats().schedulers.map(\.busyNanoseconds).reduce(0, +)
      XCTAssertLessThan(cpu, 0.05, "CPU seconds used by the whole test process in 0.5 s of idling")
      XCTAssertLessThan(Double(after - before) / 1e9, 0.05)
    }
  }

  func testTwoBusySchedulersAreBothUsed() async throws {
    try await withNode(schedulers: 2) { node in
      // Which schedulers have run a worker. Asked only whether both threads run work,
      // not how much each does: a busy machine may hold one thread back for a while, so
      // the workers go on until both have been seen (or a long deadline passes).
      let seen = Locked<Set<Int>>([])  // Locked, not Mutex: Thread Sanitizer sees its hand-over
      let bothSeen = Atomic<Bool>(false)
      let done = try await node.run(Int.self) { ctx -> Int in
        let me = ctx.address
        // Everything is spawned from one process, hence onto one scheduler; the other
        // must take work from it.
        for _ in 0..<8 {
          ctx.spawn(Int.self, state: ()) { _, _, c in
            // ~0.2 ms of work per message, so a backlog builds up to be shared.
            var x = 0
            for i in 0..<100_000 { x &+= i &* i }
            let index = Scheduler.current!.index
            if seen.withLock({
              $0.insert(index)
              return $0.count
            }) == 2 {
              bothSeen.store(true, ordering: .relaxed)
            }
            if bothSeen.load(ordering: .relaxed) || x == 42 {
              me.send(1)
              return .stop(.normal)
            }
            c.address.send(0)
            return .continue
          }.send(0)
        }
        var finished = 0
        while finished < 8 {
          guard let n = try await ctx.next(timeout: .seconds(60)) else { break }
          finished += n
        }
        return finished
      }
      XCTAssertEqual(done, 8, "the workers were never all seen to end")
      XCTAssertEqual(seen.withLock { $0 }, [0, 1], "both schedulers ran workers")
    }
  }

  func testAStoppedNodeGivesItsDescriptorsBack() throws {
    let before = ResourceUse.openDescriptors
    let node = try Node(schedulers: 2)
    XCTAssertEqual(ResourceUse.openDescriptors, before + 4, "an epoll and an eventfd per scheduler")
    node.shutdown()
    XCTAssertEqual(ResourceUse.openDescriptors, before)
  }

  func testShutdownEndsEveryProcessAndJoinsThreads() async throws {
    let node = try Node(schedulers: 2)
    let terminated = Recorder<String>()
    // A trapping process that cleans up on shutdown, a blocked body, idle handlers.
    node.spawn(
      Int.self, state: (), options: SpawnOptions(trapExit: true),
      start: { _, ctx in
        ctx.onExit { _ in terminated.add("trapper") }
        return .continue
      },
      handler: { _, msg, _ in
        if case .exit(_, let why) = msg { return .stop(why) }
        return .continue
      })
    node.spawn(Int.self) { ctx in
      ctx.onExit { _ in terminated.add("body") }
      _ = try await ctx.receive()
    }
    for _ in 0..<100 { node.spawn(Int.self, state: ()) { _, _, _ in .continue } }
    try await Task.sleep(for: .milliseconds(20))
    let t0 = ContinuousClock.now
    node.shutdown(timeout: .seconds(5))
    XCTAssertLessThan(ContinuousClock.now - t0, .seconds(2))
    XCTAssertEqual(node.processCount, 0)
    XCTAssertEqual(Set(terminated.all), ["trapper", "body"])
    XCTAssertTrue(node.isStopping)
    // Calling it again is harmless.
    node.shutdown()
  }

  func testShutdownKillsProcessesThatIgnoreIt() async throws {
    let node = try Node(schedulers: 1)
    // Traps exits and ignores them.
    node.spawn(Int.self, state: (), options: SpawnOptions(trapExit: true)) { _, _, _ in .continue }
    let t0 = ContinuousClock.now
    node.shutdown(timeout: .milliseconds(200))
    let took = ContinuousClock.now - t0
    XCTAssertEqual(node.processCount, 0)
    XCTAssertGreaterThanOrEqual(took, .milliseconds(190))
    XCTAssertLessThan(took, .seconds(2))
  }

  func testFileDescriptorLimitIsRaised() throws {
    let node = try Node(schedulers: 1)
    defer { node.shutdown() }
    var rl = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl)
    XCTAssertEqual(UInt64(node.fileDescriptorLimit), UInt64(rl.rlim_cur))
    XCTAssertEqual(rl.rlim_cur, rl.rlim_max)
  }
}
