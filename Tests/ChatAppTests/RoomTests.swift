// A room's rules and its recovery, without sockets: real room processes under the room
// supervisor, clients with in-memory endpoints (Harness/).
import Actors
import GenServer
import OtterTestSupport
import Supervision
import XCTest

@testable import ChatApp

final class RoomTests: XCTestCase {
  var chat: ChatHarness!

  override func setUp() async throws { chat = try await ChatHarness() }
  override func tearDown() async throws { chat.shutdown() }

  func testTheFirstToJoinIsOperatorAndEveryoneSeesEachJoin() async throws {
    let alice = try await chat.client("alice")
    let bob = try await chat.client("bob", caps: [.multiPrefix])
    expect(try await chat.join(alice, "#Room"), .done)
    XCTAssertEqual(alice.take().map(\.command), ["JOIN", "353", "366"])
    expect(try await chat.join(bob, "#room"), .done)
    XCTAssertEqual(alice.take().map { "\($0.command) \($0.source ?? "")" }, ["JOIN bob!user@127.0.0.1"])
    let names = bob.take().first { $0.command == "353" }
    XCTAssertEqual(Set(names?.params.last?.split(separator: " ").map(String.init) ?? []), ["@alice", "bob"])
    // The published record says the same, and each client's index names the channel.
    let record = try XCTUnwrap(chat.services.channels.record("#room"))
    XCTAssertEqual(record.settings.name, "#Room")
    XCTAssertEqual(record.members[alice.id]?.op, true)
    XCTAssertEqual(record.members[bob.id]?.op, false)
    XCTAssertEqual(chat.services.channels.channels(of: bob.id), ["#room"])
  }

  func testPartTellsEveryoneAndTheLastToLeaveEndsTheChannel() async throws {
    let alice = try await chat.client("alice")
    let bob = try await chat.client("bob")
    _ = try await chat.join(alice, "#c")
    _ = try await chat.join(bob, "#c")
    _ = alice.take()
    _ = bob.take()
    expect(try await chat.room("#c", .part(bob.handle, reason: "bye")), .done)
    XCTAssertEqual(alice.take().map(\.params), [["#c", "bye"]])
    XCTAssertEqual(bob.take().map(\.command), ["PART"])
    XCTAssertEqual(chat.services.channels.channels(of: bob.id), [])
    let room = try XCTUnwrap(chat.roomRef("#c")).pid
    expect(try await chat.room("#c", .part(alice.handle, reason: nil)), .done)
    XCTAssertNil(chat.services.channels.record("#c"))
    XCTAssertEqual(chat.services.channels.channels(of: alice.id), [])
    try await eventuallyValue("the room to stop") { room.isAlive ? nil : true }
    // Not a member: 442, and nothing changes.
    _ = try await chat.join(alice, "#d")
    expect(try await chat.room("#d", .part(bob.handle, reason: nil)), .refused)
    XCTAssertEqual(bob.take().map(\.command), ["442"])
  }

  func testModesAreCheckedAndStoredOnceInTheRoom() async throws {
    let op = try await chat.client("op")
    let voiced = try await chat.client("voiced")
    let plain = try await chat.client("plain")
    for c in [op, voiced, plain] { _ = try await chat.join(c, "#m") }
    _ = op.take()
    _ = voiced.take()
    _ = plain.take()

    // Only an operator changes modes.
    expect(try await chat.room("#m", .mode(plain.handle, ["+m"])), .refused)
    XCTAssertEqual(plain.take().map(\.command), ["482"])
    expect(try await chat.room("#m", .mode(op.handle, ["+mv", "voiced"])), .done)
    XCTAssertEqual(plain.take().map(\.params), [["#m", "+mv", "voiced"]])
    XCTAssertEqual(chat.services.channels.record("#m")?.members[voiced.id]?.voice, true)
    XCTAssertEqual(chat.services.channels.settings("#m")?.moderated, true)

    // +m: the voiced member speaks, the plain one is refused with 404.
    expect(try await chat.room("#m", .message(voiced.handle, .privmsg, text: "hi", tags: [])), .done)
    XCTAssertEqual(plain.take().map(\.params), [["#m", "hi"]])
    expect(try await chat.room("#m", .message(plain.handle, .privmsg, text: "me?", tags: [])), .refused)
    XCTAssertEqual(plain.take().map(\.command), ["404"])
    XCTAssertTrue(op.take().allSatisfy { $0.params.last != "me?" })

    // WHOIS reads the same status the room keeps.
    let status = chat.services.channels.memberships(of: voiced.id).map { $0.member.prefix(multi: true) }
    XCTAssertEqual(status, ["+"])
  }

  func testBanKeyLimitAndInvite() async throws {
    let op = try await chat.client("op")
    let guest = try await chat.client("guest", user: "gst")
    _ = try await chat.join(op, "#k")
    expect(try await chat.room("#k", .mode(op.handle, ["+bkl", "guest!*@*", "secret", "1"])), .done)
    _ = guest.take()
    expect(try await chat.join(guest, "#k", key: "secret"), .refused)
    XCTAssertEqual(guest.take().map(\.command), ["474"])
    expect(try await chat.room("#k", .mode(op.handle, ["-b", "guest!*@*"])), .done)
    expect(try await chat.join(guest, "#k", key: "wrong"), .refused)
    XCTAssertEqual(guest.take().map(\.command), ["475"])
    expect(try await chat.join(guest, "#k", key: "secret"), .refused)
    XCTAssertEqual(guest.take().map(\.command), ["471"])
    // An invitation passes key and limit, once.
    expect(try await chat.room("#k", .invite(op.handle, guest.handle)), .done)
    XCTAssertEqual(guest.take().map(\.command), ["INVITE"])
    expect(try await chat.join(guest, "#k"), .done)
    XCTAssertEqual(chat.services.channels.settings("#k")?.invited, [])
  }

  func testKickRemovesTheMemberFromTheRoomAndItsIndex() async throws {
    let op = try await chat.client("op")
    let victim = try await chat.client("victim")
    _ = try await chat.join(op, "#kick")
    _ = try await chat.join(victim, "#kick")
    _ = op.take()
    _ = victim.take()
    expect(try await chat.room("#kick", .kick(victim.handle, target: "op", reason: nil)), .refused)
    XCTAssertEqual(victim.take().map(\.command), ["482"])
    expect(try await chat.room("#kick", .kick(op.handle, target: "VICTIM", reason: "out")), .done)
    XCTAssertEqual(victim.take().map(\.params), [["#kick", "victim", "out"]])
    XCTAssertEqual(op.take().map(\.command), ["KICK"])
    XCTAssertNil(chat.services.channels.record("#kick")?.members[victim.id])
    XCTAssertEqual(chat.services.channels.channels(of: victim.id), [])
    // Kicked means no longer a member: its messages are external now (+n).
    expect(try await chat.room("#kick", .message(victim.handle, .privmsg, text: "x", tags: [])), .refused)
  }

  func testTopicNeedsOperatorUnderPlusTAndIsToldOnJoin() async throws {
    let op = try await chat.client("op")
    let other = try await chat.client("other")
    _ = try await chat.join(op, "#t")
    _ = try await chat.join(other, "#t")
    _ = op.take()
    _ = other.take()
    expect(try await chat.room("#t", .topic(other.handle, "mine")), .refused)
    XCTAssertEqual(other.take().map(\.command), ["482"])
    expect(try await chat.room("#t", .topic(op.handle, "the topic")), .done)
    XCTAssertEqual(other.take().map(\.params), [["#t", "the topic"]])
    let late = try await chat.client("late")
    _ = try await chat.join(late, "#t")
    XCTAssertEqual(late.take().first { $0.command == "332" }?.params.last, "the topic")
  }

  func testAMemberThatDiesIsSeenToQuitOnceByEveryNeighbour() async throws {
    let quitter = try await chat.client("quitter")
    let both = try await chat.client("both")
    let one = try await chat.client("one")
    for c in [quitter, both] {
      _ = try await chat.join(c, "#a")
      _ = try await chat.join(c, "#b")
    }
    _ = try await chat.join(one, "#a")
    _ = both.take()
    _ = one.take()
    try await chat.kill(quitter)
    // Each room sees the DOWN; someone in both channels is told once.
    try await eventuallyValue("both rooms to drop the quitter") {
      chat.services.channels.channels(of: quitter.id).isEmpty ? true : nil
    }
    XCTAssertEqual(both.take().map(\.command), ["QUIT"])
    XCTAssertEqual(one.take().map(\.params), [["Killed"]])
    XCTAssertNil(chat.services.channels.record("#b")?.members[quitter.id])
  }

  func testAKilledRoomComesBackWithItsMembersModesAndTopicAndNobodyIsTold() async throws {
    let op = try await chat.client("op")
    let member = try await chat.client("member")
    _ = try await chat.join(op, "#r")
    _ = try await chat.join(member, "#r")
    _ = try await chat.room("#r", .topic(op.handle, "kept"))
    _ = try await chat.room("#r", .mode(op.handle, ["+vi", "member"]))
    _ = op.take()
    _ = member.take()
    let old = try XCTUnwrap(chat.roomRef("#r")).pid
    try await chat.killAndWait(old)
    _ = try await chat.restarted(ChatServices.roomName("#r"), was: old)
    let record = try XCTUnwrap(chat.services.channels.record("#r"))
    XCTAssertEqual(record.settings.topic, "kept")
    XCTAssertTrue(record.settings.inviteOnly)
    XCTAssertEqual(record.members[member.id]?.voice, true)
    XCTAssertEqual(record.members[op.id]?.op, true)
    // The restarted room serves the same members (and watches them again).
    expect(try await chat.room("#r", .message(member.handle, .privmsg, text: "still here", tags: [])), .done)
    XCTAssertEqual(op.take().map(\.params), [["#r", "still here"]])
    XCTAssertEqual(member.take(), [])
    try await chat.kill(member)
    try await eventuallyValue("the restarted room to see the member go") {
      chat.services.channels.record("#r")?.members[member.id] == nil ? true : nil
    }
    XCTAssertEqual(op.take().map(\.command), ["QUIT"])
  }

  /// The chaos finding: a connection and its room die together. The restarted room must
  /// still tell the others — it rebuilds from its record, not from who is connected.
  func testAMemberThatDiesWhileItsRoomIsDownIsToldByTheRestartedRoom() async throws {
    let stays = try await chat.client("stays")
    let goes = try await chat.client("goes")
    _ = try await chat.join(stays, "#x")
    _ = try await chat.join(goes, "#x")
    _ = stays.take()
    // Take the room out of its supervisor's hands, so it stays down while the member dies.
    let rooms = try XCTUnwrap(chat.node.whereis(ChatServices.roomsName, as: ServerMessage<DynamicSupervisor<RoomStart>>.self))
    let room = try XCTUnwrap(chat.roomRef("#x")).pid
    try await chat.node.terminateChild(GenServerRef(rooms), pid: room)
    try await chat.kill(goes)
    XCTAssertFalse(chat.services.clients.all.contains(goes.handle))  // the exit hook ran
    XCTAssertEqual(stays.take(), [])
    // Any request brings the room back from its record; it sees the member gone.
    expect(try await chat.room("#x", .names(stays.handle, end: true)), .done)
    try await eventuallyValue("the QUIT") { stays.endpoint.commands.contains("QUIT") ? true : nil }
    let quit = try XCTUnwrap(stays.take().first { $0.command == "QUIT" })
    XCTAssertEqual(quit.source, "goes!user@127.0.0.1")
    XCTAssertNil(chat.services.channels.record("#x")?.members[goes.id])
  }

  /// The chaos finding: a crash-looping room makes the room supervisor give up. Every
  /// channel must come back with its members, never answer "No such channel".
  func testChannelsComeBackAfterTheRoomSupervisorGivesUp() async throws {
    let a = try await chat.client("a")
    let b = try await chat.client("b")
    _ = try await chat.join(a, "#one")
    _ = try await chat.join(b, "#one")
    _ = try await chat.join(b, "#two")
    let supervisor = try XCTUnwrap(chat.node.whereis(ChatServices.roomsName))
    let two = try XCTUnwrap(chat.roomRef("#two")).pid
    // Crash-loop #two until its supervisor gives up (more than 100 restarts in 5 s).
    var pid = two
    while chat.node.whereis(ChatServices.roomsName) == supervisor {
      chat.node.exit(pid, reason: .kill)
      guard let next = try? await eventuallyValue("#two again", { chat.roomRef("#two")?.pid.nilIf(pid) }) else { break }
      pid = next
    }
    _ = try await chat.restarted(ChatServices.roomsName, was: supervisor)
    // The restorer brought both rooms back from their records, with their members.
    for name in ["#one", "#two"] {
      _ = try await eventuallyValue("\(name) to be back") { chat.roomRef(name) }
    }
    _ = a.take()
    _ = b.take()
    expect(try await chat.room("#one", .message(a.handle, .privmsg, text: "back", tags: [])), .done)
    XCTAssertEqual(b.take().map(\.params), [["#one", "back"]])
    XCTAssertEqual(Set(chat.services.channels.channels(of: b.id)), ["#one", "#two"])
  }

  /// Members who joined before the stored history arrived are replayed what came before
  /// their JOIN, not what they already saw live after it.
  func testAReplayThatArrivesLateLeavesOutWhatMembersSawLive() async throws {
    let late = try await ChatHarness {
      $0.history = true
      $0.historyReplay = 20
    }
    defer { late.shutdown() }
    // A history store that never answers for history: the room's replay waits for this
    // test. It does say it keeps nothing of the channel (a new channel).
    let silent = late.node.spawn(ServerMessage<HistoryStore>.self, state: ()) { _, message, _ in
      if case .call(.channel, let from)? = message.value { from.reply(.channel(nil)) }
      return .continue
    }
    try late.node.register(ChatServices.historyName, silent.pid)
    let alice = try await late.client("alice")
    let bob = try await late.client("bob")
    _ = try await late.join(alice, "#late")
    _ = try await late.room("#late", .message(alice.handle, .privmsg, text: "live one", tags: []))
    _ = try await late.join(bob, "#late")
    _ = try await late.room("#late", .message(alice.handle, .privmsg, text: "live two", tags: []))
    _ = alice.take()
    _ = bob.take()
    let stored = HistoryEntry(time: 1_000, msgid: "old", source: "carol!c@h", command: "PRIVMSG", channel: "#late", text: "stored")
    try XCTUnwrap(late.roomRef("#late")).address.send(.info(.historyLoaded([stored])))
    _ = try await late.room("#late", .names(alice.handle, end: true))  // after the replay
    // Without server-time a replayed line is "[time] text": the texts, in order.
    func replayed(_ c: FakeClient) -> [String] {
      c.take().filter { $0.command == "PRIVMSG" }.map { $0.params.last?.components(separatedBy: "] ").last ?? "" }
    }
    XCTAssertEqual(replayed(alice), ["stored"])
    XCTAssertEqual(replayed(bob), ["stored", "live one"])
  }
}

extension Pid {
  /// Nil if this is `other`.
  func nilIf(_ other: Pid) -> Pid? { self == other ? nil : self }
}

/// Asserts a room's reply (XCTAssert's autoclosures cannot await).
func expect(_ reply: Room.Reply, _ expected: Room.Reply, file: StaticString = #filePath, line: UInt = #line) {
  XCTAssertEqual(reply, expected, file: file, line: line)
}
