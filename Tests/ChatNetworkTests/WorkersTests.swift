// `chatd --workers N`: a master supervising N chatd workers (OS processes, one network,
// one pair of listeners handed to all) and its own redis-server. Real processes only:
// the built chatd as master and workers, Debian's redis-server.
import Foundation
import Glibc
import IRCTestSupport
import OtterTestSupport
import Synchronization
import XCTest

final class WorkersTests: XCTestCase {
  override func setUpWithError() throws {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    guard path.split(separator: ":").contains(where: { access("\($0)/redis-server", X_OK) == 0 }) else {
      throw XCTSkip("redis-server is not installed (scripts/setup.sh installs it)")
    }
  }

  func testWorkersServeOneNetworkBehindOneListener() throws {
    let master = try ChatdMaster(workers: 2)
    let children = master.children
    XCTAssertEqual(children.values.filter { $0.contains("--node chatd1 ") }.count, 1, "\(children)")
    XCTAssertEqual(children.values.filter { $0.contains("--node chatd2 ") }.count, 1, "\(children)")
    XCTAssertEqual(children.values.filter { $0.hasPrefix("redis-server") }.count, 1, "\(children)")
    var clients: [IRCTestClient] = []
    var servers: Set<String> = []
    for i in 0..<8 {
      let c = try master.connect()
      try c.register("w\(i)")
      try c.join("#w")
      c.send("WHOIS w\(i)")
      servers.insert(try c.expect("312").params[2])
      clients.append(c)
    }
    clients[0].send("PRIVMSG #w :one network")
    for c in clients.dropFirst() { try c.expect("PRIVMSG", containing: "one network") }
    // Which worker accepts is the kernel's choice; both serve the one channel either way.
    XCTAssertFalse(servers.isEmpty)
  }

  func testAKilledWorkerIsRestartedAndItsClientsComeBack() throws {
    let master = try ChatdMaster(workers: 2)
    let before = try XCTUnwrap(master.worker("chatd1"), "\(master.children)")
    var clients: [IRCTestClient] = []
    for i in 0..<8 {
      let c = try master.connect()
      try c.register("k\(i)")
      try c.join("#k")
      clients.append(c)
    }
    kill(before, SIGKILL)
    let after = waitFor(seconds: 10) { master.worker("chatd1").flatMap { $0 != before ? $0 : nil } }
    XCTAssertNotNil(after, "chatd1 restarted: \(master.children)")
    XCTAssertTrue(master.output.contains("killed by SIGKILL"), master.outputTail())
    // The clients of the killed worker lost their connection; they come back through the
    // listener, and every one of them reaches the others again.
    var back: [IRCTestClient] = []
    for (i, c) in clients.enumerated() {
      c.send("PING :alive")
      if (try? c.expect("PONG", within: 2)) != nil {
        back.append(c)
      } else {
        let again = try master.connect()
        try again.register("k\(i)b")
        try again.join("#k")
        back.append(again)
      }
    }
    back[0].send("PRIVMSG #k :after the crash")
    for c in back.dropFirst() { try c.expect("PRIVMSG", containing: "after the crash") }
  }

  func testReloadReplacesEveryWorkerWithoutRefusingAConnection() throws {
    let master = try ChatdMaster(workers: 2)
    let old = [try XCTUnwrap(master.worker("chatd1")), try XCTUnwrap(master.worker("chatd2"))]
    // Sessions that must live through the reload, and a speaker talking all along.
    var members: [IRCTestClient] = []
    for i in 0..<6 {
      let c = try master.connect()
      try c.register("stay\(i)")
      try c.join("#stay")
      members.append(c)
    }
    let spoken = Atomic<Int>(0)
    let talking = Atomic<Bool>(true)
    let ready = Atomic<Bool>(false)
    let ircPort = master.ircPort
    let talk = Thread {
      // Its own client (a test client is not Sendable): registered and joined here.
      guard let speaker = try? IRCTestClient(port: ircPort), (try? speaker.register("speaker")) != nil,
        (try? speaker.join("#stay")) != nil
      else { return }
      ready.store(true, ordering: .relaxed)
      while talking.load(ordering: .relaxed) {
        let n = spoken.wrappingAdd(1, ordering: .relaxed).newValue
        speaker.send("PRIVMSG #stay :line \(n)")
        usleep(2_000)
      }
      speaker.send("QUIT :done")
    }
    talk.start()
    XCTAssertNotNil(waitFor(seconds: 10) { ready.load(ordering: .relaxed) ? true : nil }, "the speaker joined")
    // A connect loop beside the reload: every connection must be accepted and welcomed.
    let stop = Atomic<Bool>(false)
    let counts = Mutex<(ok: Int, failed: [String])>((0, []))
    let port = master.ircPort
    let loop = Thread {
      var n = 0
      while !stop.load(ordering: .relaxed) {
        n += 1
        do {
          let c = try IRCTestClient(port: port)
          try c.register("loop\(n)")
          c.send("QUIT :bye")
          counts.withLock { $0.ok += 1 }
        } catch {
          counts.withLock { $0.failed.append("\(error)") }
        }
        usleep(20_000)
      }
    }
    loop.start()
    defer { stop.store(true, ordering: .relaxed) }
    let (status, output) = try master.reload()
    stop.store(true, ordering: .relaxed)
    talking.store(false, ordering: .relaxed)
    usleep(200_000)
    XCTAssertEqual(status, 0, output + "\n" + master.outputTail())
    XCTAssertTrue(output.contains("chatd1 → chatd1-g2") && output.contains("chatd2 → chatd2-g2"), output)
    // (A connection of the loop caught registered by the drain moves too.)
    XCTAssertGreaterThanOrEqual(
      output.components(separatedBy: "\n").compactMap { line in
        line.range(of: " sessions moved").map { Int(line[..<$0.lowerBound].split(separator: " ").last ?? "") ?? 0 }
      }.reduce(0, +), 7, "the six members and the speaker moved: \(output)")
    // Every member got every line once, in order, and never a disconnect.
    let total = spoken.load(ordering: .relaxed)
    XCTAssertGreaterThan(total, 10)
    for c in members {
      var seen: [Int] = []
      while seen.count < total,
        let m = try? c.expect("PRIVMSG", within: 10, { $0.command == "PRIVMSG" || $0.command == "ERROR" })
      {
        XCTAssertNotEqual(m.command, "ERROR", "a member saw \(m)")
        if let n = m.params.last.flatMap({ Int($0.dropFirst(5)) }) { seen.append(n) }
      }
      // A line missing or twice: which, and what the workers said meanwhile.
      XCTAssertEqual(seen, Array(1...total), "every line once and in order\n" + master.outputTail(200))
    }
    let (ok, failed) = counts.withLock { $0 }
    XCTAssertEqual(failed, [], "connections that failed during the reload\n" + master.outputTail(200))
    XCTAssertGreaterThan(ok, 3, "the loop ran through the reload")
    for p in old { XCTAssertNotNil(waitFor(seconds: 10) { processExists(p) ? nil : true }, "old worker \(p) ended") }
    XCTAssertNotNil(master.worker("chatd1-g2"), "\(master.children)")
    XCTAssertNotNil(master.worker("chatd2-g2"), "\(master.children)")
    // The new generation serves.
    let c = try master.connect()
    try c.register("after")
  }

  /// Reloads and crashes come and go; the master's descriptors, its OS children and the
  /// workers' directories come back to what they were.
  func testReloadsAndCrashesLeaveNothingBehind() throws {
    let master = try ChatdMaster(workers: 2)
    func descriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(master.pid)/fd").count) ?? -1 }
    usleep(300_000)
    let before = descriptors()
    for round in 1...3 {
      let (status, output) = try master.reload()
      XCTAssertEqual(status, 0, "reload \(round): \(output)")
      if let p = master.worker("chatd1-g\(round + 1)") { kill(p, SIGKILL) }
    }
    XCTAssertNotNil(waitFor(seconds: 10) { master.worker("chatd1-g4") }, "the killed worker came back: \(master.children)")
    XCTAssertNotNil(waitFor(seconds: 10) { master.children.count == 3 ? true : nil }, "two workers and Redis: \(master.children)")
    let directories = try FileManager.default.contentsOfDirectory(atPath: master.dataDirectory + "/workers").sorted()
    XCTAssertEqual(directories, ["chatd1-g4", "chatd2-g4"])
    XCTAssertNotNil(waitFor(seconds: 5) { descriptors() <= before ? true : nil }, "master descriptors \(descriptors()) > \(before)")
  }

  /// Under systemd (Type=notify) the master is ready when every worker is.
  func testTheMasterSaysItIsReadyOnceItsWorkersServe() throws {
    let manager = try NotifySocket()
    let master = try ChatdMaster(workers: 2, environment: ["NOTIFY_SOCKET": manager.name])
    let ready = try manager.expect("READY")
    XCTAssertEqual(ready["MAINPID"], String(master.pid))
    XCTAssertTrue(ready["STATUS"]?.contains("2 workers on IRC") == true, "\(ready)")
    // The workers told the master, not the manager: the master's READY is the only one.
    XCTAssertNil(manager.next(within: 0.5)?["READY"], "a second READY=1")
    let c = try master.connect()
    try c.register("ready")
  }

  func testTheMastersProcessesDieWithIt() throws {
    let master = try ChatdMaster(workers: 2)
    let children = Array(master.children.keys)
    XCTAssertEqual(children.count, 3, "\(master.children)")
    kill(master.pid, SIGKILL)
    master.process.waitUntilExit()
    for p in children {
      XCTAssertNotNil(waitFor(seconds: 5) { processExists(p) ? nil : true }, "child \(p) outlived its master")
    }
  }
}

/// Polls `probe` every 10 ms until it gives a value or `seconds` have passed.
func waitFor<T>(seconds: Double, _ probe: () -> T?) -> T? {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if let v = probe() { return v }
    usleep(10_000)
  }
  return probe()
}
