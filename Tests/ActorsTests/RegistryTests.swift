import OtterTestSupport
import XCTest

@testable import Actors

/// Registered names (as OTP documents them).
final class RegistryTests: XCTestCase {
  func testRegisterWhereisSendUnregister() async throws {
    try await withNode { node in
      let seen = Recorder<String>()
      let p = node.spawn(String.self, state: ()) { _, msg, _ in
        if case .message(let s) = msg { seen.add(s) }
        return .continue
      }
      try node.register("echo", p.pid)
      XCTAssertEqual(node.whereis("echo"), p.pid)
      XCTAssertEqual(node.whereis("echo", as: String.self), p)
      XCTAssertNil(node.whereis("echo", as: Int.self))
      try node.send(to: "echo", "hi")
      try await eventually { seen.count == 1 }
      XCTAssertEqual(node.registered()["echo"], p.pid)
      try node.unregister("echo")
      XCTAssertNil(node.whereis("echo"))
      XCTAssertThrowsError(try node.send(to: "echo", "again")) { error in
        XCTAssertEqual(error as? ProcessError, .notRegistered("echo"))
      }
    }
  }

  func testRegistrationErrors() async throws {
    try await withNode { node in
      let a = node.spawn(Int.self, state: ()) { _, _, _ in .continue }
      let b = node.spawn(Int.self, state: ()) { _, _, _ in .stop(.normal) }
      try node.register("a", a.pid)
      XCTAssertThrowsError(try node.register("a", b.pid)) { XCTAssertEqual($0 as? ProcessError, .nameTaken("a")) }
      XCTAssertThrowsError(try node.register("a2", a.pid)) { XCTAssertEqual($0 as? ProcessError, .alreadyRegistered("a")) }
      XCTAssertThrowsError(try node.register("", b.pid)) { XCTAssertEqual($0 as? ProcessError, .invalidName("")) }
      XCTAssertThrowsError(try node.unregister("zzz")) { XCTAssertEqual($0 as? ProcessError, .notRegistered("zzz")) }
      XCTAssertThrowsError(try node.send(to: "a", "a string")) {
        XCTAssertEqual($0 as? ProcessError, .wrongMessageType(name: "a", expected: "String"))
      }
      b.send(1)
      try await eventually { !b.pid.isAlive }
      XCTAssertThrowsError(try node.register("dead", b.pid)) { XCTAssertEqual($0 as? ProcessError, .noproc) }
    }
  }

  func testNameIsReleasedBeforeDownIsDelivered() async throws {
    try await withNode { node in
      let (whereisAtDown, reRegistered) = try await node.run(Never.self) { ctx -> (Pid?, Bool) in
        let p = ctx.spawn(Int.self, state: ()) { _, _, _ in .stop(.custom("x")) }
        try node.register("svc", p.pid)
        let ref = ctx.monitor(p.pid)
        p.send(1)
        _ = try await ctx.receive {
          if case .down(let r, _, _) = $0, r == ref { return true }
          return nil
        }
        let at = node.whereis("svc")
        // A restarted process can take the name at once.
        let q = ctx.spawn(Int.self, state: ()) { _, _, _ in .continue }
        try node.register("svc", q.pid)
        return (at, node.whereis("svc") == q.pid)
      }
      XCTAssertNil(whereisAtDown)
      XCTAssertTrue(reRegistered)
    }
  }

  func testNameIsReleasedBeforeExitSignals() async throws {
    try await withNode { node in
      let whereisAtExit = try await node.run(Never.self) { ctx -> Pid? in
        ctx.trapExit = true
        let p = ctx.spawnLink(Int.self, state: ()) { _, _, c in
          try c.register("linked-svc")
          return .stop(.custom("x"))
        }
        p.send(1)
        _ = try await ctx.receive {
          if case .exit = $0 { return true }
          return nil
        }
        return node.whereis("linked-svc")
      }
      XCTAssertNil(whereisAtExit)
    }
  }

  func testProcessCanRegisterItselfAndUnregister() async throws {
    try await withNode { node in
      let pid = try await node.run(Never.self) { ctx -> Pid in
        try ctx.register("me")
        XCTAssertEqual(node.whereis("me"), ctx.pid)
        ctx.unregister()
        XCTAssertNil(node.whereis("me"))
        try ctx.register("me-again")
        return ctx.pid
      }
      // Auto-unregistered at exit.
      XCTAssertFalse(pid.isAlive)
      XCTAssertNil(node.whereis("me-again"))
    }
  }
}
