// Sessions handed from one node of a network to another (docs/HANDOFF.md), with real OS
// processes: a redis-server, two chatd nodes, raw-socket IRC clients, and the built
// `chatd handoff` draining the first node into the second while a client of the second
// keeps talking. The moved clients notice nothing — no disconnect, no ERROR; nobody sees
// a QUIT, JOIN or NICK for them; every numbered line reaches every member once and in
// order; their status, away and MONITOR list come along — and they go on chatting from
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
    let everyone = movers + [speaker, listener, stay]
    for c in everyone { c.drain() }

    // The drain runs while the speaker talks, before, during and after it.
    let count = 400
    let drain = try HandOffRun(from: a, to: b)
    for i in 0..<count {
      speaker.send("PRIVMSG #shared :line \(i)")
      listener.send("PRIVMSG #bside :b-line \(i)")
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

}

/// `chatd handoff` draining one test node into another, run as an operator runs it.
final class HandOffRun {
  let process = Process()
  private let pipe = Pipe()

  /// Starts draining `from` into `to` (it runs on; `wait` for its outcome).
  init(from: ChatdNode, to: ChatdNode, extraArguments: [String] = []) throws {
    process.executableURL = URL(fileURLWithPath: try builtExecutable("chatd"))
    process.arguments = ["handoff", "--to", to.dataDirectory + "/handoff.sock", "--data-dir", from.dataDirectory] + extraArguments
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
