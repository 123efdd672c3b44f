// The account store's engine for a chatd network: the documents live in the network's
// Redis, one string key each — `chatd:{CLUSTER}:account:<folded name>`,
// `...:certificate:<fingerprint>`, `...:channel:<folded name>` — under one hash tag, so
// a Redis Cluster keeps them in one slot. Creation is SET NX and replacement SET XX:
// Redis alone decides which of two nodes registering the same name at once wins. A web
// session's key carries the session's expiry as its TTL.
// Durability is Redis's (run it with `--appendonly yes`: accounts are not a cache).
//
// Each operation runs in a short-lived helper process (a Redis call waits; the caller,
// the account store, never does). Owner of nothing but its settings: the keys are
// Redis's, written by whichever node's store runs an operation.
import Actors
import Foundation
import Redis

/// Documents in Redis.
final class RedisAccountEngine: AccountEngine {
  let client: RedisClient
  let node: Node
  /// `chatd:{CLUSTER}:`.
  let prefix: String

  init(client: RedisClient, cluster: String, node: Node) {
    self.client = client
    self.node = node
    prefix = "chatd:{\(cluster)}:"
  }

  func key(_ kind: RecordKind, _ key: String) -> String { prefix + kind.rawValue + ":" + key }

  func run(_ operation: EngineOperation, _ done: @escaping @Sendable (EngineResult) -> Void) {
    let engine = self
    node.spawn(Never.self, options: SpawnOptions(label: "account engine")) { ctx in
      let redis = engine.client.on(ctx)
      do {
        switch operation {
        case .read(let kind, let key):
          done(.document(try await redis.get(engine.key(kind, key))?.string))
        case .create(let kind, let key, let value):
          done(.written(try await redis.set(engine.key(kind, key), value, expire: engine.expiry(kind, value), condition: .ifNotExists)))
        case .replace(let kind, let key, let value):
          done(.written(try await redis.set(engine.key(kind, key), value, expire: engine.expiry(kind, value), condition: .ifExists)))
        case .expire:
          done(.written(true))  // the keys' own TTLs did it
        case .delete(let items):
          if !items.isEmpty { _ = try await redis.del(items.map { engine.key($0.0, $0.1) }) }
          done(.written(true))
        case .list:
          // Only the always-on sessions are listed, and a network keeps none (they live
          // on their node: Client/AlwaysOn.swift).
          done(.failed("the network's Redis lists no documents"))
        }
      } catch {
        done(.failed("the network's Redis: \(error)"))
      }
    }
  }

  /// A web session's key lives as long as the session: Redis drops it when it expires
  /// (its expiry slides with each rewrite). Other documents do not expire.
  private func expiry(_ kind: RecordKind, _ value: String) -> Duration? {
    guard kind == .webSession, let session = WebSessionRecord.decode(value) else { return nil }
    return .seconds(max(1, session.expires - Int(Date().timeIntervalSince1970)))
  }

  func finish() {}

  var status: String { "Redis, keys \(prefix)*" }
}
