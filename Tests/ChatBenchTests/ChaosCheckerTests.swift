// The chaos checker on hand-made session logs: what it owes a member, and how it counts
// lost, duplicated and reordered copies, missed QUITs, disconnections, NAMES and the
// server's descriptors and threads.
import XCTest

@testable import chatbench

final class ChaosCheckerTests: XCTestCase {
  let a = SessionKey(slot: 0, generation: 0)
  let b = SessionKey(slot: 1, generation: 0)
  let c = SessionKey(slot: 2, generation: 0)
  let checker = ChaosChecker(quitGrace: 100, endGuard: 10)

  /// A session joined to `channels` at `joined`, still connected at `end`.
  func session(_ key: SessionKey, joined: UInt64 = 10, channels: [Int] = [0], end: UInt64 = 10_000) -> SessionLog {
    var s = SessionLog(key: key)
    s.registeredAt = 1
    s.joins = channels.map { SessionLog.Join(channel: $0, at: joined) }
    s.endedAt = end
    return s
  }

  /// `s` sends message `seq` to `channel` at `at`, acknowledged 5 µs later.
  func send(_ s: inout SessionLog, _ seq: Int, channel: Int = 0, at: UInt64, acked: Bool = true) {
    s.sent.append(SessionLog.Sent(channel: channel, seq: seq, at: at))
    if acked { s.acks.append(SessionLog.Ack(channel: channel, seq: seq, at: at + 5)) }
  }

  func receive(_ s: inout SessionLog, from: SessionKey, _ seqs: [Int], channel: Int = 0) {
    for seq in seqs { s.receipts.append(SessionLog.Receipt(channel: channel, from: from, seq: seq)) }
  }

  func testEveryOwedCopyArrivedOnceInOrder() {
    var sa = session(a)
    var sb = session(b)
    for i in 0..<3 { send(&sa, i, at: 100 + UInt64(i) * 10) }
    receive(&sb, from: a, [0, 1, 2])
    let v = checker.check(ChaosEvidence(sessions: [sa, sb], kills: []), nickPrefix: "k")
    XCTAssertEqual(v.sent, 3)
    XCTAssertEqual(v.acked, 3)
    XCTAssertEqual(v.expectedCopies, 3)
    XCTAssertEqual(v.deliveredCopies, 3)
    XCTAssertEqual([v.lost, v.duplicated, v.reordered, v.unanswered], [0, 0, 0, 0])
    XCTAssertEqual(v.failures(), [])
  }

  func testLostDuplicatedAndReorderedCopies() {
    var sa = session(a)
    var sb = session(b)
    for i in 0..<4 { send(&sa, i, at: 100 + UInt64(i) * 10) }
    sa.acks.append(SessionLog.Ack(channel: 0, seq: 3, at: 200))  // its echo twice
    receive(&sb, from: a, [0, 2, 1, 2])  // 3 lost, 2 twice, 1 after 2
    let v = checker.check(ChaosEvidence(sessions: [sa, sb], kills: []), nickPrefix: "k")
    XCTAssertEqual(v.acked, 4)
    XCTAssertEqual(v.lost, 1)
    XCTAssertEqual(v.duplicated, 2)
    XCTAssertEqual(v.reordered, 1)
    XCTAssertEqual(v.failures(), ["lost", "duplicated", "reordered"])
    XCTAssertTrue(v.examples.contains { $0.hasPrefix("lost: 1_0 never got 0_0's message 3") }, "\(v.examples)")
  }

  func testOnlyMessagesWithinMembershipAreOwed() {
    var sa = session(a, joined: 10)
    let sb = session(b, joined: 150, end: 300)
    send(&sa, 0, at: 100)  // before b joined
    send(&sa, 1, at: 280)  // acknowledged at 285, after b's end less nothing (not killed: owed)
    send(&sa, 2, at: 400)  // after b left
    var sb2 = sb
    receive(&sb2, from: a, [1])
    sb2.end = .quit
    let v = checker.check(ChaosEvidence(sessions: [sa, sb2], kills: []), nickPrefix: "k")
    XCTAssertEqual(v.expectedCopies, 1)
    XCTAssertEqual(v.lost, 0)
    // Killed at 290: the end guard (10 µs) makes the copy acknowledged at 285 not owed.
    let kill = KillRecord(kind: "connections", pid: "<0.9.0>", at: 290, session: b)
    var killed = sb
    killed.end = .closedByServer("closed")
    let w = checker.check(ChaosEvidence(sessions: [sa, killed], kills: [kill]), nickPrefix: "k")
    XCTAssertEqual(w.expectedCopies, 0)
    XCTAssertEqual(w.unexpectedDisconnects, 0)
  }

  func testQuitsOwedToWhoSharedAChannelAndStayed() {
    let kill = KillRecord(kind: "connections", pid: "<0.9.0>", at: 1000, session: a)
    var victim = session(a, channels: [0, 1], end: 1010)
    victim.end = .closedByServer("closed")
    var saw = session(b, channels: [1])
    saw.leaves = [SessionLog.Leave(who: a, channel: nil, at: 1002)]
    let missed = session(c, channels: [0])
    let otherChannel = session(SessionKey(slot: 3, generation: 0), channels: [2])
    let leftSoon = session(SessionKey(slot: 4, generation: 0), channels: [0], end: 1050)  // gone before the grace
    let joinedAfter = session(SessionKey(slot: 5, generation: 0), joined: 1001, channels: [0])
    let v = checker.check(
      ChaosEvidence(sessions: [victim, saw, missed, otherChannel, leftSoon, joinedAfter], kills: [kill]), nickPrefix: "k")
    XCTAssertEqual(v.quitsExpected, 2)
    XCTAssertEqual(v.quitsMissed, 1)
    XCTAssertEqual(v.unexpectedDisconnects, 0)
    XCTAssertEqual(v.killsByKind, ["connections": 1])
    XCTAssertEqual(v.quitsMissedVictims, ["connections": 1])
    XCTAssertEqual(v.failures(), ["acked", "quits"])  // nothing was sent here
  }

  func testDisconnectionsWithoutAKillAndFailedSessions() {
    var dropped = session(a)
    dropped.end = .closedByServer("ERROR :Closing link")
    var failed = SessionLog(key: b)
    failed.end = .failed("connect: refused")
    var next = session(SessionKey(slot: 1, generation: 1))
    next.end = .open
    let v = checker.check(ChaosEvidence(sessions: [dropped, failed, next], kills: []), nickPrefix: "k")
    XCTAssertEqual(v.unexpectedDisconnects, 1)
    XCTAssertEqual(v.failedSessions, 1)
    XCTAssertEqual(v.reconnects, 1)
    XCTAssertEqual(v.failures(), ["acked", "disconnects"])
  }

  func testNamesRefusalsAndUnansweredMessages() {
    var sa = session(a)
    var sb = session(b)
    send(&sa, 0, at: 100, acked: false)  // never acknowledged: the room is gone
    sa.refusals = [SessionLog.Refusal(code: 403, channel: 0, at: 106)]
    send(&sb, 0, at: 100)
    receive(&sa, from: b, [0])
    var gone = session(c)
    gone.end = .closedByServer("closed")
    send(&gone, 0, at: 100, acked: false)  // its connection ended: not unanswered
    receive(&gone, from: b, [0])
    sa.leaves.append(SessionLog.Leave(who: c, channel: nil, at: 5001))
    sb.leaves.append(SessionLog.Leave(who: c, channel: nil, at: 5001))
    let names = [
      NamesAnswer(channel: 0, asker: a, nicks: ["k0_0", "k2_0"]),  // k1_0 missing, k2_0 a ghost
      NamesAnswer(channel: 1, asker: a, nicks: nil, refused: 403),
    ]
    let kill = KillRecord(kind: "connections", pid: "<0.9.0>", at: 5000, session: c)
    let v = checker.check(ChaosEvidence(sessions: [sa, sb, gone], kills: [kill], names: names), nickPrefix: "k")
    XCTAssertEqual(v.unanswered, 1)
    XCTAssertEqual(v.refusals, 1)
    XCTAssertEqual(v.ghosts, 1)
    XCTAssertEqual(v.missingMembers, 1)
    XCTAssertEqual(v.channelsNotAnswering, 1)
    XCTAssertEqual(v.failures(), ["refusals", "names", "unanswered"])
  }

  func testServerResourcesBackToTheirBaseline() {
    var sa = session(a)
    send(&sa, 0, at: 100)
    var e = ChaosEvidence(sessions: [sa], kills: [])
    e.before = ResourceCounts(descriptors: 19, threads: 9)
    e.after = ResourceCounts(descriptors: 29, threads: 10)
    let v = checker.check(e, nickPrefix: "k")
    XCTAssertEqual(v.failures(), ["descriptors", "threads"])
    XCTAssertEqual(v.failures(threadSlack: 1), ["descriptors"])
    e.after = ResourceCounts(descriptors: 18, threads: 9)
    XCTAssertEqual(checker.check(e, nickPrefix: "k").failures(), [])
  }

  func testReportMarksEachCheck() {
    var v = ChaosVerdict()
    v.acked = 10
    v.lost = 2
    v.ghosts = 1
    v.killsByKind = ["rooms": 3]
    v.kills = 3
    let figures = ChaosReport.figures(v)
    XCTAssertEqual(figures.first { $0.key == "lost" }?.ok, false)
    XCTAssertEqual(figures.first { $0.key == "duplicated" }?.ok, true)
    // One check, three rows: only the row that is off is marked.
    XCTAssertEqual(figures.first { $0.key == "names_ghosts" }?.ok, false)
    XCTAssertEqual(figures.first { $0.key == "names_missing" }?.ok, true)
    XCTAssertEqual(figures.first { $0.key == "kills_rooms" }?.value, 3)
    let json = ChaosReport.json(figures, server: "chatd", seed: 7, failed: v.failures())
    XCTAssertTrue(json.last!.contains("\"failed\":[\"lost\",\"names\"]"), json.last!)
    let table = ChaosReport.table(figures, heading: "chaos", server: "chatd", failed: v.failures())
    XCTAssertTrue(table.contains("FAILED: lost, names"), table)
  }
}
