// The built chatd, end to end, as an operator meets it: every way its start can fail
// is one line on stderr (what, why, which flag) with its own exit status; and SIGTERM
// stops it gracefully — listeners closed, every IRC client sent ERROR and every
// WebSocket client a close frame 1001 before its connection ends, the history written —
// with exit status 0, within the shutdown timeout.
import Foundation
import Glibc
import OtterTestSupport
import XCTest

@testable import ChatApp

final class ChatdBinaryTests: XCTestCase {
  // MARK: - Startup errors

  /// Runs a chatd whose start must fail and checks its exit status and its one line.
  func expectFailure(
    _ arguments: [String], status: ChatExitStatus, line: String, unprivileged: Bool = false, file: StaticString = #filePath,
    line sourceLine: UInt = #line
  ) throws {
    guard let (got, output) = try ChatdProcess.failedStart(arguments, unprivileged: unprivileged) else {
      throw XCTSkip("cannot run chatd as another user here (no setpriv)")
    }
    XCTAssertEqual(got, status.rawValue, output, file: file, line: sourceLine)
    XCTAssertEqual(output, "chatd: \(line)\n", file: file, line: sourceLine)
  }

  /// A socket listening on a free 127.0.0.1 port until it is closed: a port in use.
  func occupiedPort() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard ok else { throw TestError("cannot listen: errno \(errno)") }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
  }

  func testADataDirectoryThatCannotBeMadeSaysWhyAndWhichFlag() throws {
    let dir = temporaryDirectory("chatd-errors")
    defer { removeDirectory(dir) }
    let base = ["--port", "0", "--web-port", "0"]
    try expectFailure(
      base + ["--data-dir", "\(dir)/missing/data"], status: .cannotCreate,
      line: "cannot create the data directory \(dir)/missing/data: \(dir)/missing does not exist (create it first, or use --data-dir)")
    _ = FileManager.default.createFile(atPath: "\(dir)/file", contents: Data("x".utf8))
    try expectFailure(
      base + ["--data-dir", "\(dir)/file"], status: .cannotCreate,
      line: "the data directory \(dir)/file is not a directory (use --data-dir with a directory)")
    try expectFailure(
      base + ["--data-dir", "\(dir)/file/data"], status: .cannotCreate,
      line: "cannot create the data directory \(dir)/file/data: a part of \(dir)/file is not a directory (use --data-dir)")
  }

  func testADataDirectoryThisUserMayNotWriteIsAPermissionError() throws {
    // Root may write anywhere: the check runs chatd as nobody in a directory of root's.
    let dir = temporaryDirectory("chatd-errors", mode: 0o755)
    defer { removeDirectory(dir) }
    let uid = getuid() == 0 ? 65534 : getuid()
    let base = ["--port", "0", "--web-port", "0"]
    try expectFailure(
      base + ["--data-dir", "\(dir)/data"], status: .permission,
      line: "cannot create the data directory \(dir)/data: this user, uid \(uid), may not create it in \(dir) (use --data-dir)",
      unprivileged: true)
    try expectFailure(
      base + ["--data-dir", dir], status: .permission,
      line:
        "the data directory \(dir) is not writable by this user, uid \(uid): permission denied (fix its permissions, or use --data-dir)",
      unprivileged: true)
  }

  func testAPortInUseNamesTheAddressAndTheFlag() throws {
    let dir = temporaryDirectory("chatd-errors")
    defer { removeDirectory(dir) }
    let (fd, port) = try occupiedPort()
    defer { close(fd) }
    try expectFailure(
      ["--port", "\(port)", "--web-port", "0", "--data-dir", dir], status: .inUse,
      line: "cannot listen for IRC: 127.0.0.1:\(port) is already in use (another chatd? use --port)")
    try expectFailure(
      ["--port", "0", "--web-port", "0", "--metrics-listen", "127.0.0.1:\(port)", "--data-dir", dir], status: .inUse,
      line:
        "cannot listen for metrics: 127.0.0.1:\(port) is already in use (another chatd? use --metrics-listen, or --metrics-listen off for no metrics listener)"
    )
    try expectFailure(
      ["--port", "0", "--web-port", "\(port)", "--data-dir", dir], status: .inUse,
      line:
        "cannot listen for the web client: 127.0.0.1:\(port) is already in use (another chatd? use --web-port, or --web-port 0 for no web listener)"
    )
  }

  func testTheReportsBehindTheLineAreKeptAtDebugLevel() throws {
    // At the default level a failed start is the one line alone (every test above); at
    // debug the crash and supervisor reports of the start come before it.
    let dir = temporaryDirectory("chatd-errors")
    defer { removeDirectory(dir) }
    let (fd, port) = try occupiedPort()
    defer { close(fd) }
    guard
      let (status, output) = try ChatdProcess.failedStart([
        "--port", "\(port)", "--web-port", "0", "--data-dir", dir, "--log-level", "debug",
      ])
    else { return XCTFail("chatd did not run") }
    XCTAssertEqual(status, ChatExitStatus.inUse.rawValue, output)
    let lines = output.split(separator: "\n")
    XCTAssertTrue(lines.contains { $0.contains("supervisor report: chatd <0.1.0>: child irc failed to start") }, output)
    XCTAssertEqual(lines.last, "chatd: cannot listen for IRC: 127.0.0.1:\(port) is already in use (another chatd? use --port)")
  }

  func testAControlSocketAnotherChatdServesIsInUse() throws {
    let dir = temporaryDirectory("chatd-errors")
    defer { removeDirectory(dir) }
    let first = try ChatdProcess(["--port", "0", "--web-port", "0", "--data-dir", dir])
    try expectFailure(
      ["--port", "0", "--web-port", "0", "--data-dir", dir], status: .inUse,
      line: "the control socket \(dir)/control.sock is served by another node (OS process \(first.process.processIdentifier): "
        + "another chatd with this --data-dir? use --control-socket, or another --data-dir)")
    first.signal(SIGTERM)
    XCTAssertEqual(try first.exit(within: 10).status, 0)
  }

  func testAddressesThatCannotBeListenedOn() throws {
    // Open to all, so that the unprivileged run below may make its data directory in it
    // (chatd refuses such a directory as its own: the first run's is one inside).
    let dir = temporaryDirectory("chatd-errors", mode: 0o777)
    defer { removeDirectory(dir) }
    try expectFailure(
      ["--host", "192.0.2.1", "--port", "6667", "--web-port", "0", "--data-dir", "\(dir)/data"], status: .notThisMachine,
      line: "cannot listen for IRC on 192.0.2.1:6667: 192.0.2.1 is not an address of this machine "
        + "(use --host or --listen with one of its addresses, or 0.0.0.0 for all)")
    try expectFailure(
      ["--port", "80", "--web-port", "0", "--data-dir", "\(dir)/nobody"], status: .permission,
      line: "cannot listen for IRC on 127.0.0.1:80: ports below 1024 need privileges "
        + "(use --port 1024 or above, or give chatd CAP_NET_BIND_SERVICE)",
      unprivileged: true)
  }

  func testAnOpenFileLimitTooLowToStartIsSaidSo() throws {
    // Too few descriptors for the runtime to start: without the check, Dispatch traps.
    guard let prlimit = findTool(["prlimit"]) else { throw XCTSkip("no prlimit") }
    let dir = temporaryDirectory("chatd-errors")
    defer { removeDirectory(dir) }
    let (status, output) = try runTool(
      prlimit, ["--nofile=14:14", try ChatdProcess.built(), "--port", "0", "--web-port", "0", "--data-dir", dir], timeout: 30)
    XCTAssertEqual(status, ChatExitStatus.system.rawValue, output)
    XCTAssertEqual(
      output, "chatd: the open-file limit is 14, chatd needs at least 64 (raise it: ulimit -n, or LimitNOFILE= under systemd)\n")
  }

  func testALogFileThatCannotBeOpened() throws {
    let dir = temporaryDirectory("chatd-errors")
    defer { removeDirectory(dir) }
    try expectFailure(
      ["--port", "0", "--web-port", "0", "--data-dir", dir, "--log-file", "\(dir)/missing/chatd.log"], status: .cannotCreate,
      line:
        "cannot open the log file \(dir)/missing/chatd.log: No such file or directory (use --log-file with another path, or none for stderr)"
    )
  }

  func testAHistoryFileThatIsNoDatabase() throws {
    let dir = temporaryDirectory("chatd-errors")
    defer { removeDirectory(dir) }
    _ = FileManager.default.createFile(atPath: "\(dir)/history.sqlite3", contents: Data(repeating: 0x41, count: 4096))
    try expectFailure(
      ["--port", "0", "--web-port", "0", "--data-dir", dir], status: .ioError,
      line: "cannot open the history database \(dir)/history.sqlite3: file is not a database "
        + "(move the file away, use another --data-dir, or --no-history)")
  }

  func testBadFlagsAreUsageErrorsAndHelpListsTheExitStatuses() throws {
    try expectFailure(["--port", "x"], status: .usage, line: "--port: expected a whole number in 0...65535, got \"x\"")
    try expectFailure(["--frobnicate"], status: .usage, line: "unknown option --frobnicate (see chatd --help)")
    try expectFailure(
      ["--host", "example.com"], status: .usage,
      line: "--host: expected an IP address (such as 127.0.0.1, ::1 or 0.0.0.0), got \"example.com\"")
    let (status, help) = try runTool(try ChatdProcess.built(), ["--help"], timeout: 30)
    XCTAssertEqual(status, 0)
    XCTAssertTrue(help.contains("  75  shutdown took longer than --shutdown-timeout"), help)
    XCTAssertTrue(help.contains("--shutdown-timeout SECONDS"), help)
  }

  // MARK: - Graceful shutdown

  func testSIGTERMSaysGoodbyeToEveryClientAndKeepsTheLastMessage() throws {
    let dir = temporaryDirectory("chatd-shutdown")
    defer { removeDirectory(dir) }
    let chatd = try ChatdProcess(["--port", "0", "--web-port", "\(freePort())", "--data-dir", dir])
    let alice = try ircClient(port: chatd.ircPort, nick: "alice")
    let bob = try webClient(port: chatd.webPort, nick: "bob")
    try alice.send("JOIN #bye\r\n")
    try alice.expectLine(containing: " 366 ")
    try bob.send(line: "JOIN #bye")
    try bob.expect(containing: " 366 ")
    try alice.send("PRIVMSG #bye :the last words\r\n")
    try bob.expect(containing: "the last words")  // accepted: delivered

    chatd.signal(SIGTERM)
    // The WebSocket client (told first: the WebSocket clients' supervisor comes after the
    // IRC one in the tree, so it stops before): the ERROR as a message, then a close
    // frame 1001 (going away); once it answers with its own, the server closes TCP.
    try bob.expect(containing: "ERROR :Closing Link: 127.0.0.1 (Server shutting down)")
    let (code, reason) = try bob.expectClose()
    XCTAssertEqual(code, 1001)
    XCTAssertEqual(reason, "Server shutting down")
    try bob.send(.close, [0x03, 0xE8])
    XCTAssertFalse(try bob.connection.fill(), "the server did not close TCP after the close handshake")
    // The IRC client: ERROR, then end of file, nothing between; then it closes too.
    var lines: [String] = []
    while let line = try? alice.readLine() { lines.append(line) }
    XCTAssertTrue(alice.closed, "the IRC connection was not closed")
    XCTAssertEqual(lines.last, "ERROR :Closing Link: 127.0.0.1 (Server shutting down)", "\(lines)")
    shutdown(alice.fd, Int32(SHUT_WR))

    // 0: the tree stopped within the timeout (past it the status is 75); the second more
    // is the process's own exit.
    let (status, seconds) = try chatd.exit(within: 30)
    XCTAssertEqual(status, 0, chatd.output)
    XCTAssertLessThan(seconds, 5 + 1, "past the default --shutdown-timeout")
    XCTAssertEqual(try storedTexts(dir), ["the last words"])
  }

  func testClientsThatNeverAnswerDoNotHoldTheShutdownPastItsTimeout() throws {
    let dir = temporaryDirectory("chatd-shutdown")
    defer { removeDirectory(dir) }
    let chatd = try ChatdProcess(["--port", "0", "--web-port", "\(freePort())", "--data-dir", dir, "--shutdown-timeout", "2"])
    // Neither reads nor closes: the IRC client never closes its side, the WebSocket one
    // never answers the close frame.
    let irc = try ircClient(port: chatd.ircPort, nick: "mute")
    let web = try webClient(port: chatd.webPort, nick: "deaf")
    chatd.signal(SIGTERM)
    // While the first goodbye waits for its answer, nobody new gets in: the listeners
    // were closed first.
    XCTAssertEqual(try web.expectClose().code, 1001)
    XCTAssertThrowsError(try TestConnection(port: chatd.ircPort), "the IRC port still accepts")
    XCTAssertThrowsError(try TestConnection(port: chatd.webPort), "the web port still accepts")
    let (status, seconds) = try chatd.exit(within: 30)
    XCTAssertEqual(status, 0, chatd.output)
    XCTAssertLessThan(seconds, 2 + 1, "past --shutdown-timeout 2")
    // The IRC client was told too, then closed.
    XCTAssertTrue(
      String(decoding: try irc.readToEnd(), as: UTF8.self).hasSuffix("ERROR :Closing Link: 127.0.0.1 (Server shutting down)\r\n"))
  }

  func testAPythonWebSocketClientSeesGoingAway() async throws {
    guard let python = pythonWithWebsockets() else { throw XCTSkip("no Python with websockets (scripts/setup.sh makes one)") }
    let dir = temporaryDirectory("chatd-shutdown")
    defer { removeDirectory(dir) }
    let chatd = try ChatdProcess(["--port", "0", "--web-port", "\(freePort())", "--data-dir", dir])
    // Registers, then waits for the server to close: prints the close code and reason.
    let script = """
      import asyncio, sys, websockets
      async def main():
          async with websockets.connect(sys.argv[1], subprotocols=["text.ircv3.net"]) as ws:
              await ws.send("NICK py"); await ws.send("USER py 0 * :py")
              while " 001 " not in await ws.recv(): pass
              open(sys.argv[2], "w").close()
              try:
                  while True: await ws.recv()
              except websockets.ConnectionClosed as e:
                  print("closed", e.rcvd.code, e.rcvd.reason)
      asyncio.run(asyncio.wait_for(main(), 20))
      """
    let ready = dir + "/python-ready"
    let arguments = ["-c", script, "ws://127.0.0.1:\(chatd.webPort)/ws", ready]
    let client = Task.detached { try runTool(python, arguments, timeout: 30) }
    let deadline = Date().addingTimeInterval(20)
    while !FileManager.default.fileExists(atPath: ready) && Date() < deadline { usleep(20_000) }
    chatd.signal(SIGTERM)
    XCTAssertEqual(try chatd.exit(within: 30).status, 0)
    let (status, output) = try await client.value
    XCTAssertEqual(status, 0, output)
    XCTAssertEqual(output, "closed 1001 Server shutting down\n")
  }

  /// The text of every message in the history database under `dir`.
  func storedTexts(_ dir: String) throws -> [String] {
    let db = try SQLiteDatabase(path: dir + "/history.sqlite3")
    let rows = try db.prepare("SELECT text FROM messages ORDER BY id")
    var texts: [String] = []
    while try rows.step() { texts.append(rows.string(0)) }
    return texts
  }
}
