import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// Each strategy × restart type × exit reason, checked against OTP's rules.
final class StrategyTests: XCTestCase {
  enum Way: CaseIterable { case normal, shutdown, crash, killed }

  func reason(_ way: Way) -> ExitReason {
    switch way {
    case .normal: return .normal
    case .shutdown: return .shutdown
    case .crash: return .custom("crash")
    case .killed: return .killed
    }
  }

  /// OTP: is a child of this restart type restarted after ending this way?
  func restarted(_ restart: Restart, _ way: Way) -> Bool {
    switch restart {
    case .permanent: return true
    case .transient: return way == .crash || way == .killed
    case .temporary: return false
    }
  }

  func testEveryStrategyRestartTypeAndExitReason() async throws {
    try await withNode { node in
      for strategy in [Strategy.oneForOne, .oneForAll, .restForOne] {
        for restart in [Restart.permanent, .transient, .temporary] {
          for way in Way.allCases {
            let journal = Journal()
            let sup = try await node.start(
              Supervisor(
                SupervisorFlags(strategy: strategy, intensity: 10, period: .seconds(5)),
                children: ["a", "b", "c"].map { worker($0, journal: journal, restart: restart) }))!
            let before = try await node.whichChildren(sup)
            let b = before[1].pid!
            if way == .killed {
              node.exit(b, reason: .kill)
            } else {
              b.address(as: WorkerCommand.self)!.send(.exit(reason(way)))
            }
            let label = "\(strategy) \(restart) \(way)"
            let expectRestart = restarted(restart, way)
            // Which children should have new pids.
            let renewed: Set<String> =
              !expectRestart
              ? []
              : {
                switch strategy {
                case .oneForOne: return ["b"]
                case .oneForAll: return ["a", "b", "c"]
                case .restForOne: return ["b", "c"]
                }
              }()
            var children: [ChildInfo] = []
            try await eventually("\(label): children to settle (last seen: \(children))") {
              let now = try await node.whichChildren(sup)
              children = now
              if expectRestart {
                return now.count == 3
                  && zip(before, now).allSatisfy { old, new in
                    renewed.contains(old.id) ? (new.pid != nil && new.pid != old.pid) : new.pid == old.pid
                  }
              }
              // Not restarted: b is gone (temporary) or kept stopped; a and c untouched.
              let rest = now.filter { $0.id != "b" }
              let bOK = restart == .temporary ? !now.contains { $0.id == "b" } : now.first { $0.id == "b" }?.pid == nil
              return bOK && rest.map(\.pid) == [before[0].pid, before[2].pid]
            }
            XCTAssertTrue(sup.pid.isAlive, label)
            try await node.stop(sup, reason: .shutdown)
          }
        }
      }
    }
  }

  func testTemporarySiblingsStoppedByAGroupRestartAreNotRestarted() async throws {
    try await withNode { node in
      let journal = Journal()
      let sup = try await node.start(
        Supervisor(
          SupervisorFlags(strategy: .oneForAll, intensity: 5),
          children: [
            worker("t", journal: journal, restart: .temporary),
            worker("p", journal: journal, restart: .permanent),
          ]))!
      let p = try await pid(of: "p", in: sup, node)!
      p.address(as: WorkerCommand.self)!.send(.exit(.custom("crash")))
      try await eventually("the temporary sibling gone, the permanent one restarted") {
        let now = try await node.whichChildren(sup)
        return now.map(\.id) == ["p"] && now[0].pid != nil && now[0].pid != p
      }
    }
  }
}
