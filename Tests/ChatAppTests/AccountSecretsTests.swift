// Account secrets stay secret: passwords are stored as Argon2id hashes in a 0600 file,
// never printed (requests, records, the store's and a connection's state as the
// observer sees them), never logged even at trace level; and hashing runs on its own
// threads, so logins in flight do not hold up a node's one scheduler.
import Foundation
import GenServer
import IRCTestSupport
import OtterTestSupport
import XCTest

@testable import Actors
@testable import ChatApp

final class AccountSecretsTests: XCTestCase {
  func testPasswordsAreStoredAsArgon2idInAPrivateFile() async throws {
    let dir = temporaryDirectory("secrets")
    defer { removeDirectory(dir) }
    let config = testConfig(dataDirectory: dir)
    try await withChatServer(config) { server in
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: "plain-text-never")
    }
    var st = stat()
    XCTAssertEqual(stat(config.accountsPath, &st), 0)
    XCTAssertEqual(st.st_mode & 0o777, 0o600)
    var stored = Data()
    for suffix in ["", "-wal"] {
      if let d = FileManager.default.contents(atPath: config.accountsPath + suffix) { stored += d }
    }
    let text = String(decoding: stored, as: UTF8.self)
    XCTAssertTrue(text.contains("$argon2id$v=19$m=65536,t=2,p=1$"), "no Argon2id hash stored")
    XCTAssertFalse(text.contains("plain-text-never"))
  }

  func testSecretsAreNeverPrinted() async throws {
    let password = "hunter2-hunter2"
    let request = AccountStore.Request.login(name: "alice", password: Secret(password), address: "127.0.0.1")
    XCTAssertFalse(String(describing: request).contains(password), String(describing: request))
    XCTAssertFalse(String(reflecting: request).contains(password))
    var dumped = ""
    dump(request, to: &dumped)
    XCTAssertFalse(dumped.contains(password), dumped)
    let record = AccountRecord(
      name: "alice", id: "1", created: 0, passwordHash: "$argon2id$secret-hash", scram: ScramCredentials(password: Secret(password)))
    dump(record, to: &dumped)
    XCTAssertFalse(dumped.contains("secret-hash"), dumped)
    XCTAssertFalse(String(describing: AccountStore.Reply.scram(record.scram, record.info)).contains("stored"))

    // Nothing secret in the observer's view of the store, nor of a connection in the
    // middle of a SASL exchange, nor in chatd's log at trace level.
    let capture = LogCapture()
    let node = try Node(schedulers: 2, logger: capture.logger(level: .trace))
    var config = testConfig()
    config.logLevel = .trace
    let server = try await ChatServer.start(config, on: node)
    do {
      let alice = try IRCTestClient(port: server.ircPort)
      try alice.registerAccount("alice", password: password)
      alice.send("PRIVMSG NickServ :IDENTIFY alice \(password)")
      try alice.expectNotice(from: "NickServ", containing: "logged in as alice")
      let client = try IRCTestClient(port: server.ircPort)
      XCTAssertEqual(try client.saslPlain("alice", password).command, "903")
      client.send("AUTHENTICATE PLAIN")
      try client.expect("AUTHENTICATE")
      // A long response's first chunk: the connection holds it while it waits for more.
      let chunk = String(Data("\0alice\0\(String(repeating: password, count: 30))".utf8).base64EncodedString().prefix(400))
      client.send("AUTHENTICATE " + chunk)
      let store = try XCTUnwrap(server.node.whereis(ChatServices.accountsName))
      let storeState = try await server.node.describeState(of: store) ?? ""
      XCTAssertFalse(storeState.isEmpty)
      XCTAssertFalse(storeState.contains(password), storeState)
      for connection in server.services.clients.all {
        let described = try await server.node.describeState(of: connection.pid) ?? ""
        XCTAssertFalse(described.contains(password) || described.contains(String(chunk.suffix(40))), described)
      }
      client.send("AUTHENTICATE *")
      try client.expect("906")
    } catch {
      server.stop()
      _ = await server.run()
      throw error
    }
    server.stop()
    _ = await server.run()
    let logged = capture.all.map(\.description).joined(separator: "\n")
    XCTAssertTrue(logged.contains("AUTHENTICATE <redacted>"), "the trace log has the client's lines")
    XCTAssertFalse(logged.contains(password), logged)
    XCTAssertFalse(logged.contains(Data("\0alice\0\(password)".utf8).base64EncodedString()))
  }

  func testHashingDoesNotHoldUpTheScheduler() async throws {
    // One scheduler: if Argon2id ran on it, a PING sent after five logins would wait for
    // all five hashes. On the hashing pool it is answered while they are still queued.
    // (Five: an account's bucket holds five attempts, and these are all in flight.)
    let node = try Node(schedulers: 1)
    let server = try await ChatServer.start(testConfig(), on: node)
    do {
      let owner = try IRCTestClient(port: server.ircPort)
      try owner.registerAccount("busy", password: "busy-password")
      var logins: [IRCTestClient] = []
      for _ in 0..<5 {
        let c = try IRCTestClient(port: server.ircPort)
        c.send("CAP LS 302")
        c.send("CAP REQ :sasl")
        try c.expect("CAP", containing: "ACK")
        c.send("AUTHENTICATE PLAIN")
        try c.expect("AUTHENTICATE")
        logins.append(c)
      }
      for c in logins { c.sendAuthenticate(Array("\0busy\0busy-password".utf8)) }
      // Hashing is under way once the first login is through.
      try logins[0].expect("903", within: 30)
      owner.send("PING :still-here")
      try owner.expect("PONG", containing: "still-here")
      XCTAssertTrue(logins[4].never(within: 0.05) { $0.command == "903" }, "every login finished before the PING was answered")
      for c in logins.dropFirst() { try c.expect("903", within: 30) }
      // And the hashing was done by the pool's threads: six Argon2id runs of tens of
      // milliseconds each are tens of clock ticks there.
      XCTAssertGreaterThan(ProcSelf.cpuTicks(ofThreadsNamed: "chatd-hash"), 5)
    } catch {
      server.stop()
      _ = await server.run()
      throw error
    }
    server.stop()
    _ = await server.run()
  }

  /// The store's threads (its engine's, its pool's) and its database's descriptors go
  /// with it however it ends: killed, it leaves nothing behind.
  func testAKilledAccountStoreLeavesNoThreadOrDescriptorBehind() async throws {
    let dir = temporaryDirectory("accounts-kill")
    defer { removeDirectory(dir) }
    try await withChatServer(testConfig(dataDirectory: dir)) { server in
      let a = try IRCTestClient(port: server.ircPort)
      try a.registerAccount("alice", password: "alice-password")
      let threads = ProcSelf.threads(prefixed: ["chatd-hash", "chatd-accounts"])
      XCTAssertEqual(threads, 3, "two hashing threads and the engine's")
      let files = ProcSelf.files(under: dir)
      for round in 0..<4 {
        let old = try XCTUnwrap(server.node.whereis(ChatServices.accountsName))
        server.node.exit(old, reason: .kill)
        try await eventually("the account store restarted (round \(round))") {
          server.node.whereis(ChatServices.accountsName).map { $0 != old } ?? false
        }
        a.send("PRIVMSG NickServ :IDENTIFY alice-password")
        try a.expect("900")
      }
      try await eventually("the store's threads back to \(threads)", timeout: .seconds(10)) {
        ProcSelf.threads(prefixed: ["chatd-hash", "chatd-accounts"]) == threads
      }
      // At most as many as before (one open then may have closed since; a leak adds one
      // per kill).
      if (try? await eventually("descriptors", timeout: .seconds(10), { ProcSelf.files(under: dir).count <= files.count })) == nil {
        XCTFail("the data directory's descriptors: \(ProcSelf.files(under: dir)), were \(files)")
      }
    }
  }

  func testTheHashingPoolRefusesPastItsQueue() {
    let pool = HashingPool(threads: 1, queueLimit: 1)
    let release = DispatchSemaphore(value: 0)
    let started = DispatchSemaphore(value: 0)
    XCTAssertTrue(
      pool.submit {
        started.signal()
        release.wait()
      })
    started.wait()
    XCTAssertTrue(pool.submit {}, "one job may wait")
    XCTAssertFalse(pool.submit {}, "a second one is refused")
    XCTAssertEqual(pool.refused.load(ordering: .relaxed), 1)
    release.signal()
    pool.stop()
  }
}
