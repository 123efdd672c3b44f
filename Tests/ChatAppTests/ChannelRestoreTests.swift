// A channel outlives a chatd restart as it stood: topic (who, when), modes, lists, and
// op/voice for those who held them — kept in the history database (ChatServer stopped,
// then started again on the same data directory), while a channel that had emptied
// before the stop starts afresh, as it would without the restart.
import Foundation
import GenServer
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

final class ChannelRestoreTests: XCTestCase {
  func testTopicModesAndStatusSurviveARestart() async throws {
    let dir = temporaryDirectory("restore")
    defer { removeDirectory(dir) }
    var created = ""
    var topicBy = ""
    // Kept open past the stop: a client that hangs up before it has left the channel
    // (and the status it held is not kept for it).
    var stillConnected: [IRCTestClient] = []
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let (alice, bob) = try twoMembers(of: "#Keep", server)
      stillConnected = [alice, bob]
      alice.send("TOPIC #Keep :kept across restarts")
      alice.send("MODE #Keep +klms-n sesame 10")
      alice.send("MODE #Keep +iIII alice!*@* bob!*@* carol!*@*")
      alice.send("MODE #Keep +be *!*@banned.example friend!*@*")
      alice.send("MODE #Keep +v bob")
      try bob.expect("MODE", containing: "+v")
      alice.send("MODE #Keep")
      created = try alice.expect("329").params[2]
      alice.send("TOPIC #Keep")
      topicBy = try alice.expect("333").params[2]
      XCTAssertTrue(topicBy.hasPrefix("alice!"), topicBy)
      // Both are still in #Keep when chatd stops.
    }
    for client in stillConnected { try client.expectClosed() }

    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      // The first to come back was neither op nor voice: it gets neither, and finds the
      // channel as it was (not a new one with itself as op).
      let carol = try IRCTestClient(port: server.ircPort)
      try carol.register("carol")
      carol.send("JOIN #keep sesame")
      let join = try carol.expect("JOIN")
      XCTAssertEqual(join.params.first, "#Keep", "the channel's name as created")
      XCTAssertEqual(try carol.expect("332").params.last, "kept across restarts")
      let whoTime = try carol.expect("333")
      XCTAssertEqual(whoTime.params[2], topicBy)
      XCTAssertEqual(try carol.expect("353").params.last, "carol")
      try carol.expect("366")
      carol.send("MODE #keep")
      XCTAssertEqual(try carol.expect("324").params.dropFirst(2), ["+iklmst", "sesame", "10"])
      XCTAssertEqual(try carol.expect("329").params[2], created)
      for (mode, item, masks) in [
        ("b", "367", ["*!*@banned.example"]), ("e", "348", ["friend!*@*"]), ("I", "346", ["alice!*@*", "bob!*@*", "carol!*@*"]),
      ] {
        carol.send("MODE #keep \(mode)")
        for mask in masks {
          let entry = try carol.expect(item)
          XCTAssertEqual(entry.params[2], mask)
          XCTAssertTrue(entry.params[3].hasPrefix("alice!"), entry.params[3])
        }
      }
      carol.send("TOPIC #keep :not an op")
      try carol.expect("482")

      // The op and the voice come back, each with the status it had, told to the others.
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice")
      alice.send("JOIN #keep sesame")
      let op = try carol.expect("MODE") { $0.command == "MODE" && $0.params.last == "alice" }
      XCTAssertEqual(op.params, ["#Keep", "+o", "alice"])
      XCTAssertEqual(op.source, "test.server")
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      bob.send("JOIN #keep sesame")
      XCTAssertEqual(try carol.expect("MODE") { $0.command == "MODE" && $0.params.last == "bob" }.params, ["#Keep", "+v", "bob"])
      carol.send("NAMES #keep")
      let names = try carol.expect("353").params.last ?? ""
      XCTAssertEqual(Set(names.split(separator: " ")), ["@alice", "+bob", "carol"])
      alice.send("TOPIC #keep :the op is back")
      try carol.expect("TOPIC", containing: "the op is back")
    }
  }

  /// Until its members are back (within the restore window), a restored channel is not
  /// ended by a visitor who joins and leaves: the next visitor does not become its op.
  func testAVisitorLeavingARestoredChannelDoesNotEndIt() async throws {
    let dir = temporaryDirectory("restore-visitor")
    defer { removeDirectory(dir) }
    try await channelWithAnOp(in: dir)
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let carol = try IRCTestClient(port: server.ircPort)
      try carol.register("carol")
      carol.send("JOIN #stay")
      XCTAssertEqual(try carol.expect("353").params.last, "carol")
      carol.send("PART #stay")
      try carol.expect("PART")
      let dave = try IRCTestClient(port: server.ircPort)
      try dave.register("dave")
      dave.send("JOIN #stay")
      XCTAssertEqual(try dave.expect("332").params.last, "still here")
      XCTAssertEqual(try dave.expect("353").params.last, "dave")
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice")
      alice.send("JOIN #stay")
      XCTAssertEqual(try dave.expect("MODE") { $0.command == "MODE" }.params, ["#stay", "+o", "alice"])
    }
  }

  /// After the window a restored channel is like any other: statuses are no longer
  /// given back, and it ends when its last member leaves.
  func testAfterTheWindowARestoredChannelEndsLikeAnyOther() async throws {
    let dir = temporaryDirectory("restore-window")
    defer { removeDirectory(dir) }
    try await channelWithAnOp(in: dir)
    var config = testConfig(dataDirectory: dir)
    config.channelRestoreWindow = .zero
    try await withChatServer(config) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice")
      alice.send("JOIN #stay")
      XCTAssertEqual(try alice.expect("332").params.last, "still here", "the channel is restored")
      XCTAssertEqual(try alice.expect("353").params.last, "alice", "but the op is not given back")
      alice.send("PART #stay")
      try alice.expect("PART")
      let dave = try IRCTestClient(port: server.ircPort)
      try dave.register("dave")
      dave.send("JOIN #stay")
      XCTAssertEqual(try dave.expect("353").params.last, "@dave", "a new channel")
      dave.send("TOPIC #stay")
      try dave.expect("331")
    }
  }

  /// While the store is asked, the room is not published and answers nobody: the JOINs
  /// that arrive meanwhile are answered, in order, as the channel the store kept — not
  /// as a new one with the first joiner as op.
  func testJoinsWaitForWhatTheStoreKeeps() async throws {
    let harness = try await ChatHarness {
      $0.history = true
      $0.historyReplay = 0
    }
    defer { harness.shutdown() }
    // A store that answers only when this test says.
    let asked = Recorder<From<HistoryStore.Reply>>()
    let store = harness.node.spawn(ServerMessage<HistoryStore>.self, state: ()) { _, message, _ in
      if case .call(.channel, let from)? = message.value { asked.add(from) }
      return .continue
    }
    try harness.node.register(ChatServices.historyName, store.pid)
    let alice = try await harness.client("alice")
    let bob = try await harness.client("bob")
    let (aliceHandle, bobHandle) = (alice.handle, bob.handle)
    let aliceJoined = Task { try await harness.room("#kept", .join(aliceHandle, key: nil), create: true) }
    let question = try await eventuallyValue("the room asks the store") { asked.all.first }
    let room = try XCTUnwrap(harness.roomRef("#kept"))
    // The room asks the store as it starts, before alice's JOIN reaches it: wait for that
    // JOIN to be held, so that bob's comes second (else, on a busy machine, it may not).
    _ = try await eventuallyValue("alice's JOIN held") {
      try await harness.node.status(of: room).state.hasSuffix("1 requests held") ? true : nil
    }
    let bobJoined = Task { try await harness.room("#kept", .join(bobHandle, key: nil), create: true) }
    _ = try await eventuallyValue("both JOINs held") {
      try await harness.node.status(of: room).state.hasSuffix("2 requests held") ? true : nil
    }
    XCTAssertFalse(harness.services.channels.exists("#kept"), "not published while the store is asked")
    XCTAssertTrue(alice.take().isEmpty)

    var settings = ChannelSettings(name: "#Kept", created: 1_000)
    settings.topic = "kept"
    settings.topicBy = "carol!c@h"
    question.reply(
      .channel(StoredChannel(settings: settings, statuses: [StoredStatus(mask: "bob!user@127.0.0.1", op: true, voice: false)])))
    expect(try await aliceJoined.value, .done)
    expect(try await bobJoined.value, .done)
    let record = try XCTUnwrap(harness.services.channels.record("#kept"))
    XCTAssertEqual(record.settings.topic, "kept")
    XCTAssertEqual(record.members[alice.id]?.op, false, "first in, but not the creator")
    XCTAssertEqual(record.members[bob.id]?.op, true, "op again")
    let lines = alice.take().map { ([$0.command] + $0.params.dropFirst($0.command.first!.isNumber ? 1 : 0)).joined(separator: " ") }
    XCTAssertEqual(lines.first, "JOIN #Kept")
    XCTAssertTrue(lines.contains("332 #Kept kept"), "\(lines)")
    XCTAssertEqual(lines.last, "MODE #Kept +o bob", "\(lines)")
  }

  func testRestoreWindowFlag() throws {
    XCTAssertEqual(ChatConfig().channelRestoreWindow, .seconds(600))
    guard case .run(let c) = try ChatCommandLine.parse(["--restore-window", "30"]) else { return XCTFail("expected a run") }
    XCTAssertEqual(c.channelRestoreWindow, .seconds(30))
    XCTAssertThrowsError(try ChatCommandLine.parse(["--restore-window", "soon"])) { XCTAssertTrue("\($0)".contains("--restore-window")) }
    XCTAssertTrue(ChatCommandLine.help.contains("--restore-window"))
  }

  /// A chatd on `dir` whose #stay has a topic and alice as its op when it stops.
  private func channelWithAnOp(in dir: String) async throws {
    var alice: IRCTestClient?
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.register("alice")
      try a.join("#stay")
      a.send("TOPIC #stay :still here")
      try a.expect("TOPIC")
      alice = a  // connected until chatd stops
    }
    try alice?.expectClosed()
  }

  func testAChannelThatEmptiedBeforeTheStopStartsAfresh() async throws {
    let dir = temporaryDirectory("restore-empty")
    defer { removeDirectory(dir) }
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.register("alice")
      try alice.join("#gone")
      alice.send("TOPIC #gone :forgotten")
      alice.send("MODE #gone +k sesame")
      alice.send("PART #gone")
      try alice.expect("PART")
      // And a channel whose last member quit.
      try alice.join("#quit")
      alice.send("TOPIC #quit :forgotten too")
      alice.send("QUIT")
      try alice.expectClosed()
    }
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let bob = try IRCTestClient(port: server.ircPort)
      try bob.register("bob")
      for channel in ["#gone", "#quit"] {
        bob.send("JOIN \(channel)")
        XCTAssertEqual(try bob.expect("353").params.last, "@bob", "a new channel, its creator as op")
        try bob.expect("366")
        bob.send("TOPIC \(channel)")
        try bob.expect("331")
      }
    }
  }

  /// What the store keeps of a channel reads back as written: every flag, key, limit,
  /// each list in order with who set it and when, the statuses; a forgotten channel reads
  /// back as nothing.
  func testTheStoreReadsBackWhatItKept() throws {
    let dir = temporaryDirectory("stored-channels")
    defer { removeDirectory(dir) }
    let db = try SQLiteDatabase(path: dir + "/history.sqlite3")
    for table in StoredChannelTables.schema { try db.execute(table) }
    let tables = try StoredChannelTables(db)
    var settings = ChannelSettings(name: "#Every", created: 1_700_000_000)
    settings.topic = "a topic; with 'quotes'"
    settings.topicBy = "ann!a@h"
    settings.topicTime = 1_700_000_100
    settings.inviteOnly = true
    settings.moderated = true
    settings.noExternal = false
    settings.secret = true
    settings.topicLock = false
    settings.key = "k3y"
    settings.limit = 42
    settings.bans = [ListEntry(mask: "b1!*@*", setBy: "ann!a@h", time: 1), ListEntry(mask: "b0!*@*", setBy: "bo!b@h", time: 2)]
    settings.exceptions = [ListEntry(mask: "e!*@*", setBy: "ann!a@h", time: 3)]
    settings.inviteExceptions = [ListEntry(mask: "i!*@*", setBy: "ann!a@h", time: 4)]
    let every = StoredChannel(
      settings: settings,
      statuses: [StoredStatus(mask: "ann!a@h", op: true, voice: true), StoredStatus(mask: "bo!b@h", op: false, voice: true)])
    try tables.save("#every", every)
    XCTAssertEqual(try tables.load("#every"), every)
    // Nothing set: no topic, no key, no limit, empty lists.
    let bare = StoredChannel(settings: ChannelSettings(name: "#bare", created: 5))
    try tables.save("#bare", bare)
    XCTAssertEqual(try tables.load("#bare"), bare)
    // Saving again replaces; forgetting removes, lists and statuses with it.
    try tables.save("#every", bare)
    XCTAssertEqual(try tables.load("#every"), bare)
    try tables.save("#every", nil)
    XCTAssertNil(try tables.load("#every"))
    let leftovers = try db.prepare("SELECT (SELECT count(*) FROM channel_lists) + (SELECT count(*) FROM channel_status)")
    XCTAssertTrue(try leftovers.step())
    XCTAssertEqual(leftovers.int64(0), 0)
  }
}
