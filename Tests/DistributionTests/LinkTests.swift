// The link layer between two nodes: sends in order, calls, links and monitors with the
// real reason, noconnection when the link goes, a wrong secret refused, a bad frame
// closing one link only.
import Actors
@_spi(Distribution) import Actors
import GenServer
import OtterTestSupport
import XCTest

@testable import Distribution

final class LinkTests: XCTestCase {
  func testSendsInOrderAndRepliesToAnAddressFromTheOtherNode() async throws {
    try await withTwoNodes { a, da, b, db in
      try startEcho(b, db)
      try await da.connect(to: "b", at: db.address)
      XCTAssertEqual(da.connectedNodes, ["b"])
      try await eventually { db.connectedNodes == ["a"] }
      let got = try await a.run(Echo.self) { ctx -> [Int] in
        for i in 0..<1000 { da.send(Echo.ping(i, replyTo: ctx.address), to: "echo", on: "b") }
        var seen: [Int] = []
        while seen.count < 1000, case .pong(let n) = try await ctx.next(timeout: .seconds(10)) { seen.append(n) }
        return seen
      }
      XCTAssertEqual(got, Array(0..<1000), "one sender to one receiver: in order")
      // A pid of the other node prints with the other node's number.
      let remote = try await da.lookup("echo", on: "b", as: Echo.self)
      XCTAssertTrue(remote.pid.description.hasPrefix("<1."), remote.pid.description)
      XCTAssertEqual(remote.pid.remoteNode, "b")
      XCTAssertTrue(remote.pid.isAlive)
    }
  }

  func testRemoteCallAndItsFailures() async throws {
    try await withTwoNodes { a, da, b, db in
      let counter = try await b.start(Counter())!
      try db.register("counter", counter.address)
      try await da.connect(to: "b", at: db.address)
      let ref = try await da.server("counter", on: "b", Counter.self)
      let v1 = try await a.call(ref, 5)
      XCTAssertEqual(v1, 5)
      let v2 = try await a.run { ctx in try await ctx.call(ref, 2) }
      XCTAssertEqual(v2, 7)
      // The server crashes on a negative add: the caller gets its real reason at once.
      do {
        _ = try await a.call(ref, -1, timeout: .seconds(10))
        XCTFail("the server crashed")
      } catch let e as CallError {
        guard case .exited(let reason) = e else { return XCTFail("\(e)") }
        XCTAssertTrue("\(reason)".contains("a negative add"), "\(reason)")
      }
      // A call to a node that goes away fails at once with noconnection, not at the timeout.
      let other = try await b.start(Counter())!
      try db.register("slow", other.address)
      let slow = try await da.server("slow", on: "b", Counter.self)
      _ = try await a.call(slow, 1)
      let started = ContinuousClock.now
      async let outcome: Result<Int, CallError> = {
        do { return .success(try await a.call(slow, 1, timeout: .seconds(30))) } catch let e as CallError { return .failure(e) } catch {
          return .failure(.noproc)
        }
      }()
      b.exit(other.pid, reason: .kill)  // not the link yet: the call must fail with killed
      let r = await outcome
      XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
      switch r {
      case .success: break  // it may have answered before the kill
      case .failure(let e): XCTAssertTrue("\(e)".contains("killed") || "\(e)".contains("no such process"), "\(e)")
      }
    }
  }

  func testMonitorsAndLinksAcrossNodes() async throws {
    try await withTwoNodes { a, da, b, db in
      let echo = try startEcho(b, db)
      try await da.connect(to: "b", at: db.address)
      let remote = try await da.lookup("echo", on: "b", as: Echo.self)
      // A monitor gets the real reason.
      let down = try await a.run(Echo.self) { ctx -> String in
        let ref = ctx.monitor(remote.pid)
        remote.send(.text("crash"))
        let reason = try await ctx.receive(timeout: .seconds(10)) { m -> ExitReason? in
          if case .down(let r, let pid, let reason) = m, r == ref, pid == remote.pid { return reason }
          return nil
        }
        return reason.map { "\($0)" } ?? "no DOWN"
      }
      XCTAssertTrue(down.contains("asked to crash"), down)
      _ = echo
      // A monitor of a process that is gone: noproc.
      let late = try await a.run(Echo.self) { ctx -> String in
        let ref = ctx.monitor(remote.pid)
        let reason = try await ctx.receive(timeout: .seconds(10)) { m -> ExitReason? in
          if case .down(let r, _, let reason) = m, r == ref { return reason }
          return nil
        }
        return reason.map { "\($0)" } ?? "no DOWN"
      }
      XCTAssertEqual(late, "noproc")
      // Links and monitors fire noconnection when the link goes.
      try startEcho(b, db, name: "echo2")
      let second = try await da.lookup("echo2", on: "b", as: Echo.self)
      let outcome = try await a.run(Echo.self) { ctx -> [String] in
        ctx.trapExit = true
        ctx.link(second.pid)
        let ref = ctx.monitor(second.pid)
        // Wait until b has applied both (a round trip through the echo).
        second.send(.ping(1, replyTo: ctx.address))
        _ = try await ctx.receive(timeout: .seconds(5)) { m -> Bool? in if case .message(.pong) = m { return true } else { return nil } }
        da.disconnect("b")
        var got: [String] = []
        while got.count < 2, let m = try await ctx.receive(timeout: .seconds(5)) {
          switch m {
          case .exit(let from, let reason) where from == second.pid: got.append("exit \(reason)")
          case .down(let r, _, let reason) where r == ref: got.append("down \(reason)")
          default: continue
          }
        }
        return got.sorted()
      }
      XCTAssertEqual(outcome, ["down noconnection", "exit noconnection"])
    }
  }

  func testMonitorNode() async throws {
    try await withTwoNodes { a, da, b, db in
      try await da.connect(to: "b", at: db.address)
      let got = try await a.run(NodeEvent.self) { ctx -> [NodeEvent] in
        da.monitorNode("b", deliverTo: ctx.address) { $0 }
        da.monitorNode("nowhere", deliverTo: ctx.address) { $0 }
        var seen: [NodeEvent] = []
        if let first = try await ctx.next(timeout: .seconds(5)) { seen.append(first) }  // nowhere: at once
        da.disconnect("b")
        if let second = try await ctx.next(timeout: .seconds(5)) { seen.append(second) }
        return seen
      }
      XCTAssertEqual(got.count, 2)
      guard got.count == 2, case .nodeDown("nowhere", _) = got[0], case .nodeDown("b", _) = got[1] else {
        return XCTFail("\(got)")
      }
    }
  }

  func testAWildcardListenerNeedsAnAdvertisedHost() async throws {
    try await withNode(name: "w") { node in
      var config = DistributionConfiguration(name: "w", secret: "s")
      config.listenHost = "0.0.0.0"
      do {
        _ = try await Distribution.start(config, on: node)
        XCTFail("other nodes could not dial 0.0.0.0")
      } catch let e as DistributionError {
        XCTAssertTrue("\(e)".contains("advertisedHost"), "\(e)")
      }
      config.advertisedHost = "127.0.0.1"
      let dist = try await Distribution.start(config, on: node)
      defer { dist.stop() }
      XCTAssertTrue(dist.address.hasPrefix("127.0.0.1:"), dist.address)
    }
  }

  func testAWrongSecretIsRefused() async throws {
    try await withTwoNodes(secretA: "right", secretB: "wrong") { a, da, b, db in
      try startEcho(b, db)
      do {
        try await da.connect(to: "b", at: db.address, timeout: .seconds(2))
        XCTFail("nodes with different secrets must not connect")
      } catch let e as DistributionError {
        XCTAssertTrue("\(e)".contains("does not know the cluster secret"), "\(e)")
      }
      XCTAssertEqual(da.connectedNodes, [])
      XCTAssertEqual(db.connectedNodes, [])
    }
  }
}
