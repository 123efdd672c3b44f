// Pub/sub against a real server: messages reach the subscribing process's mailbox, for
// channels, patterns and shard channels; unsubscribing and ending stop them; and a
// restart of Redis, or of the pub/sub connection itself, is announced and healed.
import Actors
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import Redis

final class RedisPubSubTests: XCTestCase {
  /// A process that subscribes, then records every event it receives.
  private func subscriber(
    _ node: Node, _ client: RedisClient, _ subscriptions: [(RedisSubscriptionKind, [String])], into events: Locked<[RedisPubSubEvent]>
  ) async throws -> Address<RedisPubSubEvent> {
    // The reply: nil once subscribed, else why not.
    let (ready, readyRequest) = node.makeReply(String?.self)
    let address = node.spawn(RedisPubSubEvent.self) { ctx in
      do {
        for (kind, names) in subscriptions { try await client.subscribe(names, kind: kind, ctx) }
        ready.reply(nil)
      } catch {
        ready.reply("\(error)")
        return
      }
      while let event = try await ctx.next() { events.withLock { $0.append(event) } }
    }
    if let failure = try await node.receiveResponse(readyRequest, timeout: .seconds(10)) { throw TestError(failure) }
    return address
  }

  private func messages(_ events: Locked<[RedisPubSubEvent]>) -> [RedisPubSubMessage] {
    events.withLock { $0 }.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
  }

  func testChannelsPatternsAndShardChannels() async throws {
    let server = try startRedisServer()
    try await withEachProtocol(server) { node, client, version in
      let redis = client.on(node)
      let events = Locked<[RedisPubSubEvent]>([])
      let sub = try await subscriber(
        node, client, [(.channel, ["news", "sport"]), (.pattern, ["room:*"]), (.shard, ["shard-1"])], into: events)
      let v1 = try await redis.publish("news", "hello")
      XCTAssertEqual(v1, 1)
      let v2 = try await redis.publish("room:lobby", Array("bin\r\n".utf8))
      XCTAssertEqual(v2, 1)
      let v3 = try await redis.spublish("shard-1", "s")
      XCTAssertEqual(v3, 1)
      let v4 = try await redis.publish("elsewhere", "x")
      XCTAssertEqual(v4, 0)
      try await eventually("three messages (\(version))") { self.messages(events).count == 3 }
      let got = messages(events)
      XCTAssertEqual(got[0], RedisPubSubMessage(kind: .channel, channel: "news", payload: ArraySlice("hello".utf8)))
      XCTAssertEqual(got[1].kind, .pattern)
      XCTAssertEqual(got[1].pattern, "room:*")
      XCTAssertEqual(got[1].channel, "room:lobby")
      XCTAssertEqual(Array(got[1].payload), Array("bin\r\n".utf8))
      XCTAssertEqual(got[2].kind, .shard)
      XCTAssertEqual(got[2].text, "s")
      // Unsubscribing from outside the process, on its behalf.
      try await client.unsubscribe(["news"], pid: sub.pid, caller: node)
      try await eventually("news to have no subscriber") { try await redis.publish("news", "gone") == 0 }
      let v5 = try await redis.publish("sport", "still")
      XCTAssertEqual(v5, 1)
      // A subscriber that ends is unsubscribed.
      node.exit(sub.pid, reason: .kill)
      try await eventually("sport to have no subscriber once its process ended") { try await redis.publish("sport", "x") == 0 }
      try await eventually("the pattern to be dropped too") {
        try server.redisCLI(["PUBSUB", "NUMPAT"]).trimmingCharacters(in: .whitespacesAndNewlines) == "0"
      }
    }
  }

  func testSubscribeRefusedByACLIsAnError() async throws {
    let server = try startRedisServer(.init(user: .init(name: "app", password: "pw")))
    // The fixture's user may use every channel: narrow it to "ok:*".
    _ = try server.redisCLI(["ACL", "SETUSER", "app", "resetchannels", "&ok:*"])
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: "redis://app:pw@127.0.0.1:\(server.port)"), on: node)
      do {
        _ = try await subscriber(node, client, [(.channel, ["secret"])], into: Locked([]))
        XCTFail("the user may not subscribe to secret")
      } catch {
        XCTAssertTrue("\(error)".contains("NOPERM"), "\(error)")
      }
      // The pub/sub connection goes on working.
      let events = Locked<[RedisPubSubEvent]>([])
      _ = try await subscriber(node, client, [(.channel, ["ok:1"])], into: events)
      let v6 = try await client.on(node).publish("ok:1", "fine")
      XCTAssertEqual(v6, 1)
      try await eventually { self.messages(events).count == 1 }
      await client.stop(node)
    }
  }

  /// The Socket.IO adapter's most reported bug: subscriptions silently lost on a
  /// reconnect. Here the subscriber is told, and its subscriptions come back.
  func testResubscribesAfterRedisRestarts() async throws {
    let server = try startRedisServer()
    try await withEachProtocol(server) { node, client, version in
      let redis = client.on(node)
      let events = Locked<[RedisPubSubEvent]>([])
      _ = try await subscriber(node, client, [(.channel, ["c1", "c2"]), (.pattern, ["p:*"]), (.shard, ["s1"])], into: events)
      server.kill()
      try await eventually("the subscriber to hear of the loss") {
        events.withLock { $0.contains { if case .disconnected = $0 { return true } else { return false } } }
      }
      do {
        try await redis.publish("c1", "lost")
        XCTFail("Redis is down")
      } catch let e as RedisError {
        switch e {
        case .notConnected, .connectionLost: break
        default: XCTFail("\(e)")
        }
      }
      try server.restart()
      try await eventually("the subscriptions to be restored (\(version))", timeout: .seconds(10)) {
        events.withLock { $0.last == .resubscribed }
      }
      // The command connections reconnect on their own backoff.
      try await eventually("a command connection to be back") { (try? await redis.ping()) == "PONG" }
      let v7 = try await redis.publish("c1", "one")
      XCTAssertEqual(v7, 1)
      let v8 = try await redis.publish("c2", "two")
      XCTAssertEqual(v8, 1)
      let v9 = try await redis.publish("p:x", "three")
      XCTAssertEqual(v9, 1)
      let v10 = try await redis.spublish("s1", "four")
      XCTAssertEqual(v10, 1)
      try await eventually { self.messages(events).count == 4 }
      XCTAssertEqual(messages(events).map(\.text), ["one", "two", "three", "four"])
    }
  }

  /// The pub/sub connection process itself dies: its supervisor restarts it, and the new
  /// one finds the subscriptions where the old one kept them.
  func testResubscribesAfterTheConnectionProcessCrashes() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), on: node)
      let events = Locked<[RedisPubSubEvent]>([])
      _ = try await subscriber(node, client, [(.channel, ["c"])], into: events)
      let old = try XCTUnwrap(client.connectionPids.last)
      node.exit(old, reason: .kill)
      try await eventually("a new pub/sub connection") { client.connectionPids.last != old }
      try await eventually("the subscription to be restored") { events.withLock { $0.last == .resubscribed } }
      let v11 = try await client.on(node).publish("c", "after")
      XCTAssertEqual(v11, 1)
      try await eventually { self.messages(events).map(\.text) == ["after"] }
      await client.stop(node)
    }
  }
}
