import Glibc
import OtterTestSupport
import XCTest

@testable import Actors
@testable import GenServer
@testable import Supervision

/// What an OS child is given and allowed: inherited descriptors (systemd's LISTEN_FDS
/// from 3, others at their numbers, nothing else) and a ceiling on its memory.
final class OSProcessResourceTests: XCTestCase {
  func testListenersAndDescriptorsAreInheritedAndNothingElse() async throws {
    // A TCP listener on 127.0.0.1, as a master would open it for its workers.
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0
      }
    }
    XCTAssertTrue(bound)
    let port = Int(UInt16(bigEndian: address.sin_port))
    let extra = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer { close(extra) }
    // A descriptor someone opened without close-on-exec: the child must not get it either.
    let leaky = open("/dev/null", O_RDONLY)
    defer { close(leaky) }

    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      var spec = try testChild(["fds", "serve", "forever"])
      spec.listeners = [InheritedListener(fd: listener, name: "irc")]
      spec.descriptors = [PassedDescriptor(fd: extra, as: 7)]
      let sup = try await node.start(Supervisor(children: [.osProcess(id: "inheritor", spec)]))!
      let childPid = try await osPid(of: "inheritor", in: sup, node)!
      let fds = try await capture.waitFor("its descriptors") { $0.message.hasPrefix("fds ") }
      XCTAssertEqual(fds.message, "fds 0 1 2 3 7", "the listener at 3, the extra at 7, no other descriptor of this process")
      let listen = try await capture.waitFor("its LISTEN_ variables") { $0.message.hasPrefix("listen ") }
      XCTAssertEqual(listen.message, "listen 1 own-pid irc")
      let reply = try await node.run(Never.self) { ctx -> String in
        let socket = try await ctx.connect(tcp: "127.0.0.1", port: port)
        var text = ""
        while let bytes = try await ctx.read(socket, timeout: .seconds(5)) { text += String(decoding: bytes, as: UTF8.self) }
        return text
      }
      XCTAssertEqual(reply, "hello from \(childPid)\n", "the child accepted on the listener it was given")
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testAChildAboveItsMemoryLimitIsRestartedAndToldWhy() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .warning)) { node in
      var spec = try testChild(["grow", "64", "ready", "forever"], readiness: .notify(timeout: .seconds(5)))
      spec.memoryLimit = .megabytes(32, for: .milliseconds(200), checkEvery: .milliseconds(50))
      let sup = try await node.start(
        Supervisor(SupervisorFlags(intensity: 10), children: [.osProcess(id: "hog", spec, backoff: Backoff.none)]))!
      let first = try await osPid(of: "hog", in: sup, node)!
      let warning = try await capture.waitFor("the memory warning") { $0.message.contains("above its limit") }
      XCTAssertEqual(warning["child"], "hog")
      XCTAssertEqual(warning.level, .warning)
      try await eventually("restarted") { try await node.report(sup).totalRestarts >= 1 }
      let reason = try await node.report(sup).recentRestarts[0].reason
      XCTAssertTrue(reason.hasPrefix("memory limit: resident "), reason)
      XCTAssertTrue(reason.hasSuffix(" stayed above the limit of 32 MB for 200ms"), reason)
      XCTAssertTrue(isGone(first))
      try await node.stop(sup, reason: .shutdown)
    }
  }

  func testReplaceChildStartsTheNewOneBeforeStoppingTheOld() async throws {
    try await withNode { node in
      let ready = Readiness.notify(timeout: .seconds(5))
      let sup = try await node.start(
        Supervisor(children: [
          .osProcess(id: "worker", try testChild(["ready", "forever"], readiness: ready)),
          .osProcess(id: "other", try testChild(["forever"])),
        ]))!
      let old = try await osPid(of: "worker", in: sup, node)!
      let next = ChildSpec.osProcess(id: "worker", try testChild(["sleep", "300", "ready", "forever"], readiness: ready))
      let replacing = Task { try await node.replaceChild(sup, id: "worker", with: next) }
      try await Task.sleep(for: .milliseconds(100))
      XCTAssertFalse(isGone(old), "the old worker serves until the new one is ready")
      let owner = try await replacing.value
      XCTAssertTrue(isGone(old))
      let children = try await node.whichChildren(sup)
      XCTAssertEqual(children.map(\.id), ["worker", "other"], "the new one took the old one's place")
      XCTAssertEqual(children[0].pid, owner)
      XCTAssertTrue(children[0].os!.ready)

      // A replacement that fails leaves the old one as it was.
      let current = children[0].os!.osPid
      let broken = ChildSpec.osProcess(id: "worker", try testChild(["exit", "5"], readiness: ready))
      do {
        _ = try await node.replaceChild(sup, id: "worker", with: broken)
        XCTFail("replaced by a broken child")
      } catch SupervisorError.startFailed(let reason) {
        XCTAssertEqual(reason, .custom("exited with status 5 before it was ready"))
      }
      let after = try await osPid(of: "worker", in: sup, node)
      XCTAssertEqual(after, current)
      try await node.stop(sup, reason: .shutdown)
    }
  }

  /// 200 OS children come and go — most end by themselves, every fourth is killed with
  /// its owner — and the node is back where it was: no process, owner, descriptor or
  /// zombie left.
  func testManySpawnsAndExitsLeaveNothingBehind() async throws {
    let capture = LogCapture()
    try await withNode(logger: capture.logger(level: .info)) { node in
      let sup = try await node.start(Supervisor(children: []))!
      let quick = try testChild(["pid", "exit", "0"])
      let lasting = try testChild(["pid", "forever"])
      try await Task.sleep(for: .milliseconds(1))
      let processes = node.stats().processCount
      let descriptors = ResourceUse.openDescriptors
      var killed: [Int32] = []
      for n in 0..<200 {
        let owner = try await node.startChild(sup, .osProcess(id: "c\(n)", n % 4 == 3 ? lasting : quick, restart: .temporary))!
        if n % 4 == 3 {
          killed.append(OSProcess.status(of: owner)?.osPid ?? 0)
          node.exit(owner, reason: .kill)
        }
      }
      let ended = try await eventuallyValue("the pid line of every child that ended by itself", timeout: .seconds(20)) { () -> [Int32]? in
        let lines = capture.all.filter { $0.message.hasPrefix("pid ") && $0.source == "OSProcess" }
        let quick = lines.filter { !$0["child"]!.isEmpty && Int($0["child"]!.dropFirst())! % 4 != 3 }
        return quick.count == 150 ? quick.compactMap { Int32($0.message.dropFirst(4)) } : nil
      }
      let pids = ended + killed
      XCTAssertEqual(pids.filter { $0 > 0 }.count, 200)
      try await eventually("all gone and reaped", timeout: .seconds(10)) {
        try await node.countChildren(sup).specs == 0 && OSProcess.ownerCount == 0 && node.stats().processCount == processes
          && ResourceUse.openDescriptors <= descriptors && pids.allSatisfy { parentPid(of: $0) != getpid() }
      }
      try await node.stop(sup, reason: .shutdown)
    }
  }
}
