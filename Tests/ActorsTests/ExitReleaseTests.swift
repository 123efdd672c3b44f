import OtterTestSupport
import XCTest

@testable import Actors

/// What an exited process lets go of: everything but its small core, and the core too
/// once no pid to it is left. Each test keeps only a weak reference to the process (and
/// to what it held) and waits for the object to be freed; a reference cycle through a
/// timer, a socket or the process's own state keeps it forever.
final class ExitReleaseTests: XCTestCase {
  /// A process object watched without being kept alive.
  final class Watched: Sendable {
    weak let core: ProcessCore?
    init(_ pid: Pid) { core = pid.core }

    /// A pid to the process while it lives (the test then lets it go).
    var pid: Pid? { core.map(Pid.init) }
  }

  /// Waits until the watched process object has been freed.
  func assertFreed(_ watched: Watched, _ what: String, file: StaticString = #fileID, line: UInt = #line) async throws {
    try await eventually("\(what): the process object to be freed", timeout: .seconds(5), file: file, line: line) {
      watched.core == nil
    }
  }

  /// Waits until the watched process waits (suspended in a receive, a call or a sleep).
  func waitUntilWaiting(_ watched: Watched) async throws {
    try await eventually("the process to wait") {
      guard let core = watched.core else { return true }
      return core.lock.withLock { core.runState == .waiting }
    }
  }

  func testAnAsyncHandlerThatCalledWithATimeoutAndStoppedIsFreed() async throws {
    try await withNode { node in
      let server = node.spawn(ReplyTo<Int>.self, state: ()) { _, message, _ in
        if case .message(let replyTo) = message { replyTo.reply(1) }
        return .stop(.normal)
      }
      // The call's timeout timer is kept for the next wait: the process stops in the
      // same run, holding it.
      let caller = Watched(
        node.spawn(Int.self, state: ()) { _, _, ctx in
          _ = try await ctx.request(server, timeout: .seconds(30)) { $0 }
          return .stop(.normal)
        }.pid)
      caller.pid?.address(as: Int.self)?.send(1)
      try await assertFreed(caller, "caller")
    }
  }

  func testALiveServerDoesNotKeepTheCallersItAnswered() async throws {
    try await withNode { node in
      let server = node.spawn(ReplyTo<Int>.self, state: ()) { _, message, _ in
        if case .message(let replyTo) = message { replyTo.reply(1) }
        return .continue
      }
      let caller = Watched(
        node.spawn(Never.self) { ctx in
          _ = try await ctx.request(server, timeout: .infinity) { $0 }
        }.pid)
      try await assertFreed(caller, "answered caller")
      XCTAssertTrue(server.pid.isAlive)
    }
  }

  /// A body process that waits in a receive with `timeout` is ended — by a message it
  /// takes and returns after, or by a kill — and must then be freed.
  func assertAWaitingBodyIsFreed(timeout: Timeout, killed: Bool, file: StaticString = #filePath, line: UInt = #line) async throws {
    try await withNode { node in
      let body = Watched(
        node.spawn(Int.self) { ctx in
          _ = try await ctx.receive(timeout: timeout)
        }.pid)
      try await waitUntilWaiting(body)
      if killed {
        if let pid = body.pid { node.exit(pid, reason: .kill) }
      } else {
        body.pid?.address(as: Int.self)?.send(1)
      }
      try await assertFreed(body, killed ? "killed body" : "body", file: file, line: line)
    }
  }

  func testABodyThatReceivedWithATimeoutAndReturnedIsFreed() async throws {
    try await assertAWaitingBodyIsFreed(timeout: .seconds(30), killed: false)
  }

  func testAProcessThatWaitedWithoutATimeoutIsFreed() async throws {
    // No timer here: what could hold it is the dispatcher Task it suspended in, which
    // goes back to the spares once the process is done with it.
    try await assertAWaitingBodyIsFreed(timeout: .infinity, killed: false)
  }

  func testABodyKilledWhileWaitingWithATimeoutIsFreed() async throws {
    try await assertAWaitingBodyIsFreed(timeout: .seconds(30), killed: true)
  }

  func testAHandlerKilledWhileSleepingIsFreed() async throws {
    try await withNode { node in
      let sleeper = Watched(
        node.spawn(Int.self, state: ()) { _, _, ctx in
          try await ctx.sleep(for: .seconds(30))
          return .continue
        }.pid)
      sleeper.pid?.address(as: Int.self)?.send(1)
      try await waitUntilWaiting(sleeper)
      if let pid = sleeper.pid { node.exit(pid, reason: .kill) }
      try await assertFreed(sleeper, "killed sleeper")
    }
  }

  func testAProcessWhoseStateHoldsItsOwnSocketIsFreed() async throws {
    try await withNode { node in
      // The state holds the socket, and the socket its owner.
      final class SocketBox: Sendable {
        weak let socket: Socket?
        init(_ s: Socket?) { socket = s }
      }
      let seen = Recorder<SocketBox>()
      let owner = Watched(
        node.spawn(
          Int.self, state: Socket?.none,
          start: { socket, ctx in
            socket = try ctx.listen(tcp: "127.0.0.1", port: 0)
            seen.add(SocketBox(socket))
            return .continue
          }
        ) { _, _, _ in .stop(.normal) }.pid)
      try await eventually("the socket to be seen") { seen.count == 1 }
      owner.pid?.address(as: Int.self)?.send(1)
      try await assertFreed(owner, "socket owner")
      try await eventually("the socket to be freed") { seen.all[0].socket == nil }
    }
  }

  func testAProcessWhoseStateHoldsItsOwnAddressIsFreed() async throws {
    try await withNode { node in
      let holder = Watched(
        node.spawn(
          Int.self, state: Address<Int>?.none,
          start: { me, ctx in
            me = ctx.address
            return .continue
          }
        ) { _, _, _ in .stop(.normal) }.pid)
      holder.pid?.address(as: Int.self)?.send(1)
      try await assertFreed(holder, "address holder")
    }
  }

  func testAProcessWhoseStateHoldsATimerToItselfIsFreed() async throws {
    try await withNode { node in
      // The timer (fired) names the process, which keeps its reference to cancel it.
      let holder = Watched(
        node.spawn(
          Int.self, state: TimerRef?.none,
          start: { timer, ctx in
            timer = ctx.startTimer(.milliseconds(1), 1)
            return .continue
          }
        ) { _, message, _ in
          if case .timer = message { return .stop(.normal) }
          return .continue
        }.pid)
      try await assertFreed(holder, "timer holder")
    }
  }

  func testAProcessWithATimerToItselfAndAnIdleTimeoutIsFreedWhenKilled() async throws {
    try await withNode { node in
      let timed = Watched(
        node.spawn(
          Int.self, state: (),
          start: { _, ctx in
            ctx.startTimer(.seconds(30), 1)
            ctx.sendAfter(.seconds(30), to: ctx.address, 2)
            return .continueWithTimeout(.seconds(30))
          }
        ) { _, _, _ in .continue }.pid)
      try await eventually("the process to go idle") {
        guard let core = timed.core else { return true }
        return core.lock.withLock { core.runState == .idle }
      }
      if let pid = timed.pid { node.exit(pid, reason: .kill) }
      try await assertFreed(timed, "process with timers")
    }
  }

  func testLinkedAndMonitoringPeersLetAnExitedProcessGo() async throws {
    try await withNode { node in
      // A long-lived peer the short-lived process links to and monitors, and that
      // monitors it back.
      let peer = node.spawn(Pid.self, state: (), options: SpawnOptions(trapExit: true)) { _, message, ctx in
        if case .message(let pid) = message { ctx.monitor(pid) }
        return .continue
      }
      let short = Watched(
        node.spawn(Int.self, state: ()) { _, _, ctx in
          ctx.link(peer.pid)
          ctx.monitor(peer.pid)
          peer.send(ctx.pid)
          try await ctx.sleep(for: .milliseconds(5))
          return .stop(.normal)
        }.pid)
      short.pid?.address(as: Int.self)?.send(1)
      try await assertFreed(short, "linked and monitoring process")
      XCTAssertTrue(peer.pid.isAlive)
    }
  }
}
