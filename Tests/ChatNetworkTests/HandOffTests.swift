// Sessions handed from one node of a network to another (docs/HANDOFF.md), with real OS
// processes: a redis-server, two chatd nodes, raw-socket IRC clients, and the built
// `chatd handoff` draining the first node into the second while a client of the second
// keeps talking. The moved clients notice nothing — no disconnect, no ERROR; nobody sees
// a QUIT, JOIN or NICK for them; every numbered line reaches every member once and in
// order; their status, away, MONITOR list and account come along — and they go on chatting from
// the second node after the first has exited.
import Foundation
import Glibc
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import ChatApp

final class SessionHandOffTests: XCTestCase {
  func testADrainedNodesClientsMoveWithoutNoticing() throws {
    let net = try startNetwork(nodes: 2)
    let (a, b) = (net[0], net[1])
    let caps = ["echo-message", "server-time", "multi-prefix", "away-notify"]
    // Movers on a: m0 creates #shared (op), m1 is voiced there; m2 is away and MONITORs.
    var movers: [IRCTestClient] = []
    for i in 0..<4 { movers.append(try IRCTestClient.registered("m\(i)", on: a, caps: caps)) }
    let speaker = try IRCTestClient.registered("speaker", on: b, caps: caps)
    let listener = try IRCTestClient.registered("listener", on: b, caps: caps)
    let stay = try IRCTestClient.registered("stay", on: a, caps: caps)
    try movers[0].join("#shared")
    for c in movers.dropFirst() + [speaker, listener, stay] { try c.join("#shared") }
    try movers[1].join("#side")
    try listener.join("#side")
    // A channel whose room is on b: its switch travels b's link to a.
    try listener.join("#bside")
    for c in movers[2...] { try c.join("#bside") }
    movers[0].send("MODE #shared +v m1")
    try listener.expect("MODE", containing: "+v")
    movers[2].send("AWAY :gone fishing")
    try movers[2].expect("306")
    movers[2].send("MONITOR + listener,nobody")
    try movers[2].expect("730", containing: "listener")
    try movers[2].expect("731", containing: "nobody")
    // m2 is logged in to an account: it moves with the session.
    movers[2].send("PRIVMSG NickServ :REGISTER m2-password")
    try movers[2].expect("900")
    let everyone = movers + [speaker, listener, stay]
    for c in everyone { c.drain() }

    // The drain runs while the speaker talks, before, during and after it.
    let count = 400
    let drain = try HandOffRun(from: a, to: b)
    for i in 0..<count {
      speaker.send("PRIVMSG #shared :line \(i)")
      listener.send("PRIVMSG #bside :b-line \(i)")
      listener.send("PRIVMSG m3 :dm \(i)")
      usleep(2_000)
    }
    let (status, output) = drain.wait()
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.hasPrefix("handed 5 of 5 sessions over to n2"), output)

    // Every member saw every line once, in order, whichever node it was on meanwhile.
    for c in everyone {
      let texts = try c.texts(count, to: "#shared", within: 20)
      XCTAssertEqual(texts, (0..<count).map { "line \($0)" }, "\(c.nick) saw every line of #shared once, in order")
      XCTAssertFalse(c.closed, "\(c.nick) was not disconnected")
    }
    for c in movers[2...] + [listener] {
      let texts = try c.texts(count, to: "#bside", within: 20)
      XCTAssertEqual(texts, (0..<count).map { "b-line \($0)" }, "\(c.nick) saw every line of #bside once, in order")
    }
    // A private conversation, sent to a nick whose connection changed meanwhile.
    XCTAssertEqual(try movers[3].texts(count, to: "m3", within: 20), (0..<count).map { "dm \($0)" }, "m3 saw every message to it")
    // Nobody saw anyone leave, come or change nick; no mover was told anything.
    for c in everyone {
      XCTAssertTrue(
        c.never(within: 0.3) { ["QUIT", "JOIN", "NICK", "PART", "ERROR", "NOTICE", "MODE", "730", "731"].contains($0.command) },
        "\(c.nick) saw no QUIT, JOIN, NICK, ERROR, NOTICE, MODE or MONITOR news: \(c.backlog.map { $0.command })")
    }

    // a has exited; the movers are b's users now, with their status, away and list.
    XCTAssertEqual(a.stop(grace: 10), 0, a.outputTail())
    listener.send("WHOIS m2")
    let server = try listener.expect("312", containing: "m2")
    XCTAssertEqual(server.params[2], "n2.chatd.local", "\(server)")
    try listener.expect("301", containing: "gone fishing")
    XCTAssertEqual(try listener.expect("330", containing: "m2").params[2], "m2", "m2 is still logged in to its account")
    listener.send("NAMES #shared")
    let names = try listener.expect("353", containing: "#shared")
    XCTAssertTrue(names.names.isSuperset(of: ["@m0", "+m1", "m2", "m3"]), "\(names)")
    // They go on chatting, from b.
    movers[3].send("PRIVMSG #shared :after the move")
    for c in [speaker, listener, movers[0]] { try c.expect("PRIVMSG", containing: "after the move") }
    movers[1].send("PRIVMSG #side :side channel too")
    try listener.expect("PRIVMSG", containing: "side channel too")
    listener.send("PRIVMSG m2 :are you there?")
    try movers[2].expect("PRIVMSG", containing: "are you there?")
    try listener.expect("301", containing: "gone fishing")
    // m2's MONITOR list came along: listener leaving is news to it.
    listener.send("QUIT :bye")
    try movers[2].expect("731", containing: "listener")
  }

  /// With a third node: its room and its user's private messages reach the moved
  /// clients once and in order — what it sent before it switched through the old node,
  /// what it sent after through the new one.
  func testAThirdNodesRoomAndMessagesFollowTheMove() throws {
    let net = try startNetwork(nodes: 3)
    let (a, b, n) = (net[0], net[1], net[2])
    let speaker = try IRCTestClient.registered("speaker", on: n, caps: ["echo-message"])
    try speaker.join("#far")
    var movers: [IRCTestClient] = []
    for i in 0..<3 {
      let m = try IRCTestClient.registered("mv\(i)", on: a)
      try m.join("#far")
      movers.append(m)
    }
    let onB = try IRCTestClient.registered("onb", on: b)
    try onB.join("#far")
    for c in movers + [speaker, onB] { c.drain() }

    let count = 300
    let drain = try HandOffRun(from: a, to: b)
    for i in 0..<count {
      speaker.send("PRIVMSG #far :far \(i)")
      speaker.send("PRIVMSG mv\(i % 3) :dm \(i)")
      usleep(2_000)
    }
    let (status, output) = drain.wait()
    XCTAssertEqual(status, 0, output)
    for c in movers + [speaker, onB] {
      XCTAssertEqual(try c.texts(count, to: "#far", within: 20), (0..<count).map { "far \($0)" }, "\(c.nick): #far once, in order")
    }
    for (k, m) in movers.enumerated() {
      let expected = (0..<count).filter { $0 % 3 == k }.map { "dm \($0)" }
      XCTAssertEqual(try m.texts(expected.count, to: m.nick, within: 20), expected, "\(m.nick): its messages once, in order")
    }
    for c in movers + [speaker, onB] {
      XCTAssertTrue(c.never(within: 0.3) { ["QUIT", "JOIN", "NICK", "ERROR"].contains($0.command) }, "\(c.nick): \(c.backlog)")
    }
    XCTAssertEqual(a.stop(grace: 10), 0)
    movers[0].send("PRIVMSG #far :from b now")
    try speaker.expect("PRIVMSG", containing: "from b now")
  }

  /// irssi, connected to the drained node, sees no disconnect: its log says nothing of a
  /// lost connection, it has every line of its channel once and in order, and it talks
  /// on from the other node.
  func testAnIrssiSessionMovesWithoutADisconnect() throws {
    guard IrssiSession.executable != nil else { throw XCTSkip("irssi is not installed (apt-get install -y irssi)") }
    let net = try startNetwork(nodes: 2)
    let (a, b) = (net[0], net[1])
    let irssi = try IrssiSession(nick: "irssiuser", port: a.ircPort)
    irssi.type("/join #shared")
    try irssi.waitFor("has joined #shared")
    let speaker = try IRCTestClient.registered("speaker", on: b)
    try speaker.join("#shared")
    try irssi.waitFor("speaker")

    let count = 300
    let drain = try HandOffRun(from: a, to: b)
    for i in 0..<count {
      speaker.send("PRIVMSG #shared :line \(i)")
      usleep(2_000)
    }
    let (status, output) = drain.wait()
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.hasPrefix("handed 1 of 1 sessions over to n2"), output)
    try irssi.waitFor("line \(count - 1)", within: 20)
    XCTAssertEqual(a.stop(grace: 10), 0, a.outputTail())

    irssi.type("/msg #shared irssi after the move")
    try speaker.expect("PRIVMSG", containing: "irssi after the move")
    speaker.send("WHOIS irssiuser")
    XCTAssertEqual(try speaker.expect("312", containing: "irssiuser").params[2], "n2.chatd.local")
    let log = irssi.log
    for word in ["Connection lost", "Disconnected", "Reconnecting", "ERROR"] {
      XCTAssertFalse(log.contains(word), "irssi logged \"\(word)\":\n\(log)")
    }
    let lines = log.split(separator: "\n").compactMap { line -> Int? in
      guard line.contains("speaker"), let r = line.range(of: "line ", options: .backwards) else { return nil }
      return Int(line[r.upperBound...])
    }
    XCTAssertEqual(lines, Array(0..<count), "irssi saw every line once, in order")
    XCTAssertTrue(speaker.never(within: 0.3) { $0.command == "QUIT" || $0.command == "JOIN" }, "\(speaker.backlog)")
    irssi.quit()
  }

  /// A client that cannot move is told to reconnect as it leaves: an IRC client not
  /// registered yet gets ERROR, a WebSocket client ERROR and the close frame 1012
  /// (service restart); a registered IRC client on the same node moves as usual.
  func testWhoCannotMoveIsToldToReconnect() throws {
    let net = try startNetwork(nodes: 2)
    let webPort = freePort()
    let a = try net.addNode(ChatdNode.Options(extraArguments: ["--web", "127.0.0.1:\(webPort)"]))
    let b = net[1]
    let mover = try IRCTestClient.registered("mover", on: a)
    try mover.join("#c")
    let watcher = try IRCTestClient.registered("watcher", on: b)
    try watcher.join("#c")
    let unregistered = try a.connect()
    unregistered.send("NICK halfway")
    unregistered.send("PING :here")
    try unregistered.expect("PONG", containing: "here")
    let web = try TestConnection(port: webPort)
    try web.send(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n")
    XCTAssertTrue(try web.readLine().hasPrefix("HTTP/1.1 101"))
    while try web.readLine() != "" {}

    let (status, output) = try HandOffRun(from: a, to: b).wait()
    XCTAssertEqual(status, 0, output)
    XCTAssertTrue(output.contains("handed 1 of 3 sessions over to n2"), output)
    XCTAssertTrue(output.contains("told 2 to reconnect (1 on WebSocket, 1 not registered)"), output)

    try unregistered.expect("ERROR", containing: "Server restarting")
    try unregistered.expectClosed()
    let frames = try webSocketFrames(web.readToEnd())
    XCTAssertEqual(frames.first?.opcode, 1, "a text frame first: \(frames)")
    XCTAssertTrue(String(decoding: frames.first?.payload ?? [], as: UTF8.self).hasPrefix("ERROR :Closing Link"), "\(frames)")
    XCTAssertEqual(frames.last?.opcode, 8, "then a close frame: \(frames)")
    XCTAssertEqual(frames.last?.payload.prefix(2).map { $0 }, [0x03, 0xF4], "close code 1012 (service restart): \(frames)")

    mover.send("PRIVMSG #c :still here")
    try watcher.expect("PRIVMSG", containing: "still here")
    XCTAssertFalse(mover.closed)
  }

  /// A drain that cannot start changes nothing: a bad command line, no node at the
  /// control socket, no node at the hand-off socket — each says so, and the node serves
  /// on (its listener too).
  func testAHandOffThatCannotStartChangesNothing() throws {
    let net = try startNetwork(nodes: 2)
    let (a, b) = (net[0], net[1])
    let client = try IRCTestClient.registered("client", on: a)
    let chatd = try builtExecutable("chatd")
    let usage = try runToEnd(chatd, ["handoff", "--data-dir", a.dataDirectory])
    XCTAssertEqual(usage.status, 2, usage.output)
    XCTAssertTrue(usage.output.contains("handoff: --to SOCKET is required"), usage.output)
    let nobody = try runToEnd(chatd, ["handoff", "--to", b.dataDirectory + "/handoff.sock", "--control-socket", "/nonexistent/c.sock"])
    XCTAssertEqual(nobody.status, 69, nobody.output)
    XCTAssertTrue(nobody.output.contains("no control socket at /nonexistent/c.sock"), nobody.output)
    let (status, output) = try HandOffRun(from: a, to: b, socket: "/nonexistent/handoff.sock").wait()
    XCTAssertEqual(status, 1, output)
    XCTAssertTrue(output.contains("cannot reach the hand-off socket /nonexistent/handoff.sock"), output)

    // A second node cannot take hand-offs at a path a live node serves.
    XCTAssertThrowsError(try net.addNode(ChatdNode.Options(extraArguments: ["--handoff-socket", b.dataDirectory + "/handoff.sock"]))) {
      XCTAssertTrue("\($0)".contains("another node takes hand-offs at \(b.dataDirectory)/handoff.sock"), "\($0)")
    }

    XCTAssertTrue(a.isRunning)
    client.send("PING :alive")
    try client.expect("PONG", containing: "alive")
    _ = try IRCTestClient.registered("newcomer", on: a)
  }
}

/// Runs `tool` with `arguments` to its end: its exit status and output (both streams).
private func runToEnd(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: tool)
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try withNoSignalsBlocked { try process.run() }
  let output = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// The frames of a server's WebSocket stream (unmasked, short ones: what chatd sends
/// a client it closes).
private func webSocketFrames(_ bytes: [UInt8]) throws -> [(opcode: UInt8, payload: [UInt8])] {
  var frames: [(opcode: UInt8, payload: [UInt8])] = []
  var i = 0
  while i + 2 <= bytes.count {
    var length = Int(bytes[i + 1] & 0x7F)
    var start = i + 2
    if length == 126 {
      length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
      start += 2
    }
    guard start + length <= bytes.count else { throw TestError("a cut frame in \(bytes)") }
    frames.append((bytes[i] & 0x0F, Array(bytes[start..<(start + length)])))
    i = start + length
  }
  return frames
}

/// `chatd handoff` draining one test node into another, run as an operator runs it.
final class HandOffRun {
  let process = Process()
  private let pipe = Pipe()

  /// Starts draining `from` into `to` (it runs on; `wait` for its outcome).
  init(from: ChatdNode, to: ChatdNode, socket: String? = nil, extraArguments: [String] = []) throws {
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments =
      ["handoff", "--to", socket ?? to.dataDirectory + "/handoff.sock", "--data-dir", from.dataDirectory] + extraArguments
    process.standardOutput = pipe
    process.standardError = pipe
    try withNoSignalsBlocked { try process.run() }
  }

  /// Its exit status and what it printed.
  func wait() -> (status: Int32, output: String) {
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
  }
}
