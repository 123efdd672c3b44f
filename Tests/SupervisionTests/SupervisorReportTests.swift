// Supervisor and progress reports (OTP's supervisor reports: child_terminated,
// start_error, shutdown_error, reached_max_restart_intensity; progress reports at
// debug), and the application's own lines: why it stops, and its root giving up.
import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

final class SupervisorReportTests: XCTestCase {
  func testARestartIsReportedWithTheIntensityUsed() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(SupervisorFlags(intensity: 3, period: .seconds(10)), children: [worker("w", journal: journal)]), name: "top")!
      let first = try await pid(of: "w", in: sup, node)!
      first.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      let report = try await capture.waitFor("a supervisor report") { $0.report == "supervisor" }
      XCTAssertEqual(report.level, .error)
      XCTAssertEqual(report["supervisor"], "top")
      XCTAssertEqual(report["supervisor_pid"], sup.pid.description)
      XCTAssertEqual(report["child"], "w")
      XCTAssertEqual(report["child_pid"], first.description)
      XCTAssertEqual(report["reason"], "crash")
      XCTAssertEqual(report["action"], "restart")
      XCTAssertEqual(report["restarts_used"], "1")
      XCTAssertEqual(report["intensity"], "3")
      XCTAssertEqual(report["period_s"], "10.0")
      XCTAssertEqual(
        report.message, "supervisor report: top \(sup.pid): child w \(first) exited (crash); restarting it (1 of 3 restarts in 10s)")
      // Progress: the first start and the restart, at debug.
      let second = try await eventuallyValue("the restarted child") {
        try await pid(of: "w", in: sup, node).flatMap { $0 == first ? nil : $0 }
      }
      let progress = try await capture.waitFor("the restart's progress report") {
        $0.report == "progress" && $0["child_pid"] == second.description
      }
      XCTAssertEqual(progress.level, .debug)
      XCTAssertEqual(progress["child"], "w")
      XCTAssertEqual(capture.reports("progress").map { $0["child_pid"] }, [first.description, second.description])
    }
  }

  func testProgressReportsAreDebugOnly() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      let journal = Journal()
      let sup = try await node.start(Supervisor(children: [worker("a", journal: journal), worker("b", journal: journal)]))!
      let a = try await pid(of: "a", in: sup, node)!
      a.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      try await capture.waitFor("the restart") { $0.report == "supervisor" }
      XCTAssertEqual(capture.reports("progress").count, 0)
    }
  }

  func testGivingUpIsReported() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(SupervisorFlags(intensity: 1, period: .seconds(10)), children: [worker("w", journal: journal)]))!
      var previous: Pid?
      for n in 1...2 {
        try await eventually("the previous report") { capture.reports("supervisor").count == n - 1 }
        let p = try await eventuallyValue("child w running (\(n))") {
          try await pid(of: "w", in: sup, node).flatMap { $0 == previous ? nil : $0 }
        }
        p.address(as: WorkerCommand.self)!.send(.exit(.custom("crash \(n)")))
        previous = p
      }
      let report = try await capture.waitFor("the give-up") { $0["action"] == "give_up" }
      XCTAssertEqual(report["reason"], "crash 2")
      XCTAssertEqual(report["restarts_used"], "2")
      XCTAssertEqual(report["intensity"], "1")
      XCTAssertEqual(report["supervisor"], sup.pid.description, "an unnamed supervisor goes by its pid")
      XCTAssertTrue(report.message.hasPrefix("supervisor report: \(sup.pid): child w "), report.message)
      XCTAssertTrue(
        report.message.hasSuffix(
          "(crash 2): 2 restarts in 10s, more than the 1 allowed; giving up, stopping every child (last exits: crash 1; crash 2)"),
        report.message)
      XCTAssertEqual(report["last_exits"], "crash 1; crash 2", "the child's last exits, newest last")
    }
  }

  func testOneForAllNamesTheSiblingsRestarted() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(strategy: .oneForAll, intensity: 3),
          children: [worker("a", journal: journal), worker("b", journal: journal), worker("c", journal: journal)]))!
      try await pid(of: "b", in: sup, node)!.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      let report = try await capture.waitFor("the restart") { $0.report == "supervisor" }
      XCTAssertEqual(report["child"], "b")
      XCTAssertEqual(report["restarting"], "b,a,c")
      XCTAssertTrue(report.message.contains("restarting it with a, c"), report.message)
    }
  }

  func testATemporaryChildThatCrashesIsReportedNotRestarted() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(children: [worker("t", journal: journal, restart: .temporary), worker("done", journal: journal, restart: .transient)]))!
      try await pid(of: "done", in: sup, node)!.address(as: WorkerCommand.self)!.send(.exit(.normal))
      try await pid(of: "t", in: sup, node)!.address(as: WorkerCommand.self)!.send(.exit(.custom("broke")))
      let report = try await capture.waitFor("the report") { $0.report == "supervisor" }
      XCTAssertEqual(report["action"], "not_restarted")
      XCTAssertEqual(report["child"], "t")
      XCTAssertNil(report["restarts_used"])
      try await eventually("both gone") { try await node.countChildren(sup).active == 0 }
      XCTAssertEqual(capture.reports("supervisor").count, 1, "a transient child ending normally is not reported")
    }
  }

  func testAChildThatIgnoresShutdownIsAShutdownError() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(children: [
          worker("stubborn", journal: journal, shutdown: .timeout(.milliseconds(20)), trap: true, ignoreShutdown: true),
          worker("polite", journal: journal, trap: true),
        ]))!
      let stubborn = try await pid(of: "stubborn", in: sup, node)!
      try await node.terminateChild(sup, id: "stubborn")
      try await node.terminateChild(sup, id: "polite")
      let report = try await capture.waitFor("the shutdown error") { $0["action"] == "shutdown_error" }
      XCTAssertEqual(report["child"], "stubborn")
      XCTAssertEqual(report["child_pid"], stubborn.description)
      XCTAssertEqual(report["reason"], "killed")
      XCTAssertEqual(capture.reports("supervisor").count, 1, "a child that stops when asked is no error")
    }
  }

  func testAFailedRestartIsAStartError() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let starts = Journal()
      let flaky = ChildSpec(id: "flaky") { ctx in
        starts.add("start")
        if starts.count == 2 { throw Oops() }
        return ctx.spawnLink(WorkerCommand.self, state: ()) { _, message, _ in
          if case .message(.exit(let r)) = message { return .stop(r) }
          return .continue
        }.pid
      }
      let sup = try await node.start(Supervisor(SupervisorFlags(intensity: 5), children: [flaky]))!
      try await pid(of: "flaky", in: sup, node)!.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      let report = try await capture.waitFor("the start error") { $0["action"] == "retry" }
      XCTAssertEqual(report["child"], "flaky")
      XCTAssertEqual(report["reason"], "error: Oops()")
      try await eventually("the retry's success") { starts.count == 3 }
    }
  }

  func testADynamicSupervisorReportsItsChildren() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger()) { node in
      let template = DynamicChildSpec<String> { ctx, name in
        ctx.spawnLink(WorkerCommand.self, state: (), options: SpawnOptions(label: name)) { _, message, _ in
          if case .message(.exit(let r)) = message { return .stop(r) }
          return .continue
        }.pid
      }
      let sup = try await node.start(DynamicSupervisor(intensity: 1, template: template), name: "pool")!
      let child = try await node.startChild(sup, "alpha")!
      child.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      let restart = try await capture.waitFor("the restart") { $0.report == "supervisor" }
      XCTAssertEqual(restart["supervisor"], "pool")
      XCTAssertEqual(restart["child"], child.description)
      XCTAssertEqual(restart["action"], "restart")
      XCTAssertEqual(restart["restarts_used"], "1")
      let again = try await eventuallyValue("the restarted child") { try await node.whichChildren(sup).first?.pid }
      XCTAssertEqual(capture.reports("progress").map { $0["child_pid"] }, [child.description, again.description])
      again.address(as: WorkerCommand.self)!.send(.exit(.custom("crash again")))
      let giveUp = try await capture.waitFor("the give-up") { $0["action"] == "give_up" }
      XCTAssertEqual(giveUp["reason"], "crash again")
      XCTAssertEqual(giveUp["restarts_used"], "2")
    }
  }

  func testAnApplicationWhoseRootGivesUpSaysWhyBeforeRunReturns() async throws {
    let capture = LogCapture()
    let journal = Journal()
    let app = try await Application.start(
      Supervisor(SupervisorFlags(intensity: 0), children: [worker("a", journal: journal)]), name: "shop",
      on: try Node(schedulers: 2, logger: capture.logger(label: "shop")))
    let a = try await app.node.whichChildren(app.root)[0].pid!
    a.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
    let status = await app.run()
    XCTAssertEqual(status, 1)
    let lines = capture.all
    let giveUp = try XCTUnwrap(lines.firstIndex { $0["action"] == "give_up" })
    let why = try XCTUnwrap(lines.firstIndex { $0.level == .critical }, lines.map(\.description).joined(separator: "\n"))
    XCTAssertLessThan(giveUp, why, "the supervisor report that names the child comes first")
    XCTAssertEqual(lines[giveUp]["child"], "a")
    XCTAssertTrue(lines[why].message.hasPrefix("application shop stopping: its root supervisor gave up"), lines[why].message)
    XCTAssertEqual(lines[why]["reason"], "{shutdown,reached_max_restart_intensity}")
    let stopped = try XCTUnwrap(lines.last)
    XCTAssertTrue(stopped.message.hasPrefix("application shop stopped in "), stopped.message)
    XCTAssertEqual(stopped["exit_status"], "1")
  }

  func testARequestedStopSaysWhy() async throws {
    let capture = LogCapture()
    let app = try await Application.start(
      Supervisor(children: [worker("a", journal: Journal())]), name: "shop",
      on: try Node(schedulers: 2, logger: capture.logger(level: .info)))
    app.stop()
    let status = await app.run()
    XCTAssertEqual(status, 0)
    let lines = capture.all
    guard lines.count == 2 else { return XCTFail("two lines expected:\n" + lines.map(\.description).joined(separator: "\n")) }
    XCTAssertTrue(lines[0].message.hasPrefix("application shop stopping: asked to stop, after "), lines[0].message)
    XCTAssertEqual(lines[0].level, .notice)
    XCTAssertEqual(lines[1]["exit_status"], "0")
  }
}
