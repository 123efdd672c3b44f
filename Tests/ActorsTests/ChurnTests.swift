import OtterTestSupport
import XCTest

@testable import Actors

/// Thousands of processes, links, monitors, timers, requests and sockets come and go;
/// afterwards the node holds what it held before: the same processes and descriptors,
/// and a C heap back within a few kilobytes of its baseline (see `checkChurn`).
final class ChurnTests: XCTestCase {
  func testLinkedAndMonitoredProcessesComeAndGo() async throws {
    try await withNode { node in
      let n = 3000
      let outcome = try await checkChurn(node, items: n) {
        try await node.run(Ready.self) { ctx in
          ctx.trapExit = true
          for i in 0..<n {
            switch i % 3 {
            case 0:
              ctx.spawnLink(Int.self, state: ()) { _, _, _ in .stop(.normal) }.send(i)
            case 1:
              // Says it is ready, then waits for its go, as a connection process waits
              // for its socket.
              let driver = ctx.address
              _ = ctx.spawnMonitor(Int.self) { c in
                driver.send(.ready(c.address))
                _ = try await c.receive(timeout: .seconds(10))
              }
            default:
              // Links and monitors the driver back, and suspends before stopping.
              let driver = ctx.pid
              let (child, _) = ctx.spawnMonitor(Int.self, state: ()) { _, _, c in
                c.link(driver)
                c.monitor(driver)
                try await c.sleep(for: .milliseconds(1))
                c.unlink(driver)
                return .stop(.normal)
              }
              child.send(i)
            }
            while case .ready(let child)? = try await ctx.next(timeout: .zero) { child.send(i) }
            try await ctx.yield()
          }
          var ended = 0
          while ended < n {
            switch try await ctx.receive(timeout: .seconds(30)) {
            case .message(.ready(let child))?: child.send(0)
            case .exit?, .down?: ended += 1
            case nil: return XCTFail("only \(ended) of \(n) processes ended")
            default: break
            }
          }
        }
      }
      XCTAssertTrue(outcome.settled, outcome.description)
    }
  }

  /// A child's word to the driver in `testLinkedAndMonitoredProcessesComeAndGo`.
  enum Ready: Sendable {
    case ready(Address<Int>)
  }

  func testTimersAndReceiveTimeoutsComeAndGo() async throws {
    try await withNode { node in
      let n = 3000
      let outcome = try await checkChurn(node, items: n) {
        try await node.run(Never.self) { ctx in
          for i in 0..<n {
            if i % 2 == 0 {
              _ = ctx.spawnMonitor(Int.self) { c in
                // A receive timeout that fires.
                _ = try await c.receive(timeout: .milliseconds(1))
                // A timer that fires into a receive with a timeout (which is cancelled).
                c.startTimer(.milliseconds(1), 1)
                _ = try await c.receive(timeout: .seconds(10)) { message -> Bool? in
                  if case .timer = message { return true }
                  return nil
                }
                // A timer cancelled before it fires.
                let late = c.sendAfter(.seconds(3600), to: c.address, 2)
                XCTAssertNotNil(c.cancelTimer(late))
              }
            } else {
              // An idle timeout that (usually) fires, then one left pending at the exit,
              // which a timer's message brings about.
              let (child, _) = ctx.spawnMonitor(
                Int.self, state: (),
                start: { _, _ in
                  .continueWithTimeout(.milliseconds(1))
                }
              ) { _, message, _ in
                if case .timeout = message { return .continueWithTimeout(.seconds(3600)) }
                return .stop(.normal)
              }
              ctx.sendAfter(.milliseconds(3), to: child, 1)
            }
            try await ctx.yield()
          }
          try await awaitEnds(ctx, n)
        }
      }
      XCTAssertTrue(outcome.settled, outcome.description)
    }
  }

  /// What the server in `testRequestsWithTimeoutsComeAndGo` is asked.
  enum Ask: Sendable {
    case answer(ReplyTo<Int>)
    /// Never answered.
    case ignore(ReplyTo<Int>)
    /// Never answered; the caller's pid goes to `tell` (which kills it).
    case ignoreAndTell(ReplyTo<Int>, Address<Pid>)
  }

  func testRequestsWithTimeoutsComeAndGo() async throws {
    try await withNode { node in
      let server = node.spawn(Ask.self, state: ()) { _, message, _ in
        switch message {
        case .message(.answer(let replyTo)): replyTo.reply(1)
        case .message(.ignoreAndTell(let replyTo, let tell)): tell.send(replyTo.caller!)
        default: break
        }
        return .continue
      }
      let n = 3000
      let outcome = try await checkChurn(node, items: n) {
        try await node.run(Pid.self) { ctx in
          let driver = ctx.address
          var killed = 0
          for i in 0..<n {
            _ = ctx.spawnMonitor(Never.self) { c in
              switch i % 3 {
              case 0:
                let answer = try await c.request(server, timeout: .seconds(10)) { Ask.answer($0) }
                XCTAssertEqual(answer, 1)
              case 1:
                do {
                  _ = try await c.request(server, timeout: .milliseconds(1)) { Ask.ignore($0) }
                  XCTFail("an ignored request was answered")
                } catch let error as CallError {
                  XCTAssertEqual(error, .timeout)
                }
              default:
                // Killed while it waits for the reply.
                _ = try await c.request(server, timeout: .seconds(30)) { Ask.ignoreAndTell($0, driver) }
                XCTFail("an ignored request was answered")
              }
            }
            // Kill the callers that asked to be killed, as they come.
            while let caller = try await ctx.next(timeout: .zero) {
              ctx.exit(caller, reason: .kill)
              killed += 1
            }
            try await ctx.yield()
          }
          while killed < n / 3 {
            guard let caller = try await ctx.next(timeout: .seconds(30)) else { break }
            ctx.exit(caller, reason: .kill)
            killed += 1
          }
          try await awaitEnds(ctx, n)
          // The server lets the requests it was sent go once they have settled and it
          // has gone idle: have it go idle once more after the last of them.
          let answer = try await ctx.request(server, timeout: .seconds(10)) { Ask.answer($0) }
          XCTAssertEqual(answer, 1)
        }
      }
      XCTAssertTrue(outcome.settled, outcome.description)
      XCTAssertTrue(server.pid.isAlive)
    }
  }

  func testProcessesKilledWhileWaitingComeAndGo() async throws {
    try await withNode { node in
      let n = 3000
      let outcome = try await checkChurn(node, items: n) {
        try await node.run(Pid.self) { ctx in
          let driver = ctx.address
          for i in 0..<n {
            switch i % 3 {
            case 0:
              _ = ctx.spawnMonitor(Never.self) { c in
                driver.send(c.pid)
                _ = try await c.receive(timeout: .seconds(30))
              }
            case 1:
              _ = ctx.spawnMonitor(Never.self) { c in
                driver.send(c.pid)
                try await c.sleep(for: .seconds(30))
              }
            default:
              let (child, _) = ctx.spawnMonitor(Int.self, state: ()) { _, _, c in
                driver.send(c.pid)
                _ = try await c.receive()
                return .continue
              }
              child.send(i)
            }
            while let waiting = try await ctx.next(timeout: .zero) {
              ctx.exit(waiting, reason: .kill)
            }
            try await ctx.yield()
          }
          var ended = 0
          while ended < n {
            let message = try await ctx.receive(timeout: .seconds(30))
            switch message {
            case .message(let waiting)?: ctx.exit(waiting, reason: .kill)
            case .down?: ended += 1
            case nil: return XCTFail("only \(ended) of \(n) processes ended")
            default: break
            }
          }
        }
      }
      XCTAssertTrue(outcome.settled, outcome.description)
    }
  }

  func testSocketPairsComeAndGo() async throws {
    try await withNode { node in
      let (acceptor, port) = try await startEchoServer(node)
      let n = 3000
      let outcome = try await checkChurn(node, items: n) {
        try await node.run(Never.self) { ctx in
          var running = 0
          var ended = 0
          for i in 0..<n {
            // At most 50 connections at a time: well under the listen backlog.
            if running == 50 {
              try await awaitEnds(ctx, 1)
              running -= 1
              ended += 1
            }
            _ = ctx.spawnMonitor(Never.self) { c in
              let socket = try await c.connect(tcp: "127.0.0.1", port: port)
              try await c.write(socket, Array("\(i)".utf8))
              _ = try await c.read(socket, timeout: .seconds(10))
              socket.close()
            }
            running += 1
          }
          try await awaitEnds(ctx, n - ended)
        }
      }
      XCTAssertTrue(outcome.settled, outcome.description)
      XCTAssertTrue(acceptor.isAlive)
    }
  }
}

/// Waits in the driver for `count` EXIT or DOWN messages.
func awaitEnds<M>(_ ctx: Context<M>, _ count: Int) async throws {
  var ended = 0
  while ended < count {
    let message = try await ctx.receive(timeout: .seconds(30)) { message -> Bool? in
      switch message {
      case .exit, .down: return true
      default: return nil
      }
    }
    guard message != nil else { return XCTFail("only \(ended) of \(count) processes ended") }
    ended += 1
  }
}
