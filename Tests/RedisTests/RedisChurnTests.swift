// Nothing grows without bound: after thousands of dedicated connections, subscribers and
// commands have come and gone, the node is back to its processes, descriptors and heap
// (within a small bound), and Redis holds no subscription of ours.
import Actors
import OtterTestSupport
import RedisTestSupport
import XCTest

@testable import Redis

final class RedisChurnTests: XCTestCase {
  func testConnectionsSubscribersAndCommandsLeaveNothingBehind() async throws {
    let server = try startRedisServer()
    try await withNode { node in
      let client = try await RedisClient.start(RedisConfiguration(url: server.url), on: node)
      let items = 3000
      let outcome = try await checkChurn(node, items: items, settleTimeout: .seconds(20)) {
        let done = Locked(0)
        let failures = Locked<[String]>([])
        // Four lanes of processes, one after another in each: a dedicated connection,
        // a subscription, a command and a publish each, then the process ends.
        for lane in 0..<4 {
          node.spawn(Never.self) { ctx in
            for i in 0..<(items / 4) {
              let (reply, request) = ctx.makeReply(String?.self)
              ctx.spawn(RedisPubSubEvent.self) { worker in
                do {
                  let own = try await client.dedicated(worker)
                  try await own.set("churn:\(lane)", "\(i)")
                  own.close()
                  try await client.subscribe(["churn:\(lane):\(i % 16)"], worker)
                  try await client.on(worker).publish("churn:\(lane):\(i % 16)", "x")
                  guard case .message = try await worker.next(timeout: .seconds(5)) else { throw TestError("no message") }
                  reply.reply(nil)
                } catch {
                  reply.reply("\(error)")
                }
              }
              if let failure = try await ctx.receiveResponse(request, timeout: .seconds(10)) { failures.withLock { $0.append(failure) } }
            }
            done.withLock { $0 += 1 }
          }
        }
        try await eventually("the four lanes to finish", timeout: .seconds(120)) { done.withLock { $0 } == 4 }
        XCTAssertEqual(failures.withLock { $0 }.prefix(3), [])
        try await eventually("Redis to hold no subscription of ours") {
          try await client.status(node).last?.subscriptions == 0
            && server.redisCLI(["PUBSUB", "CHANNELS", "churn:*"]).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
      }
      XCTAssertTrue(outcome.settled, "\(outcome)")
      await client.stop(node)
    }
  }
}
